"""Sign-in, password reset, profile and token pages (Django test client)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from docket.accounts.models import ApiToken
from tests.factories import PASSWORD


@pytest.fixture
def browser(cast) -> Client:
    client = Client()
    assert client.login(username="bob", password=PASSWORD)
    return client


def test_pages_need_a_session_and_send_you_back_after_sign_in(cast):
    client = Client()
    response = client.get("/settings/tokens")
    assert response.status_code == 302
    assert response["Location"] == "/login?next=%2Fsettings%2Ftokens"
    signed = client.post(
        "/login", {"username": "bob", "password": PASSWORD, "next": "/settings/tokens"}
    )
    assert signed.status_code == 302 and signed["Location"] == "/settings/tokens"


@pytest.mark.parametrize(
    "target", ["//evil.test", "/\\evil.test", "https:evil.test", "javascript:alert(1)",
               "https://evil.test/", "http://testserver.evil.test/"],
)  # fmt: skip
def test_next_never_leaves_the_site(cast, target):
    response = Client().post("/login", {"username": "bob", "password": PASSWORD, "next": target})
    assert response.status_code == 302 and response["Location"] == "/"


def test_wrong_password_unknown_user_and_deactivated_account_look_the_same(cast):
    cast.dave.is_active = False
    cast.dave.save()
    bodies = []
    for username, password in (("bob", "nope"), ("nobody", "nope"), ("dave", PASSWORD)):
        response = Client().post("/login", {"username": username, "password": password})
        assert response.status_code == 401
        # the CSRF tokens and the typed username differ, nothing else may
        page = re.sub(rb'value="[^"]*"', b"", response.content)
        bodies.append(re.sub(rb'"X-CSRFToken": "[^"]*"', b"", page))
    assert bodies[0] == bodies[1] == bodies[2]
    assert b"Invalid username or password." in bodies[0]


def test_the_login_form_is_rate_limited(cast):
    client = Client()
    for _ in range(10):
        client.post("/login", {"username": "bob", "password": "wrong"})
    locked = client.post("/login", {"username": "bob", "password": PASSWORD})
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 0


def test_forms_need_the_csrf_token(cast):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/login", {"username": "bob", "password": PASSWORD}).status_code == 403
    strict.force_login(cast.bob)
    assert strict.post("/settings/tokens", {"name": "x"}).status_code == 403
    assert strict.post("/logout").status_code == 403
    assert ApiToken.objects.filter(user=cast.bob).count() == 0


def test_sign_out_is_a_post(browser):
    assert browser.get("/logout").status_code == 405
    assert browser.post("/logout").status_code == 302
    assert browser.get("/").status_code == 302


def test_tokens_are_created_shown_once_and_revoked(browser, cast):
    made = browser.post(
        "/settings/tokens", {"name": "ci", "scopes": ["read"], "expires_in_days": "30"}
    )
    assert made.status_code == 200
    secret = re.search(rb"dkt_[A-Za-z0-9_-]+", made.content).group().decode()
    token = ApiToken.objects.get(user=cast.bob, name="ci")
    assert token.scopes == ["read"] and token.expires_at is not None
    listed = browser.get("/settings/tokens").content.decode()
    assert "ci" in listed and secret not in listed
    browser.post("/settings/tokens", {"revoke": str(token.id)})
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_another_persons_token_cannot_be_revoked(browser, cast):
    from tests.factories import token_for

    token_for(cast.alice)
    theirs = ApiToken.objects.get(user=cast.alice)
    response = browser.post("/settings/tokens", {"revoke": str(theirs.id)})
    assert response.status_code == 422
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_changing_the_password_needs_the_current_one_and_signs_out_other_sessions(browser, cast):
    other = Client()
    other.login(username="bob", password=PASSWORD)
    wrong = browser.post(
        "/settings/profile", {"form": "password", "current": "x", "new": "n3w-pass-phrase"}
    )
    assert wrong.status_code == 422 and b"not your current password" in wrong.content
    weak = browser.post(
        "/settings/profile", {"form": "password", "current": PASSWORD, "new": "123"}
    )
    assert weak.status_code == 422
    ok = browser.post(
        "/settings/profile", {"form": "password", "current": PASSWORD, "new": "n3w-pass-phrase"}
    )
    assert ok.status_code == 302
    assert browser.get("/").status_code == 200  # still signed in here
    assert other.get("/").status_code == 302  # signed out elsewhere


def test_profile_name_change(browser, cast):
    browser.post("/settings/profile", {"form": "profile", "name": "Bob Builder"})
    cast.bob.refresh_from_db()
    assert cast.bob.display_name == "Bob Builder"


def test_a_display_name_must_be_one_line(browser, cast):
    response = browser.post("/settings/profile", {"form": "profile", "name": "Bob\r\nBcc: x@y"})
    assert response.status_code == 422 and b"Must be one line" in response.content
    cast.bob.refresh_from_db()
    assert "Bcc" not in cast.bob.display_name
