"""Domain errors. Actions raise these; the API turns them into RFC 9457 problem details."""

from __future__ import annotations

from typing import Any


class DocketError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.extra = extra


class NotFound(DocketError):
    """Missing, or not visible to the caller: the two look the same on purpose."""

    status = 404
    title = "Not found"


class Forbidden(DocketError):
    """The caller can see the thing but may not do this to it."""

    status = 403
    title = "Forbidden"


class Unauthenticated(DocketError):
    status = 401
    title = "Authentication required"


class Invalid(DocketError):
    """Well-formed input that breaks a domain rule; `errors` names the fields."""

    status = 422
    title = "Invalid input"

    @classmethod
    def field(cls, field: str, message: str) -> Invalid:
        return cls(f"{field}: {message}", errors=[{"field": field, "message": message}])


def checked_name(value: Any, field: str = "name", limit: int = 100) -> str:
    """A name as the settings forms and APIs take it: a string, stripped, 1 to `limit`
    characters; raises Invalid naming the field otherwise."""
    if not isinstance(value, str) or not 0 < len(value.strip()) <= limit:
        raise Invalid.field(field, f"must be 1-{limit} characters")
    return value.strip()


class Conflict(DocketError):
    """The request was based on an old version and touches something changed since."""

    status = 409
    title = "Conflict"


class BadParameter(DocketError):
    """A query-string parameter that cannot be understood."""

    status = 400
    title = "Invalid parameter"

    @classmethod
    def field(cls, field: str, message: str, location: str = "query") -> BadParameter:
        return cls(
            f"{field}: {message}",
            errors=[{"field": field, "location": location, "message": message}],
        )


class TooManyRequests(DocketError):
    """A rate limit (accounts/throttle.py) refuses the request; the answer carries
    `Retry-After` (seconds) as a header and as `retry_after` in the body."""

    status = 429
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int):
        super().__init__(detail, retry_after=retry_after)
        self.retry_after = retry_after
