"""The dashboards' roll-ups (reports/rollup.py, tallies.py): every number a viewer sees
through the pages and CSV is the same read from the roll-ups as counted from the issues,
on a history with reopens, deletions, a restore, confidential changes, milestone moves and
unassignment; the consumer catches up after downtime and reads a batch twice harmlessly;
changes after its cursor show at once; viewers who see part of a project (a reporter, an
internal project's non-members, a desk's reporter) count only what they may see."""

from __future__ import annotations

import csv
import io
import re
import threading

import pytest
from django.db import connection
from django.test import Client

from docket.accounts.models import User
from docket.core.clock import now as clock_now
from docket.issues import actions, sharing
from docket.issues.events import record
from docket.issues.models import EventKind, Issue
from docket.projects import actions as project_actions
from docket.projects import workflow_actions
from docket.reports import rollup, tallies
from docket.reports import scope as report_scope
from docket.reports.as_of import counts_as_of
from docket.reports.models import RollupIssue, RollupTally
from docket.reports.scope import scope_for
from docket.worker import consumers
from docket.worker.models import ConsumerCursor
from docket.worker.runner import run_ready_jobs
from tests.factories import UserFactory, make_issue, make_project

SLUGS = ["status", "priority", "severity", "assignee", "flow", "durations", "ageing",
         "overdue", "workload", "burndown", "sla"]  # fmt: skip
TOKENS = r'(nonce|value|content)="[^"]*"|"X-CSRFToken": "[^"]*"'
DAYS = [f"2026-10-{d:02d}" for d in range(1, 9)]


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _consumer() -> consumers.Consumer:
    return next(c for c in consumers.registered() if c.name == rollup.NAME)


def _catch_up() -> None:
    while consumers.dispatch(_consumer()):
        pass


def _text(response) -> str:
    return re.sub(TOKENS, "", response.content.decode())


def _total(client: Client, url: str, slug: str, column: int = 1) -> int:
    rows = list(csv.reader(io.StringIO(client.get(url, {"csv": slug}).content.decode())))
    return sum(int(row[column]) for row in rows[1:])


def _everything(client: Client, url: str, milestones: bool = True) -> dict[str, object]:
    """Every widget's CSV (daily and weekly, each milestone's burndown) and the page's text
    "as of" each day of the history (nonces and tokens taken out)."""
    seen: dict[str, object] = {}
    variants: list[dict[str, str]] = [{}, {"unit": "week"}]
    if milestones:
        variants += [{"milestone": "M1"}, {"milestone": "M2"}]
    for params in variants:
        for slug in SLUGS:
            response = client.get(url, {**params, "csv": slug})
            seen[f"{slug}{params}"] = (response.status_code, _text(response))
    if url.startswith("/p/"):
        for day in DAYS:
            page = _text(client.get(url, {"as_of": day}))
            assert "Issues by status" in page
            seen[f"as_of {day}"] = page
    return seen


def _both_paths(settings, client: Client, url: str, milestones: bool = True) -> tuple[dict, dict]:
    settings.DOCKET_REPORTS_ROLLUPS = False
    direct = _everything(client, url, milestones)
    settings.DOCKET_REPORTS_ROLLUPS = True
    return direct, _everything(client, url, milestones)


