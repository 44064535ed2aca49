"""Request guards that must run before anything reads the body."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from docket.core.http import problem


class BodySizeLimit:
    """Refuse an oversized body by its Content-Length with a clear 413, without reading it.

    (Django itself would answer a bare 400 once something touches `request.body`.)
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return problem(400, "Bad request", "Content-Length is not a number")
        if limit is not None and length > limit:
            return problem(413, "Request body too large", f"the body is larger than {limit} bytes")
        return self.get_response(request)
