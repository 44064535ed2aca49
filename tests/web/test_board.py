"""The board page, its move endpoint, saved filters on a board, and WIP limits."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext

from docket.issues import saved_filters
from docket.issues.board import Card, build_board
from docket.issues.models import Issue, IssueEvent
from docket.projects import workflow_actions
from docket.projects.models import WorkflowState, WorkflowTransition
from docket.web.markup import kanban_cards
from tests.factories import make_issue, make_project


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _status(key: str) -> str:
    project, number = key.split("-")
    found = Issue.objects.select_related("status").get(project__key=project, number=number)
    return found.status.name.lower()


def _limit_close_to_admins(cast) -> None:
    close = WorkflowTransition.objects.get(workflow_id=cast.web.workflow_id, name="Close")
    workflow_actions.change_transition(
        actor=cast.alice, project=cast.web, transition_id=close.id,
        changes={"allowed_roles": ["admin"]},
    )  # fmt: skip


def _move(client: Client, key: str, to: str, **extra):
    body = {"key": key, "to": to, **extra}
    return client.post("/p/WEB/board/move", body, HTTP_ACCEPT="application/json")


# --- seeing the board -------------------------------------------------------------------------


def test_the_board_has_a_column_per_state_in_workflow_order_with_the_visible_cards(cast):
    make_issue(cast.bob, cast.web, title="Fresh one", labels=["ui"])
    make_issue(cast.bob, cast.web, title="Being built", status="in progress", assignee="bob")
    make_issue(cast.bob, cast.web, title="Secret plan", confidential=True)
    page = _as(cast.bob).get("/p/WEB/board")
    assert page.status_code == 200
    board = page.context["board"]
    assert [c.status for c in board.columns] == [
        "new", "open", "in progress", "resolved", "closed",
    ]  # fmt: skip
    assert [c.count for c in board.columns] == [2, 0, 1, 0, 0]
    html = page.content.decode()
    for text in ("Fresh one", "Being built", "@bob", ">ui</span>", "Secret plan", "Move to…"):
        assert text in html
    assert "Sortable-1.15.7.min.js" in html and "web/board.js" in html
    assert 'data-live-url="/live?project=WEB"' in html
    # A viewer sees the board without confidential issues and without anything to move.
    viewer = _as(cast.dave).get("/p/WEB/board")
    assert viewer.status_code == 200
    assert "Secret plan" not in viewer.content.decode()
    assert "Move to…" not in viewer.content.decode()
    assert not viewer.context["board"].can_move


def test_outsiders_get_a_404_page_and_anonymous_visitors_sign_in_first(cast):
    make_issue(cast.bob, cast.web, title="Private work")
    page = _as(cast.eve).get("/p/WEB/board")
    assert page.status_code == 404
    assert "Private work" not in page.content.decode()
    assert "<html" in page.content.decode()  # a page, not a bare error
    assert _as(cast.eve).get("/p/NOPE/board").status_code == 404
    anonymous = Client().get("/p/WEB/board")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login?next=")


def test_the_filter_takes_the_query_language_and_a_bad_query_is_explained(cast):
    make_issue(cast.bob, cast.web, title="Urgent thing", priority="highest")
    make_issue(cast.bob, cast.web, title="Calm thing", priority="low")
    page = _as(cast.bob).get("/p/WEB/board", {"q": "priority:highest"})
    html = page.content.decode()
    assert "Urgent thing" in html and "Calm thing" not in html
    bad = _as(cast.bob).get("/p/WEB/board", {"q": "priority:hihg"})
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "did you mean" in html and 'aria-invalid="true"' in html
    assert "Urgent thing" in html and "Calm thing" in html  # shown unfiltered


def test_a_live_refresh_gets_only_the_board_region(cast):
    make_issue(cast.bob, cast.web, title="Refreshed")
    region = _as(cast.bob).get("/p/WEB/board", {"q": "priority:hihg"}, HTTP_HX_REQUEST="true")
    assert region.status_code == 200  # htmx swaps 2xx only; the full page says 400
    html = region.content.decode()
    assert html.lstrip().startswith("<div") and 'id="board"' in html and "<html" not in html
    assert "Refreshed" in html


def test_swimlanes_group_cards_by_assignee_or_priority(cast):
    make_issue(cast.bob, cast.web, title="Bob's", assignee="bob", priority="high")
    make_issue(cast.bob, cast.web, title="Alice's", assignee="alice", priority="high")
    make_issue(cast.bob, cast.web, title="Nobody's", priority="low")
    by_person = _as(cast.bob).get("/p/WEB/board", {"lanes": "assignee"}).context["board"]
    assert [lane.title for lane in by_person.lanes] == ["alice", "bob", "Unassigned"]
    by_priority = _as(cast.bob).get("/p/WEB/board", {"lanes": "priority"}).context["board"]
    assert [(lane.title, lane.size) for lane in by_priority.lanes] == [("high", 2), ("low", 1)]
    plain = _as(cast.bob).get("/p/WEB/board", {"lanes": "nonsense"}).context["board"]
    assert [lane.title for lane in plain.lanes] == [None]


def test_columns_are_bounded_with_a_link_to_the_rest(cast):
    for n in range(53):
        make_issue(cast.bob, cast.web, title=f"Issue {n}", priority="high" if n == 0 else "low")
    page = _as(cast.bob).get("/p/WEB/board")
    new = page.context["board"].columns[0]
    assert (len(new.cards), new.count, new.more) == (50, 53, 3)
    assert new.cards[0].title == "Issue 0"  # by priority first
    html = page.content.decode()
    assert "+3 more" in html
    assert "/p/WEB/?q=status%3A%22new%22" in html


def test_a_column_beyond_the_count_cap_says_so(cast, monkeypatch):
    from docket.issues import board as board_module

    monkeypatch.setattr(board_module, "COUNT_CAP", 4)
    for n in range(6):
        make_issue(cast.bob, cast.web, title=f"Issue {n}")
    board = board_module.build_board(cast.bob, cast.web, per_column=2)
    new = board.columns[0]
    assert (len(new.cards), new.count, new.capped, new.more) == (2, 4, True, 2)
    assert (board.columns[1].count, board.columns[1].capped) == (0, False)


def test_the_board_costs_the_same_queries_whatever_the_number_of_issues(cast):
    def queries() -> int:
        client = _as(cast.bob)
        client.get("/p/WEB/board")  # the session is read once
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/p/WEB/board", {"lanes": "assignee"}).status_code == 200
        return len(captured)

    for status in ("new", "open", "in progress", "resolved", "closed"):
        make_issue(cast.bob, cast.web, status=status, labels=["a"], assignee="bob")
    few = queries()
    for n in range(60):
        status = ("new", "open", "in progress", "resolved", "closed")[n % 5]
        make_issue(cast.bob, cast.web, status=status, labels=[f"l{n}"], assignee="alice")
    assert queries() == few
    assert few <= 16


# --- WIP limits -------------------------------------------------------------------------------


def test_project_admins_set_a_wip_limit_and_the_board_marks_a_column_over_it(cast):
    alice = cast.api(cast.alice)
    changed = alice.patch("/projects/WEB/workflow/states/in progress", {"wip_limit": 1})
    assert changed.status_code == 200, changed.content
    assert changed.json()["wip_limit"] == 1
    assert alice.get("/projects/WEB/workflow").json()["states"][2]["wip_limit"] == 1
    assert (
        cast.api(cast.bob)
        .patch("/projects/WEB/workflow/states/in progress", {"wip_limit": 5})
        .status_code
        == 403
    )
    for bad in (0, -1, 10_001, "3", True):
        response = alice.patch("/projects/WEB/workflow/states/in progress", {"wip_limit": bad})
        assert response.status_code == 422, bad
    state = WorkflowState.objects.get(workflow_id=cast.web.workflow_id, name="In Progress")
    assert state.wip_limit == 1

    make_issue(cast.bob, cast.web, status="in progress")
    at_limit = _as(cast.bob).get("/p/WEB/board")
    assert "over-limit" not in at_limit.content.decode()
    assert "1 / 1" in at_limit.content.decode()
    make_issue(cast.bob, cast.web, status="in progress")
    over = _as(cast.bob).get("/p/WEB/board").content.decode()
    assert "kanban-col-head over-limit" in over
    assert "In Progress: 2 issues, over its WIP limit of 1" in over  # board.js announces it
    assert "Over WIP limit" in over
    cleared = alice.patch("/projects/WEB/workflow/states/in progress", {"wip_limit": None})
    assert cleared.json()["wip_limit"] is None


def test_wip_limits_can_be_changed_by_the_action_too(cast):
    state = workflow_actions.change_state(
        actor=cast.alice, project=cast.web, state="open", changes={"wip_limit": 3}
    )
    assert state.wip_limit == 3
    with pytest.raises(Exception, match="wip_limit"):
        workflow_actions.change_state(
            actor=cast.alice, project=cast.web, state="open", changes={"wip_limit": "3"}
        )


# --- moving cards -----------------------------------------------------------------------------


def test_a_member_moves_a_card_along_an_allowed_transition(cast):
    issue = make_issue(cast.bob, cast.web)
    response = _move(_as(cast.bob), "WEB-1", "open", version=issue.version)
    assert response.status_code == 200, response.content
    assert response.json() == {
        "ok": True, "message": "WEB-1 moved to open.", "version": 2, "status": "Open",
    }  # fmt: skip
    assert _status("WEB-1") == "open"
    event = IssueEvent.objects.filter(field="status").last()
    assert (event.old, event.new, event.actor) == ("new", "open", cast.bob)


def test_a_disallowed_move_is_refused_with_the_workflows_reason_and_changes_nothing(cast):
    _limit_close_to_admins(cast)
    make_issue(cast.bob, cast.web)
    refused = _move(_as(cast.bob), "WEB-1", "closed", version=1)
    assert refused.status_code == 403
    body = refused.json()
    assert body["ok"] is False and body["needs"] == []
    assert body["message"] == "Close is allowed only for admin; your role is member"
    no_path = _move(_as(cast.bob), "WEB-1", "resolved", version=1, resolution="fixed")
    assert no_path.status_code == 200  # new → resolved exists
    back = _move(_as(cast.bob), "WEB-1", "new", version=2)
    assert back.status_code == 422
    assert back.json()["message"].startswith("Cannot move from resolved to new; allowed:")
    assert _status("WEB-1") == "resolved"
    # The card only offers what the member may do.
    card = _as(cast.bob).get("/p/WEB/board").context["board"].columns[3].cards[0]
    assert card.moves == ["open"]


def test_a_move_that_needs_fields_asks_for_them(cast):
    for resolve in WorkflowTransition.objects.filter(
        workflow_id=cast.web.workflow_id, name="Resolve"
    ):
        workflow_actions.change_transition(
            actor=cast.alice, project=cast.web, transition_id=resolve.id,
            changes={"required_fields": ["resolution", "comment"]},
        )  # fmt: skip
    make_issue(cast.bob, cast.web)
    asked = _move(_as(cast.bob), "WEB-1", "resolved", version=1)
    assert asked.status_code == 422
    assert asked.json()["needs"] == ["resolution", "comment"]
    assert _status("WEB-1") == "new"
    done = _move(
        _as(cast.bob), "WEB-1", "resolved", version=1, resolution="won't fix", comment="Nope"
    )
    assert done.status_code == 200, done.content
    issue = Issue.objects.get(number=1)
    assert (issue.status.name, issue.resolution) == ("Resolved", "won't fix")
    assert issue.comments.get().body == "Nope"


def test_a_drop_into_a_done_column_asks_for_the_resolution_instead_of_recording_fixed(cast):
    make_issue(cast.bob, cast.web)
    asked = _move(_as(cast.bob), "WEB-1", "resolved", version=1)
    assert asked.status_code == 422
    assert asked.json()["needs"] == ["resolution"]
    assert asked.json()["message"].startswith("Choose a resolution")
    assert _status("WEB-1") == "new"
    done = _move(_as(cast.bob), "WEB-1", "resolved", version=1, resolution="duplicate")
    assert done.status_code == 200, done.content
    assert Issue.objects.get(number=1).resolution == "duplicate"
    closed = _move(_as(cast.bob), "WEB-1", "closed", version=2)  # done to done: kept
    assert closed.status_code == 200, closed.content
    assert Issue.objects.get(number=1).resolution == "duplicate"


def test_a_stale_move_is_a_conflict(cast):
    make_issue(cast.bob, cast.web)
    assert _move(_as(cast.alice), "WEB-1", "open", version=1).status_code == 200
    stale = _move(_as(cast.bob), "WEB-1", "in progress", version=1)
    assert stale.status_code == 409
    assert _status("WEB-1") == "open"


def test_viewers_outsiders_and_bad_input_cannot_move(cast):
    make_issue(cast.bob, cast.web)
    viewer = _move(_as(cast.dave), "WEB-1", "open")
    assert viewer.status_code == 403
    assert _move(_as(cast.eve), "WEB-1", "open").status_code == 404
    assert _move(_as(cast.bob), "WEB-99", "open").status_code == 404
    assert _move(_as(cast.bob), "WEB-1", "").json()["message"] == (
        "Choose a state to move the issue to"
    )
    assert _move(_as(cast.bob), "WEB-1", "nowhere").status_code == 422
    assert Client().post("/p/WEB/board/move", {"key": "WEB-1", "to": "open"}).status_code == 302
    other = make_project(cast.alice, "OTH", members={cast.bob: "member"})
    make_issue(cast.alice, other)
    assert _move(_as(cast.bob), "OTH-1", "open").status_code == 404  # not this board's
    assert _status("WEB-1") == "new"


def test_moving_works_without_javascript_too(cast):
    for resolve in WorkflowTransition.objects.filter(
        workflow_id=cast.web.workflow_id, name="Resolve"
    ):
        workflow_actions.change_transition(
            actor=cast.alice, project=cast.web, transition_id=resolve.id,
            changes={"required_fields": ["resolution"]},
        )  # fmt: skip
    make_issue(cast.bob, cast.web)
    bob = _as(cast.bob)
    form = bob.get("/p/WEB/board/move", {"key": "WEB-1"})
    assert form.status_code == 200
    assert form.context["targets"] == ["open", "in progress", "resolved", "closed"]
    moved = bob.post(
        "/p/WEB/board/move", {"key": "WEB-1", "to": "open", "version": "1",
                              "back": "/p/WEB/board?lanes=priority"},
    )  # fmt: skip
    assert moved.status_code == 302 and moved["Location"] == "/p/WEB/board?lanes=priority"
    asked = bob.post("/p/WEB/board/move", {"key": "WEB-1", "to": "resolved", "version": "2"})
    assert asked.status_code == 422
    assert asked.context["needs"] == ["resolution"] and asked.context["fixed"]
    assert "Resolve requires resolution" in asked.content.decode()
    done = bob.post(
        "/p/WEB/board/move",
        {"key": "WEB-1", "to": "resolved", "version": "2", "resolution": "fixed",
         "back": "https://evil.example/"},
    )  # fmt: skip
    assert done.status_code == 302 and done["Location"] == "/p/WEB/board"
    assert _status("WEB-1") == "resolved"
    assert bob.get("/p/WEB/board/move", {"key": "WEB-99"}).status_code == 404


# --- saved filters on a board -----------------------------------------------------------------


def test_a_shared_saved_filter_shows_on_its_projects_board(cast):
    make_issue(cast.bob, cast.web, title="Mine", assignee="bob")
    make_issue(cast.bob, cast.web, title="Not mine")
    saved = saved_filters.create_filter(
        actor=cast.bob, name="Bob's", query="assignee:bob", project_key="WEB"
    )
    page = _as(cast.dave).get(f"/filters/{saved.id}/board")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Mine" in html and "Not mine" not in html and "Bob&#39;s" in html
    assert _as(cast.eve).get(f"/filters/{saved.id}/board").status_code == 404


def test_a_personal_saved_filter_picks_its_project(cast):
    make_issue(cast.bob, cast.web, title="Urgent", priority="highest")
    saved = saved_filters.create_filter(actor=cast.bob, name="Hot", query="priority:highest")
    chooser = _as(cast.bob).get(f"/filters/{saved.id}/board")
    assert chooser.status_code == 200
    assert [p.key for p in chooser.context["projects"]] == ["WEB"]
    board = _as(cast.bob).get(f"/filters/{saved.id}/board", {"project": "WEB"})
    assert board.status_code == 200 and "Urgent" in board.content.decode()
    assert _as(cast.alice).get(f"/filters/{saved.id}/board").status_code == 404  # bob's own
    assert _as(cast.bob).get(f"/filters/{saved.id}/board", {"project": "NOPE"}).status_code == 404


# --- cards --------------------------------------------------------------------------------------


def _same_entities(html: str) -> str:
    """Python's html.escape and Jinja's (markupsafe) spell two entities differently."""
    return html.replace("&#x27;", "&#39;").replace("&quot;", "&#34;")


def test_card_text_is_escaped_and_the_fast_renderer_matches_the_template(cast):
    card = Card(
        id=1, key="WEB-1", title="<script>alert(1)</script> & \"quotes\" 'too'", priority="high",
        assignee="bob", version=3, confidential=True,
        labels=[("<img src=x onerror=alert(1)>", "#ff0000")], moves=["open", "in progress"],
    )  # fmt: skip
    fast = kanban_cards([card], "/", "/p/WEB/board/move")
    slow = render_to_string(
        "web/board/card.html", {"card": card, "issue_base": "/", "move_url": "/p/WEB/board/move"}
    )
    assert "<script>" not in fast and "<img" not in fast and "'too'" not in fast
    assert _same_entities(fast) == slow
    bare = Card(id=2, key="WEB-2", title="x", priority="low", assignee=None, version=1,
                confidential=False)  # fmt: skip
    assert _same_entities(kanban_cards([bare], "/", "/m")) == render_to_string(
        "web/board/card.html", {"card": bare, "issue_base": "/", "move_url": "/m"}
    )


def test_build_board_shows_each_person_what_they_may_see(cast):
    make_issue(cast.bob, cast.web, title="Open to all")
    make_issue(cast.bob, cast.web, title="Members only", confidential=True)
    make_issue(cast.carol, cast.web, title="Carol's own")
    for user, count in ((cast.bob, 3), (cast.carol, 2), (cast.dave, 2)):
        board = build_board(user, cast.web)
        assert board.columns[0].count == count, user
    # In the default workflow only members and admins move issues.
    assert all(not c.moves for c in build_board(cast.carol, cast.web).columns[0].cards)
    assert all(c.moves for c in build_board(cast.bob, cast.web).columns[0].cards)


def test_the_move_json_is_well_formed_for_errors(cast):
    make_issue(cast.bob, cast.web)
    body = json.loads(_move(_as(cast.dave), "WEB-1", "open").content)
    assert set(body) == {"ok", "message", "needs", "status"}


@pytest.mark.parametrize("query", ["", "title:broken", 'title:"100% done"', "priority:>=high"])
def test_the_one_query_board_matches_a_query_per_column(cast, query):
    from docket.issues import board as board_module
    from docket.issues.access import visible_issues
    from docket.issues.query_fields import compile_issue_query

    titles = ["broken thing", "100% done", "other", "broken too"]
    for n in range(12):
        make_issue(
            cast.bob, cast.web, title=titles[n % 4], confidential=n % 5 == 0,
            priority=("low", "high", "highest")[n % 3],
            status=("new", "open", "in progress", "closed")[n % 4],
        )  # fmt: skip
    for user in (cast.bob, cast.dave):
        where, _ = compile_issue_query(query, user)
        issues = visible_issues(user).filter(project=cast.web).filter(where)
        states = list(WorkflowState.objects.filter(workflow_id=cast.web.workflow_id))
        with CaptureQueriesContext(connection) as captured:
            fast = board_module.column_rows(issues, [s.id for s in states], 3)
            counts = board_module.column_counts(issues, [s.id for s in states], 2)
        assert len(captured) == 2  # every column's cards in one query, their counts in one
        for state in states:
            slow = issues.filter(status=state).order_by("-priority", "-id")
            assert counts[state.id] == min(slow.count(), 2), (user, state)
            expected = [list(row) for row in slow.values_list(*board_module._CARD_FIELDS)[:3]]
            got = [[*row[:6], bool(row[6]), row[7]] for row in fast[state.id]]
            assert got == [[*row[:6], bool(row[6]), row[7]] for row in expected], (user, state)