@pytest.fixture
def busy(cast, clock):
    """WEB over eight days (2026-10-01 on), milestones M1 and M2, and bob's second project
    API. Counted here (SLA figures too): resolves (R before M2 starts), a close and a
    reopen, a deleted issue, one deleted and restored, one made confidential later, a
    milestone move, an assignment taken back, estimates, due dates past and future."""
    for name, start, due in (("M1", "2026-10-01", "2026-10-11"), ("M2", "2026-10-04", None)):
        project_actions.add_milestone(
            actor=cast.alice, project=cast.web, name=name, start_date=start, due_date=due
        )
    api = make_project(cast.alice, "API", members={cast.bob: "member"})
    mk = make_issue
    a = mk(cast.bob, cast.web, title="A", priority="high", assignee="bob", milestone="M1",
           estimate=90)  # fmt: skip
    b = mk(cast.bob, cast.web, title="B", priority="low", milestone="M1")
    mk(
        cast.alice,
        cast.web,
        title="C",
        priority="highest",
        confidential=True,
        due_date="2026-10-02",
    )
    d = mk(cast.bob, cast.web, title="D", due_date="2026-10-03")
    mk(cast.bob, api, title="Elsewhere", assignee="bob", estimate=30)
    r = mk(cast.bob, cast.web, title="R", milestone="M2")
    clock.advance(days=1)
    actions.transition(actor=cast.bob, issue=a, to="In Progress")
    actions.transition(actor=cast.bob, issue=r, to="In Progress")
    actions.transition(actor=cast.bob, issue=r, to="Resolved", fields={"resolution": "fixed"})
    e = mk(cast.bob, cast.web, title="E", milestone="M1", assignee="alice")
    clock.advance(days=1, hours=5)
    actions.delete_issue(actor=cast.alice, issue=d)
    actions.delete_issue(actor=cast.alice, issue=e)
    f = mk(cast.carol, cast.web, title="F", due_date="2026-10-05")
    g = mk(cast.bob, cast.web, title="G", milestone="M1", assignee="bob", priority="lowest")
    clock.advance(days=1)
    actions.transition(actor=cast.bob, issue=a, to="Resolved", fields={"resolution": "fixed"})
    actions.update_issue(actor=cast.bob, issue=b, changes={
        "priority": "medium", "assignee": "alice", "due_date": "2026-10-03"})  # fmt: skip
    actions.update_issue(actor=cast.alice, issue=f, changes={"confidential": True})
    actions.update_issue(actor=cast.bob, issue=g, changes={"milestone": "M2", "assignee": None})
    clock.advance(days=1, hours=3)
    actions.transition(actor=cast.alice, issue=b, to="Closed")
    actions.restore_issue(actor=cast.alice, issue=e)
    clock.advance(days=1)
    actions.transition(actor=cast.alice, issue=b, to="Open")
    actions.transition(actor=cast.bob, issue=g, to="In Progress")
    clock.advance(days=2)
    Issue.objects.filter(pk=a.pk).update(sla_state="met")  # the SLA engine's summary column
    Issue.objects.filter(pk=b.pk).update(sla_state="breached")
    Issue.objects.filter(pk=d.pk).update(sla_state="breached")  # deleted: never counted
    record(b, None, EventKind.SLA_BREACHED, clock(), new={"clock": "resolution"})
    record(d, None, EventKind.SLA_WARNING, clock(), new={})
    return {"api": api, "g": g, "b": b}


# bob (a member of WEB and API) sees what alice (their admin) sees: one of them is enough.
VIEWERS = ["root", "alice", "carol", "dave"]


@pytest.mark.parametrize("who", VIEWERS)
def test_every_number_is_the_same_from_the_rollups(cast, busy, settings, who):
    """Members see WEB whole; carol (a reporter) and dave (a viewer) its non-confidential
    issues, and carol also the confidential F she reported: all read from the roll-ups."""
    rollup.rebuild()
    viewer = getattr(cast, who)
    client = _as(viewer)
    for url in ("/p/WEB/dashboard", "/dashboard"):
        direct, rolled = _both_paths(settings, client, url)
        assert rolled == direct, url
    assert scope_for(viewer, cast.web).rollup is not None
    assert scope_for(viewer, None).rollup is not None


@pytest.fixture
def mixed(cast, busy):
    """Beside WEB: an internal project with confidential issues (one reported by dave, one
    shared with eve), a public one, and an internal desk whose reporters see only their own
    tickets (frank reports there)."""
    internal = make_project(
        cast.alice, "INT", visibility="internal", members={cast.bob: "admin", cast.dave: "reporter"}
    )
    make_issue(cast.alice, internal, title="Open to all", priority="high", due_date="2026-10-02")
    make_issue(cast.alice, internal, title="Secret", confidential=True, estimate=60)
    make_issue(cast.dave, internal, title="Dave's secret", confidential=True)
    shared = make_issue(cast.alice, internal, title="Shared", confidential=True, severity="major")
    sharing.grant_access(actor=cast.alice, issue=shared, username="eve")
    public = make_project(cast.alice, "PUB", visibility="public")
    make_issue(cast.alice, public, title="Public", assignee="alice")
    make_issue(cast.alice, public, title="Public secret", confidential=True)
    frank = UserFactory(username="frank")
    desk = make_project(cast.alice, "DESK", visibility="internal", members={frank: "reporter"})
    project_actions.update_project(actor=cast.alice, project=desk,
                                   changes={"reporters_see_own_only": True})  # fmt: skip
    make_issue(frank, desk, title="Mine")
    make_issue(cast.alice, desk, title="Not mine")
    return frank


