"""What every page view shares: sign-in, turning domain errors into pages, safe redirects.

Views here only parse the request, call the same actions and queries the API calls, and
render; no rule about issues lives in a view or a template.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from docket.core.errors import DocketError, Forbidden, NotFound, Unauthenticated

View = Callable[..., HttpResponse]


def safe_next(request: HttpRequest, fallback: str = "/") -> str:
    """Where to go after signing in: only a path on this site (never `//evil`, `/\\evil`,
    `https:evil` or `javascript:`)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if allowed and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return fallback


def issue_base() -> str:
    """The path an issue's key is appended to for a link to its page ("/" today)."""
    return reverse("web:issue", args=["AB-1"])[: -len("AB-1")]


def login_url(request: HttpRequest) -> str:
    return f"{reverse('web:login')}?{urlencode({'next': request.get_full_path()})}"


def page(
    request: HttpRequest, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    return render(request, template, context or {}, status=status)


def error_page(request: HttpRequest, error: DocketError) -> HttpResponse:
    if isinstance(error, Unauthenticated):
        return HttpResponseRedirect(login_url(request))
    if isinstance(error, NotFound):
        return page(request, "web/error.html", {"title": "Not found", "error": error}, 404)
    if isinstance(error, Forbidden):
        return page(request, "web/error.html", {"title": "Not allowed", "error": error}, 403)
    return page(request, "web/error.html", {"title": error.title, "error": error}, error.status)


def web_view(*, public: bool = False) -> Callable[[View], View]:
    """Wrap a page view: redirect anonymous visitors to sign in (unless `public`), and show
    domain errors as pages — 404 for anything missing or not visible, alike."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not public and not request.user.is_authenticated:
                return HttpResponseRedirect(login_url(request))
            try:
                return view(request, *args, **kwargs)
            except DocketError as error:
                return error_page(request, error)

        return wrapper

    return decorate


def is_htmx(request: HttpRequest) -> bool:
    """Only chooses a smaller template; never changes what the caller may see or do."""
    return request.headers.get("HX-Request") == "true"
