"""Deactivating people, and teams as a way to give many people a project role."""

from __future__ import annotations

from django.test import Client

from docket.issues import actions as issue_actions
from tests.api.issue_helpers import keys, problem
from tests.conftest import Api
from tests.factories import PASSWORD, make_issue, make_project, token_for

# --- deactivation ----------------------------------------------------------------------------


def _assigned_to_bob(cast, count: int = 2):
    for n in range(count):
        make_issue(cast.alice, cast.web, title=f"Open {n}", assignee="bob")
    done = make_issue(cast.alice, cast.web, title="Finished", assignee="bob")
    issue_actions.transition(
        actor=cast.bob, issue=done, to="closed", fields={"resolution": "fixed"}
    )


def test_deactivating_hands_open_issues_over_and_keeps_history(cast):
    _assigned_to_bob(cast)
    make_issue(cast.bob, cast.web, title="Bob reported this")
    response = cast.api(cast.root).post("/users/bob/deactivate", {"reassign_to": "alice"})
    assert response.status_code == 200, response.content
    assert response.json() == {
        "username": "bob",
        "reassigned_to": "alice",
        "reassigned": ["WEB-1", "WEB-2"],
        "unassigned": [],
        "tokens_revoked": 0,
    }
    root = cast.api(cast.root)
    assert root.get("/issues/WEB-1").json()["assignee"] == "alice"
    assert root.get("/issues/WEB-3").json()["assignee"] == "bob"  # done work keeps its owner
    assert root.get("/issues/WEB-4").json()["reporter"] == "bob"
    last = root.get("/issues/WEB-1/history").json()["items"][-1]
    assert (last["actor"], last["field"], last["old"], last["new"]) == (
        "root", "assignee", "bob", "alice",
    )  # fmt: skip
    users = {u["username"]: u["active"] for u in root.get("/users").json()}
    assert users["bob"] is False


def test_a_deactivated_user_cannot_use_tokens_or_sessions(cast):
    api = Api(token_for(cast.bob))
    browser = Client()
    assert browser.login(username="bob", password=PASSWORD)
    assert browser.get("/api/v1/me").status_code == 200
    handover = cast.api(cast.root).post("/users/bob/deactivate", {}).json()
    assert handover["tokens_revoked"] == 1
    problem(api.get("/me"), 401)
    assert browser.get("/api/v1/me").status_code == 401


def test_without_an_heir_open_issues_become_unassigned(cast):
    _assigned_to_bob(cast, count=1)
    other = make_project(cast.alice, "OPS", members={cast.bob: "member"})
    make_issue(cast.alice, other, title="Ops work", assignee="bob")
    body = cast.api(cast.root).post("/users/bob/deactivate", {"reassign_to": "carol"}).json()
    # carol is only a reporter in WEB and not in OPS: nobody may be assigned there
    assert body["reassigned"] == [] and body["unassigned"] == ["WEB-1", "OPS-1"]
    assert keys(cast.api(cast.root).get("/issues", q="assignee:none")) == ["OPS-1", "WEB-1"]


def test_reactivation_restores_sign_in_but_not_tokens(cast):
    api = Api(token_for(cast.bob))
    root = cast.api(cast.root)
    root.post("/users/bob/deactivate", {})
    response = root.post("/users/bob/reactivate")
    assert response.status_code == 200 and response.json()["active"] is True
    problem(api.get("/me"), 401)
    assert Client().login(username="bob", password=PASSWORD)


def test_deactivation_ends_sessions_for_good(cast):
    old, kept = Client(), Client()
    assert old.login(username="bob", password=PASSWORD)
    assert kept.login(username="carol", password=PASSWORD)
    root = cast.api(cast.root)
    root.post("/users/bob/deactivate", {})
    assert old.get("/api/v1/me").status_code == 401
    root.post("/users/bob/reactivate")
    assert old.get("/api/v1/me").status_code == 401  # the old cookie does not come back
    fresh = Client()
    assert fresh.login(username="bob", password=PASSWORD)
    assert fresh.get("/api/v1/me").status_code == 200
    assert kept.get("/api/v1/me").status_code == 200  # nobody else was signed out


def test_deactivation_rules(cast):
    root = cast.api(cast.root)
    problem(cast.api(cast.alice).post("/users/bob/deactivate", {}), 403)
    problem(root.post("/users/root/deactivate", {}), 422)
    problem(root.post("/users/nobody/deactivate", {}), 404)
    problem(root.post("/users/bob/deactivate", {"reassign_to": "bob"}), 422)
    problem(root.post("/users/bob/deactivate", {"reassign_to": "ghost"}), 422)
    assert root.post("/users/bob/deactivate", {}).status_code == 200
    problem(root.post("/users/bob/deactivate", {}), 422)


# --- teams -----------------------------------------------------------------------------------


def test_a_team_gives_its_members_the_teams_role(cast):
    root = cast.api(cast.root)
    made = root.post("/teams", {"slug": "sec", "name": "Security"})
    assert made.status_code == 201, made.content
    assert root.post("/teams/sec/members", {"user": "eve"}).status_code == 201
    eve = cast.api(cast.eve)
    assert eve.get("/projects/WEB").status_code == 404
    added = cast.api(cast.alice).post("/projects/WEB/members", {"team": "sec", "role": "member"})
    assert added.status_code == 201
    assert eve.get("/projects/WEB").json()["your_role"] == "member"
    team = eve.get("/teams/sec").json()
    assert team["members"] == ["eve"] and team["projects"] == {"WEB": "member"}
    assert root.delete("/teams/sec/members/eve").status_code == 204
    assert eve.get("/projects/WEB").status_code == 404  # the next request


def test_only_site_admins_manage_teams_and_others_see_only_theirs(cast):
    root = cast.api(cast.root)
    root.post("/teams", {"slug": "ops", "name": "Ops"})
    root.post("/teams", {"slug": "dev", "name": "Developers"})
    root.post("/teams/dev/members", {"user": "bob"})
    bob = cast.api(cast.bob)
    problem(bob.post("/teams", {"slug": "mine", "name": "Mine"}), 403)
    problem(bob.post("/teams/dev/members", {"user": "eve"}), 403)
    assert [t["slug"] for t in bob.get("/teams").json()] == ["dev"]
    problem(bob.get("/teams/ops"), 404)
    assert [t["slug"] for t in root.get("/teams").json()] == ["dev", "ops"]


def test_bad_team_input_is_refused(cast):
    root = cast.api(cast.root)
    problem(root.post("/teams", {"slug": "Not OK", "name": "x"}), 422)
    root.post("/teams", {"slug": "ops", "name": "Ops"})
    problem(root.post("/teams", {"slug": "ops", "name": "Again"}), 409)
    problem(root.post("/teams/ops/members", {"user": "ghost"}), 422)
    problem(root.delete("/teams/ops/members/bob"), 404)
    assert root.delete("/teams/ops").status_code == 204
    problem(root.get("/teams/ops"), 404)
