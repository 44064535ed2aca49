"""Browser security headers on every response (Django's SecurityMiddleware adds the rest).

Django's SecurityMiddleware sets `X-Content-Type-Options: nosniff`, `Referrer-Policy` and, behind
TLS, HSTS; XFrameOptionsMiddleware sets `X-Frame-Options: DENY`. This adds what Django 5.2 does
not: a Content-Security-Policy (`DOCKET_CSP`), a Permissions-Policy that turns off powerful
browser features Docket never uses, and `Cross-Origin-Opener-Policy: same-origin`.

A header a view has set already wins: attachment downloads send a stricter sandboxing CSP.
Like the middleware in core/middleware.py, this runs natively in both sync and async mode.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
    "accelerometer=(), gyroscope=(), magnetometer=()"
)
OPENER_POLICY = "same-origin"


class SecurityHeaders:
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
        return self.add_headers(self.get_response(request))

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        return self.add_headers(await self.get_response(request))

    @staticmethod
    def add_headers(response: HttpResponseBase) -> HttpResponseBase:
        csp = settings.DOCKET_CSP  # empty: no header (see docs/configuration.md)
        if csp and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = csp
        if "Permissions-Policy" not in response:
            response["Permissions-Policy"] = PERMISSIONS_POLICY
        if "Cross-Origin-Opener-Policy" not in response:
            response["Cross-Origin-Opener-Policy"] = OPENER_POLICY
        return response
