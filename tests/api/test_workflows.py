"""Workflows: the templates a project starts from, reading a project's workflow, and editing it
(states, order, transitions and their rules) without ever stranding an issue. Every refused
request is checked to have changed nothing at all."""

from __future__ import annotations

from typing import Any

import pytest

from docket.core.errors import Forbidden, Invalid
from docket.issues import actions as issue_actions
from docket.issues.models import Issue
from docket.projects.models import Workflow, WorkflowState, WorkflowTransition
from tests.api.issue_helpers import client, everything, problem
from tests.factories import make_issue, make_project


def world() -> dict[str, Any]:
    """Every workflow row and every issue row, comparable."""
    return {
        "workflows": list(Workflow.objects.order_by("id").values()),
        "states": list(WorkflowState.objects.order_by("id").values()),
        "transitions": list(WorkflowTransition.objects.order_by("id").values()),
        **everything(),
    }


def _workflow(api, key="WEB"):
    response = api.get(f"/projects/{key}/workflow")
    assert response.status_code == 200, response.content
    return response.json()


def _states(api, key="WEB"):
    return [s["status"] for s in _workflow(api, key)["states"]]


def _tid(cast, name, source=None, project=None) -> int:
    rows = WorkflowTransition.objects.filter(workflow=(project or cast.web).workflow, name=name)
    if source:
        rows = rows.filter(from_state__name__iexact=source)
    return rows.order_by("id").first().id


def _history(cast, key):
    return cast.api(cast.root).get(f"/issues/{key}/history").json()["items"]


# --- templates and reading ---------------------------------------------------------------------


def test_the_templates_are_listed_with_their_states_and_rules(cast, anon):
    response = cast.api(cast.eve).get("/workflow-templates")
    assert response.status_code == 200, response.content
    templates = {t["template"]: t for t in response.json()}
    assert list(templates) == ["default", "support", "incident"]
    assert [s["name"] for s in templates["support"]["states"]] == [
        "New",
        "Waiting on customer",
        "Waiting on us",
        "Solved",
        "Closed",
    ]
    solve = [t for t in templates["support"]["transitions"] if t["name"] == "Solve"]
    assert {t["from"] for t in solve} == {"new", "waiting on customer", "waiting on us"}
    assert all(t["required_fields"] == ["resolution"] for t in solve)
    assert templates["incident"]["states"][0] == {
        "name": "Triggered",
        "status": "triggered",
        "category": "todo",
        "order": 0,
        "color": "#dc2626",
        "initial": True,
    }
    assert anon.get("/workflow-templates").status_code == 200


@pytest.mark.parametrize(
    "template, states, initial",
    [
        ("default", ["new", "open", "in progress", "resolved", "closed"], "new"),
        (
            "support",
            ["new", "waiting on customer", "waiting on us", "solved", "closed"],
            "new",
        ),
        (
            "incident",
            ["triggered", "acknowledged", "mitigated", "resolved", "post-mortem done"],
            "triggered",
        ),
    ],
)
def test_a_project_starts_from_the_template_it_picks(cast, template, states, initial):
    eve = cast.api(cast.eve)
    response = eve.post("/projects", {"key": "NEW", "name": "New", "workflow": template})
    assert response.status_code == 201, response.content
    assert [s["name"] for s in response.json()["statuses"]] == states
    workflow = _workflow(eve, "NEW")
    assert workflow["template"] == template
    assert [s["status"] for s in workflow["states"]] == states
    issue = eve.post("/projects/NEW/issues", {"title": "First"}).json()
    assert issue["status"] == initial


def test_the_workflow_shows_states_and_transitions_with_their_rules(cast):
    workflow = _workflow(cast.api(cast.dave))  # viewers may read it
    assert (workflow["name"], workflow["template"]) == ("Default", "default")
    assert workflow["states"][2] == {
        "name": "In Progress",
        "status": "in progress",
        "category": "in_progress",
        "order": 2,
        "color": "#d97706",
        "initial": False,
        "wip_limit": None,
        "waiting": False,
    }
    close = [t for t in workflow["transitions"] if t["name"] == "Close"]
    assert close == [
        {
            "id": close[0]["id"],
            "name": "Close",
            "from": None,
            "to": "closed",
            "allowed_roles": [],
            "required_fields": [],
            "effects": [],
        }
    ]
    assert len(workflow["transitions"]) == 10


