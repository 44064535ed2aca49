"""API plumbing shared by every router: strict JSON parsing and problem details.

Imports no app: who the caller is (API tokens, sessions) is accounts/api_auth.py's business.
"""

from __future__ import annotations

import json
import math
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from docket.core.errors import DocketError, Invalid, TooManyRequests, Unauthenticated

PROBLEM_TYPE = "application/problem+json"
MAX_JSON_DEPTH = 32
MAX_JSON_DIGITS = 100  # no field takes a number anywhere near this long


class BodyError(DocketError):
    status = 400
    title = "Malformed request body"


class PayloadTooLarge(DocketError):
    status = 413
    title = "Request body too large"


class UnsupportedMediaType(DocketError):
    status = 415
    title = "Unsupported media type"


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise BodyError(f"duplicate key {key!r} in JSON object")
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise BodyError(f"{name} is not valid JSON")


def _parse_int(digits: str) -> int:
    if len(digits) > MAX_JSON_DIGITS:  # int() of thousands of digits is slow, then refused
        raise BodyError(f"a number of {len(digits)} digits is too long (at most {MAX_JSON_DIGITS})")
    return int(digits)


def _parse_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise BodyError(f"the number {text[:40]} is out of range")
    return value


def _text_problem(text: str) -> str | None:
    """What is wrong with a string no field may hold, if anything."""
    if "\x00" in text:  # PostgreSQL cannot store it, and no text needs it
        return "must not contain NUL characters"
    if any("\ud800" <= char <= "\udfff" for char in text):  # json.loads joined valid pairs
        return "must not contain unpaired surrogates (like \\ud800); send valid Unicode"
    return None


def _check_text(value: Any, field: str) -> None:
    """Refuse (422, naming the field) a string anywhere in the body that no field may hold."""
    if isinstance(value, str):
        message = _text_problem(value)
    elif isinstance(value, dict):
        message = next((f"a key {m}" for m in map(_text_problem, value) if m), None)
        for key, item in value.items():
            _check_text(item, f"{field}.{key}" if field else key)
    elif isinstance(value, list):
        message = None
        for index, item in enumerate(value):
            _check_text(item, f"{field}.{index}")
    else:
        return
    if message:
        where = field or "body"
        raise Invalid(
            f"{where}: {message}", errors=[{"field": where, "location": "body", "message": message}]
        )


def _depth(text: str) -> int:
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


class StrictJSONParser(Parser):
    """JSON only; refuses duplicate keys, NaN/Infinity, huge numbers, deep nesting, invalid
    UTF-8 (400), and NUL characters or unpaired surrogates in any string (422)."""

    def parse_body(self, request: HttpRequest) -> Any:
        if request.content_type != "application/json":
            raise UnsupportedMediaType(
                f"send JSON with 'Content-Type: application/json' (got {request.content_type!r})"
            )
        try:
            text = request.body.decode("utf-8")
        except RequestDataTooBig:
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            raise PayloadTooLarge(f"the body is larger than {limit} bytes") from None
        except UnicodeDecodeError as exc:
            raise BodyError(f"body is not valid UTF-8 (byte {exc.start})") from None
        if _depth(text) > MAX_JSON_DEPTH:
            raise BodyError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        try:
            data = json.loads(
                text,
                object_pairs_hook=_no_duplicate_keys,
                parse_constant=_reject_constant,
                parse_int=_parse_int,
                parse_float=_parse_float,
            )
        except json.JSONDecodeError as exc:
            raise BodyError(f"malformed JSON at {exc.lineno}:{exc.colno}: {exc.msg}") from None
        if not isinstance(data, dict):
            raise BodyError("the body must be a JSON object")
        _check_text(data, "")
        return data


def problem(
    status: int, title: str, detail: str, errors: list[dict[str, Any]] | None = None, **extra: Any
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    return HttpResponse(json.dumps(body, default=str), status=status, content_type=PROBLEM_TYPE)


def docket_error_response(request: HttpRequest, exc: DocketError) -> HttpResponse:
    response = problem(exc.status, exc.title, exc.detail, exc.errors, **exc.extra)
    if exc.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="docket"'
    if isinstance(exc, TooManyRequests):
        response["Retry-After"] = str(exc.retry_after)
    return response


def http_error_response(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, DocketError):  # raised inside our parser, wrapped by Ninja
        return docket_error_response(request, exc.__cause__)
    if isinstance(exc, AuthenticationError):
        return docket_error_response(request, Unauthenticated("sign in or send an API token"))
    return problem(exc.status_code, "Request failed", str(exc))


def _field_error(error: dict[str, Any]) -> dict[str, Any]:
    location = [str(part) for part in error.get("loc", ())]
    where = location[0] if location else "body"
    path = [part for part in location[1:] if part not in ("payload", "changes", "data")]
    message = error.get("msg", "invalid")
    if error.get("type") == "extra_forbidden":
        message = "unknown field"
    elif error.get("type") == "missing":
        message = "is required"
    return {"field": ".".join(path) or where, "location": where, "message": message}


def validation_error_response(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [_field_error(e) for e in exc.errors]
    in_body = all(e["location"] == "body" for e in errors)
    status = 422 if in_body else 400
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem(status, "Invalid input" if in_body else "Invalid parameters", detail, errors)
