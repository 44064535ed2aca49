"""Dashboards against a hand-built history: every widget's numbers, the gate (a confidential
issue, a support desk's reporter, a private project: never counted), query and saved-filter
scoping, a bad query, and each widget's CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.test import Client

from docket.issues import actions
from docket.issues.events import record
from docket.issues.models import EventKind, Issue
from docket.issues.saved_filters import create_filter
from docket.projects import actions as project_actions
from tests.factories import UserFactory, make_issue, make_project


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _table(response, slug: str) -> list[list[str]]:
    """A widget's data as its CSV download gives it."""
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def _csv(client: Client, url: str, slug: str, **params: str) -> list[list[str]]:
    return _table(client.get(url, {**params, "csv": slug}), slug)


@pytest.fixture
def history(cast, clock):
    """WEB from 2026-10-01 09:00 (day 0) to day 5, milestone M1 (days 0–10):
    A (high, bob's): day 1 started, day 3 resolved — cycle 2 d, lead 3 d.
    B (low): day 3 priority medium and assigned to alice, due day 2; day 4 closed; day 5
    reopened. C: confidential, highest, never moved."""
    project_actions.add_milestone(
        actor=cast.alice, project=cast.web, name="M1",
        start_date="2026-10-01", due_date="2026-10-11",
    )  # fmt: skip
    a = make_issue(cast.bob, cast.web, title="A", priority="high", assignee="bob", milestone="M1")
    b = make_issue(cast.bob, cast.web, title="B", priority="low", milestone="M1")
    c = make_issue(cast.alice, cast.web, title="C", priority="highest", confidential=True)
    clock.advance(days=1)
    actions.transition(actor=cast.bob, issue=a, to="In Progress")
    clock.advance(days=2)
    actions.transition(actor=cast.bob, issue=a, to="Resolved", fields={"resolution": "fixed"})
    actions.update_issue(
        actor=cast.bob, issue=b,
        changes={"priority": "medium", "assignee": "alice", "due_date": "2026-10-03"},
    )  # fmt: skip
    clock.advance(days=1)
    actions.transition(actor=cast.alice, issue=b, to="Closed")
    clock.advance(days=1)
    actions.transition(actor=cast.alice, issue=b, to="Open")
    return {"a": a, "b": b, "c": c}


URL = "/p/WEB/dashboard"


def test_open_issues_by_status_priority_severity_and_assignee(cast, history):
    bob = _as(cast.bob)
    assert _csv(bob, URL, "status") == [["status", "open"], ["New", "1"], ["Open", "1"]]
    assert _csv(bob, URL, "priority") == [["priority", "open"], ["highest", "1"], ["medium", "1"]]
    assert _csv(bob, URL, "severity") == [["severity", "open"], ["major", "2"]]
    assignees = _csv(bob, URL, "assignee")
    assert assignees == [["assignee", "open"], ["(unassigned)", "1"], ["alice", "1"]]


def test_a_reporter_never_counts_the_confidential_issue(cast, history):
    carol = _as(cast.carol)
    assert _csv(carol, URL, "status") == [["status", "open"], ["Open", "1"]]
    assert _csv(carol, URL, "priority") == [["priority", "open"], ["medium", "1"]]
    ageing = dict(_csv(carol, URL, "ageing")[1:])
    assert ageing["1–7 days"] == "1"


def test_created_vs_resolved_per_day_and_week(cast, history):
    rows = _csv(_as(cast.bob), URL, "flow")
    assert rows[0] == ["day", "created", "resolved"]
    by_day = {row[0]: row[1:] for row in rows[1:]}
    assert len(by_day) == 30 and rows[-1][0] == "2026-10-06"
    assert by_day["2026-10-01"] == ["3", "0"]
    assert by_day["2026-10-04"] == ["0", "1"]  # A; B's close was undone by its reopening
    weekly = _csv(_as(cast.bob), URL, "flow", unit="week")
    weeks = {row[0]: row[1:] for row in weekly[1:]}
    assert weeks["2026-09-28"] == ["3", "1"] and weeks["2026-10-05"] == ["0", "0"]


def test_cycle_and_lead_time(cast, history):
    response = _as(cast.bob).get(URL)
    page = response.content.decode()
    assert "Cycle time (n=1): p50 2.0 d" in page
    assert "Lead time (n=1): p50 3.0 d" in page
    rows = {row[0]: row[1:] for row in _csv(_as(cast.bob), URL, "durations")[1:]}
    assert rows["1–3 d"] == ["1", "0"] and rows["3–7 d"] == ["0", "1"]


def test_ageing_overdue_and_workload(cast, history):
    bob = _as(cast.bob)
    ageing = dict(_csv(bob, URL, "ageing")[1:])
    assert ageing == {"< 1 day": "0", "1–7 days": "2", "1–4 weeks": "0", "1–3 months": "0",
                      "> 3 months": "0"}  # fmt: skip
    assert _csv(bob, URL, "overdue")[1:] == [["WEB-2", "B", "2026-10-03", "alice"]]
    assert "1 open issue past their due date" in bob.get(URL).content.decode()
    Issue.objects.filter(pk=history["b"].pk).update(estimate=90)  # minutes
    assert _csv(bob, URL, "workload") == [
        ["person", "open assigned", "estimated minutes"],
        ["alice", "1", "90"],
    ]


