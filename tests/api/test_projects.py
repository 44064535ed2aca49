"""Projects, their members, components and milestones, and who may see or change them."""

from __future__ import annotations

import pytest

from docket.accounts.models import Team, User
from docket.projects.models import Component, Membership, Milestone, Project
from tests.factories import make_project

DEFAULT_STATUSES = ["new", "open", "in progress", "resolved", "closed"]


def _members(project: Project) -> set[tuple[str | None, str | None, str]]:
    rows = Membership.objects.filter(project=project).values_list(
        "user__username", "team__slug", "role"
    )
    return set(rows)


def _snapshot(project: Project) -> dict:
    return (
        Project.objects.filter(pk=project.pk)
        .values("name", "description", "visibility", "lead_id", "updated_at")
        .get()
    )


@pytest.fixture
def others(cast):
    """An internal project (INT) and a public one (PUB), both run by root's colleague bob."""
    return {
        "INT": make_project(cast.bob, "INT", visibility="internal"),
        "PUB": make_project(cast.bob, "PUB", visibility="public"),
    }


# --- listing and reading ------------------------------------------------------------------------


def test_a_project_is_described_in_full(cast):
    response = cast.api(cast.bob).get("/projects/WEB")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "key",
        "name",
        "description",
        "visibility",
        "reporters_see_own_only",
        "lead",
        "your_role",
        "statuses",
        "created_at",
        "updated_at",
    }
    assert body["key"] == "WEB"
    assert body["name"] == "WEB project"
    assert body["visibility"] == "private"
    assert body["lead"] == "alice"
    assert body["your_role"] == "member"
    assert [s["name"] for s in body["statuses"]] == DEFAULT_STATUSES
    assert {s["category"] for s in body["statuses"]} == {"todo", "in_progress", "done"}


def test_project_keys_in_urls_are_case_insensitive(cast):
    assert cast.api(cast.dave).get("/projects/web").json()["key"] == "WEB"


@pytest.mark.parametrize(
    ("who", "role"),
    [("alice", "admin"), ("bob", "member"), ("carol", "reporter"), ("dave", "viewer")],
)
def test_each_member_sees_their_own_role(cast, who, role):
    assert cast.api(getattr(cast, who)).get("/projects/WEB").json()["your_role"] == role


def test_a_site_admin_sees_every_project_as_an_admin(cast, others):
    listed = cast.api(cast.root).get("/projects").json()
    assert [p["key"] for p in listed] == ["INT", "PUB", "WEB"]
    assert {p["your_role"] for p in listed} == {"admin"}


def test_a_signed_in_outsider_lists_public_and_internal_projects_but_not_private_ones(cast, others):
    listed = cast.api(cast.eve).get("/projects").json()
    assert [p["key"] for p in listed] == ["INT", "PUB"]
    assert {p["your_role"] for p in listed} == {None}


def test_a_member_also_lists_their_private_project(cast, others):
    listed = cast.api(cast.dave).get("/projects").json()
    assert [(p["key"], p["your_role"]) for p in listed] == [
        ("INT", None),
        ("PUB", None),
        ("WEB", "viewer"),
    ]


def test_an_anonymous_visitor_lists_only_public_projects(cast, others, anon):
    response = anon.get("/projects")
    assert response.status_code == 200
    assert [p["key"] for p in response.json()] == ["PUB"]


def test_an_anonymous_visitor_reads_a_public_project(cast, others, anon):
    response = anon.get("/projects/PUB")
    assert response.status_code == 200
    assert response.json()["your_role"] is None


