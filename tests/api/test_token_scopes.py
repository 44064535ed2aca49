"""What each API token scope allows: read (GET only), write (work on issues), admin (site and
project administration). Sessions carry every power their user has."""

from __future__ import annotations

from tests.api.issue_helpers import keys, problem
from tests.conftest import Api
from tests.factories import make_issue, make_project, token_for

READ_WRITE = ["read", "write"]


def test_a_read_token_reads_but_never_writes(cast):
    make_issue(cast.bob, cast.web)
    reader = cast.api(cast.bob, scopes=["read"])
    assert reader.get("/issues/WEB-1").status_code == 200
    problem(reader.patch("/issues/WEB-1", {"title": "x"}), 403)
    problem(reader.post("/issues/WEB-1/comments", {"body": "x"}), 403)
    problem(reader.delete("/tokens/1"), 403)


def test_a_write_token_works_on_issues_but_not_on_project_settings(cast):
    make_issue(cast.bob, cast.web)
    alice = cast.api(cast.alice, scopes=READ_WRITE)
    assert alice.patch("/issues/WEB-1", {"title": "Renamed"}).status_code == 200
    assert "'admin' scope" in problem(alice.patch("/projects/WEB", {"name": "x"}), 403)["detail"]
    problem(alice.post("/projects/WEB/members", {"user": "eve", "role": "admin"}), 403)
    problem(alice.delete("/issues/WEB-1"), 403)
    problem(alice.get("/projects/WEB/audit"), 403)
    admin = cast.api(cast.alice, scopes=["read", "write", "admin"])
    assert admin.patch("/projects/WEB", {"name": "Web site"}).status_code == 200


def test_a_site_admins_write_token_has_no_site_admin_powers(cast):
    make_project(cast.bob, "BOB")
    root = cast.api(cast.root, scopes=READ_WRITE)
    assert root.get("/users").status_code == 404
    assert root.get("/projects/BOB").status_code == 404  # sees as a plain user
    problem(root.post("/users", {"username": "x", "password": "p4ss-w0rd-long"}), 404)
    full = cast.api(cast.root)
    assert full.get("/users").status_code == 200
    assert full.get("/projects/BOB").status_code == 200


def test_only_an_admin_token_or_a_session_mints_tokens(cast):
    problem(cast.api(cast.eve, scopes=READ_WRITE).post("/tokens", {"name": "again"}), 403)
    made = cast.api(cast.eve).post("/tokens", {"name": "again", "scopes": ["read"]})
    assert made.status_code == 201


def test_revocation_takes_effect_on_the_next_request(cast):
    secret = token_for(cast.bob)
    api = Api(secret)
    make_issue(cast.bob, cast.web)
    assert keys(api.get("/issues")) == ["WEB-1"]
    token_id = api.get("/tokens").json()[0]["id"]
    assert api.delete(f"/tokens/{token_id}").status_code == 204
    problem(api.get("/issues"), 401)


def test_a_write_token_cannot_moderate_attachments_either(cast, settings, tmp_path):
    """Deleting someone else's attachment is a project admin's power (moderate): a token
    without `admin` does only what the role allows without it, as for comments."""
    from tests.api.test_attachments import upload

    settings.DOCKET_ATTACHMENTS_DIR = tmp_path / "attachments"
    make_issue(cast.bob, cast.web)
    theirs = upload(cast.api(cast.bob), "notes.txt", b"bob's notes")
    alice = cast.api(cast.alice, scopes=READ_WRITE)
    problem(alice.delete(f"/attachments/{theirs['id']}"), 403)
    mine = upload(alice, "mine.txt", b"alice's")
    assert alice.delete(f"/attachments/{mine['id']}").status_code == 204  # their own: yes
    admin = cast.api(cast.alice, scopes=["read", "write", "admin"])
    assert admin.delete(f"/attachments/{theirs['id']}").status_code == 204


def test_a_refusal_blames_the_token_only_when_the_role_would_allow_it(cast):
    """A reporter may never change someone else's comment: they are told so, not that their
    token lacks `admin`; a project admin's read/write token is told what it lacks."""
    make_issue(cast.bob, cast.web)
    theirs = cast.api(cast.bob).post("/issues/WEB-1/comments", {"body": "bob's"}).json()
    path = f"/issues/WEB-1/comments/{theirs['id']}"
    carol = cast.api(cast.carol, scopes=READ_WRITE)
    detail = problem(carol.patch(path, {"body": "mine now"}), 403)["detail"]
    assert detail == "only its author or a project admin may change this comment"
    alice = cast.api(cast.alice, scopes=READ_WRITE)
    assert "'admin' scope" in problem(alice.patch(path, {"body": "moderated"}), 403)["detail"]
    assert (
        "does not allow manage project"
        in problem(
            cast.api(cast.bob, scopes=READ_WRITE).patch("/projects/WEB", {"name": "x"}), 403
        )["detail"]
    )
