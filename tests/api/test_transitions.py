"""Issue transitions: GET/POST /issues/{key}/transitions, and PATCH of `status` obeying the same
rules (roles, required fields, effects, the automatic changes of done states). Every refused
request is checked to have changed nothing at all."""

from __future__ import annotations

import pytest

from docket.accounts.models import Team
from docket.core.errors import Invalid
from docket.issues import actions as issue_actions
from docket.projects import actions as project_actions
from docket.projects import workflow_actions
from docket.projects.models import WorkflowTransition
from tests.api.issue_helpers import START, client, everything, install_clock, problem, when
from tests.factories import UserFactory, make_issue, make_project


@pytest.fixture
def clock(monkeypatch):
    return install_clock(monkeypatch)


def _history(cast, key="WEB-1"):
    response = cast.api(cast.root).get(f"/issues/{key}/history")
    assert response.status_code == 200, response.content
    return response.json()["items"]


def _changes(cast, key="WEB-1", since=1):
    """(version, field, old, new) of the `changed` events after version `since`."""
    return [
        (e["version"], e["field"], e["old"], e["new"])
        for e in _history(cast, key)
        if e["kind"] == "changed" and e["version"] > since
    ]


def _rules(cast, name, project=None, **rules):
    """Give every transition called `name` in WEB (or `project`) these rules."""
    project = project or cast.web
    for row in WorkflowTransition.objects.filter(workflow=project.workflow, name=name):
        workflow_actions.change_transition(
            actor=cast.root, project=project, transition_id=row.id, changes=rules
        )


def _offered(response):
    assert response.status_code == 200, response.content
    return [(t["name"], t["to"]) for t in response.json()["transitions"]]


# --- what may be done from here ----------------------------------------------------------------


def test_the_transitions_from_the_current_state_are_listed_with_their_rules(cast):
    make_issue(cast.alice, cast.web)
    _rules(cast, "Resolve", required_fields=["resolution"])
    response = cast.api(cast.bob).get("/issues/WEB-1/transitions")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["key"], body["status"], body["version"]) == ("WEB-1", "new", 1)
    assert [
        (t["name"], t["to"], t["to_category"], t["required_fields"]) for t in body["transitions"]
    ] == [
        ("Open", "open", "todo", []),
        ("Start progress", "in progress", "in_progress", []),
        ("Resolve", "resolved", "done", ["resolution"]),
        ("Close", "closed", "done", []),
    ]


def test_from_a_done_state_only_the_way_back_and_onward_are_offered(cast):
    make_issue(cast.alice, cast.web, status="resolved")
    assert _offered(cast.api(cast.bob).get("/issues/WEB-1/transitions")) == [
        ("Close", "closed"),
        ("Reopen", "open"),
    ]
    issue_actions.update_issue(
        actor=cast.bob, issue=cast.web.issues.get(), changes={"status": "closed"}
    )
    assert _offered(cast.api(cast.bob).get("/issues/WEB-1/transitions")) == [("Reopen", "open")]


@pytest.mark.parametrize(
    "who, expected",
    [
        ("root", ["Open", "Start progress", "Resolve", "Close"]),
        ("alice", ["Open", "Start progress", "Resolve", "Close"]),
        ("bob", ["Open", "Close"]),  # Start progress and Resolve are limited to admins below
        ("carol", ["Close"]),  # reporters, on issues they reported
        ("dave", []),
    ],
)
def test_only_the_transitions_the_caller_may_take_are_listed(cast, who, expected):
    make_issue(cast.carol, cast.web)
    _rules(cast, "Start progress", allowed_roles=["admin"])
    _rules(cast, "Resolve", allowed_roles=["admin"])
    _rules(cast, "Close", allowed_roles=["admin", "member", "reporter"])
    names = [name for name, _ in _offered(client(cast, who).get("/issues/WEB-1/transitions"))]
    assert names == expected


def test_a_reporter_is_offered_nothing_on_someone_elses_issue(cast):
    make_issue(cast.bob, cast.web)
    _rules(cast, "Close", allowed_roles=["reporter"])
    assert _offered(cast.api(cast.carol).get("/issues/WEB-1/transitions")) == []


def test_anonymous_readers_of_a_public_project_are_offered_nothing(cast, anon):
    oss = make_project(cast.alice, "OSS", visibility="public")
    make_issue(cast.alice, oss)
    assert _offered(anon.get("/issues/OSS-1/transitions")) == []


