"""Signing in and out with a browser session, and password reset by e-mail.

These endpoints tell nobody which usernames or addresses exist: a wrong password, an unknown
user and a deactivated account get the same 401 body after the same password-hashing work
(Django's ModelBackend hashes against a dummy for unknown users and for accounts without a
password), a reset request always gets the same 202, and the rate limits count unknown
usernames and addresses exactly like known ones (see throttle.py).
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth import logout
from django.middleware.csrf import get_token
from ninja import Router, Schema, Status
from pydantic import Field, field_validator

from docket.accounts import passwords, signin, throttle
from docket.accounts.api import StrictIn, UserOut, user_out
from docket.accounts.api_auth import ApiRequest

router = Router(tags=["auth"])

ADDRESS = re.compile(r"[^\s@\x00-\x1f\x7f]+@[^\s@\x00-\x1f\x7f]+")
RESET_ACCEPTED = "if an active account has this address, a reset link is on its way"


class LoginIn(StrictIn):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=1024)


class LoginOut(UserOut):
    csrf_token: str = Field(description="Send as `X-CSRFToken` on writes with this session.")


class ResetIn(StrictIn):
    # Not EmailStr: the first admin's default address is admin@localhost, and an address
    # only has to equal a stored one. No spaces or line breaks, so nothing to inject.
    email: str = Field(max_length=254)

    @field_validator("email")
    @classmethod
    def _one_address(cls, value: str) -> str:
        if not ADDRESS.fullmatch(value):
            raise ValueError("must be one e-mail address, like alice@example.com")
        return value


class ResetConfirmIn(StrictIn):
    uid: str = Field(max_length=64)
    token: str = Field(max_length=128)
    new_password: str = Field(min_length=1, max_length=1024)


class AcceptedOut(Schema):
    detail: str


@router.post(
    "/auth/login",
    auth=None,
    response=LoginOut,
    summary="Sign in: starts a browser session",
    description=(
        "Wrong username, wrong password and deactivated account all answer the same 401. "
        "Rate-limited per username and per client address (429 with `Retry-After`). "
        "The answer carries a fresh CSRF token for writes with the new session."
    ),
)
def sign_in(request: ApiRequest, payload: LoginIn) -> Any:
    user = signin.sign_in(request, payload.username, payload.password)  # 401 / 429 inside
    return {**user_out(user, show_email=True), "csrf_token": get_token(request)}


@router.post("/auth/logout", response={204: None}, summary="Sign out: ends the browser session")
def sign_out(request: ApiRequest) -> Any:
    logout(request)
    return Status(204, None)


@router.post(
    "/auth/password-reset",
    auth=None,
    response={202: AcceptedOut},
    summary="Mail a password-reset link",
    description=(
        "Always 202 with the same body, whether or not an account has the address. "
        "Rate-limited per address and per client address."
    ),
)
def request_reset(request: ApiRequest, payload: ResetIn) -> Any:
    throttle.take([throttle.reset_ip(request), throttle.reset_address(payload.email)])
    passwords.send_reset_links(payload.email)
    return Status(202, {"detail": RESET_ACCEPTED})


@router.post(
    "/auth/password-reset/confirm",
    auth=None,
    response={204: None},
    summary="Set a new password with a reset link's uid and token",
    description=(
        "Ends every session of the user. A bad, expired or used link is a 400 (one message "
        "for all); a password the validators refuse is a 422 naming `new_password`."
    ),
)
def confirm_reset(request: ApiRequest, payload: ResetConfirmIn) -> Any:
    keys = [throttle.reset_ip(request)]
    throttle.enforce(keys)
    try:
        passwords.confirm_reset(
            uid=payload.uid, token=payload.token, new_password=payload.new_password
        )
    except passwords.BadResetLink:
        throttle.hit(keys)
        raise
    return Status(204, None)
