"""`DocketAPI`: the NinjaAPI class behind /api/v1, with the guards every endpoint shares.

- Its OpenAPI document declares each operation's problem responses (core/openapi.py).
- Each API view refuses a NUL character in a query parameter (400, naming it) or a path
  parameter (404, as any malformed key) before any code sees it: PostgreSQL cannot store or
  even compare such text, so it would otherwise surface as a 500 from whichever query touched
  it first. (JSON bodies get the same check in the body parser, as a 422.)
- A method a path does not have is a 405 problem, not Ninja's bare text answer.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern
from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema

from docket.core.errors import BadParameter, DocketError, NotFound
from docket.core.http import docket_error_response, problem
from docket.core.openapi import add_problem_responses

NUL = "\x00"


def _nul_parameter(request: HttpRequest, path_params: dict[str, Any]) -> DocketError | None:
    for name, value in path_params.items():
        if NUL in str(value):  # nothing is named so: like any malformed key, a 404
            return NotFound(f"no such {name}: it must not contain NUL characters")
    for name, values in request.GET.lists():
        if NUL in name or any(NUL in value for value in values):
            return BadParameter.field(
                name.replace(NUL, "\\0"), "must not contain NUL characters", location="query"
            )
    return None


def guarded(view: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap one Ninja view with the shared guards (see the module docstring)."""

    @functools.wraps(view)  # keeps csrf_exempt
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refused = _nul_parameter(request, kwargs)
        if refused is not None:
            return docket_error_response(request, refused)
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            response = problem(
                405, "Method not allowed", f"{request.method} is not allowed here; use {allowed}"
            )
            response["Allow"] = allowed
        return response

    return wrapped


class DocketAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document declares every operation's problem responses and whose
    views share the guards above."""

    @property
    def urls(self) -> Any:
        patterns, app_name, namespace = super().urls
        for pattern in patterns:
            if isinstance(pattern, URLPattern) and not iscoroutinefunction(pattern.callback):
                pattern.callback = guarded(pattern.callback)
        return patterns, app_name, namespace

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        add_problem_responses(schema)
        return schema
