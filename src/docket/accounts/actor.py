"""Who is acting: a user (or nobody), what their credentials allow, and what the permission
gates have looked up about them, loaded once per request or job.

Every action and every gate takes an `actor`. Callers that have one (the API, the pages, the
live feed) pass their `Actor`, so a request loads its roles once however many checks it makes;
callers that hold a plain user (the CLI, tests) may pass it and get a fresh `Actor` each call.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, TypeAlias

from docket.core.errors import Unauthenticated

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from docket.accounts.models import User


class Actor:
    """`scopes` is None for a session (every power the user has) and an API token's scopes
    otherwise. The caches are filled by the gates (projects/access.py, issues/access.py)."""

    __slots__ = ("user", "scopes", "roles", "grants", "own_only")

    def __init__(self, user: User | AnonymousUser, scopes: Iterable[str] | None = None):
        self.user = user
        self.scopes: frozenset[str] | None = None if scopes is None else frozenset(scopes)
        self.roles: dict[int, str] | None = None  # project id -> strongest role
        self.grants: list[int] | None = None  # issues explicitly shared with them
        self.own_only: list[int] | None = None  # support desks where they see their own only

    def __repr__(self) -> str:
        via = "session" if self.scopes is None else f"token {sorted(self.scopes)}"
        return f"<Actor {self.username or 'anonymous'} ({via})>"

    @property
    def is_authenticated(self) -> bool:
        return bool(self.user.is_authenticated)

    @property
    def id(self) -> int | None:
        return self.user.pk if self.user.is_authenticated else None

    @property
    def pk(self) -> int | None:
        return self.id

    @property
    def username(self) -> str:
        return self.user.username if self.user.is_authenticated else ""

    @property
    def account(self) -> User:
        """The signed-in user (Unauthenticated for anonymous callers)."""
        if not self.user.is_authenticated:
            raise Unauthenticated("sign in or send an API token to do this")
        return self.user

    @property
    def signed_in(self) -> User | None:
        """The user, or None for anonymous callers (what history records as the actor)."""
        return self.user if self.user.is_authenticated else None

    def has_scope(self, scope: str) -> bool:
        """Sessions carry every power; an API token only what its scopes grant."""
        return self.scopes is None or scope in self.scopes

    def forget(self) -> None:
        """Drop what the gates cached: after their roles or grants changed."""
        self.roles = self.grants = self.own_only = None


# What actions and gates accept: an Actor, or a plain user for callers without one.
Who: TypeAlias = "Actor | User | AnonymousUser"


def as_actor(who: Who) -> Actor:
    return who if isinstance(who, Actor) else Actor(who)


def user_of(who: Who | None) -> User | None:
    """The signed-in user behind `who`, or None (anonymous, or nobody)."""
    if who is None:
        return None
    if isinstance(who, Actor):
        return who.signed_in
    return who if who.is_authenticated else None


def account_of(who: Who, why: str = "sign in or send an API token to do this") -> User:
    """The signed-in user behind `who`; Unauthenticated (401) with `why` for anonymous ones."""
    user = user_of(who)
    if user is None:
        raise Unauthenticated(why)
    return user
