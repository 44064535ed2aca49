"""Project settings pages (/p/KEY/settings/...): each form's success, its refusal (422 or 409
with the message by the field, nothing changed) and who may use them."""

from __future__ import annotations

import pytest
from django.test import Client

from docket.audit.models import AuditEntry
from docket.core.errors import Invalid
from docket.issues import actions as issue_actions
from docket.issues.models import EventKind, IssueEvent, Label
from docket.issues.project_values import usage
from docket.projects import actions as project_actions
from docket.projects.models import Component, Membership, Milestone, WorkflowState
from tests.factories import UserFactory, make_issue, make_project

SECTIONS = ("details", "members", "labels", "components", "milestones", "workflow")


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post(client: Client, section: str, form: str, op: str, **data):
    return client.post(f"/p/WEB/settings/{section}", {"form": form, "op": op, **data})


@pytest.mark.parametrize("section", SECTIONS)
def test_admins_see_each_section_others_are_refused_as_elsewhere(cast, section):
    page = _as(cast.alice).get(f"/p/WEB/settings/{section}")
    assert page.status_code == 200
    assert b'aria-current="page"' in page.content and b"Custom fields" in page.content
    assert _as(cast.root).get(f"/p/WEB/settings/{section}").status_code == 200  # site admin
    assert _as(cast.bob).get(f"/p/WEB/settings/{section}").status_code == 403  # a member
    assert _as(cast.eve).get(f"/p/WEB/settings/{section}").status_code == 404  # private: hidden
    assert _as(cast.eve).get(f"/p/NOPE/settings/{section}").status_code == 404
    refused = _post(_as(cast.bob), section, "x", "create", name="sneaky")
    assert refused.status_code == 403
    assert Client().get(f"/p/WEB/settings/{section}").status_code == 302  # sign in first


def test_settings_link_only_for_admins_and_the_root_redirects(cast):
    assert b"/p/WEB/settings/" in _as(cast.alice).get("/p/WEB/").content
    assert b"/p/WEB/settings/" not in _as(cast.bob).get("/p/WEB/").content
    assert b"/p/WEB/settings/" in _as(cast.alice).get("/p/WEB/board").content
    home = _as(cast.alice).get("/p/WEB/settings/")
    assert home.status_code == 302 and home["Location"] == "/p/WEB/settings/details"


def test_csrf_is_required(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.alice)
    response = client.post(
        "/p/WEB/settings/labels",
        {"form": "new-label", "op": "create", "name": "bug", "color": "#dc2626"},
    )
    assert response.status_code == 403 and not Label.objects.exists()


def test_unknown_op_is_a_bad_request(cast):
    assert _post(_as(cast.alice), "labels", "x", "explode").status_code == 400


# --- details ----------------------------------------------------------------------------------


def test_details_are_saved(cast):
    response = _post(
        _as(cast.alice),
        "details",
        "details",
        "save",
        name="Web shop",
        description="Our shop",
        visibility="internal",
        lead="bob",
        reporters_see_own_only="on",
    )
    assert response.status_code == 302 and response["Location"] == "/p/WEB/settings/details"
    cast.web.refresh_from_db()
    assert (cast.web.name, cast.web.visibility, cast.web.lead, cast.web.reporters_see_own_only) == (
        "Web shop",
        "internal",
        cast.bob,
        True,
    )


@pytest.mark.parametrize(
    ("field", "data"),
    [
        ("name", {"name": "  "}),
        ("visibility", {"visibility": "secret"}),
        ("lead", {"lead": "nobody"}),
    ],
)
def test_bad_details_are_refused_by_the_field(cast, field, data):
    sent = {"name": "Kept?", "visibility": "private", "lead": "", **data}
    response = _post(_as(cast.alice), "details", "details", "save", **sent)
    assert response.status_code == 422
    assert f'id="details-{field}-error"'.encode() in response.content
    cast.web.refresh_from_db()
    assert cast.web.name == "WEB project" and cast.web.visibility == "private"


# --- members ----------------------------------------------------------------------------------


def test_members_are_added_changed_and_removed(cast):
    admin = _as(cast.alice)
    assert (
        _post(admin, "members", "add-member", "add", user="eve", role="reporter").status_code == 302
    )
    assert Membership.objects.get(project=cast.web, user=cast.eve).role == "reporter"
    assert _post(admin, "members", "member-x", "role", user="eve", role="member").status_code == 302
    assert Membership.objects.get(project=cast.web, user=cast.eve).role == "member"
    assert _post(admin, "members", "member-x", "remove", user="eve").status_code == 302
    assert not Membership.objects.filter(project=cast.web, user=cast.eve).exists()


