"""Confidential issues and explicitly added people (`/issues/{key}/access`)."""

from __future__ import annotations

import pytest

from docket.audit.models import AuditEntry
from tests.api.issue_helpers import keys, problem
from tests.factories import make_issue


@pytest.fixture
def secret(cast):
    """WEB-1: a confidential finding reported by bob (member)."""
    return make_issue(cast.bob, cast.web, title="Auth bypass in SSO", confidential=True)


def _sees(api, key: str) -> bool:
    status = api.get(f"/issues/{key}").status_code
    assert status in (200, 404)
    return status == 200


def test_confidential_issue_is_hidden_from_viewers_reporters_and_outsiders(cast, secret):
    for user in (cast.carol, cast.dave, cast.eve):
        api = cast.api(user)
        assert not _sees(api, "WEB-1")
        assert "WEB-1" not in keys(api.get("/issues"))
        assert "WEB-1" not in keys(api.get("/issues", q="bypass"))
    for user in (cast.root, cast.alice, cast.bob):
        assert _sees(cast.api(user), "WEB-1")


def test_an_explicitly_added_person_sees_the_issue_until_removed(cast, secret):
    eve, bob = cast.api(cast.eve), cast.api(cast.bob)
    response = bob.post("/issues/WEB-1/access", {"user": "eve"})
    assert response.status_code == 201, response.content
    assert response.json()["user"] == "eve" and response.json()["granted_by"] == "bob"

    assert _sees(eve, "WEB-1")
    assert keys(eve.get("/issues", q="bypass")) == ["WEB-1"]
    assert eve.get("/issues/WEB-1/comments").status_code == 200
    assert [g["user"] for g in eve.get("/issues/WEB-1/access").json()] == ["eve"]
    # Seeing one issue does not open the private project or its other issues.
    make_issue(cast.bob, cast.web, title="Other private work")
    assert eve.get("/projects/WEB").status_code == 404
    assert keys(eve.get("/issues")) == ["WEB-1"]
    # Read, not write: commenting still needs a role in the project.
    problem(eve.post("/issues/WEB-1/comments", {"body": "thanks"}), 403)

    assert bob.delete("/issues/WEB-1/access/eve").status_code == 204
    assert not _sees(eve, "WEB-1")  # the very next request


def test_granting_and_revoking_are_in_the_history_and_the_audit_log(cast, secret):
    bob = cast.api(cast.bob)
    bob.post("/issues/WEB-1/access", {"user": "dave"})
    bob.delete("/issues/WEB-1/access/dave")
    events = bob.get("/issues/WEB-1/history").json()["items"]
    changes = [(e["kind"], e["actor"], e["old"], e["new"]) for e in events[-2:]]
    assert changes == [
        ("access_granted", "bob", None, "dave"),
        ("access_revoked", "bob", "dave", None),
    ]
    logged = AuditEntry.objects.filter(project=cast.web).values_list("action", "target", "data")
    assert ("access_granted", "WEB-1", {"user": "dave"}) in list(logged)
    assert ("access_revoked", "WEB-1", {"user": "dave"}) in list(logged)


def test_only_members_and_admins_manage_access(cast):
    make_issue(cast.carol, cast.web, title="Carol's own", confidential=True)
    problem(cast.api(cast.carol).post("/issues/WEB-1/access", {"user": "eve"}), 403)
    problem(cast.api(cast.dave).post("/issues/WEB-1/access", {"user": "eve"}), 404)
    problem(cast.api(cast.eve).post("/issues/WEB-1/access", {"user": "eve"}), 404)
    assert cast.api(cast.alice).post("/issues/WEB-1/access", {"user": "eve"}).status_code == 201


@pytest.mark.parametrize(
    "body, status, field",
    [
        ({"user": "nobody"}, 422, "user"),
        ({"user": "eve", "role": "admin"}, 422, "role"),
        ({"user": ["eve"]}, 422, "user"),
        ({}, 422, "user"),
    ],
)
def test_bad_grants_are_refused_and_change_nothing(cast, secret, body, status, field):
    body_out = problem(cast.api(cast.bob).post("/issues/WEB-1/access", body), status)
    assert field in body_out["detail"]
    assert cast.api(cast.bob).get("/issues/WEB-1/access").json() == []
    assert cast.api(cast.bob).get("/issues/WEB-1").json()["version"] == 1


def test_granting_twice_conflicts_and_revoking_a_stranger_is_404(cast, secret):
    bob = cast.api(cast.bob)
    assert bob.post("/issues/WEB-1/access", {"user": "eve"}).status_code == 201
    problem(bob.post("/issues/WEB-1/access", {"user": "eve"}), 409)
    problem(bob.delete("/issues/WEB-1/access/carol"), 404)


def test_a_deactivated_grantee_cannot_be_added(cast, secret):
    cast.eve.is_active = False
    cast.eve.save()
    problem(cast.api(cast.bob).post("/issues/WEB-1/access", {"user": "eve"}), 422)