@pytest.mark.parametrize("key", ["WEB", "INT", "NOPE"])
def test_an_anonymous_visitor_gets_404_for_anything_not_public(cast, others, anon, key):
    response = anon.get(f"/projects/{key}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_anonymous_reading_can_be_switched_off(cast, others, anon, settings):
    settings.DOCKET_ANONYMOUS_READ = False
    assert anon.get("/projects").json() == []
    assert anon.get("/projects/PUB").status_code == 404
    assert cast.api(cast.eve).get("/projects/PUB").status_code == 200


def test_an_outsider_gets_the_same_404_for_a_private_project_as_for_a_missing_one(cast):
    eve = cast.api(cast.eve)
    private = eve.get("/projects/WEB")
    missing = eve.get("/projects/NOPE")
    assert private.status_code == missing.status_code == 404
    hidden, absent = private.json(), missing.json()
    assert hidden.keys() == absent.keys()
    assert hidden["detail"].replace("WEB", "NOPE") == absent["detail"]


@pytest.mark.parametrize("path", ["", "/members", "/components", "/milestones"])
def test_an_outsider_gets_404_not_403_on_every_part_of_a_private_project(cast, path):
    assert cast.api(cast.eve).get(f"/projects/WEB{path}").status_code == 404


# --- creating -----------------------------------------------------------------------------------


def test_any_signed_in_user_creates_a_project_and_becomes_its_admin(cast):
    response = cast.api(cast.eve).post(
        "/projects", {"key": "APP", "name": "The app", "description": "Our app"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["key"] == "APP"
    assert body["visibility"] == "private"
    assert body["lead"] == "eve"
    assert body["your_role"] == "admin"
    assert [s["name"] for s in body["statuses"]] == DEFAULT_STATUSES
    project = Project.objects.get(key="APP")
    assert _members(project) == {("eve", None, "admin")}
    assert cast.api(cast.eve).get("/projects/APP").json()["description"] == "Our app"
    assert cast.api(cast.bob).get("/projects/APP").status_code == 404


def test_a_project_can_be_created_with_a_lead_and_visibility(cast, anon):
    response = cast.api(cast.eve).post(
        "/projects", {"key": "OSS", "name": "Open", "visibility": "public", "lead": "bob"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["lead"] == "bob"
    assert anon.get("/projects/OSS").json()["visibility"] == "public"
    # Being the lead is not membership: bob has no role.
    assert cast.api(cast.bob).get("/projects/OSS").json()["your_role"] is None


def test_each_project_gets_its_own_copy_of_the_workflow(cast):
    eve = cast.api(cast.eve)
    eve.post("/projects", {"key": "ONE", "name": "One"})
    eve.post("/projects", {"key": "TWO", "name": "Two"})
    one, two = Project.objects.get(key="ONE"), Project.objects.get(key="TWO")
    assert one.workflow_id != two.workflow_id


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"key": "APP", "name": "x", "lead": "nobody"}, 422, "lead"),
        ({"key": "APP", "name": "x", "workflow": "kanban-xl"}, 422, "workflow"),
        ({"key": "APP", "name": ""}, 422, "name"),
        ({"key": "APP"}, 422, "name"),
        ({"name": "x"}, 422, "key"),
    ],
)
def test_a_bad_project_is_rejected_and_nothing_is_created(cast, body, status, field):
    before = (Project.objects.count(), Membership.objects.count())
    response = cast.api(cast.eve).post("/projects", body)
    assert response.status_code == status, response.content
    assert field in [e["field"] for e in response.json()["errors"]]
    assert (Project.objects.count(), Membership.objects.count()) == before


def test_an_inactive_user_cannot_be_made_lead(cast):
    User.objects.filter(pk=cast.bob.pk).update(is_active=False)
    before = Project.objects.count()
    response = cast.api(cast.eve).post("/projects", {"key": "APP", "name": "x", "lead": "bob"})
    assert response.status_code == 422
    assert Project.objects.count() == before


def test_an_anonymous_visitor_cannot_create_a_project(cast, anon):
    before = Project.objects.count()
    response = anon.post("/projects", {"key": "APP", "name": "x"})
    assert response.status_code == 401
    assert Project.objects.count() == before


# --- changing settings --------------------------------------------------------------------------


def test_an_admin_changes_a_projects_settings(cast):
    response = cast.api(cast.alice).patch(
        "/projects/WEB",
        {"name": "Website", "description": "The site", "visibility": "internal", "lead": "bob"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["description"], body["visibility"], body["lead"]) == (
        "Website",
        "The site",
        "internal",
        "bob",
    )
    assert cast.api(cast.eve).get("/projects/WEB").json()["name"] == "Website"


def test_a_patch_changes_only_the_fields_it_names(cast):
    response = cast.api(cast.alice).patch("/projects/WEB", {"description": "Only this"})
    assert response.status_code == 200
    cast.web.refresh_from_db()
    assert (cast.web.name, cast.web.description, cast.web.visibility, cast.web.lead) == (
        "WEB project",
        "Only this",
        "private",
        cast.alice,
    )


def test_the_lead_can_be_cleared(cast):
    assert cast.api(cast.alice).patch("/projects/WEB", {"lead": None}).json()["lead"] is None
    cast.web.refresh_from_db()
    assert cast.web.lead is None


def test_making_a_project_public_lets_anonymous_visitors_in(cast, anon):
    assert anon.get("/projects/WEB").status_code == 404
    cast.api(cast.alice).patch("/projects/WEB", {"visibility": "public"})
    assert anon.get("/projects/WEB").status_code == 200


def test_a_site_admin_can_change_any_project(cast):
    response = cast.api(cast.root).patch("/projects/WEB", {"name": "Root was here"})
    assert response.status_code == 200
    assert response.json()["name"] == "Root was here"


@pytest.mark.parametrize("who", ["bob", "carol", "dave"])
def test_non_admin_members_cannot_change_settings(cast, who):
    before = _snapshot(cast.web)
    response = cast.api(getattr(cast, who)).patch("/projects/WEB", {"name": "Hijacked"})
    assert response.status_code == 403
    assert response.json()["title"] == "Forbidden"
    assert _snapshot(cast.web) == before


def test_an_outsider_gets_404_when_changing_a_private_project(cast):
    before = _snapshot(cast.web)
    assert cast.api(cast.eve).patch("/projects/WEB", {"name": "Hijacked"}).status_code == 404
    assert _snapshot(cast.web) == before


def test_an_outsider_gets_403_when_changing_a_project_they_can_see(cast, others):
    before = _snapshot(others["INT"])
    assert cast.api(cast.eve).patch("/projects/INT", {"name": "Hijacked"}).status_code == 403
    assert _snapshot(others["INT"]) == before


def test_an_anonymous_visitor_must_sign_in_to_change_a_public_project(cast, others, anon):
    before = _snapshot(others["PUB"])
    response = anon.patch("/projects/PUB", {"name": "Hijacked"})
    assert response.status_code == 401
    assert _snapshot(others["PUB"]) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lead": "nobody"}, "lead"),
        ({"key": "NEW"}, "key"),
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"visibility": "secret"}, "visibility"),
        ({"visibility": None}, "visibility"),
    ],
)
def test_a_bad_change_is_rejected_and_nothing_changes(cast, body, field):
    before = _snapshot(cast.web)
    response = cast.api(cast.alice).patch("/projects/WEB", body)
    assert response.status_code == 422, response.content
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert _snapshot(cast.web) == before