def test_bad_member_input_is_refused_and_the_last_admin_stays(cast):
    admin = _as(cast.alice)
    unknown = _post(admin, "members", "add-member", "add", user="ghost", role="member")
    assert unknown.status_code == 422 and b'id="add-member-user-error"' in unknown.content
    assert b'value="ghost"' in unknown.content  # what was typed is kept
    bad_role = _post(admin, "members", "add-member", "add", user="eve", role="boss")
    assert bad_role.status_code == 422 and b'id="add-member-role-error"' in bad_role.content
    last = Membership.objects.get(project=cast.web, user=cast.alice)
    demote = _post(admin, "members", f"member-{last.id}", "role", user="alice", role="member")
    assert demote.status_code == 403 and b"no admin left" in demote.content
    assert Membership.objects.get(pk=last.pk).role == "admin"
    assert not Membership.objects.filter(project=cast.web, user=cast.eve).exists()


def test_people_picker_offers_only_people_the_admin_may_know(cast):
    stranger = UserFactory(username="evan")  # in no project alice can see
    make_project(cast.eve, "EVE")
    admin = _as(cast.alice)
    found = admin.get("/p/WEB/settings/people", {"user": "e"}).content.decode()
    assert "eve" not in found and stranger.username not in found
    project_actions.set_member(
        actor=cast.eve,
        project=cast.web.__class__.objects.get(key="EVE"),
        user="alice",
        role="viewer",
    )
    assert 'value="eve"' in admin.get("/p/WEB/settings/people", {"user": "e"}).content.decode()
    leads = admin.get("/p/WEB/settings/people", {"for": "lead", "lead": ""}).content.decode()
    assert 'value="bob"' in leads and 'value="dave"' not in leads  # a viewer cannot lead
    assert _as(cast.bob).get("/p/WEB/settings/people", {"user": "a"}).status_code == 403


# --- labels -----------------------------------------------------------------------------------


def test_labels_are_created_renamed_recoloured_and_deleted_from_their_issues(cast):
    admin = _as(cast.alice)
    created = _post(admin, "labels", "new-label", "create", name="bug", color="#dc2626")
    assert created.status_code == 302
    label = Label.objects.get(project=cast.web, name="bug")
    assert label.color == "#dc2626"
    issue = make_issue(cast.alice, cast.web, labels=["bug"])
    page = admin.get("/p/WEB/settings/labels").content.decode()
    assert "on 1 issue" in page
    renamed = _post(
        admin, "labels", f"label-{label.id}", "change", label="bug", name="defect", color="#2563eb"
    )
    assert renamed.status_code == 302
    label.refresh_from_db()
    assert (label.name, label.color) == ("defect", "#2563eb")
    assert _post(admin, "labels", "x", "delete", label="defect").status_code == 302
    assert not Label.objects.filter(project=cast.web).exists()
    issue.refresh_from_db()
    assert issue.version == 2  # taken off with a new version and a recorded change
    event = IssueEvent.objects.filter(issue=issue, kind=EventKind.CHANGED, field="labels").get()
    assert (event.old, event.new) == (["defect"], [])
    assert AuditEntry.objects.filter(action="label.deleted", target="defect").exists()


@pytest.mark.parametrize(
    ("data", "field", "status"),
    [
        ({"name": "", "color": "#dc2626"}, "name", 422),
        ({"name": "x" * 51, "color": "#dc2626"}, "name", 422),
        ({"name": "ok", "color": "red"}, "color", 422),
        ({"name": "taken", "color": "#dc2626"}, "name", 409),
    ],
)
def test_bad_labels_are_refused_by_the_field(cast, data, field, status):
    Label.objects.create(project=cast.web, name="taken")
    response = _post(_as(cast.alice), "labels", "new-label", "create", **data)
    assert response.status_code == status
    assert f'id="new-label-{field}-error"'.encode() in response.content
    assert list(Label.objects.values_list("name", flat=True)) == ["taken"]


def test_renaming_onto_another_label_changes_nothing(cast):
    first = Label.objects.create(project=cast.web, name="first")
    Label.objects.create(project=cast.web, name="second")
    response = _post(
        _as(cast.alice),
        "labels",
        f"label-{first.id}",
        "change",
        label="first",
        name="second",
        color="#dc2626",
    )
    assert response.status_code == 409 and f'id="label-{first.id}-name-error"'.encode() in (
        response.content
    )
    first.refresh_from_db()
    assert (first.name, first.color) == ("first", "#64748b")


# --- components -------------------------------------------------------------------------------


