"""One written value → the typed operand its field compares (see checked.py)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from docket.query.ast import Value
from docket.query.checked import EMPTY, ME
from docket.query.dates import FORMS, parse_date
from docket.query.errors import QueryError, closest
from docket.query.fields import Field, Kind

BOOLS = {"true": True, "yes": True, "false": False, "no": False}
NOT_NAME = re.compile(r"[\W_]+")


def operand(field: Field, value: Value) -> Any:
    word = value.text
    if not value.quoted and word.lower() == "none":
        if not field.nullable:
            raise QueryError(f"'{field.name}' is never empty, so 'none' matches nothing", value.pos)
        return EMPTY
    if not value.quoted and word.lower() == "@me":
        if field.kind != Kind.USER:
            raise QueryError(f"'@me' only works with people fields, not '{field.name}'", value.pos)
        return ME
    if not word.strip():
        raise QueryError("expected a value, not an empty string", value.pos, expected=["a value"])
    try:
        return _typed(field, value)
    except ValueError as exc:  # from parse_value and the date parser
        dates = field.kind in (Kind.DATE, Kind.DATETIME)
        raise QueryError(str(exc), value.pos, expected=FORMS if dates else ()) from None


def _typed(field: Field, value: Value) -> Any:
    word = value.text
    if field.parse_value is not None:
        return field.parse_value(word)
    if field.kind == Kind.ENUM:
        return _choice(field, value, dict(field.values))
    if field.kind == Kind.NAME and field.known is not None:
        return _choice(field, value, {name: name for name in field.known()})
    if field.kind in (Kind.DATE, Kind.DATETIME):
        return parse_date(word)
    if field.kind == Kind.NUMBER:
        return _number(field, word)
    if field.kind == Kind.BOOL:
        if word.lower() not in BOOLS:
            raise QueryError(
                f"'{field.name}' is true or false, not '{word}'", value.pos, expected=list(BOOLS)
            )
        return BOOLS[word.lower()]
    return word


def _number(field: Field, word: str) -> Decimal:
    try:
        number = Decimal(word)
    except ArithmeticError:
        raise ValueError(f"'{field.name}' is a number, not '{word}'") from None
    if not number.is_finite():
        raise ValueError(f"'{field.name}' is a number, not '{word}'")
    return number


def _choice(field: Field, value: Value, choices: dict[str, Any]) -> Any:
    """Match a name ignoring case, spaces and punctuation: `wontfix` is "won't fix"."""
    by_key = {_key(name): stored for name, stored in choices.items()}
    key = _key(value.text)
    if key and key in by_key:
        return by_key[key]
    names = list(dict.fromkeys(name.lower() for name in choices))
    raise QueryError(
        f"unknown {field.name} '{value.text}'",
        value.pos,
        expected=names,
        suggestion=closest(value.text, names),
    )


def _key(name: str) -> str:
    return NOT_NAME.sub("", name.lower())