# --- members ------------------------------------------------------------------------------------


def test_any_member_lists_the_members(cast):
    response = cast.api(cast.dave).get("/projects/WEB/members")
    assert response.status_code == 200
    assert response.json() == [
        {"user": "alice", "team": None, "role": "admin"},
        {"user": "bob", "team": None, "role": "member"},
        {"user": "carol", "team": None, "role": "reporter"},
        {"user": "dave", "team": None, "role": "viewer"},
    ]


def test_an_admin_adds_a_member_who_can_then_see_the_project(cast):
    eve = cast.api(cast.eve)
    assert eve.get("/projects/WEB").status_code == 404
    response = cast.api(cast.alice).post(
        "/projects/WEB/members", {"user": "eve", "role": "reporter"}
    )
    assert response.status_code == 201, response.content
    assert response.json() == {"user": "eve", "team": None, "role": "reporter"}
    assert eve.get("/projects/WEB").json()["your_role"] == "reporter"


def test_adding_an_existing_member_changes_their_role(cast):
    response = cast.api(cast.alice).post(
        "/projects/WEB/members", {"user": "dave", "role": "member"}
    )
    assert response.status_code == 201
    assert Membership.objects.filter(project=cast.web, user=cast.dave).count() == 1
    assert cast.api(cast.dave).get("/projects/WEB").json()["your_role"] == "member"