@pytest.mark.parametrize("who", ["eve", "anon"])
def test_outsiders_cannot_read_a_private_projects_workflow(cast, who):
    problem(client(cast, who).get("/projects/WEB/workflow"), 404)


def test_signed_in_users_can_read_an_internal_projects_workflow(cast):
    make_project(cast.alice, "INT", visibility="internal")
    assert _workflow(cast.api(cast.eve), "INT")["name"] == "Default"


def test_each_project_edits_its_own_copy(cast):
    make_project(cast.alice, "API")
    alice = cast.api(cast.alice)
    alice.patch("/projects/WEB/workflow/states/open", {"name": "Triaged"})
    assert "triaged" in _states(alice, "WEB")
    assert _states(alice, "API") == ["new", "open", "in progress", "resolved", "closed"]


# --- who may edit ------------------------------------------------------------------------------

EDITS = [
    ("post", "/projects/{key}/workflow/states", {"name": "Blocked", "category": "in_progress"}),
    ("patch", "/projects/{key}/workflow/states/open", {"color": "#000000"}),
    (
        "put",
        "/projects/{key}/workflow/order",
        {"states": ["open", "new", "in progress", "resolved", "closed"]},
    ),
    ("delete", "/projects/{key}/workflow/states/in%20progress", None),
    (
        "post",
        "/projects/{key}/workflow/transitions",
        {"name": "Skip", "from": "new", "to": "closed"},
    ),
    ("patch", "/projects/{key}/workflow/transitions/{tid}", {"allowed_roles": ["admin"]}),
    ("delete", "/projects/{key}/workflow/transitions/{tid}", None),
]


def _edit(api, method, path, body, key="WEB", tid=1):
    path = path.format(key=key, tid=tid)
    return getattr(api, method)(path) if body is None else getattr(api, method)(path, body)


def _ok(response) -> bool:
    return 200 <= response.status_code < 300


@pytest.mark.parametrize("method, path, body", EDITS, ids=[f"{m} {p}" for m, p, _ in EDITS])
@pytest.mark.parametrize(
    "who, status",
    [("bob", 403), ("carol", 403), ("dave", 403), ("eve", 404), ("anon", 404)],
)
def test_only_project_admins_edit_the_workflow(cast, method, path, body, who, status):
    tid = _tid(cast, "Close")
    before = world()
    problem(_edit(client(cast, who), method, path, body, tid=tid), status)
    assert world() == before


@pytest.mark.parametrize("method, path, body", EDITS, ids=[f"{m} {p}" for m, p, _ in EDITS])
@pytest.mark.parametrize("who", ["alice", "root"])
def test_project_and_site_admins_edit_the_workflow(cast, method, path, body, who):
    tid = _tid(cast, "Close")
    response = _edit(client(cast, who), method, path, body, tid=tid)
    assert response.status_code in (200, 201, 204), response.content


def test_signed_in_readers_of_an_internal_project_get_403_not_404(cast):
    make_project(cast.alice, "INT", visibility="internal")
    before = world()
    body = {"name": "Blocked", "category": "todo"}
    problem(cast.api(cast.eve).post("/projects/INT/workflow/states", body), 403)
    assert world() == before


def test_a_read_only_token_cannot_edit_the_workflow(cast):
    before = world()
    api = cast.api(cast.alice, scopes=["read"])
    problem(api.post("/projects/WEB/workflow/states", {"name": "X", "category": "todo"}), 403)
    assert world() == before


# --- states ------------------------------------------------------------------------------------