def test_components_get_leads_and_are_deleted_from_their_issues(cast):
    admin = _as(cast.alice)
    assert (
        _post(admin, "components", "new-component", "create", name="API", lead="bob").status_code
        == 302
    )
    component = Component.objects.get(project=cast.web, name="API")
    assert component.lead == cast.bob
    issue = make_issue(cast.alice, cast.web, components=["API"])
    assert _post(admin, "components", "c", "lead", component="API", lead="alice").status_code == 302
    component.refresh_from_db()
    assert component.lead == cast.alice
    assert _post(admin, "components", "c", "delete", component="API").status_code == 302
    assert not Component.objects.filter(project=cast.web).exists()
    assert IssueEvent.objects.filter(issue=issue, field="components", new=[]).exists()


def test_bad_components_are_refused_by_the_field(cast):
    admin = _as(cast.alice)
    viewer_lead = _post(admin, "components", "new-component", "create", name="UI", lead="dave")
    assert viewer_lead.status_code == 422
    assert b'id="new-component-lead-error"' in viewer_lead.content
    empty = _post(admin, "components", "new-component", "create", name=" ")
    assert empty.status_code == 422 and b'id="new-component-name-error"' in empty.content
    assert not Component.objects.exists()


# --- milestones -------------------------------------------------------------------------------


def test_milestones_are_created_edited_closed_reopened_and_deleted(cast):
    admin = _as(cast.alice)
    created = _post(
        admin,
        "milestones",
        "new-milestone",
        "create",
        name="1.0",
        start_date="2026-01-01",
        due_date="2026-03-01",
    )
    assert created.status_code == 302
    milestone = Milestone.objects.get(project=cast.web)
    issue = make_issue(cast.alice, cast.web, milestone="1.0")
    edited = _post(
        admin,
        "milestones",
        f"milestone-{milestone.id}",
        "change",
        milestone="1.0",
        name="1.0 final",
        start_date="",
        due_date="2026-04-01",
    )
    assert edited.status_code == 302
    milestone.refresh_from_db()
    assert (milestone.name, milestone.start_date, str(milestone.due_date)) == (
        "1.0 final",
        None,
        "2026-04-01",
    )
    assert _post(admin, "milestones", "m", "close", milestone="1.0 final").status_code == 302
    assert Milestone.objects.get().closed
    form = admin.get("/p/WEB/new").content.decode()
    assert 'value="1.0 final"' not in form  # a closed milestone is not offered on new issues
    assert _post(admin, "milestones", "m", "reopen", milestone="1.0 final").status_code == 302
    assert 'value="1.0 final"' in admin.get("/p/WEB/new").content.decode()
    assert _post(admin, "milestones", "m", "delete", milestone="1.0 final").status_code == 302
    issue.refresh_from_db()
    assert issue.milestone is None and not Milestone.objects.exists()


def test_bad_milestone_dates_are_refused_by_the_field(cast):
    admin = _as(cast.alice)
    backwards = _post(
        admin,
        "milestones",
        "new-milestone",
        "create",
        name="2.0",
        start_date="2026-05-01",
        due_date="2026-04-01",
    )
    assert backwards.status_code == 422
    assert b'id="new-milestone-start_date-error"' in backwards.content
    bad = _post(admin, "milestones", "new-milestone", "create", name="2.0", due_date="2026-13-01")
    assert bad.status_code == 422 and b'id="new-milestone-due_date-error"' in bad.content
    assert not Milestone.objects.exists()


def test_new_issue_form_offers_what_settings_created(cast):
    admin = _as(cast.alice)
    _post(admin, "labels", "new-label", "create", name="frontend", color="#2563eb")
    _post(admin, "components", "new-component", "create", name="Checkout")
    form = admin.get("/p/WEB/new").content.decode()
    assert 'value="frontend"' in form and 'value="Checkout"' in form


# --- workflow ---------------------------------------------------------------------------------


def _state(name: str) -> WorkflowState:
    return WorkflowState.objects.get(workflow__projects__key="WEB", name=name)


def test_states_are_added_changed_reordered_and_removed(cast):
    admin = _as(cast.alice)
    added = _post(
        admin,
        "workflow",
        "new-state",
        "add_state",
        name="In Review",
        category="in_progress",
        color="#9333ea",
        waiting="on",
    )
    assert added.status_code == 302
    review = _state("In Review")
    assert review.waiting and review.color == "#9333ea"
    changed = _post(
        admin,
        "workflow",
        f"state-{review.id}",
        "change_state",
        state="In Review",
        name="Review",
        category="in_progress",
        color="#9333ea",
        wip_limit="3",
    )
    assert changed.status_code == 302
    review.refresh_from_db()
    assert (review.name, review.wip_limit, review.waiting) == ("Review", 3, False)
    before = review.order
    assert (
        _post(admin, "workflow", "s", "move_state", state="Review", direction="up").status_code
        == 302
    )
    review.refresh_from_db()
    assert review.order == before - 1
    issue = make_issue(cast.alice, cast.web)  # in New, the initial state
    new = _state("New")
    refused = _post(
        admin,
        "workflow",
        f"state-{new.id}-remove",
        "remove_state",
        state="New",
        move_to="",
        new_initial="Open",
    )
    assert refused.status_code == 409 and f'id="state-{new.id}-remove-move_to-error"'.encode() in (
        refused.content
    )
    removed = _post(
        admin, "workflow", "s", "remove_state", state="New", move_to="Open", new_initial="Open"
    )
    assert removed.status_code == 302
    issue.refresh_from_db()
    assert issue.status.name == "Open" and _state("Open").is_initial