@pytest.mark.parametrize("who", ["bob", "carol", "dave", "eve", "frank"])  # root: as alice
def test_every_number_over_projects_seen_in_part_is_the_same(cast, mixed, settings, who):
    """Dashboards and the projects page's open counts over projects a viewer sees whole, in
    part (internal, public, a desk's own tickets) and issue by issue (reported, shared)."""
    rollup.rebuild()
    viewer = mixed if who == "frank" else getattr(cast, who)
    client = _as(viewer)
    # WEB's milestones are read through the rollups above; these projects have none.
    for url in ("/dashboard", "/p/INT/dashboard", "/p/PUB/dashboard", "/p/DESK/dashboard"):
        direct, rolled = _both_paths(settings, client, url, milestones=False)
        assert rolled == direct, url
    assert scope_for(viewer, None).rollup is not None
    settings.DOCKET_REPORTS_ROLLUPS = False
    direct = _text(client.get("/projects/"))
    settings.DOCKET_REPORTS_ROLLUPS = True
    assert _text(client.get("/projects/")) == direct
    if who == "eve":  # the open part of INT and PUB, the one shared with her; none on DESK
        assert _total(client, "/p/INT/dashboard", "status") == 2
        assert _total(client, "/dashboard", "status") == 3  # and PUB's open one
    if who == "frank":  # his own ticket on the desk, not alice's
        assert _total(client, "/p/DESK/dashboard", "status") == 1


def test_past_the_cap_of_issues_seen_one_by_one_it_reads_the_issues(cast, mixed, monkeypatch):
    rollup.rebuild()
    monkeypatch.setattr(report_scope, "EXTRA_CAP", 1)
    assert scope_for(cast.eve, None).rollup is not None  # one: the shared issue
    monkeypatch.setattr(report_scope, "EXTRA_CAP", 0)
    assert scope_for(cast.eve, None).rollup is None


def _rebuild_jobs_run() -> int:
    """Run the queued jobs (the worker's own runner); how many ran."""
    return run_ready_jobs()


def test_the_consumer_keeps_them_from_the_first_event_on(cast, busy, settings):
    """No rebuild by hand: the consumer's first batch queues one (a job: the batch itself
    would hold SQLite's write lock for the whole count), later batches follow."""
    _catch_up()
    assert scope_for(cast.bob, cast.web).rollup is None  # queued, not counted yet
    make_issue(cast.bob, cast.web, title="While the job waits")
    _catch_up()
    assert _rebuild_jobs_run() == 1  # asked once, however many batches came meanwhile
    _catch_up()  # the events after the rebuild's position, recounted
    bob = _as(cast.bob)
    assert scope_for(cast.bob, cast.web).rollup is not None
    actions.transition(actor=cast.bob, issue=busy["g"], to="Resolved",
                       fields={"resolution": "fixed"})  # fmt: skip
    _catch_up()
    direct, rolled = _both_paths(settings, bob, "/p/WEB/dashboard")
    assert rolled == direct


def test_a_username_changed_without_an_event_reads_the_same(cast, busy, settings):
    """The Django admin can rename a person; no issue event says so."""
    rollup.rebuild()
    User.objects.filter(pk=cast.alice.pk).update(username="alice2")
    direct, rolled = _both_paths(settings, _as(cast.root), "/p/WEB/dashboard")
    assert rolled == direct
    assert "alice2" in str(rolled["as_of 2026-10-08"])


def _stored() -> tuple[list, list]:
    tally = sorted(
        RollupTally.objects.values_list("project_id", "dim", "key", "day", "n", "minutes")
    )
    facts = sorted(RollupIssue.objects.values_list("issue_id", "state", "resolved_at", "adds"))
    return tally, facts


def test_catching_up_after_downtime_ends_where_a_rebuild_does(cast, busy, clock):
    rollup.rebuild()
    # the worker is down while a day of work happens
    b, g = busy["b"], busy["g"]
    actions.transition(actor=cast.alice, issue=b, to="Closed")
    actions.update_issue(actor=cast.bob, issue=g, changes={"priority": "highest",
                                                            "due_date": "2026-10-02"})  # fmt: skip
    actions.delete_issue(actor=cast.alice, issue=g)
    clock.advance(days=1)
    h = make_issue(cast.bob, cast.web, title="H", estimate=15, milestone="M2")
    actions.transition(actor=cast.bob, issue=h, to="In Progress")
    _catch_up()
    caught_up = _stored()
    rollup.rebuild()
    assert _stored() == caught_up