def test_a_new_state_goes_at_the_end_and_can_be_reached_once_a_transition_leads_there(cast):
    alice = cast.api(cast.alice)
    response = alice.post(
        "/projects/WEB/workflow/states",
        {"name": "Blocked", "category": "in_progress", "color": "#DC2626"},
    )
    assert response.status_code == 201, response.content
    assert response.json() == {
        "name": "Blocked",
        "status": "blocked",
        "category": "in_progress",
        "order": 5,
        "color": "#dc2626",
        "initial": False,
        "wip_limit": None,
        "waiting": False,
    }
    make_issue(cast.alice, cast.web)
    problem(alice.patch("/issues/WEB-1", {"status": "blocked"}), 422)
    added = alice.post(
        "/projects/WEB/workflow/transitions", {"name": "Block", "from": None, "to": "blocked"}
    )
    assert added.status_code == 201, added.content
    assert alice.patch("/issues/WEB-1", {"status": "blocked"}).json()["status"] == "blocked"


def test_a_new_state_can_be_the_initial_one(cast):
    alice = cast.api(cast.alice)
    body = {"name": "Inbox", "category": "todo", "initial": True}
    assert alice.post("/projects/WEB/workflow/states", body).status_code == 201
    initial = [s["status"] for s in _workflow(alice)["states"] if s["initial"]]
    assert initial == ["inbox"]
    assert make_issue(cast.alice, cast.web).status.name == "Inbox"


@pytest.mark.parametrize(
    "body, status, field",
    [
        ({"name": "open", "category": "todo"}, 409, "name"),
        ({"name": "IN PROGRESS", "category": "todo"}, 409, "name"),
        ({"name": "", "category": "todo"}, 422, "name"),
        ({"name": "   ", "category": "todo"}, 422, "name"),
        ({"name": "a, b", "category": "todo"}, 422, "name"),
        ({"name": 'say "hi"', "category": "todo"}, 422, "name"),
        ({"name": "x" * 51, "category": "todo"}, 422, "name"),
        ({"name": "Blocked", "category": "blocked"}, 422, "category"),
        ({"name": "Blocked"}, 422, "category"),
        ({"name": "Blocked", "category": "todo", "color": "red"}, 422, "color"),
        ({"name": "Blocked", "category": "todo", "order": 1}, 422, "order"),
        ({"name": "Blocked", "category": "todo", "initial": "yes"}, 422, "initial"),
    ],
    ids=lambda v: str(v)[:30],
)
def test_a_bad_new_state_is_refused_and_changes_nothing(cast, body, status, field):
    before = world()
    error = problem(cast.api(cast.alice).post("/projects/WEB/workflow/states", body), status)
    assert field in [e["field"] for e in error["errors"]], error
    assert world() == before


def test_renaming_a_state_renames_it_on_its_issues_but_not_in_their_history(cast):
    make_issue(cast.alice, cast.web, status="open")
    alice = cast.api(cast.alice)
    response = alice.patch("/projects/WEB/workflow/states/OPEN", {"name": "Triaged"})
    assert response.status_code == 200, response.content
    assert (response.json()["name"], response.json()["status"]) == ("Triaged", "triaged")
    assert alice.get("/issues/WEB-1").json()["status"] == "triaged"
    assert _history(cast, "WEB-1")[0]["new"]["status"] == "open"  # history says what was
    assert [t["to"] for t in _workflow(alice)["transitions"] if t["name"] == "Reopen"] == [
        "triaged",
        "triaged",
    ]
    moved = alice.patch("/issues/WEB-1", {"status": "in progress"})
    assert moved.status_code == 200, moved.content