def test_bad_states_and_wip_limits_are_refused(cast):
    admin = _as(cast.alice)
    open_state = _state("Open")
    for wip in ("0", "-1", "lots", "20000"):
        response = _post(
            admin,
            "workflow",
            f"state-{open_state.id}",
            "change_state",
            state="Open",
            name="Open",
            category="todo",
            color=open_state.color,
            wip_limit=wip,
        )
        assert response.status_code == 422, wip
        assert f'id="state-{open_state.id}-wip_limit-error"'.encode() in response.content
    open_state.refresh_from_db()
    assert open_state.wip_limit is None
    clash = _post(admin, "workflow", "new-state", "add_state", name="open", category="todo")
    assert clash.status_code == 409 and b'id="new-state-name-error"' in clash.content
    bad_name = _post(admin, "workflow", "new-state", "add_state", name="a,b", category="todo")
    assert bad_name.status_code == 422 and b'id="new-state-name-error"' in bad_name.content
    assert WorkflowState.objects.filter(workflow__projects__key="WEB").count() == 5


def test_transitions_with_rules_are_added_changed_and_removed(cast):
    admin = _as(cast.alice)
    added = admin.post(
        "/p/WEB/settings/workflow",
        {
            "form": "new-transition",
            "op": "add_transition",
            "name": "Ship",
            "from": "Open",
            "to": "Closed",
            "allowed_roles": ["admin"],
            "required_fields": ["resolution", "comment"],
            "effects": ["unassign"],
        },
    )
    assert added.status_code == 302
    ship = cast.web.workflow.transitions.get(name="Ship")
    assert (ship.allowed_roles, ship.required_fields, ship.effects) == (
        ["admin"],
        ["resolution", "comment"],
        ["unassign"],
    )
    changed = admin.post(
        "/p/WEB/settings/workflow",
        {
            "form": f"transition-{ship.id}",
            "op": "change_transition",
            "transition": ship.id,
            "name": "Ship it",
            "required_fields": ["assignee"],
        },
    )
    assert changed.status_code == 302
    ship.refresh_from_db()
    assert (ship.name, ship.allowed_roles, ship.required_fields, ship.effects) == (
        "Ship it",
        [],
        ["assignee"],
        [],
    )
    assert _post(admin, "workflow", "t", "remove_transition", transition=ship.id).status_code == 302
    assert not cast.web.workflow.transitions.filter(pk=ship.pk).exists()


def test_bad_transitions_are_refused_by_the_field(cast):
    admin = _as(cast.alice)
    count = cast.web.workflow.transitions.count()
    resolution = admin.post(
        "/p/WEB/settings/workflow",
        {
            "form": "new-transition",
            "op": "add_transition",
            "name": "Back",
            "from": "Open",
            "to": "New",
            "required_fields": ["resolution"],
        },
    )
    assert resolution.status_code == 422
    assert b'id="new-transition-required_fields-error"' in resolution.content
    contradiction = admin.post(
        "/p/WEB/settings/workflow",
        {
            "form": "new-transition",
            "op": "add_transition",
            "name": "Back",
            "to": "New",
            "effects": ["assign_if_unassigned", "unassign"],
        },
    )
    assert contradiction.status_code == 422
    assert b'id="new-transition-effects-error"' in contradiction.content
    assert cast.web.workflow.transitions.count() == count


def test_deleting_a_label_reaches_deleted_issues_and_never_another_project(cast):
    gone = make_issue(cast.alice, cast.web, labels=["old"])
    issue_actions.delete_issue(actor=cast.alice, issue=gone)
    other = make_project(cast.alice, "OPS")
    theirs = make_issue(cast.alice, other, labels=["old"])
    label = Label.objects.get(project=cast.web, name="old")
    assert usage(cast.web, "labels") == {label.pk: 1}
    with pytest.raises(Invalid):
        issue_actions.detach_from_issues(
            actor=cast.alice, project=other, field="labels", item=label
        )
    assert _post(_as(cast.alice), "labels", "x", "delete", label="old").status_code == 302
    assert list(gone.labels.all()) == [] and [lb.name for lb in theirs.labels.all()] == ["old"]