@pytest.mark.parametrize("who", ["bob", "carol", "dave"])
def test_non_admin_members_cannot_add_members(cast, who):
    before = _members(cast.web)
    response = cast.api(getattr(cast, who)).post(
        "/projects/WEB/members", {"user": "eve", "role": "admin"}
    )
    assert response.status_code == 403
    assert _members(cast.web) == before


@pytest.mark.parametrize("who", ["bob", "carol", "dave"])
def test_non_admin_members_cannot_promote_themselves(cast, who):
    before = _members(cast.web)
    response = cast.api(getattr(cast, who)).post(
        "/projects/WEB/members", {"user": who, "role": "admin"}
    )
    assert response.status_code == 403
    assert _members(cast.web) == before


def test_an_outsider_cannot_add_themselves_to_a_private_project(cast):
    before = _members(cast.web)
    response = cast.api(cast.eve).post("/projects/WEB/members", {"user": "eve", "role": "admin"})
    assert response.status_code == 404
    assert _members(cast.web) == before


def test_an_outsider_cannot_add_themselves_to_a_public_project(cast, others):
    before = _members(others["PUB"])
    response = cast.api(cast.eve).post("/projects/PUB/members", {"user": "eve", "role": "admin"})
    assert response.status_code == 403
    assert _members(others["PUB"]) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"user": "nobody", "role": "member"}, "user"),
        ({"team": "nobody", "role": "member"}, "team"),
        ({"user": "eve", "team": "ops", "role": "member"}, "user"),
        ({"role": "member"}, "user"),
        ({"user": "eve", "role": "owner"}, "role"),
        ({"user": "eve"}, "role"),
    ],
)
def test_a_bad_membership_is_rejected_and_nothing_changes(cast, body, field):
    Team.objects.create(slug="ops", name="Ops")
    before = _members(cast.web)
    response = cast.api(cast.alice).post("/projects/WEB/members", body)
    assert response.status_code == 422, response.content
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert _members(cast.web) == before


def test_an_inactive_user_cannot_be_added(cast):
    User.objects.filter(pk=cast.eve.pk).update(is_active=False)
    before = _members(cast.web)
    response = cast.api(cast.alice).post("/projects/WEB/members", {"user": "eve", "role": "member"})
    assert response.status_code == 422
    assert _members(cast.web) == before


def test_an_admin_removes_a_member_who_then_loses_access(cast):
    dave = cast.api(cast.dave)
    response = cast.api(cast.alice).delete("/projects/WEB/members", user="dave")
    assert response.status_code == 204
    assert response.content == b""
    assert ("dave", None, "viewer") not in _members(cast.web)
    assert dave.get("/projects/WEB").status_code == 404


def test_removing_someone_who_is_not_a_member_is_404(cast):
    before = _members(cast.web)
    response = cast.api(cast.alice).delete("/projects/WEB/members", user="eve")
    assert response.status_code == 404
    assert _members(cast.web) == before


def test_removing_needs_exactly_one_of_user_or_team(cast):
    before = _members(cast.web)
    alice = cast.api(cast.alice)
    assert alice.delete("/projects/WEB/members").status_code == 422
    assert alice.delete("/projects/WEB/members", user="dave", team="ops").status_code == 422
    assert _members(cast.web) == before


@pytest.mark.parametrize("who", ["bob", "carol", "dave"])
def test_non_admin_members_cannot_remove_members(cast, who):
    before = _members(cast.web)
    response = cast.api(getattr(cast, who)).delete("/projects/WEB/members", user="alice")
    assert response.status_code == 403
    assert _members(cast.web) == before


def test_an_outsider_cannot_remove_members_of_a_private_project(cast):
    before = _members(cast.web)
    assert cast.api(cast.eve).delete("/projects/WEB/members", user="dave").status_code == 404
    assert _members(cast.web) == before


@pytest.mark.parametrize("who", ["alice", "root"])
def test_the_last_admin_cannot_be_removed(cast, who):
    before = _members(cast.web)
    response = cast.api(getattr(cast, who)).delete("/projects/WEB/members", user="alice")
    assert response.status_code == 403
    assert "admin" in response.json()["detail"]
    assert _members(cast.web) == before


