"""Builds each request's Actor once, after Django's authentication middleware, so that every
gate a page asks loads the user's roles once (accounts/actor.py)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from docket.accounts.actor import Actor


class ActorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # request.user is lazy; so is this: nothing is read until a gate asks.
        request.actor = Actor(request.user)  # type: ignore[attr-defined]
        return self.get_response(request)


def actor_of(request: HttpRequest) -> Actor:
    """The Actor of a page request (ActorMiddleware made it)."""
    actor: Actor = request.actor  # type: ignore[attr-defined]
    return actor
