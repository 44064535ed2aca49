"""Cursor pagination. Cursors are signed, so a forged or garbled one is a clear 400."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from functools import reduce
from operator import and_
from typing import Any

from django.core import signing
from django.db.models import Q, QuerySet
from django.db.models.expressions import OrderBy

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


# --- keyset pagination over any ordering --------------------------------------------------


def _tag(value: Any) -> list[Any]:
    """Cursor values keep their type: JSON has no dates."""
    if isinstance(value, dt.datetime):
        return ["dt", value.isoformat()]
    if isinstance(value, dt.date):
        return ["d", value.isoformat()]
    if isinstance(value, Decimal):
        return ["n", str(value)]
    return ["v", value]


def _untag(pair: Any) -> Any:
    try:
        kind, raw = pair
        if kind == "dt":
            return dt.datetime.fromisoformat(raw)
        if kind == "d":
            return dt.date.fromisoformat(raw)
        if kind == "n" and isinstance(raw, str):
            return Decimal(raw)
        if kind == "v" and (raw is None or isinstance(raw, str | int | float | bool)):
            return raw
    except (TypeError, ValueError, ArithmeticError):
        pass
    raise BadCursor("cursor is malformed")


def _sort_keys(ordering: list[OrderBy]) -> list[tuple[Any, bool, bool]]:
    """(expression, descending, nulls_last) for each `OrderBy(F(column))` (or of another
    expression, e.g. a custom field's value as a subquery)."""
    return [(order.expression, order.descending, bool(order.nulls_last)) for order in ordering]


def _after(column: str, desc: bool, nulls_last: bool, value: Any) -> Q:
    """Rows strictly after `value` in this column's order (NULLs sort last)."""
    if value is None:
        return Q(pk__in=[])  # nothing sorts after the NULLs
    beyond = Q(**{f"{column}__{'lt' if desc else 'gt'}": value})
    return beyond | Q(**{f"{column}__isnull": True}) if nulls_last else beyond


def _equal(column: str, value: Any) -> Q:
    return Q(**{f"{column}__isnull": True}) if value is None else Q(**{column: value})


def keyset_page(
    rows: QuerySet[Any],
    ordering: list[OrderBy],
    listing: str,
    cursor: str | None,
    limit: int,
    *,
    fetch: Callable[[list[Any]], list[Any]] | None = None,
) -> tuple[list[Any], str | None]:
    """One page of `rows` in `ordering` (which must end with a unique column, e.g. the pk),
    starting after `cursor`; returns the rows and the cursor of the next page (or None).
    `rows` may be model instances or `.values()` dicts (which then carry `_key…` extras).

    With `fetch`, the page is read in two steps: the query picks the page's primary keys
    with only the joins its filters and ordering need, and `fetch(keys)` reads those rows
    (in that order, leaving out any that vanished meanwhile). A planner that cannot see how
    few rows a filter leaves joins every candidate's related rows before sorting: at 1M
    issues, a project's `label:bug is:open` read 150 ms in one query and 29 ms in two."""
    keys = _sort_keys(ordering)
    names = [f"_key{i}" for i in range(len(keys))]
    rows = rows.annotate(
        **{name: expression for name, (expression, _, _) in zip(names, keys, strict=True)}
    )
    if cursor:
        values = [_untag(pair) for pair in decode_cursor(listing, cursor, len(keys))]
        after = Q(pk__in=[])
        for i, (name, (_, desc, nulls_last)) in enumerate(zip(names, keys, strict=True)):
            same = [_equal(names[j], values[j]) for j in range(i)]
            after |= reduce(and_, [*same, _after(name, desc, nulls_last, values[i])])
        rows = rows.filter(after)
    ordered = rows.order_by(*ordering)
    if fetch is not None:
        ordered = ordered.values("pk", *names)
    page = list(ordered[: limit + 1])
    more = len(page) > limit
    last = page[limit - 1] if more else None
    page = page[:limit]
    if fetch is not None:
        page = fetch([row["pk"] for row in page])
    if last is None:
        return page, None
    values = [last[n] if isinstance(last, dict) else getattr(last, n) for n in names]
    return page, encode_cursor(listing, [_tag(v) for v in values])
