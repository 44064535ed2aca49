"""Writes to users. Site administration only."""

from __future__ import annotations

import re
import secrets
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from docket.accounts.models import User
from docket.core.errors import Conflict, Forbidden, Invalid

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,149}$")


@transaction.atomic
def create_user(
    *,
    actor: Any | None,
    username: str,
    email: str = "",
    password: str | None = None,
    full_name: str = "",
    site_admin: bool = False,
) -> User:
    """Create an account. `actor=None` is the command line, which the server owner runs."""
    if actor is not None and not (actor.is_authenticated and actor.is_superuser):
        raise Forbidden("only site admins can create users")
    if not USERNAME.fullmatch(username):  # not .match: "$" also matches before a final "\n"
        raise Invalid.field(
            "username", "use letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(
            f"the username {username!r} is taken",
            errors=[{"field": "username", "message": "already taken"}],
        )
    user = User(username=username, email=email, is_superuser=site_admin, is_staff=site_admin)
    first, _, last = full_name.partition(" ")
    user.first_name, user.last_name = first[:150], last[:150]
    if password is None:
        user.set_unusable_password()
    else:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise Invalid.field("password", " ".join(exc.messages)) from None
        user.set_password(password)
    user.save()
    return user


@transaction.atomic
def ensure_first_admin(
    *, username: str, email: str, password: str | None
) -> tuple[bool, str | None]:
    """Create a site admin when there is none (a fresh install). Returns whether it did, and
    the password when it made one up (for the caller to show once)."""
    if User.objects.filter(is_superuser=True, is_active=True).exists():
        return False, None
    generated = None if password else secrets.token_urlsafe(12)
    create_user(
        actor=None, username=username, email=email, password=password or generated,
        site_admin=True,
    )  # fmt: skip
    return True, generated
