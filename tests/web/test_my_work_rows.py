"""My work's tables (web/views/home.py, web/list_rows.py `work_rows`): the labels as the issue
list's chips in their colour, the Blocked badge from one lookup for the four tables, and the
rest of each row as before (key, linked title, status pill, priority, assignee, due, updated)."""

from __future__ import annotations

import datetime as dt
import re

from django.test import Client

from docket.issues.links import link_issues
from docket.issues.models import Label
from tests.factories import make_issue


def _my_work(user) -> str:
    client = Client()
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def _rows(body: str) -> dict[str, list[str]]:
    """Each issue's rows by key (an issue shows in every section it belongs to)."""
    rows: dict[str, list[str]] = {}
    for key, row in re.findall(r'<tr data-nav-item data-key="([A-Z]+-\d+)">(.*?)</tr>', body):
        rows.setdefault(key, []).append(row)
    return rows


def test_labels_are_chips_in_their_colour_and_blocked_issues_say_so(cast):
    late = (dt.date.today() - dt.timedelta(days=2)).isoformat()
    blocker = make_issue(cast.bob, cast.web, title="Blocker", assignee="alice")
    crash = make_issue(
        cast.bob, cast.web, title="Crash <b>", priority="high", assignee="bob",
        labels=["bug", "ui"], due_date=late,
    )  # fmt: skip
    Label.objects.filter(name="bug").update(color="#d73a4a")
    link_issues(actor=cast.alice, issue=blocker, kind="blocks", other=crash.key)

    rows = _rows(_my_work(cast.bob))
    # Overdue, assigned to bob, reported by bob, watched by bob: four tables, the same row.
    assert len(rows[crash.key]) == 4 and len(set(rows[crash.key])) == 1
    row = rows[crash.key][0]
    assert '<span class="chip" data-chip="#d73a4a">bug</span>' in row
    assert re.search(r'<span class="chip" data-chip="[^"]*">ui</span>', row)
    assert 'class="label"' not in row
    assert '<span class="badge blocked">Blocked</span>' in row
    assert f'<a data-open href="/{crash.key}">Crash &lt;b&gt;</a>' in row
    assert '<td class="prio-high">high</td>' in row and '<td class="opt">bob</td>' in row
    assert 'class="overdue"' in row and '<time class="ago"' in row
    assert "Blocked" not in rows[blocker.key][0]  # bob reported it: not blocked itself


def test_a_confidential_issue_is_marked_and_a_hidden_one_never_shows(cast):
    secret = make_issue(cast.bob, cast.web, title="Secret", confidential=True, assignee="bob")
    row = _rows(_my_work(cast.bob))[secret.key][0]
    assert '<span class="confidential" title="Confidential">● confidential</span>' in row
    assert secret.key not in _my_work(cast.eve)
