"""Who is calling the API: an API token, else the browser session, else anonymous.

Wired into the one NinjaAPI in config/api.py. It lives with the tokens and rate limits it
uses, so core's API plumbing (core/http.py) stays free of any app.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from ninja.security.http import HttpAuthBase

from docket.accounts import throttle
from docket.accounts.actor import Actor
from docket.accounts.models import ApiToken
from docket.accounts.tokens import user_for_secret
from docket.core.context import set_via
from docket.core.errors import Forbidden, Unauthenticated

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request: HttpRequest, reason: str) -> HttpResponse:
        return HttpResponse(reason, status=403)


def _csrf_failure(request: HttpRequest) -> str | None:
    check = _CsrfCheck(lambda req: HttpResponse())
    check.process_request(request)
    response = check.process_view(request, lambda req: HttpResponse(), (), {})
    return response.content.decode() if response is not None else None


class TokenOrSession(HttpAuthBase):
    """`Authorization: Bearer <token>`, else the browser session (with CSRF on writes), else
    anonymous. Anonymous callers get through here; actions and the gate decide what they see."""

    openapi_scheme = "bearer"

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get("Authorization")
        if header is not None:
            scheme, _, secret = header.partition(" ")
            if scheme.lower() != "bearer" or not secret.strip():
                # The same body as an unknown token's (docs/api.md): nothing to tell apart.
                raise Unauthenticated("invalid, expired or revoked token")
            found = user_for_secret(secret.strip())
            if found is None:
                raise throttle.failed_bearer(request)  # 401, or 429 once the IP is over its limit
            user, token = found
            # Every gate reads the scopes from the Actor: without `admin` the token acts with
            # neither site-admin nor project-admin powers (see accounts/access.py).
            actor = Actor(user, token.scopes)
            set_via(token.prefix)
            request.user, request.api_token = user, token  # type: ignore[attr-defined]
            if request.method not in SAFE_METHODS and "write" not in token.scopes:
                raise Forbidden("this token is read-only (it lacks the 'write' scope)")
            return actor
        visitor = request.user
        if visitor.is_authenticated and request.method not in SAFE_METHODS:
            reason = _csrf_failure(request)
            if reason:
                raise Forbidden(f"CSRF check failed: {reason}")
        request.api_token = None  # type: ignore[attr-defined]
        return Actor(visitor)


class ApiRequest(HttpRequest):
    """What API views receive: `auth` is the caller (set by `TokenOrSession`) and
    `api_token` the token it came with, if any."""

    auth: Actor
    api_token: ApiToken | None
