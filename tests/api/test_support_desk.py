"""Support desks: with `reporters_see_own_only`, reporters and outsiders see only their own
tickets; viewers, members and admins see them all."""

from __future__ import annotations

import pytest

from docket.projects import actions as project_actions
from tests.api.issue_helpers import keys
from tests.factories import UserFactory, make_issue, make_project


@pytest.fixture
def desk(cast):
    """DESK (internal support desk): carol and frank are reporters, dave a viewer, bob a
    member. DESK-1 is carol's ticket, DESK-2 frank's, DESK-3 filed by bob for a customer."""
    frank = UserFactory(username="frank")
    project = make_project(
        cast.alice,
        "DESK",
        visibility="internal",
        members={
            cast.bob: "member",
            cast.carol: "reporter",
            frank: "reporter",
            cast.dave: "viewer",
        },
    )
    project_actions.update_project(
        actor=cast.alice, project=project, changes={"reporters_see_own_only": True}
    )
    make_issue(cast.carol, project, title="My printer is on fire")
    make_issue(frank, project, title="VPN refuses my password")
    make_issue(cast.bob, project, title="Printer fleet audit")
    return project


def _visible(api) -> list[str]:
    return sorted(keys(api.get("/issues", project="DESK")))


def test_a_reporter_sees_only_their_own_tickets(cast, desk):
    carol = cast.api(cast.carol)
    assert _visible(carol) == ["DESK-1"]
    assert carol.get("/issues/DESK-2").status_code == 404
    assert keys(carol.get("/issues", q="printer")) == ["DESK-1"]
    found = carol.get("/search", q="printer").json()["items"]
    assert [h["issue"]["key"] for h in found] == ["DESK-1"]


def test_staff_and_viewers_see_every_ticket(cast, desk):
    for user in (cast.root, cast.alice, cast.bob, cast.dave):
        assert _visible(cast.api(user)) == ["DESK-1", "DESK-2", "DESK-3"]


def test_outsiders_see_no_ticket_of_an_internal_desk(cast, desk, anon):
    assert _visible(cast.api(cast.eve)) == []
    assert cast.api(cast.eve).get("/issues/DESK-3").status_code == 404
    assert anon.get("/issues/DESK-1").status_code == 404


def test_assigned_and_shared_tickets_become_visible_to_a_reporter(cast, desk):
    cast.api(cast.bob).post("/issues/DESK-2/access", {"user": "carol"})
    assert _visible(cast.api(cast.carol)) == ["DESK-1", "DESK-2"]


def test_turning_the_setting_off_opens_the_desk_to_its_readers(cast, desk):
    response = cast.api(cast.alice).patch("/projects/DESK", {"reporters_see_own_only": False})
    assert response.status_code == 200
    assert response.json()["reporters_see_own_only"] is False
    assert _visible(cast.api(cast.carol)) == ["DESK-1", "DESK-2", "DESK-3"]
    assert _visible(cast.api(cast.eve)) == ["DESK-1", "DESK-2", "DESK-3"]


def test_a_public_desk_shows_anonymous_visitors_nothing(cast, desk, anon):
    cast.api(cast.alice).patch("/projects/DESK", {"visibility": "public"})
    assert anon.get("/projects/DESK").status_code == 200
    assert keys(anon.get("/issues", project="DESK")) == []
