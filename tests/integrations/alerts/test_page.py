"""The incident as people see it: the description's tables rendered through the Markdown
pipeline, alert text unable to inject markup, and history naming the intake."""

from __future__ import annotations

import json
import re
from typing import Any

from django.test import Client

from tests.integrations.alerts.conftest import Intake, incidents, sample

HOSTILE = {
    "summary": "<script>alert('summary')</script> and <img src=x onerror=alert(1)>",
    "description": "[click me](javascript:alert(1)) | a | table | breaker\n# not a heading",
    "runbook_url": "javascript:alert(2)",
}


def _page(cast: Any, key: str) -> str:
    client = Client()
    client.force_login(cast.alice)
    answer = client.get(f"/{key}")
    assert answer.status_code == 200
    return answer.content.decode()


def test_the_description_reads_as_tables_and_links(intake: Intake, cast: Any) -> None:
    intake.replay("alertmanager/zulip__firing_2_alerts.json")
    [issue] = incidents(cast.web)
    html = _page(cast, issue.key)
    # The two alerts share all their labels: one table of those, then each one's annotations.
    assert html.count("<table>") == 3
    assert "<th>Label of every alert</th>" in html
    assert "<h3>1. High CPU Temperature (firing)</h3>" in html
    assert "<td><code>andromeda</code></td>" in html
    assert "<td>CPU core temperature is 34.75C</td>" in html
    assert 'href="http://cobalt:9090/graph?g0.expr=' in html
    assert "Alerts: Prometheus" in html  # the timeline names the intake, not its account


def test_alert_text_cannot_inject_markup(intake: Intake, cast: Any) -> None:
    body = json.loads(sample("alertmanager/alertmanager-bot__firing.json"))
    body["alerts"][0]["annotations"] = HOSTILE
    body["alerts"][0]["labels"]["team"] = "ops` | <b>bold</b>"
    body["alerts"][0]["generatorURL"] = "javascript:alert(3)"
    body["commonAnnotations"] = {}
    assert intake.post(json.dumps(body)).json()["outcome"] == "opened"
    [issue] = incidents(cast.web)
    html = _page(cast, issue.key)
    description = html[html.index('<div class="markdown"><p>Opened by the alert intake') :]
    assert "<script>alert(" not in description
    assert "<img" not in description
    assert "<b>bold</b>" not in description
    assert not re.search(r'href="javascript', description, re.I)
    assert "<td>&lt;script&gt;alert('summary')&lt;/script&gt; and &lt;img" in description  # text
    assert "<td><code>ops` | &lt;b&gt;bold&lt;/b&gt;</code></td>" in description
    assert "<h1>" not in description


def test_each_alert_is_headed_by_what_sets_it_apart(grafana: Intake, cast: Any) -> None:
    grafana.replay("grafana/zulip__v9_firing_3_alerts.json")
    [issue] = incidents(cast.web)
    html = _page(cast, issue.key)
    assert "<td><code>test</code></td>\n<td><code>true</code></td>" in html  # shared
    assert "1. Test alert · deploy=prod, instance=badhost.example.com, job=rabbitmq" in html
    assert "3. Second webhook test (firing)" in html
