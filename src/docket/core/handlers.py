"""Django's own error pages, as problem details under /api/.

Some refusals happen before a request reaches the API: a Host header not in ALLOWED_HOSTS
(Django raises DisallowedHost while reading it), a body Django itself refuses to read, an
unexpected exception. Django answers those with HTML pages; an API client gets the same RFC 9457
problem as for every other error. Other paths (the admin site) keep Django's pages.
"""

from __future__ import annotations

from django.core.exceptions import DisallowedHost, RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse
from django.views import defaults

from docket.core.http import problem


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _is_api(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, DisallowedHost):
        return problem(
            400, "Bad request", "the Host header names a host this server does not serve"
        )
    if isinstance(exception, RequestDataTooBig):
        return problem(413, "Request body too large", "the body is larger than this server accepts")
    if isinstance(exception, TooManyFieldsSent):
        return problem(400, "Bad request", "too many parameters")
    return problem(400, "Bad request", "the request was refused as malformed")


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _is_api(request):
        return defaults.permission_denied(request, exception)
    return problem(403, "Forbidden", "you may not do this")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _is_api(request):
        return defaults.page_not_found(request, exception)
    return problem(404, "Not found", f"no API endpoint {request.path_info[:200]}; see /api/v1/docs")


def server_error(request: HttpRequest) -> HttpResponse:
    if not _is_api(request):
        return defaults.server_error(request)
    return problem(500, "Internal server error", "something went wrong on our side; it is logged")