@pytest.mark.parametrize("role", ["member", "reporter", "viewer"])
def test_the_last_admin_cannot_be_demoted(cast, role):
    before = _members(cast.web)
    response = cast.api(cast.alice).post("/projects/WEB/members", {"user": "alice", "role": role})
    assert response.status_code == 403
    assert _members(cast.web) == before


def test_an_admin_can_step_down_once_there_is_another_admin(cast):
    alice = cast.api(cast.alice)
    assert alice.post("/projects/WEB/members", {"user": "bob", "role": "admin"}).status_code == 201
    assert (
        alice.post("/projects/WEB/members", {"user": "alice", "role": "member"}).status_code == 201
    )
    assert cast.api(cast.bob).delete("/projects/WEB/members", user="alice").status_code == 204
    assert _members(cast.web) == {
        ("bob", None, "admin"),
        ("carol", None, "reporter"),
        ("dave", None, "viewer"),
    }
    # bob is now the last admin.
    before = _members(cast.web)
    assert cast.api(cast.bob).delete("/projects/WEB/members", user="bob").status_code == 403
    assert _members(cast.web) == before


# --- teams --------------------------------------------------------------------------------------


@pytest.fixture
def frontend(cast) -> Team:
    team = Team.objects.create(slug="frontend", name="Front end")
    team.members.add(cast.eve)
    return team


def test_team_membership_grants_its_role_to_every_team_member(cast, frontend):
    eve = cast.api(cast.eve)
    assert eve.get("/projects/WEB").status_code == 404
    response = cast.api(cast.alice).post(
        "/projects/WEB/members", {"team": "frontend", "role": "member"}
    )
    assert response.status_code == 201, response.content
    assert response.json() == {"user": None, "team": "frontend", "role": "member"}
    assert eve.get("/projects/WEB").json()["your_role"] == "member"
    assert "WEB" in [p["key"] for p in eve.get("/projects").json()]
    assert {"user": None, "team": "frontend", "role": "member"} in eve.get(
        "/projects/WEB/members"
    ).json()
    # A team member is no admin: still may not manage.
    assert eve.patch("/projects/WEB", {"name": "x"}).status_code == 403


def test_the_strongest_of_a_personal_and_a_team_role_wins(cast, frontend):
    frontend.members.add(cast.dave)
    alice = cast.api(cast.alice)
    alice.post("/projects/WEB/members", {"team": "frontend", "role": "admin"})
    dave = cast.api(cast.dave)
    assert dave.get("/projects/WEB").json()["your_role"] == "admin"
    assert dave.patch("/projects/WEB", {"name": "Dave's now"}).status_code == 200


def test_a_teams_admin_role_counts_when_removing_the_last_personal_admin(cast, frontend):
    alice = cast.api(cast.alice)
    alice.post("/projects/WEB/members", {"team": "frontend", "role": "admin"})
    assert alice.delete("/projects/WEB/members", user="alice").status_code == 204
    assert cast.api(cast.eve).get("/projects/WEB").json()["your_role"] == "admin"


def test_removing_a_team_removes_the_access_it_granted(cast, frontend):
    alice = cast.api(cast.alice)
    alice.post("/projects/WEB/members", {"team": "frontend", "role": "viewer"})
    eve = cast.api(cast.eve)
    assert eve.get("/projects/WEB").status_code == 200
    assert alice.delete("/projects/WEB/members", team="frontend").status_code == 204
    assert eve.get("/projects/WEB").status_code == 404


def test_leaving_a_team_removes_the_access_it_granted(cast, frontend):
    cast.api(cast.alice).post("/projects/WEB/members", {"team": "frontend", "role": "viewer"})
    frontend.members.remove(cast.eve)
    assert cast.api(cast.eve).get("/projects/WEB").status_code == 404