def test_a_batch_read_again_changes_nothing(cast, busy):
    rollup.rebuild()
    actions.transition(actor=cast.alice, issue=busy["b"], to="Closed")
    before_cursor = ConsumerCursor.objects.get(name=rollup.NAME).last_event_id
    _catch_up()
    once = _stored()
    ConsumerCursor.objects.filter(name=rollup.NAME).update(last_event_id=before_cursor - 5)
    _catch_up()
    assert _stored() == once


def test_changes_after_the_cursor_show_at_once(cast, busy, settings, clock):
    rollup.rebuild()
    bob = _as(cast.bob)
    actions.transition(actor=cast.alice, issue=busy["b"], to="Closed")
    late = make_issue(cast.bob, cast.web, title="Late", due_date="2026-10-01", milestone="M1")
    actions.delete_issue(actor=cast.alice, issue=busy["g"])
    assert ConsumerCursor.objects.get(name=rollup.NAME).last_event_id < late.events.last().id
    scope = scope_for(cast.bob, cast.web)
    assert scope.rollup is not None and scope.rollup.pending_ids
    direct, rolled = _both_paths(settings, bob, "/p/WEB/dashboard")
    assert rolled == direct
    overdue = bob.get("/p/WEB/dashboard", {"csv": "overdue"}).content.decode()
    assert "WEB-" in overdue and "Late" in overdue


def test_a_batch_committed_while_a_dashboard_reads_sends_it_to_the_issues(cast, busy, clock):
    rollup.rebuild()
    actions.transition(actor=cast.alice, issue=busy["b"], to="Closed")
    scope = scope_for(cast.bob, cast.web)
    assert scope.rollup is not None
    _catch_up()  # the consumer commits between the dashboard's reads
    assert not scope.rollup.still_current()
    day = clock().date()  # B's close counted by the batch and by the dashboard's own recount
    direct = counts_as_of(scope.direct(), day)
    assert counts_as_of(scope, day) == direct


def test_too_far_behind_or_a_workflow_edit_means_reading_the_issues(cast, busy, monkeypatch):
    rollup.rebuild()
    assert scope_for(cast.bob, cast.web).rollup is not None
    monkeypatch.setattr(tallies, "PENDING_CAP", 2)
    for n in range(3):
        make_issue(cast.bob, cast.web, title=f"Burst {n}")
    assert scope_for(cast.bob, cast.web).rollup is None
    _catch_up()
    assert scope_for(cast.bob, cast.web).rollup is not None
    workflow_actions.add_state(
        actor=cast.alice, project=cast.web, name="Waiting", category="in_progress"
    )
    assert scope_for(cast.bob, cast.web).rollup is None  # open/done may differ now
    make_issue(cast.bob, cast.web, title="Next")
    _catch_up()  # the next batch queues a rebuild for the new workflow
    assert scope_for(cast.bob, cast.web).rollup is None
    assert _rebuild_jobs_run() == 1
    _catch_up()
    assert scope_for(cast.bob, cast.web).rollup is not None


def test_a_confidential_change_moves_an_issue_out_of_what_part_viewers_count(cast, busy, settings):
    """After the cursor and after the consumer: dave (a viewer) stops counting B when it is
    made confidential, and counts it again when it is not."""
    rollup.rebuild()
    dave = _as(cast.dave)
    before = _total(dave, "/p/WEB/dashboard", "status")
    actions.update_issue(actor=cast.alice, issue=busy["b"], changes={"confidential": True})
    assert scope_for(cast.dave, cast.web).rollup.pending_ids
    assert _total(dave, "/p/WEB/dashboard", "status") == before - 1
    _catch_up()
    direct, rolled = _both_paths(settings, dave, "/p/WEB/dashboard")
    assert rolled == direct
    assert _total(dave, "/p/WEB/dashboard", "status") == before - 1
    actions.update_issue(actor=cast.alice, issue=busy["b"], changes={"confidential": False})
    assert _total(dave, "/p/WEB/dashboard", "status") == before
    _catch_up()
    assert _total(dave, "/p/WEB/dashboard", "status") == before


def test_a_rebuild_writes_in_short_transactions_that_end_where_one_swap_does(
    cast, busy, monkeypatch
):
    """Rewriting 100,000 issues' roll-ups in one transaction held SQLite's write lock ~7 s
    (every other write failed meanwhile); in chunks of a few rows the result is the same."""
    rollup.rebuild()
    whole = _stored()
    monkeypatch.setattr(rollup, "SWAP_CHUNK", 3)
    assert rollup.rebuild() == Issue.objects.filter(deleted_at__isnull=True).count()
    assert _stored() == whole
    assert scope_for(cast.bob, cast.web).rollup is not None