@pytest.mark.parametrize("who", ["eve", "anon"])
def test_outsiders_cannot_list_transitions_of_a_private_issue(cast, who):
    make_issue(cast.alice, cast.web)
    problem(client(cast, who).get("/issues/WEB-1/transitions"), 404)


def test_listing_transitions_of_a_missing_or_deleted_issue_is_404(cast):
    issue = make_issue(cast.alice, cast.web)
    problem(cast.api(cast.bob).get("/issues/WEB-2/transitions"), 404)
    issue_actions.delete_issue(actor=cast.alice, issue=issue)
    problem(cast.api(cast.alice).get("/issues/WEB-1/transitions"), 404)


# --- taking a transition -----------------------------------------------------------------------


def test_a_transition_by_target_moves_the_issue_and_records_the_change(cast, clock):
    make_issue(cast.alice, cast.web)
    response = cast.api(cast.bob).post("/issues/WEB-1/transitions", {"to": "open"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["status_category"], body["version"]) == ("open", "todo", 2)
    assert response["ETag"].startswith('"2-')
    assert when(body["updated_at"]) == START + 2 * clock.step
    assert _changes(cast) == [(2, "status", "new", "open")]
    assert _history(cast)[-1]["actor"] == "bob"


def test_a_transition_by_name_with_a_resolution_and_a_comment_is_one_version(cast):
    make_issue(cast.alice, cast.web)
    response = cast.api(cast.bob).post(
        "/issues/WEB-1/transitions",
        {"transition": "Resolve", "resolution": "duplicate", "comment": "Same as WEB-7"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["resolution"], body["version"]) == ("resolved", "duplicate", 2)
    assert body["resolved_at"] is not None
    events = [(e["version"], e["kind"], e["field"], e["new"]) for e in _history(cast)[1:]]
    assert events == [
        (2, "changed", "status", "resolved"),
        (2, "changed", "resolution", "duplicate"),
        (2, "commented", None, "Same as WEB-7"),
    ]
    comments = cast.api(cast.bob).get("/issues/WEB-1/comments").json()["items"]
    assert [(c["author"], c["body"]) for c in comments] == [("bob", "Same as WEB-7")]


@pytest.mark.parametrize("name", ["Start progress", "start PROGRESS", " start progress "])
def test_transition_names_match_in_any_case(cast, name):
    make_issue(cast.alice, cast.web)
    response = cast.api(cast.bob).post("/issues/WEB-1/transitions", {"transition": name})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "in progress"


def test_target_and_name_may_be_given_together(cast):
    make_issue(cast.alice, cast.web)
    response = cast.api(cast.bob).post(
        "/issues/WEB-1/transitions", {"to": "In Progress", "transition": "Start progress"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "in progress"


def test_the_transition_name_picks_the_one_leaving_the_current_state(cast):
    make_issue(cast.alice, cast.web, status="closed")
    response = cast.api(cast.bob).post("/issues/WEB-1/transitions", {"transition": "Reopen"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["resolution"], body["resolved_at"]) == ("open", None, None)


def test_assignee_due_date_and_milestone_may_change_with_a_transition(cast):
    project_actions.add_milestone(actor=cast.alice, project=cast.web, name="1.0")
    make_issue(cast.alice, cast.web)
    response = cast.api(cast.bob).post(
        "/issues/WEB-1/transitions",
        {"to": "in progress", "assignee": "bob", "due_date": "2026-12-31", "milestone": "1.0"},
    )
    assert response.status_code == 200, response.content
    assert _changes(cast) == [
        (2, "status", "new", "in progress"),
        (2, "assignee", None, "bob"),
        (2, "due_date", None, "2026-12-31"),
        (2, "milestone", None, "1.0"),
    ]


# --- refused transitions change nothing --------------------------------------------------------


@pytest.mark.parametrize(
    "body, status, field, message",
    [
        ({}, 422, "to", "give the target state (to) or the transition's name (transition)"),
        ({"to": "done"}, 422, "to", "must be one of: new, open, in progress, resolved, closed"),
        ({"to": "new"}, 422, "to", "the issue is already new"),
        (
            {"transition": "Escalate"},
            422,
            "transition",
            "no transition 'Escalate' in this workflow; available: Close, Open, Resolve, "
            "Start progress",
        ),
        (
            {"transition": "Reopen"},
            422,
            "transition",
            "Reopen is not available from new; available: Close, Open, Resolve, Start progress",
        ),
        (
            {"to": "closed", "transition": "Resolve"},
            422,
            "to",
            "Resolve goes to resolved, not closed",
        ),
        ({"to": "open", "resolution": "fixed"}, 422, "resolution", None),
        ({"to": "open", "assignee": "dave"}, 422, "assignee", "'dave' is not a member of WEB"),
        ({"to": "open", "milestone": "9.9"}, 422, "milestone", None),
        ({"to": "open", "title": "x"}, 422, "title", "unknown field"),
        ({"to": "open", "comment": ""}, 422, "comment", None),
        ({"to": "open", "comment": "   "}, 422, "comment", "must not be empty"),
        ({"to": 3}, 422, "to", None),
        ({"to": "open", "resolution": "maybe"}, 422, "resolution", None),
        ({"to": "open", "version": 0}, 422, "version", None),
    ],
    ids=lambda v: str(v)[:40],
)
def test_a_bad_transition_is_refused_and_changes_nothing(cast, body, status, field, message):
    make_issue(cast.alice, cast.web)
    before = everything()
    error = problem(cast.api(cast.bob).post("/issues/WEB-1/transitions", body), status)
    assert field in [e["field"] for e in error["errors"]], error
    if message:
        assert {"field": field, "message": message} in [
            {"field": e["field"], "message": e["message"]} for e in error["errors"]
        ]
    assert everything() == before


def test_a_move_the_workflow_does_not_have_is_refused_listing_the_allowed_ones(cast):
    make_issue(cast.alice, cast.web, status="closed")
    before = everything()
    error = problem(cast.api(cast.bob).post("/issues/WEB-1/transitions", {"to": "new"}), 422)
    assert error["errors"] == [
        {"field": "to", "message": "cannot move from closed to new; allowed: open"}
    ]
    assert everything() == before


@pytest.mark.parametrize(
    "who, status",
    [("dave", 403), ("eve", 404), ("anon", 404)],
    ids=["viewer", "outsider", "anon"],
)
def test_who_may_not_transition_at_all(cast, who, status):
    make_issue(cast.alice, cast.web)
    before = everything()
    problem(client(cast, who).post("/issues/WEB-1/transitions", {"to": "open"}), status)
    assert everything() == before


def test_a_reporter_may_not_transition_by_default_even_their_own_issue(cast):
    make_issue(cast.carol, cast.web)
    before = everything()
    error = problem(cast.api(cast.carol).post("/issues/WEB-1/transitions", {"to": "open"}), 403)
    assert error["detail"] == "Open is allowed only for admin, member; your role is reporter"
    assert everything() == before


def test_an_anonymous_caller_must_sign_in_to_transition_in_a_public_project(cast, anon):
    oss = make_project(cast.alice, "OSS", visibility="public")
    make_issue(cast.alice, oss)
    before = everything()
    problem(anon.post("/issues/OSS-1/transitions", {"to": "open"}), 401)
    assert everything() == before


def test_a_read_only_token_cannot_transition(cast):
    make_issue(cast.alice, cast.web)
    before = everything()
    api = cast.api(cast.bob, scopes=["read"])
    problem(api.post("/issues/WEB-1/transitions", {"to": "open"}), 403)
    assert everything() == before


def test_a_deleted_issue_cannot_be_transitioned(cast):
    issue = make_issue(cast.alice, cast.web)
    issue_actions.delete_issue(actor=cast.alice, issue=issue)
    before = everything()
    problem(cast.api(cast.alice).post("/issues/WEB-1/transitions", {"to": "open"}), 404)
    assert everything() == before


# --- role rules ---------------------------------------------------------------------------------


def test_a_transition_limited_to_admins_is_forbidden_to_members_naming_the_rule(cast):
    make_issue(cast.alice, cast.web)
    _rules(cast, "Resolve", allowed_roles=["admin"])
    before = everything()
    error = problem(
        cast.api(cast.bob).post("/issues/WEB-1/transitions", {"transition": "Resolve"}), 403
    )
    assert error["detail"] == "Resolve is allowed only for admin; your role is member"
    assert everything() == before
    response = cast.api(cast.alice).post("/issues/WEB-1/transitions", {"transition": "Resolve"})
    assert response.status_code == 200, response.content


def test_patching_the_status_obeys_the_same_role_rule(cast):
    make_issue(cast.alice, cast.web)
    _rules(cast, "Resolve", allowed_roles=["admin"])
    before = everything()
    error = problem(cast.api(cast.bob).patch("/issues/WEB-1", {"status": "resolved"}), 403)
    assert error["detail"] == "Resolve is allowed only for admin; your role is member"
    assert everything() == before
    assert cast.api(cast.root).patch("/issues/WEB-1", {"status": "resolved"}).status_code == 200


def test_a_transition_open_to_reporters_lets_them_move_their_own_issues(cast):
    make_issue(cast.carol, cast.web)
    make_issue(cast.bob, cast.web)
    _rules(cast, "Close", allowed_roles=["member", "reporter"])
    carol = cast.api(cast.carol)
    response = carol.post("/issues/WEB-1/transitions", {"to": "closed", "resolution": "done"})
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["resolution"]) == ("closed", "done")
    before = everything()
    problem(carol.post("/issues/WEB-2/transitions", {"to": "closed"}), 403)
    problem(carol.patch("/issues/WEB-2", {"status": "closed"}), 403)
    assert everything() == before


def test_a_reporter_allowed_to_move_still_may_not_assign(cast):
    make_issue(cast.carol, cast.web)
    _rules(cast, "Close", allowed_roles=["reporter"])
    before = everything()
    body = {"to": "closed", "assignee": "bob"}
    problem(cast.api(cast.carol).post("/issues/WEB-1/transitions", body), 403)
    assert everything() == before


def test_a_reporter_moving_via_patch_may_still_only_edit_their_own_fields(cast):
    make_issue(cast.carol, cast.web)
    _rules(cast, "Close", allowed_roles=["reporter"])
    carol = cast.api(cast.carol)
    before = everything()
    problem(carol.patch("/issues/WEB-1", {"status": "closed", "priority": "high"}), 403)
    assert everything() == before
    response = carol.patch("/issues/WEB-1", {"status": "closed", "title": "Never mind"})
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["title"]) == ("closed", "Never mind")


def test_a_status_that_does_not_move_does_not_vouch_for_a_resolution(cast):
    make_issue(cast.carol, cast.web)
    _rules(cast, "Close", allowed_roles=["reporter"])
    carol = cast.api(cast.carol)
    assert carol.patch("/issues/WEB-1", {"status": "closed"}).status_code == 200
    before = everything()
    problem(carol.patch("/issues/WEB-1", {"status": "closed", "resolution": "duplicate"}), 403)
    assert everything() == before


def test_a_team_role_counts_for_transition_rules(cast):
    frank = UserFactory(username="frank")
    team = Team.objects.create(slug="ops", name="Ops")
    team.members.add(frank)
    project_actions.set_member(actor=cast.alice, project=cast.web, team="ops", role="admin")
    make_issue(cast.alice, cast.web)
    _rules(cast, "Resolve", allowed_roles=["admin"])
    response = cast.api(frank).post("/issues/WEB-1/transitions", {"transition": "Resolve"})
    assert response.status_code == 200, response.content


# --- required fields ---------------------------------------------------------------------------


def test_a_required_resolution_must_be_given(cast):
    make_issue(cast.alice, cast.web)
    _rules(cast, "Resolve", required_fields=["resolution"])
    bob = cast.api(cast.bob)
    before = everything()
    for request in (
        lambda: bob.post("/issues/WEB-1/transitions", {"transition": "Resolve"}),
        lambda: bob.post("/issues/WEB-1/transitions", {"to": "resolved", "resolution": None}),
        lambda: bob.patch("/issues/WEB-1", {"status": "resolved"}),
    ):
        error = problem(request(), 422)
        assert error["detail"] == "Resolve requires resolution"
        assert error["errors"] == [
            {"field": "resolution", "message": "Resolve requires resolution"}
        ]
    assert everything() == before
    response = bob.patch("/issues/WEB-1", {"status": "resolved", "resolution": "won't fix"})
    assert response.status_code == 200, response.content
    assert response.json()["resolution"] == "won't fix"


def test_without_a_required_resolution_entering_done_defaults_it_to_fixed(cast):
    make_issue(cast.alice, cast.web)
    response = cast.api(cast.bob).post("/issues/WEB-1/transitions", {"to": "resolved"})
    assert response.json()["resolution"] == "fixed"


def test_a_resolution_carried_from_one_done_state_to_another_counts(cast):
    make_issue(cast.alice, cast.web, status="resolved", resolution="duplicate")
    _rules(cast, "Close", required_fields=["resolution"])
    response = cast.api(cast.bob).post("/issues/WEB-1/transitions", {"transition": "Close"})
    assert response.status_code == 200, response.content
    assert response.json()["resolution"] == "duplicate"


def test_a_required_assignee_may_be_given_with_the_move_or_already_be_there(cast):
    make_issue(cast.alice, cast.web)
    make_issue(cast.alice, cast.web, assignee="alice")
    _rules(cast, "Start progress", required_fields=["assignee"])
    bob = cast.api(cast.bob)
    before = everything()
    error = problem(bob.post("/issues/WEB-1/transitions", {"to": "in progress"}), 422)
    assert error["detail"] == "Start progress requires assignee"
    problem(bob.patch("/issues/WEB-1", {"status": "in progress"}), 422)
    problem(bob.patch("/issues/WEB-2", {"status": "in progress", "assignee": None}), 422)
    assert everything() == before
    assert bob.patch("/issues/WEB-2", {"status": "in progress"}).status_code == 200
    response = bob.post("/issues/WEB-1/transitions", {"to": "in progress", "assignee": "bob"})
    assert response.status_code == 200, response.content
    assert response.json()["assignee"] == "bob"


def test_a_required_comment_can_only_come_with_a_transition(cast):
    make_issue(cast.alice, cast.web)
    _rules(cast, "Open", required_fields=["comment"])
    bob = cast.api(cast.bob)
    before = everything()
    error = problem(bob.patch("/issues/WEB-1", {"status": "open"}), 422)
    assert error["errors"] == [{"field": "comment", "message": "Open requires comment"}]
    problem(bob.post("/issues/WEB-1/transitions", {"to": "open"}), 422)
    assert everything() == before
    response = bob.post("/issues/WEB-1/transitions", {"to": "open", "comment": "Triaged"})
    assert response.status_code == 200, response.content


def test_several_required_fields_are_named_together(cast):
    make_issue(cast.alice, cast.web)
    _rules(cast, "Resolve", required_fields=["resolution", "assignee", "due_date", "milestone"])
    error = problem(
        cast.api(cast.bob).post("/issues/WEB-1/transitions", {"transition": "Resolve"}), 422
    )
    assert error["detail"] == "Resolve requires resolution, assignee, due_date, milestone"


def test_roles_are_checked_before_required_fields(cast):
    make_issue(cast.alice, cast.web)
    _rules(cast, "Resolve", allowed_roles=["admin"], required_fields=["resolution"])
    problem(cast.api(cast.bob).post("/issues/WEB-1/transitions", {"transition": "Resolve"}), 403)


# --- automatic changes -------------------------------------------------------------------------


def test_entering_done_sets_resolved_at_and_leaving_clears_it_with_the_resolution(cast, clock):
    make_issue(cast.alice, cast.web)
    bob = cast.api(cast.bob)
    resolved = bob.post("/issues/WEB-1/transitions", {"to": "resolved"}).json()
    assert when(resolved["resolved_at"]) == START + 2 * clock.step
    closed = bob.post("/issues/WEB-1/transitions", {"to": "closed"}).json()
    assert closed["resolved_at"] == resolved["resolved_at"]  # done -> done keeps the time
    reopened = bob.post("/issues/WEB-1/transitions", {"transition": "Reopen"}).json()
    assert (reopened["resolution"], reopened["resolved_at"]) == (None, None)
    assert _changes(cast) == [
        (2, "status", "new", "resolved"),
        (2, "resolution", None, "fixed"),
        (3, "status", "resolved", "closed"),
        (4, "status", "closed", "open"),
        (4, "resolution", "fixed", None),
    ]


def test_assign_if_unassigned_assigns_the_caller(cast):
    make_issue(cast.alice, cast.web)
    _rules(cast, "Start progress", effects=["assign_if_unassigned"], required_fields=["assignee"])
    response = cast.api(cast.bob).post("/issues/WEB-1/transitions", {"to": "in progress"})
    assert response.status_code == 200, response.content
    assert response.json()["assignee"] == "bob"
    assert _changes(cast) == [(2, "status", "new", "in progress"), (2, "assignee", None, "bob")]


def test_assign_if_unassigned_keeps_an_assignee_and_yields_to_one_given(cast):
    make_issue(cast.alice, cast.web, assignee="alice")
    make_issue(cast.alice, cast.web)
    _rules(cast, "Start progress", effects=["assign_if_unassigned"])
    bob = cast.api(cast.bob)
    assert bob.post("/issues/WEB-1/transitions", {"to": "in progress"}).json()["assignee"] == (
        "alice"
    )
    body = {"to": "in progress", "assignee": "alice"}
    assert bob.post("/issues/WEB-2/transitions", body).json()["assignee"] == "alice"


def test_assign_if_unassigned_skips_a_caller_who_cannot_be_assigned(cast):
    make_issue(cast.carol, cast.web)
    _rules(cast, "Open", allowed_roles=["reporter"], effects=["assign_if_unassigned"])
    response = cast.api(cast.carol).post("/issues/WEB-1/transitions", {"to": "open"})
    assert response.status_code == 200, response.content
    assert response.json()["assignee"] is None


def test_unassign_clears_the_assignee(cast):
    make_issue(cast.alice, cast.web, assignee="bob", status="in progress")
    _rules(cast, "Stop progress", effects=["unassign"])
    response = cast.api(cast.bob).post("/issues/WEB-1/transitions", {"to": "open"})
    assert response.json()["assignee"] is None
    assert _changes(cast) == [(2, "status", "in progress", "open"), (2, "assignee", "bob", None)]


def test_effects_apply_to_a_patch_of_the_status_too(cast):
    make_issue(cast.alice, cast.web)
    _rules(cast, "Start progress", effects=["assign_if_unassigned"])
    response = cast.api(cast.bob).patch("/issues/WEB-1", {"status": "in progress"})
    assert response.json()["assignee"] == "bob"


# --- concurrency -------------------------------------------------------------------------------


def test_a_transition_based_on_a_version_whose_status_has_moved_is_a_conflict(cast):
    make_issue(cast.alice, cast.web)
    cast.api(cast.alice).patch("/issues/WEB-1", {"status": "open"})
    before = everything()
    body = {"transition": "Resolve", "version": 1}
    error = problem(cast.api(cast.bob).post("/issues/WEB-1/transitions", body), 409)
    assert error["errors"] == [{"field": "status", "message": "changed by someone else meanwhile"}]
    assert error["current"]["status"] == "open"
    assert everything() == before


def test_a_move_to_where_someone_else_already_took_it_is_a_conflict_too(cast):
    make_issue(cast.alice, cast.web)
    cast.api(cast.alice).patch("/issues/WEB-1", {"status": "resolved"})
    before = everything()
    body = {"to": "resolved", "version": 1}
    problem(cast.api(cast.bob).post("/issues/WEB-1/transitions", body), 409)
    assert everything() == before


def test_a_transition_on_a_version_where_only_other_fields_moved_merges(cast):
    make_issue(cast.alice, cast.web)
    cast.api(cast.alice).patch("/issues/WEB-1", {"title": "Renamed"})
    response = cast.api(cast.bob).post("/issues/WEB-1/transitions", {"to": "open", "version": 1})
    assert response.status_code == 200, response.content
    assert (response.json()["title"], response.json()["version"]) == ("Renamed", 3)


def test_if_match_works_for_transitions(cast):
    make_issue(cast.alice, cast.web)
    bob = cast.api(cast.bob)
    etag = bob.get("/issues/WEB-1")["ETag"]
    cast.api(cast.alice).patch("/issues/WEB-1", {"status": "open"})
    before = everything()
    problem(
        bob.post("/issues/WEB-1/transitions", {"to": "closed"}, headers={"HTTP_IF_MATCH": etag}),
        409,
    )
    problem(
        bob.post("/issues/WEB-1/transitions", {"to": "closed"}, headers={"HTTP_IF_MATCH": "x"}), 400
    )
    assert everything() == before
    etag = bob.get("/issues/WEB-1")["ETag"]
    response = bob.post(
        "/issues/WEB-1/transitions", {"to": "closed"}, headers={"HTTP_IF_MATCH": etag}
    )
    assert response.status_code == 200, response.content


# --- the ready-made workflows ------------------------------------------------------------------


def test_a_support_request_goes_back_and_forth_until_solved(cast):
    sup = make_project(
        cast.alice,
        "SUP",
        members={cast.bob: "member", cast.carol: "reporter"},
        workflow="support",
    )
    assert sup.workflow.template == "support"
    make_issue(cast.carol, sup, title="Cannot log in")
    bob, carol = cast.api(cast.bob), cast.api(cast.carol)

    def take(api, name, **fields):
        response = api.post("/issues/SUP-1/transitions", {"transition": name, **fields})
        assert response.status_code == 200, response.content
        return response.json()

    assert take(bob, "Take")["assignee"] == "bob"
    assert take(bob, "Ask customer", comment="Which browser?")["status"] == "waiting on customer"
    assert take(carol, "Customer replied", comment="Firefox")["status"] == "waiting on us"
    error = problem(bob.post("/issues/SUP-1/transitions", {"transition": "Solve"}), 422)
    assert error["detail"] == "Solve requires resolution"
    solved = take(bob, "Solve", resolution="fixed")
    assert (solved["status"], solved["status_category"]) == ("solved", "done")
    reopened = take(carol, "Reopen", comment="Still broken")
    assert (reopened["status"], reopened["resolution"]) == ("waiting on us", None)
    take(bob, "Solve", resolution="done")
    closed = take(bob, "Close")
    assert (closed["status"], closed["resolution"]) == ("closed", "done")
    problem(carol.post("/issues/SUP-1/transitions", {"transition": "Reopen"}), 422)  # final


def test_an_incident_is_acknowledged_mitigated_resolved_and_reviewed(cast):
    inc = make_project(cast.alice, "INC", members={cast.bob: "member"}, workflow="incident")
    make_issue(cast.alice, inc, title="API down", type="incident")
    bob = cast.api(cast.bob)
    assert inc.issues.get().status.name == "Triggered"

    def take(name, **fields):
        response = bob.post("/issues/INC-1/transitions", {"transition": name, **fields})
        assert response.status_code == 200, response.content
        return response.json()

    assert take("Acknowledge")["assignee"] == "bob"  # the acknowledger takes it
    error = problem(bob.post("/issues/INC-1/transitions", {"transition": "Mitigate"}), 422)
    assert error["detail"] == "Mitigate requires comment"
    take("Mitigate", comment="Failed over to the standby")
    resolved = take("Resolve")
    assert (resolved["status"], resolved["resolution"]) == ("resolved", "fixed")
    problem(bob.post("/issues/INC-1/transitions", {"transition": "Complete post-mortem"}), 422)
    done = take("Complete post-mortem", comment="https://wiki/pm/1")
    assert (done["status"], done["status_category"]) == ("post-mortem done", "done")
    assert done["resolved_at"] == resolved["resolved_at"]


def test_an_incident_cannot_be_acknowledged_without_someone_to_own_it(cast):
    inc = make_project(cast.alice, "INC", members={cast.carol: "reporter"}, workflow="incident")
    _rules(cast, "Acknowledge", project=inc, allowed_roles=["admin", "reporter"])
    make_issue(cast.carol, inc)
    before = everything()
    error = problem(
        cast.api(cast.carol).post("/issues/INC-1/transitions", {"transition": "Acknowledge"}), 422
    )
    assert error["detail"] == "Acknowledge requires assignee"  # a reporter cannot be assigned
    assert everything() == before


def test_retriggering_a_resolved_incident_clears_its_resolution(cast):
    inc = make_project(cast.alice, "INC", workflow="incident")
    make_issue(cast.alice, inc, status="resolved")
    response = cast.api(cast.alice).post("/issues/INC-1/transitions", {"transition": "Retrigger"})
    body = response.json()
    assert (body["status"], body["resolution"], body["resolved_at"]) == ("triggered", None, None)


# --- the action itself ---------------------------------------------------------------------------


def test_the_action_refuses_fields_a_transition_does_not_carry(cast):
    issue = make_issue(cast.alice, cast.web)
    before = everything()
    with pytest.raises(Invalid) as caught:
        issue_actions.transition(actor=cast.bob, issue=issue, to="open", fields={"title": "x"})
    assert caught.value.errors == [
        {"field": "title", "message": "cannot change with a transition; use PATCH"}
    ]
    assert everything() == before


def test_the_action_returns_the_moved_issue(cast):
    issue = make_issue(cast.alice, cast.web)
    moved = issue_actions.transition(
        actor=cast.bob, issue=issue, name="Resolve", fields={"resolution": "done"}
    )
    assert (moved.status.name, moved.resolution, moved.version) == ("Resolved", "done", 2)
