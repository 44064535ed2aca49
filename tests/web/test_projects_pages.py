"""Project list, creation and member management pages."""

from __future__ import annotations

from django.test import Client

from docket.projects.models import Membership, Project
from tests.factories import make_issue, make_project


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_list_shows_visible_projects_with_open_counts_from_the_gate(cast):
    make_issue(cast.bob, cast.web, title="open one")
    make_issue(cast.bob, cast.web, title="secret one", confidential=True)
    make_project(cast.eve, "EVE")
    for user, expected in ((cast.bob, 2), (cast.dave, 1)):  # dave may not see the confidential
        page = _as(user).get("/projects/")
        assert page.status_code == 200
        assert page.context["projects"][0].key == "WEB"
        assert page.context["projects"][0].open_issues == expected
        assert "EVE" not in page.content.decode()


def test_creating_a_project_makes_you_its_admin(cast):
    response = _as(cast.eve).post(
        "/projects/new", {"key": "ops", "name": "Operations", "workflow": "incident",
                          "visibility": "internal"},
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"] == "/p/OPS/"
    project = Project.objects.get(key="OPS")
    assert project.workflow.template == "incident"
    assert Membership.objects.get(project=project, user=cast.eve).role == "admin"


def test_bad_project_input_is_shown_by_the_field_and_kept(cast):
    response = _as(cast.eve).post("/projects/new", {"key": "w", "name": "Mine"})
    assert response.status_code == 422
    assert "key" in response.context["errors"]
    assert b'value="Mine"' in response.content
    taken = _as(cast.eve).post("/projects/new", {"key": "WEB", "name": "Again"})
    assert taken.status_code == 422 and "already" in taken.context["errors"]["key"]
    assert Project.objects.count() == 1


def test_members_page_for_admins_readers_and_outsiders(cast):
    admin = _as(cast.alice)
    assert b"Add someone" in admin.get("/p/WEB/members").content
    reader = _as(cast.dave).get("/p/WEB/members")
    assert reader.status_code == 200 and b"Add someone" not in reader.content
    assert _as(cast.eve).get("/p/WEB/members").status_code == 404


def test_admins_add_change_and_remove_members(cast):
    admin = _as(cast.alice)
    admin.post("/p/WEB/members", {"user": "eve", "role": "viewer"})
    assert Membership.objects.get(project=cast.web, user=cast.eve).role == "viewer"
    admin.post("/p/WEB/members", {"user": "eve", "role": "member"})
    assert Membership.objects.get(project=cast.web, user=cast.eve).role == "member"
    admin.post("/p/WEB/members", {"user": "eve", "remove": "1"})
    assert not Membership.objects.filter(project=cast.web, user=cast.eve).exists()


def test_a_forged_member_change_by_a_non_admin_changes_nothing(cast):
    response = _as(cast.bob).post("/p/WEB/members", {"user": "eve", "role": "admin"})
    assert response.status_code == 403 and b"does not allow manage project" in response.content
    assert not Membership.objects.filter(project=cast.web, user=cast.eve).exists()
    outsider = _as(cast.eve).post("/p/WEB/members", {"user": "eve", "role": "admin"})
    assert outsider.status_code == 404


def test_the_last_admin_cannot_be_removed(cast):
    response = _as(cast.alice).post("/p/WEB/members", {"user": "alice", "remove": "1"})
    assert response.status_code == 403 and b"no admin left" in response.content
    assert Membership.objects.get(project=cast.web, user=cast.alice).role == "admin"


def test_a_project_with_more_open_issues_than_the_cap_shows_cap_plus(cast, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from docket.issues import capped

    monkeypatch.setattr(capped, "OPEN_COUNT_CAP", 2)
    monkeypatch.setattr("docket.web.views.projects.OPEN_COUNT_CAP", 2)
    for n in range(3):
        make_issue(cast.bob, cast.web, title=f"open {n}")
    other = make_project(cast.bob, "OPS")
    make_issue(cast.bob, other, title="the only one")
    with CaptureQueriesContext(connection) as queries:
        page = _as(cast.bob).get("/projects/")
    html = page.content.decode()
    counted = [q["sql"] for q in queries.captured_queries if "COUNT(*)" in q["sql"]]
    assert len(counted) == 1  # every project's count in one query
    web_row = html[html.index(">WEB<") :].split("</tr>")[0]
    ops_row = html[html.index(">OPS<") :].split("</tr>")[0]
    assert "<td>2+</td>" in web_row
    assert "<td>1</td>" in ops_row


def test_a_bad_role_from_an_admin_is_422_naming_the_roles(cast):
    response = _as(cast.alice).post("/p/WEB/members", {"user": "eve", "role": "owner"})
    assert response.status_code == 422 and b"must be one of" in response.content
    assert not Membership.objects.filter(project=cast.web, user=cast.eve).exists()