def test_while_a_rebuild_writes_dashboards_read_the_issues_and_a_later_one_takes_over(
    cast, busy, settings, monkeypatch
):
    rollup.rebuild()
    whole = _stored()
    bob = _as(cast.bob)
    seen: list[object] = []
    later: list[int] = []
    real_write = rollup._write_in_chunks

    def write_and_look(token, facts, tallies):  # a dashboard and a second rebuild mid-way
        if not seen:
            seen.append(scope_for(cast.bob, cast.web).rollup)
            later.append(rollup.rebuild())
        real_write(token, facts, tallies)

    monkeypatch.setattr(rollup, "_write_in_chunks", write_and_look)
    assert rollup.rebuild() == 0  # superseded by the one it started
    assert seen[:1] == [None]  # the half-written tables are never read
    assert later[0] == Issue.objects.filter(deleted_at__isnull=True).count()
    assert _stored() == whole
    direct, rolled = _both_paths(settings, bob, "/p/WEB/dashboard")
    assert rolled == direct


@pytest.mark.django_db(transaction=True)
def test_a_dashboards_reads_see_one_moment_while_the_consumer_commits():
    """Outside any transaction (as in a server), a consumer batch committed by another
    connection during a dashboard's reads is not seen by them; after, it is."""
    ConsumerCursor.objects.update_or_create(
        name=rollup.NAME, defaults={"last_event_id": 1, "updated_at": clock_now()}
    )

    def batch_commits() -> None:
        ConsumerCursor.objects.filter(name=rollup.NAME).update(last_event_id=2)
        connection.close()

    def cursor_at() -> int:
        return ConsumerCursor.objects.get(name=rollup.NAME).last_event_id

    with tallies.snapshot():
        first = cursor_at()
        elsewhere = threading.Thread(target=batch_commits)
        elsewhere.start()
        elsewhere.join()
        again = cursor_at()
    assert (first, again, cursor_at()) == (1, 1, 2)


def _shown_rows(page: str, slug: str) -> tuple[list[list[str]], str, int]:
    """A widget on the page: its data table's rows, its text and how many bars it draws."""
    section = page.split(f'id="widget-{slug}"', 1)[1].split("</section>", 1)[0]
    body = section.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = [re.findall(r"<td>([^<]*)</td>", row) for row in body.split("</tr>") if "<td>" in row]
    return rows, section, section.count("<rect")


def test_a_page_draws_the_15_busiest_people_and_the_csv_has_every_one(cast, settings):
    """20 assignees: p01-p10 with 3 open issues, p11-p16 with 2, p17-p20 with 1, and 3
    unassigned. The page draws the 15 largest (ties by name, unassigned first) and says what
    the rest hold, the same from the roll-ups as counted directly; the CSV lists everyone."""
    people = [UserFactory(username=f"p{i:02d}") for i in range(1, 21)]
    team = make_project(cast.alice, "TEAM", members={p: "member" for p in people})
    for person in people:
        for _ in range(3 if person.username <= "p10" else 2 if person.username <= "p16" else 1):
            make_issue(cast.alice, team, assignee=person.username)
    for _ in range(3):
        make_issue(cast.alice, team)
    rollup.rebuild()
    client = _as(cast.alice)
    seen = {}
    for rollups in (False, True):
        settings.DOCKET_REPORTS_ROLLUPS = rollups
        assert (scope_for(cast.alice, team).rollup is not None) is rollups
        page = client.get("/p/TEAM/dashboard").content.decode()
        seen[rollups] = (_shown_rows(page, "assignee"), _shown_rows(page, "workload"))
    assert seen[True] == seen[False]
    (assignees, text, bars), (workload, work_text, work_bars) = seen[True]
    names = ["(unassigned)"] + [f"p{i:02d}" for i in range(1, 15)]
    assert assignees == [[n, "3" if n <= "p10" else "2"] for n in names] and bars == 15
    assert "The 15 largest of 21 shown; the other 6 add up to 8 open." in text
    assert [row[0] for row in workload] == [f"p{i:02d}" for i in range(1, 16)] and work_bars == 15
    assert "The 15 largest of 20 shown; the other 5 add up to 6 open assigned." in work_text
    everyone = list(
        csv.reader(io.StringIO(client.get("/dashboard", {"csv": "assignee"}).content.decode()))
    )
    assert len(everyone) == 1 + 21 and everyone[-1] == ["p20", "1"]
