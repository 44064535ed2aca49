"""Cursor pagination. Cursors are signed, so a forged or garbled one is a clear 400."""

from __future__ import annotations

from typing import Any

from django.core import signing

from docket.core.errors import DocketError

_SALT = "docket.cursor"


class BadCursor(DocketError):
    status = 400
    title = "Invalid cursor"


def encode_cursor(values: list[Any]) -> str:
    return signing.dumps(values, salt=_SALT, compress=True)


def decode_cursor(cursor: str) -> list[Any]:
    try:
        values = signing.loads(cursor, salt=_SALT)
    except signing.BadSignature:
        raise BadCursor("cursor is not one this server issued; start again without it") from None
    if not isinstance(values, list):
        raise BadCursor("cursor is malformed")
    return values
