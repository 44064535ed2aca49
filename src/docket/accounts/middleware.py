"""Builds each request's Actor once, after Django's authentication middleware, so that every
gate a page asks loads the user's roles once (accounts/actor.py)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.deprecation import MiddlewareMixin

from docket.accounts.actor import Actor


class ActorMiddleware(MiddlewareMixin):
    """Sync and async capable (the mixin's), so the live stream's async chain takes no extra
    thread hop for it."""

    def process_request(self, request: HttpRequest) -> None:
        # request.user is lazy; so is this: nothing is read until a gate asks.
        request.actor = Actor(request.user)  # type: ignore[attr-defined]


def actor_of(request: HttpRequest) -> Actor:
    """The Actor of a page request (ActorMiddleware made it)."""
    actor: Actor = request.actor  # type: ignore[attr-defined]
    return actor