def test_milestone_burndown(cast, history):
    rows = _csv(_as(cast.bob), URL, "burndown")
    assert rows[0] == ["day", "remaining"]
    assert [r[1] for r in rows[1:]] == ["2", "2", "2", "1", "1", "1"]
    assert rows[1][0] == "2026-10-01" and rows[-1][0] == "2026-10-06"


def test_sla_compliance_reads_the_summary_column_and_the_events(cast, history, clock):
    a, b = history["a"], history["b"]
    Issue.objects.filter(pk=a.pk).update(sla_state="met")
    Issue.objects.filter(pk=b.pk).update(sla_state="breached")  # open: not "resolved, breached"
    record(b, None, EventKind.SLA_BREACHED, clock(), new={"clock": "resolution"})
    record(b, None, EventKind.SLA_WARNING, clock() - dt.timedelta(days=2), new={})
    rows = {row[0]: row[1:] for row in _csv(_as(cast.bob), URL, "sla")[1:]}
    assert rows["2026-09-28"] == ["1", "0", "0", "1"]
    assert rows["2026-10-05"] == ["0", "0", "1", "0"]


def test_a_query_scopes_every_widget(cast, history):
    bob = _as(cast.bob)
    assert _csv(bob, URL, "status", q="priority:highest") == [["status", "open"], ["New", "1"]]
    flow = _csv(bob, URL, "flow", q="priority:highest")
    assert dict((r[0], r[1]) for r in flow[1:])["2026-10-01"] == "1"


def test_a_saved_filter_scopes_the_dashboard(cast, history):
    saved = create_filter(actor=cast.bob, name="Mid", query="priority:medium")
    rows = _csv(_as(cast.bob), URL, "status", filter=str(saved.pk))
    assert rows == [["status", "open"], ["Open", "1"]]
    page = _as(cast.bob).get(URL, {"filter": str(saved.pk)}).content.decode()
    assert "selected>Mid</option>" in page


def test_a_bad_query_is_a_clear_error(cast, history):
    response = _as(cast.bob).get(URL, {"q": "priority:"})
    assert response.status_code == 400
    assert re.search(r'id="dashboard-error"[^>]*>[^<]*\S', response.content.decode())
    unknown = _as(cast.bob).get(URL, {"q": "colour:red"})
    assert unknown.status_code == 400 and "colour" in unknown.content.decode()


def test_unknown_widget_csv_is_404(cast, history):
    assert _as(cast.bob).get(URL, {"csv": "nope"}).status_code == 404


def test_csv_cells_that_look_like_formulas_are_quoted(cast, clock):
    make_issue(cast.bob, cast.web, title="=HYPERLINK(1)", due_date="2026-09-01")
    rows = _csv(_as(cast.bob), URL, "overdue")
    assert rows[1][1] == "'=HYPERLINK(1)"


def test_the_page_draws_labelled_charts_and_csv_links(cast, history):
    page = _as(cast.bob).get(URL).content.decode()
    assert page.count('<svg class="chart"') >= 8
    assert 'aria-label="Open issues by status"' in page
    assert "?csv=status" in page and "Download CSV" in page
    assert "<script" not in page.split("<main", 1)[-1].split("</main>")[0]


def test_outsiders_get_404_and_a_private_project_is_never_counted(cast, history):
    assert _as(cast.eve).get(URL).status_code == 404
    other = make_project(cast.eve, "OWN")
    make_issue(cast.eve, other, title="Eve's secret")
    bob_all = _csv(_as(cast.bob), "/dashboard", "status")
    assert bob_all == [["status", "open"], ["New", "1"], ["Open", "1"]]
    eve_all = _csv(_as(cast.eve), "/dashboard", "status")
    assert eve_all == [["status", "open"], ["New", "1"]]


def test_a_support_desk_reporter_counts_only_their_own_tickets(cast, clock):
    frank = UserFactory(username="frank")
    desk = make_project(
        cast.alice, "DESK", visibility="internal",
        members={cast.bob: "member", cast.carol: "reporter", frank: "reporter"},
    )  # fmt: skip
    project_actions.update_project(
        actor=cast.alice, project=desk, changes={"reporters_see_own_only": True}
    )
    make_issue(cast.carol, desk, title="My printer is on fire")
    make_issue(frank, desk, title="VPN refuses my password")
    make_issue(cast.bob, desk, title="Printer fleet audit")
    carol_rows = _csv(_as(cast.carol), "/p/DESK/dashboard", "status")
    assert sum(int(r[1]) for r in carol_rows[1:]) == 1
    assert sum(int(r[1]) for r in _csv(_as(cast.bob), "/p/DESK/dashboard", "status")[1:]) == 3
    flow = _csv(_as(cast.carol), "/dashboard", "flow", q="project:DESK")
    assert sum(int(r[1]) for r in flow[1:]) == 1
