"""The accounts endpoints: /me, /users and personal API tokens, and how tokens authenticate."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from docket.accounts.models import ApiToken, User
from tests.conftest import Api
from tests.factories import token_for

PROBLEM_KEYS = {"type", "title", "status", "detail"}


def _token_row(secret: str) -> ApiToken:
    return ApiToken.objects.get(digest=hashlib.sha256(secret.encode()).hexdigest())


def _assert_unauthenticated(response) -> dict:
    assert response.status_code == 401, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == 'Bearer realm="docket"'
    body = response.json()
    assert set(body) == PROBLEM_KEYS
    assert body["status"] == 401
    assert body["type"] == "about:blank"
    assert body["title"] == "Authentication required"
    return body


# --- /me ---------------------------------------------------------------------------------------


def test_me_describes_the_token_owner(cast):
    response = cast.api(cast.bob).get("/me")
    assert response.status_code == 200
    assert response.json() == {
        "username": "bob",
        "name": "bob",
        "email": "bob@example.com",
        "site_admin": False,
        "active": True,
    }


def test_me_shows_a_site_admin_as_such(cast):
    assert cast.api(cast.root).get("/me").json()["site_admin"] is True


def test_me_uses_the_full_name_when_there_is_one(cast):
    User.objects.filter(pk=cast.carol.pk).update(first_name="Carol", last_name="Jones")
    assert cast.api(cast.carol).get("/me").json()["name"] == "Carol Jones"


def test_me_requires_authentication(anon):
    _assert_unauthenticated(anon.get("/me"))


# --- /users ------------------------------------------------------------------------------------


def test_a_site_admin_lists_every_user_by_username(cast):
    response = cast.api(cast.root).get("/users")
    assert response.status_code == 200
    users = response.json()
    names = [u["username"] for u in users]
    # The site's bots (docket-automation, docket-sla) are accounts too, inactive.
    assert [n for n in names if not n.startswith("docket-")] == [
        "alice", "bob", "carol", "dave", "eve", "root",
    ]  # fmt: skip
    assert "docket-automation" in names
    assert users[0]["email"] == "alice@example.com"


@pytest.mark.parametrize("who", ["alice", "eve"])
def test_the_user_list_is_hidden_from_non_site_admins(cast, who):
    response = cast.api(getattr(cast, who)).get("/users")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_the_user_list_requires_authentication(anon):
    _assert_unauthenticated(anon.get("/users"))


def test_a_site_admin_creates_a_user_who_can_then_sign_in(cast, client):
    response = cast.api(cast.root).post(
        "/users",
        {
            "username": "frank",
            "email": "frank@example.com",
            "password": "a-long-and-unusual-passphrase",
            "name": "Frank Ocean",
        },
    )
    assert response.status_code == 201, response.content
    assert response.json() == {
        "username": "frank",
        "name": "Frank Ocean",
        "email": "frank@example.com",
        "site_admin": False,
        "active": True,
    }
    frank = User.objects.get(username="frank")
    assert frank.password != "a-long-and-unusual-passphrase"
    assert client.login(username="frank", password="a-long-and-unusual-passphrase")


def test_a_site_admin_can_create_another_site_admin(cast):
    response = cast.api(cast.root).post(
        "/users",
        {"username": "ops", "password": "a-long-and-unusual-passphrase", "site_admin": True},
    )
    assert response.status_code == 201, response.content
    assert response.json()["site_admin"] is True
    assert User.objects.get(username="ops").is_superuser


@pytest.mark.parametrize("who", ["alice", "eve"])
def test_only_site_admins_can_create_users(cast, who):
    before = User.objects.count()
    response = cast.api(getattr(cast, who)).post(
        "/users", {"username": "mallory", "password": "a-long-and-unusual-passphrase"}
    )
    assert response.status_code == 404
    assert User.objects.count() == before


def test_creating_a_user_requires_authentication(cast, anon):
    before = User.objects.count()
    _assert_unauthenticated(
        anon.post("/users", {"username": "mallory", "password": "a-long-and-unusual-passphrase"})
    )
    assert User.objects.count() == before


@pytest.mark.parametrize("username", ["BOB", "bob"])
def test_usernames_are_unique_ignoring_case(cast, username):
    before = User.objects.count()
    response = cast.api(cast.root).post(
        "/users", {"username": username, "password": "a-long-and-unusual-passphrase"}
    )
    assert response.status_code == 409
    assert response.json()["errors"] == [{"field": "username", "message": "already taken"}]
    assert User.objects.count() == before


@pytest.mark.parametrize("username", ["has space", "-leading", "bad/slash", "x" * 151, "frank\n"])
def test_a_malformed_username_is_rejected(cast, username):
    before = User.objects.count()
    response = cast.api(cast.root).post(
        "/users", {"username": username, "password": "a-long-and-unusual-passphrase"}
    )
    assert response.status_code == 422, response.content
    assert [e["field"] for e in response.json()["errors"]] == ["username"]
    assert User.objects.count() == before


@pytest.mark.parametrize("password", ["short", "password123", "qwertyuiop"])
def test_a_weak_password_is_rejected(cast, password):
    before = User.objects.count()
    response = cast.api(cast.root).post("/users", {"username": "frank", "password": password})
    assert response.status_code == 422, response.content
    assert [e["field"] for e in response.json()["errors"]] == ["password"]
    assert User.objects.count() == before


def test_a_user_needs_a_password(cast):
    before = User.objects.count()
    response = cast.api(cast.root).post("/users", {"username": "frank"})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "password", "location": "body", "message": "is required"}
    ]
    assert User.objects.count() == before


def test_a_malformed_email_is_rejected(cast):
    before = User.objects.count()
    response = cast.api(cast.root).post(
        "/users",
        {"username": "frank", "email": "not-an-email", "password": "a-long-and-unusual-passphrase"},
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["email"]
    assert User.objects.count() == before


# --- creating tokens ---------------------------------------------------------------------------


def test_a_new_token_is_shown_once_and_works(cast):
    eve = cast.api(cast.eve)
    response = eve.post("/tokens", {"name": "laptop"})
    assert response.status_code == 201, response.content
    created = response.json()
    secret = created["token"]
    assert secret.startswith("dkt_")
    assert created["name"] == "laptop"
    assert created["prefix"] == secret[:10]
    assert created["scopes"] == ["read", "write"]
    assert created["last_used_at"] is None

    assert Api(secret).get("/me").json()["username"] == "eve"

    listed = eve.get("/tokens").json()
    assert "token" not in listed[-1]
    assert secret not in str(listed)
    assert listed[-1]["id"] == created["id"]


def test_a_token_is_stored_only_as_a_hash(cast):
    secret = cast.api(cast.eve).post("/tokens", {"name": "laptop"}).json()["token"]
    row = ApiToken.objects.get(user=cast.eve, name="laptop")
    assert row.digest == hashlib.sha256(secret.encode()).hexdigest()
    stored = [str(v) for v in ApiToken.objects.filter(pk=row.pk).values().get().values()]
    assert secret not in stored
    assert not any(secret[10:] in value for value in stored)


def test_a_new_token_expires_in_90_days_by_default(cast):
    before = timezone.now()
    created = cast.api(cast.eve).post("/tokens", {"name": "laptop"}).json()
    row = ApiToken.objects.get(pk=created["id"])
    assert before + timedelta(days=90) <= row.expires_at <= timezone.now() + timedelta(days=90)
    assert created["expires_at"] is not None


def test_a_token_can_be_given_a_lifetime_or_none(cast):
    api = cast.api(cast.eve)
    short = api.post("/tokens", {"name": "ci", "expires_in_days": 1}).json()
    forever = api.post("/tokens", {"name": "bot", "expires_in_days": None}).json()
    row = ApiToken.objects.get(pk=short["id"])
    assert row.expires_at - row.created_at == pytest.approx(
        timedelta(days=1), abs=timedelta(seconds=5)
    )
    assert forever["expires_at"] is None
    assert ApiToken.objects.get(pk=forever["id"]).expires_at is None


def test_a_token_can_be_limited_to_reading(cast):
    created = cast.api(cast.eve).post("/tokens", {"name": "ro", "scopes": ["read"]}).json()
    assert created["scopes"] == ["read"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "scopes": ["read", "delete"]}, "scopes"),
        ({"name": "x", "expires_in_days": 0}, "expires_in_days"),
        ({"name": "x", "expires_in_days": 3651}, "expires_in_days"),
        ({"name": "x", "expires_in_days": "30"}, "expires_in_days"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({}, "name"),
    ],
)
def test_a_bad_token_request_is_rejected_and_creates_nothing(cast, body, field):
    api = cast.api(cast.eve)
    before = ApiToken.objects.count()
    response = api.post("/tokens", body)
    assert response.status_code == 422, response.content
    assert field in [e["field"] for e in response.json()["errors"]]
    assert ApiToken.objects.count() == before


def test_asking_for_no_scopes_does_not_grant_write(cast):
    api = cast.api(cast.eve)
    before = ApiToken.objects.count()
    response = api.post("/tokens", {"name": "nothing", "scopes": []})
    assert response.status_code == 422, response.content
    assert [e["field"] for e in response.json()["errors"]] == ["scopes"]
    assert ApiToken.objects.count() == before


def test_creating_a_token_requires_authentication(cast, anon):
    before = ApiToken.objects.count()
    _assert_unauthenticated(anon.post("/tokens", {"name": "x"}))
    assert ApiToken.objects.count() == before


# --- listing and revoking tokens ----------------------------------------------------------------


def test_the_token_list_shows_only_your_own_live_tokens(cast):
    eve = cast.api(cast.eve)  # mints eve's first token, "test"
    laptop = eve.post("/tokens", {"name": "laptop"}).json()
    gone = eve.post("/tokens", {"name": "gone"}).json()
    cast.api(cast.bob).post("/tokens", {"name": "bobs"})
    assert eve.delete(f"/tokens/{gone['id']}").status_code == 204

    listed = eve.get("/tokens").json()
    assert [t["name"] for t in listed] == ["test", "laptop"]
    assert listed[1]["id"] == laptop["id"]
    assert set(listed[1]) == {
        "id",
        "name",
        "prefix",
        "scopes",
        "created_at",
        "expires_at",
        "last_used_at",
    }


def test_the_token_list_requires_authentication(anon):
    _assert_unauthenticated(anon.get("/tokens"))


def test_revoking_a_token_takes_effect_immediately(cast):
    secret = token_for(cast.eve)
    victim = Api(secret)
    assert victim.get("/me").status_code == 200
    token_id = _token_row(secret).id

    response = cast.api(cast.eve).delete(f"/tokens/{token_id}")
    assert response.status_code == 204
    assert response.content == b""
    _assert_unauthenticated(victim.get("/me"))
    assert _token_row(secret).revoked_at is not None


def test_a_token_can_revoke_itself(cast):
    secret = token_for(cast.eve)
    api = Api(secret)
    assert api.delete(f"/tokens/{_token_row(secret).id}").status_code == 204
    _assert_unauthenticated(api.get("/me"))


def test_you_cannot_revoke_someone_elses_token(cast):
    secret = token_for(cast.bob)
    token_id = _token_row(secret).id
    response = cast.api(cast.eve).delete(f"/tokens/{token_id}")
    assert response.status_code == 404
    assert _token_row(secret).revoked_at is None
    assert Api(secret).get("/me").status_code == 200


def test_even_a_site_admin_cannot_revoke_someone_elses_token(cast):
    secret = token_for(cast.bob)
    assert cast.api(cast.root).delete(f"/tokens/{_token_row(secret).id}").status_code == 404
    assert _token_row(secret).revoked_at is None


def test_revoking_twice_or_an_unknown_token_is_404(cast):
    api = cast.api(cast.eve)
    token_id = api.post("/tokens", {"name": "x"}).json()["id"]
    assert api.delete(f"/tokens/{token_id}").status_code == 204
    revoked_at = ApiToken.objects.get(pk=token_id).revoked_at
    assert api.delete(f"/tokens/{token_id}").status_code == 404
    assert ApiToken.objects.get(pk=token_id).revoked_at == revoked_at
    assert api.delete("/tokens/999999").status_code == 404


def test_a_non_numeric_token_id_is_a_bad_parameter(cast):
    api = cast.api(cast.eve)
    before = ApiToken.objects.filter(revoked_at__isnull=True).count()
    response = api.delete("/tokens/abc")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "token_id"
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == before


# --- using tokens -------------------------------------------------------------------------------


def test_using_a_token_records_when_it_was_last_used(cast):
    secret = token_for(cast.eve)
    assert _token_row(secret).last_used_at is None
    before = timezone.now()
    Api(secret).get("/me")
    used = _token_row(secret).last_used_at
    assert used is not None and before <= used <= timezone.now()


def test_last_used_is_refreshed_at_most_once_a_minute(cast):
    secret = token_for(cast.eve)
    api = Api(secret)
    api.get("/me")
    first = _token_row(secret).last_used_at
    api.get("/me")
    assert _token_row(secret).last_used_at == first

    long_ago = timezone.now() - timedelta(minutes=5)
    ApiToken.objects.filter(pk=_token_row(secret).pk).update(last_used_at=long_ago)
    api.get("/me")
    assert _token_row(secret).last_used_at > long_ago + timedelta(minutes=4)


def test_a_read_only_token_can_read_but_not_write(cast):
    reader = cast.api(cast.alice, scopes=["read"])
    assert reader.get("/projects/WEB").status_code == 200
    before = (ApiToken.objects.count(), cast.web.memberships.count())

    for response in (
        reader.post("/tokens", {"name": "escalate"}),
        reader.patch("/projects/WEB", {"name": "Renamed"}),
        reader.post("/projects/WEB/members", {"user": "eve", "role": "admin"}),
        reader.delete("/tokens/1"),
    ):
        assert response.status_code == 403, response.content
        body = response.json()
        assert set(body) == PROBLEM_KEYS
        assert "write" in body["detail"]

    assert (ApiToken.objects.count(), cast.web.memberships.count()) == before
    cast.web.refresh_from_db()
    assert cast.web.name == "WEB project"


def test_a_read_only_token_is_refused_before_the_body_is_even_read(cast):
    reader = cast.api(cast.alice, scopes=["read"])
    before = ApiToken.objects.count()
    response = reader.post("/tokens", raw="{not json")
    assert response.status_code == 403
    assert ApiToken.objects.count() == before


def test_an_expired_token_is_refused(cast):
    secret = token_for(cast.eve)
    api = Api(secret)
    assert api.get("/me").status_code == 200
    ApiToken.objects.filter(pk=_token_row(secret).pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    _assert_unauthenticated(api.get("/me"))


def test_a_deactivated_users_token_is_refused(cast):
    secret = token_for(cast.eve)
    User.objects.filter(pk=cast.eve.pk).update(is_active=False)
    _assert_unauthenticated(Api(secret).get("/me"))


def _revoked_secret(cast) -> str:
    secret = token_for(cast.eve)
    ApiToken.objects.filter(pk=_token_row(secret).pk).update(revoked_at=timezone.now())
    return secret


def _expired_secret(cast) -> str:
    secret = token_for(cast.eve)
    ApiToken.objects.filter(pk=_token_row(secret).pk).update(
        expires_at=timezone.now() - timedelta(days=1)
    )
    return secret


def test_unknown_expired_and_revoked_tokens_look_exactly_the_same(cast):
    bodies = [
        _assert_unauthenticated(Api(secret).get("/projects"))
        for secret in (
            "dkt_" + "A" * 43,
            "not-even-a-docket-token",
            _expired_secret(cast),
            _revoked_secret(cast),
        )
    ]
    assert all(body == bodies[0] for body in bodies)


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer    ", "Basic YWxpY2U6c2VjcmV0", "Token dkt_abc", "dkt_abc"],
)
def test_a_malformed_authorization_header_is_401_with_the_same_shape(cast, anon, header):
    before = cast.web.memberships.count()
    response = anon.post(
        "/projects/WEB/members",
        {"user": "eve", "role": "admin"},
        headers={"HTTP_AUTHORIZATION": header},
    )
    body = _assert_unauthenticated(response)
    assert "Authorization" in body["detail"] or "token" in body["detail"]
    assert cast.web.memberships.count() == before


def test_a_bad_token_is_refused_even_where_anonymous_access_is_allowed(cast, anon):
    cast.web.visibility = "public"
    cast.web.save()
    assert anon.get("/projects/WEB").status_code == 200
    _assert_unauthenticated(Api("dkt_unknown").get("/projects/WEB"))


def test_the_bearer_scheme_is_case_insensitive(cast):
    secret = token_for(cast.eve)
    response = Api().get("/me", headers={"HTTP_AUTHORIZATION": f"bearer {secret}"})
    assert response.status_code == 200
    assert response.json()["username"] == "eve"
