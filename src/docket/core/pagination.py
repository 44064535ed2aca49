"""Cursor pagination. Cursors are signed, so a forged or garbled one is a clear 400."""

from __future__ import annotations

from typing import Any

from django.core import signing

from docket.core.errors import DocketError

_SALT = "docket.cursor"


class BadCursor(DocketError):
    status = 400
    title = "Invalid cursor"


def encode_cursor(listing: str, values: list[Any]) -> str:
    """A cursor for one listing (e.g. "issues"); another listing will not accept it."""
    return signing.dumps(values, salt=f"{_SALT}.{listing}", compress=True)


def decode_cursor(listing: str, cursor: str, size: int) -> list[Any]:
    try:
        values = signing.loads(cursor, salt=f"{_SALT}.{listing}")
    except signing.BadSignature:
        raise BadCursor(
            "cursor is not one this server issued for this listing; start again without it"
        ) from None
    if not isinstance(values, list) or len(values) != size:
        raise BadCursor("cursor is malformed")
    return values