# --- components and milestones ------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["components", "milestones"])
def test_an_admin_adds_and_everyone_who_can_see_lists(cast, kind):
    alice = cast.api(cast.alice)
    # Components have a lead (or none); milestones their dates and whether they are closed.
    dated = {"start_date": None, "due_date": None, "closed": False}
    lead = {"lead": None} if kind == "components" else dated
    for name in ("Zeta", "Alpha"):
        response = alice.post(f"/projects/WEB/{kind}", {"name": name})
        assert response.status_code == 201, response.content
        assert response.json() == {"name": name, **lead}
    listed = cast.api(cast.dave).get(f"/projects/WEB/{kind}")
    assert listed.status_code == 200
    assert listed.json() == [{"name": "Alpha", **lead}, {"name": "Zeta", **lead}]


@pytest.mark.parametrize("kind", ["components", "milestones"])
def test_names_are_unique_within_a_project(cast, others, kind):
    model = Component if kind == "components" else Milestone
    alice = cast.api(cast.alice)
    alice.post(f"/projects/WEB/{kind}", {"name": "API"})
    before = model.objects.count()
    response = alice.post(f"/projects/WEB/{kind}", {"name": "API"})
    assert response.status_code == 409
    assert model.objects.count() == before
    # ...but another project may use the same name.
    assert cast.api(cast.bob).post(f"/projects/PUB/{kind}", {"name": "API"}).status_code == 201


@pytest.mark.parametrize("kind", ["components", "milestones"])
@pytest.mark.parametrize("who", ["bob", "carol", "dave"])
def test_non_admin_members_cannot_add_components_or_milestones(cast, kind, who):
    model = Component if kind == "components" else Milestone
    response = cast.api(getattr(cast, who)).post(f"/projects/WEB/{kind}", {"name": "Mine"})
    assert response.status_code == 403
    assert model.objects.count() == 0


@pytest.mark.parametrize("kind", ["components", "milestones"])
def test_an_outsider_cannot_add_components_or_milestones(cast, others, anon, kind):
    model = Component if kind == "components" else Milestone
    assert cast.api(cast.eve).post(f"/projects/WEB/{kind}", {"name": "x"}).status_code == 404
    assert cast.api(cast.eve).post(f"/projects/PUB/{kind}", {"name": "x"}).status_code == 403
    assert anon.post(f"/projects/PUB/{kind}", {"name": "x"}).status_code == 401
    assert model.objects.count() == 0


@pytest.mark.parametrize("kind", ["components", "milestones"])
def test_anonymous_visitors_list_components_and_milestones_of_public_projects(
    cast, others, anon, kind
):
    cast.api(cast.bob).post(f"/projects/PUB/{kind}", {"name": "Docs"})
    dated = {"start_date": None, "due_date": None, "closed": False}
    lead = {"lead": None} if kind == "components" else dated
    assert anon.get(f"/projects/PUB/{kind}").json() == [{"name": "Docs", **lead}]
    assert anon.get(f"/projects/WEB/{kind}").status_code == 404


def test_a_milestone_can_have_a_due_date(cast):
    response = cast.api(cast.alice).post(
        "/projects/WEB/milestones", {"name": "1.0", "due_date": "2026-12-31"}
    )
    assert response.status_code == 201, response.content
    assert str(Milestone.objects.get(name="1.0").due_date) == "2026-12-31"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "1.0", "due_date": "2026-02-30"}, "due_date"),
        ({"name": "1.0", "due_date": "31/12/2026"}, "due_date"),
        ({"name": "1.0", "due_date": 20261231}, "due_date"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({}, "name"),
    ],
)
def test_a_bad_milestone_is_rejected_and_nothing_is_created(cast, body, field):
    response = cast.api(cast.alice).post("/projects/WEB/milestones", body)
    assert response.status_code == 422, response.content
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert Milestone.objects.count() == 0


@pytest.mark.parametrize(
    "body", [{"name": ""}, {"name": 5}, {"title": "x"}, {}, {"name": "x", "due_date": "2026-12-31"}]
)
def test_a_bad_component_is_rejected_and_nothing_is_created(cast, body):
    response = cast.api(cast.alice).post("/projects/WEB/components", body)
    assert response.status_code == 422, response.content
    assert Component.objects.count() == 0
