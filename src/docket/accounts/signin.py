"""Checking a username and password, with the rate limits, for every sign-in path (the web
form and `POST /api/v1/auth/login`). Wrong password, unknown user and deactivated account
fail alike, after the same hashing work (see accounts/auth_api.py)."""

from __future__ import annotations

from django.contrib.auth import authenticate, login
from django.http import HttpRequest

from docket.accounts import throttle
from docket.accounts.models import User
from docket.core.errors import Unauthenticated

INVALID_LOGIN = "invalid username or password"


def _stored_username(typed: str) -> str:
    """Usernames are unique ignoring case, so 'Alice' signs in as 'alice'. One query either
    way, so existence does not show in the timing."""
    names = list(User.objects.filter(username__iexact=typed).values_list("username", flat=True))
    return typed if typed in names or not names else names[0]


def sign_in(request: HttpRequest, username: str, password: str) -> User:
    """Start a session for the user, or raise Unauthenticated (401) / TooManyRequests (429)."""
    keys = [throttle.login_account(username), throttle.login_ip(request)]
    throttle.enforce(keys)
    user = authenticate(request, username=_stored_username(username), password=password)
    if not isinstance(user, User):
        throttle.hit(keys)
        raise Unauthenticated(INVALID_LOGIN)
    throttle.reset(keys[:1])  # the account's count only: see throttle.py
    login(request, user)  # new session key and new CSRF secret
    return user