def test_a_state_may_be_renamed_to_a_different_case_of_its_own_name(cast):
    response = cast.api(cast.alice).patch(
        "/projects/WEB/workflow/states/in progress", {"name": "In progress"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "In progress"


def test_renaming_to_another_states_name_is_a_conflict(cast):
    before = world()
    api = cast.api(cast.alice)
    problem(api.patch("/projects/WEB/workflow/states/open", {"name": "new"}), 409)
    assert world() == before


def test_a_state_can_be_recoloured(cast):
    api = cast.api(cast.alice)
    response = api.patch("/projects/WEB/workflow/states/open", {"color": "#ABCDEF"})
    assert response.json()["color"] == "#abcdef"
    assert [s["color"] for s in api.get("/projects/WEB").json()["statuses"]][1] == "#abcdef"


def test_another_state_can_be_made_initial(cast):
    api = cast.api(cast.alice)
    response = api.patch("/projects/WEB/workflow/states/open", {"initial": True})
    assert response.json()["initial"] is True
    assert [s["status"] for s in _workflow(api)["states"] if s["initial"]] == ["open"]
    assert make_issue(cast.alice, cast.web).status.name == "Open"


def test_a_state_cannot_simply_stop_being_initial(cast):
    before = world()
    api = cast.api(cast.alice)
    problem(api.patch("/projects/WEB/workflow/states/new", {"initial": False}), 422)
    assert world() == before


def test_an_empty_state_can_change_category(cast):
    api = cast.api(cast.alice)
    response = api.patch("/projects/WEB/workflow/states/open", {"category": "in_progress"})
    assert response.json()["category"] == "in_progress"
    response = api.patch("/projects/WEB/workflow/states/in progress", {"category": "done"})
    assert response.json()["category"] == "done"


@pytest.mark.parametrize(
    "state, status, category",
    [("open", "open", "done"), ("closed", "closed", "todo")],
    ids=["into done", "out of done"],
)
def test_a_state_holding_issues_cannot_cross_the_done_line(cast, state, status, category):
    make_issue(cast.alice, cast.web, status=status)
    make_issue(cast.alice, cast.web, status=status)
    before = world()
    error = problem(
        cast.api(cast.alice).patch(
            f"/projects/WEB/workflow/states/{state}", {"category": category}
        ),
        409,
    )
    assert error["detail"].startswith(f"2 issues are in {state}: moving it ")
    assert error["issues"] == 2
    assert world() == before


def test_a_state_holding_issues_may_change_category_on_its_side_of_the_done_line(cast):
    make_issue(cast.alice, cast.web, status="open")
    api = cast.api(cast.alice)
    response = api.patch("/projects/WEB/workflow/states/open", {"category": "in_progress"})
    assert response.status_code == 200, response.content
    assert api.get("/issues/WEB-1").json()["status_category"] == "in_progress"


def test_the_last_done_state_stays_done(cast):
    api = cast.api(cast.alice)
    assert _ok(api.patch("/projects/WEB/workflow/states/resolved", {"category": "todo"}))
    before = world()
    error = problem(api.patch("/projects/WEB/workflow/states/closed", {"category": "todo"}), 422)
    assert error["errors"][0]["message"] == "a workflow needs at least one done state"
    assert world() == before


def test_a_state_entered_by_a_transition_requiring_a_resolution_stays_done(cast):
    sup = make_project(cast.alice, "SUP", workflow="support")
    assert sup.workflow.states.filter(category="done").count() == 2
    before = world()
    error = problem(
        cast.api(cast.alice).patch("/projects/SUP/workflow/states/solved", {"category": "todo"}),
        422,
    )
    assert error["errors"][0]["message"].startswith("Solve requires a resolution")
    assert world() == before


def test_states_can_be_reordered(cast):
    api = cast.api(cast.alice)
    order = ["new", "open", "in progress", "closed", "resolved"]
    response = api.put(
        "/projects/WEB/workflow/order",
        {"states": ["New", "open", "in progress", "closed", "resolved"]},
    )
    assert response.status_code == 200, response.content
    assert [s["status"] for s in response.json()["states"]] == order
    assert [s["order"] for s in response.json()["states"]] == [0, 1, 2, 3, 4]
    assert [s["name"] for s in api.get("/projects/WEB").json()["statuses"]] == order


@pytest.mark.parametrize(
    "states",
    [
        ["new", "open", "in progress", "resolved"],
        ["new", "open", "in progress", "resolved", "closed", "closed"],
        ["new", "open", "in progress", "resolved", "closed", "gone"],
        ["new", "open", "in progress", "resolved", "shut"],
        [],
    ],
    ids=["missing", "twice", "extra", "unknown", "empty"],
)
def test_a_bad_order_is_refused_and_changes_nothing(cast, states):
    api = cast.api(cast.alice)
    before = world()
    error = problem(api.put("/projects/WEB/workflow/order", {"states": states}), 422)
    assert error["errors"][0]["field"] == "states"
    assert world() == before


# --- removing states without stranding issues --------------------------------------------------


def test_an_empty_state_is_removed_with_the_transitions_from_and_to_it(cast):
    api = cast.api(cast.alice)
    response = api.delete("/projects/WEB/workflow/states/in progress")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["removed"], body["moved_issues"], body["moved_to"]) == ("in progress", 0, None)
    assert sorted(body["removed_transitions"]) == [
        "Resolve",
        "Start progress",
        "Start progress",
        "Stop progress",
    ]
    assert [s["status"] for s in body["workflow"]["states"]] == [
        "new",
        "open",
        "resolved",
        "closed",
    ]
    assert all("in progress" not in (t["from"], t["to"]) for t in body["workflow"]["transitions"])


def test_a_state_holding_issues_needs_move_to_naming_how_many(cast):
    for _ in range(3):
        make_issue(cast.alice, cast.web, status="in progress")
    before = world()
    error = problem(cast.api(cast.alice).delete("/projects/WEB/workflow/states/in progress"), 409)
    assert error["detail"] == (
        "3 issues are in in progress; give move_to (another state) to move them there"
    )
    assert error["issues"] == 3
    assert error["errors"] == [{"field": "move_to", "message": "required: 3 issues to move"}]
    assert world() == before


def test_removing_a_state_moves_its_issues_recording_a_status_change_on_each(cast):
    first = make_issue(cast.alice, cast.web, status="in progress")
    second = make_issue(cast.alice, cast.web, status="in progress", assignee="bob")
    make_issue(cast.alice, cast.web, status="open")
    issue_actions.delete_issue(actor=cast.alice, issue=second)  # deleted ones move too
    response = cast.api(cast.alice).delete(
        "/projects/WEB/workflow/states/in progress", move_to="Open"
    )
    assert response.status_code == 200, response.content
    assert (response.json()["moved_issues"], response.json()["moved_to"]) == (2, "open")
    for issue, version in ((first, 2), (second, 3)):  # the second was deleted at version 2
        issue.refresh_from_db()
        assert (issue.status.name, issue.version) == ("Open", version)
        last = issue.events.order_by("id").last()
        assert (last.kind, last.field, last.old, last.new, last.actor, last.version) == (
            "changed",
            "status",
            "in progress",
            "open",
            cast.alice,
            version,
        )
    assert Issue.objects.get(number=3, project=cast.web).version == 1  # untouched


def test_moving_issues_out_of_done_clears_their_resolution_and_into_done_sets_it(cast):
    make_issue(cast.alice, cast.web, status="resolved", resolution="duplicate")
    make_issue(cast.alice, cast.web, status="open")
    api = cast.api(cast.alice)
    assert _ok(api.delete("/projects/WEB/workflow/states/resolved", move_to="new"))
    body = api.get("/issues/WEB-1").json()
    assert (body["status"], body["resolution"], body["resolved_at"]) == ("new", None, None)
    assert [(e["field"], e["old"], e["new"]) for e in _history(cast, "WEB-1")[1:]] == [
        ("status", "resolved", "new"),
        ("resolution", "duplicate", None),
    ]
    assert _ok(api.delete("/projects/WEB/workflow/states/open", move_to="closed"))
    body = api.get("/issues/WEB-2").json()
    assert (body["status"], body["resolution"]) == ("closed", "fixed")
    assert body["resolved_at"] is not None


@pytest.mark.parametrize(
    "params, status, field",
    [
        ({"move_to": "in progress"}, 422, "move_to"),
        ({"move_to": "nowhere"}, 422, "move_to"),
        ({"move_to": ""}, 422, "move_to"),
    ],
)
def test_a_bad_move_to_is_refused_and_changes_nothing(cast, params, status, field):
    make_issue(cast.alice, cast.web, status="in progress")
    before = world()
    error = problem(
        cast.api(cast.alice).delete("/projects/WEB/workflow/states/in progress", **params), status
    )
    assert error["errors"][0]["field"] == field
    assert world() == before


def test_removing_the_initial_state_needs_a_new_initial(cast):
    make_issue(cast.alice, cast.web)
    api = cast.api(cast.alice)
    before = world()
    error = problem(api.delete("/projects/WEB/workflow/states/new", move_to="open"), 422)
    assert error["errors"] == [
        {"field": "new_initial", "message": "new is the initial state; name a new one"}
    ]
    problem(api.delete("/projects/WEB/workflow/states/new", move_to="open", new_initial="new"), 422)
    assert world() == before
    response = api.delete("/projects/WEB/workflow/states/new", move_to="open", new_initial="open")
    assert response.status_code == 200, response.content
    assert [s["status"] for s in _workflow(api)["states"] if s["initial"]] == ["open"]
    assert make_issue(cast.alice, cast.web).status.name == "Open"


def test_the_only_done_state_cannot_be_removed(cast):
    api = cast.api(cast.alice)
    assert _ok(api.delete("/projects/WEB/workflow/states/resolved"))
    before = world()
    error = problem(api.delete("/projects/WEB/workflow/states/closed", move_to="open"), 422)
    assert error["detail"] == "closed is the only done state; a workflow needs at least one"
    assert world() == before


def test_removing_an_unknown_state_is_404(cast):
    problem(cast.api(cast.alice).delete("/projects/WEB/workflow/states/limbo"), 404)
    problem(
        cast.api(cast.alice).patch("/projects/WEB/workflow/states/limbo", {"color": "#000000"}), 404
    )


# --- transitions -------------------------------------------------------------------------------


def test_a_transition_is_added_with_its_rules(cast):
    api = cast.api(cast.alice)
    response = api.post(
        "/projects/WEB/workflow/transitions",
        {
            "name": "Won't do",
            "from": "Open",
            "to": "closed",
            "allowed_roles": ["reporter", "admin"],
            "required_fields": ["comment", "resolution"],
            "effects": ["unassign"],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body == {
        "id": body["id"],
        "name": "Won't do",
        "from": "open",
        "to": "closed",
        "allowed_roles": ["admin", "reporter"],
        "required_fields": ["resolution", "comment"],
        "effects": ["unassign"],
    }
    assert body in _workflow(api)["transitions"]


@pytest.mark.parametrize(
    "body, status, field",
    [
        ({"name": "Close", "from": "open", "to": "resolved"}, 409, "name"),  # Close leaves any
        ({"name": "resolve", "from": "open", "to": "closed"}, 409, "name"),
        ({"name": "Resolve", "from": None, "to": "closed"}, 409, "name"),
        ({"name": "Skip", "from": "limbo", "to": "closed"}, 422, "from"),
        ({"name": "Skip", "from": "new", "to": "limbo"}, 422, "to"),
        ({"name": "Skip", "from": "new", "to": "new"}, 422, "to"),
        ({"name": "Skip", "to": "closed", "allowed_roles": ["viewer"]}, 422, "allowed_roles"),
        ({"name": "Skip", "to": "closed", "required_fields": ["title"]}, 422, "required_fields"),
        ({"name": "Skip", "to": "open", "required_fields": ["resolution"]}, 422, "required_fields"),
        ({"name": "Skip", "to": "closed", "effects": ["explode"]}, 422, "effects"),
        ({"name": "Skip", "to": "closed", "effects": "unassign"}, 422, "effects"),
        ({"name": "", "to": "closed"}, 422, "name"),
        ({"name": "Skip"}, 422, "to"),
        ({"name": "Skip", "to": "closed", "from_": "new"}, 422, "from_"),
        ({"name": "Skip", "to": "closed", "to_state": "new"}, 422, "to_state"),
    ],
    ids=lambda v: str(v)[:40],
)
def test_a_bad_transition_is_refused_and_changes_nothing(cast, body, status, field):
    before = world()
    error = problem(cast.api(cast.alice).post("/projects/WEB/workflow/transitions", body), status)
    assert field in [e["field"] for e in error["errors"]], error
    assert world() == before


def test_a_transitions_rules_can_be_changed_and_apply_at_once(cast):
    make_issue(cast.alice, cast.web)
    api = cast.api(cast.alice)
    tid = _tid(cast, "Open")
    response = api.patch(
        f"/projects/WEB/workflow/transitions/{tid}",
        {"name": "Triage", "allowed_roles": ["admin"], "required_fields": ["assignee"]},
    )
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Triage"
    assert problem(cast.api(cast.bob).patch("/issues/WEB-1", {"status": "open"}), 403)[
        "detail"
    ] == ("Triage is allowed only for admin; your role is member")
    assert problem(api.patch("/issues/WEB-1", {"status": "open"}), 422)["detail"] == (
        "Triage requires assignee"
    )
    cleared = api.patch(f"/projects/WEB/workflow/transitions/{tid}", {"required_fields": []})
    assert cleared.json()["required_fields"] == []
    assert cleared.json()["allowed_roles"] == ["admin"]  # untouched
    assert api.patch("/issues/WEB-1", {"status": "open"}).status_code == 200


@pytest.mark.parametrize(
    "body, status, field",
    [
        ({"name": "Close"}, 409, "name"),  # Close already leaves every state
        ({"required_fields": ["resolution"]}, 422, "required_fields"),  # Open leads to a to-do
        ({"allowed_roles": ["root"]}, 422, "allowed_roles"),
        ({"effects": ["unassign", "assign_if_unassigned"]}, 422, "effects"),
        ({"to": "closed"}, 422, "to"),
        ({"name": None}, 422, "name"),
    ],
    ids=lambda v: str(v)[:40],
)
def test_a_bad_rule_change_is_refused_and_changes_nothing(cast, body, status, field):
    before = world()
    tid = _tid(cast, "Open")
    error = problem(
        cast.api(cast.alice).patch(f"/projects/WEB/workflow/transitions/{tid}", body), status
    )
    assert field in [e["field"] for e in error["errors"]], error
    assert world() == before


def test_a_removed_transition_can_no_longer_be_taken(cast):
    make_issue(cast.alice, cast.web)
    api = cast.api(cast.alice)
    response = api.delete(f"/projects/WEB/workflow/transitions/{_tid(cast, 'Close')}")
    assert response.status_code == 204, response.content
    error = problem(api.patch("/issues/WEB-1", {"status": "closed"}), 422)
    assert error["errors"][0]["message"] == (
        "cannot move from new to closed; allowed: in progress, open, resolved"
    )


def test_transitions_of_another_project_or_unknown_ones_are_404(cast):
    other = make_project(cast.alice, "API")
    foreign = _tid(cast, "Close", project=other)
    api = cast.api(cast.alice)
    before = world()
    problem(api.patch(f"/projects/WEB/workflow/transitions/{foreign}", {"name": "X"}), 404)
    problem(api.delete(f"/projects/WEB/workflow/transitions/{foreign}"), 404)
    problem(api.delete("/projects/WEB/workflow/transitions/999999"), 404)
    problem(api.delete("/projects/WEB/workflow/transitions/abc"), 404)
    assert world() == before


def test_only_project_admins_may_move_issues_between_states_directly(cast):
    make_issue(cast.alice, cast.web, status="open")
    states = {s.name: s for s in cast.web.workflow.states.all()}
    other = make_project(cast.alice, "API")
    before = world()
    with pytest.raises(Forbidden):
        issue_actions.move_issues(
            actor=cast.bob, project=cast.web, source=states["Open"], target=states["New"]
        )
    with pytest.raises(Invalid):
        issue_actions.move_issues(
            actor=cast.alice,
            project=other,
            source=states["Open"],
            target=other.workflow.states.get(name="New"),
        )
    assert world() == before
