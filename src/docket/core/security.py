"""Browser security headers: which component sends which, and the one Docket adds itself.

- Django's SecurityMiddleware: `X-Content-Type-Options: nosniff`, `Referrer-Policy`,
  `Cross-Origin-Opener-Policy: same-origin` (SECURE_CROSS_ORIGIN_OPENER_POLICY) and, behind
  TLS, HSTS; XFrameOptionsMiddleware: `X-Frame-Options: DENY`.
- django-csp's CSPMiddleware: the Content-Security-Policy, from `DOCKET_CSP` (a policy written
  as the header's value, turned into django-csp's setting by `csp_setting`).
- `PermissionsPolicy` below: no library in use sends it, and it is one fixed header.

A header a view has set already wins (attachment downloads send a stricter, sandboxing CSP).
CSPMiddleware is a MiddlewareMixin: only the live-update stream runs the async chain
(config/asgi.py), where its two hooks cost a thread hop each per stream opened.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from csp.utils import DEFAULT_DIRECTIVES
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponseBase

PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
    "accelerometer=(), gyroscope=(), magnetometer=()"
)


def csp_setting(policy: str) -> dict[str, Any] | None:
    """django-csp's CONTENT_SECURITY_POLICY for `policy` as a header would carry it
    ("default-src 'self'; img-src 'self' data:"); None, so no header, for an empty one.

    Exactly the directives written: django-csp would otherwise add `default-src 'self'` and
    silently drop a directive it does not know, so an unknown or repeated one is refused."""
    if not policy.strip():
        return None
    directives: dict[str, Any] = dict.fromkeys(DEFAULT_DIRECTIVES)  # None: not sent
    written: set[str] = set()
    for part in filter(str.strip, policy.split(";")):
        name, *sources = part.split()
        name = name.lower()
        if name not in DEFAULT_DIRECTIVES:
            raise ImproperlyConfigured(f"DOCKET_CSP: unknown directive {name!r}")
        if name in written:
            raise ImproperlyConfigured(f"DOCKET_CSP: {name!r} is given twice")
        written.add(name)
        directives[name] = sources or True  # no sources: a flag (sandbox, upgrade-...)
    return {"DIRECTIVES": directives}


class PermissionsPolicy:
    """Turns off powerful browser features Docket never uses. Runs natively in both sync and
    async mode, like the middleware in core/middleware.py."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self._acall(request)
        return self.add_header(self.get_response(request))

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        return self.add_header(await self.get_response(request))

    @staticmethod
    def add_header(response: HttpResponseBase) -> HttpResponseBase:
        if "Permissions-Policy" not in response:
            response["Permissions-Policy"] = PERMISSIONS_POLICY
        return response
