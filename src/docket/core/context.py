"""Where the current request comes from (client address, session or token), for the
audit log. Set by `RequestContext` middleware; empty outside a request (the CLI)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse

from docket.core import proxies


@dataclass(frozen=True)
class Origin:
    ip: str | None = None
    via: str = ""


_origin: ContextVar[Origin] = ContextVar("docket_origin", default=Origin())  # noqa: B039 - frozen


def current() -> Origin:
    return _origin.get()


def set_via(via: str) -> None:
    """Authentication says how the caller proved who they are (e.g. a token's prefix)."""
    _origin.set(Origin(ip=_origin.get().ip, via=via))


def client_ip(request: HttpRequest) -> str | None:
    return proxies.client_ip(request) or None  # honours DOCKET_TRUSTED_PROXIES


class RequestContext:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        _origin.set(Origin(ip=client_ip(request), via="session"))
        return self.get_response(request)
