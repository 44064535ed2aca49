"""The issue page's SLA section and the SLA events in its timeline."""

from __future__ import annotations

from typing import Any

from django.test import Client

from tests.factories import make_issue, make_project
from tests.sla.conftest import replay_all, sweep


def test_the_issue_page_shows_each_clock_and_the_steps(
    cast: Any, clock: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr("docket.web.views.issue_page.clock_now", clock)
    ops = make_project(cast.alice, "OPS", workflow="incident", members={cast.bob: "member"})
    issue = make_issue(cast.bob, ops, title="Pager storm", priority="high")
    plain = make_issue(cast.bob, cast.web, title="No policy here")
    replay_all()
    browser = Client()
    browser.force_login(cast.alice)
    page = browser.get(f"/OPS-{issue.number}").content.decode()
    assert "Time to first response" in page and "30m left" in page
    assert "Time to resolution" in page and "8h left" in page
    clock.advance(minutes=40)
    sweep(clock)
    page = browser.get(f"/OPS-{issue.number}").content.decode()
    assert "breached by 10m" in page
    assert "time to first response breached its target (policy Incident)" in page
    assert 'id="issue-sla"' not in browser.get(f"/WEB-{plain.number}").content.decode()
