"""Keyset pages read in two steps (core/pagination.keyset_page with `fetch`): the page's keys
first, then its rows. A row gone between the steps is left out and the next page still
starts after it; the walk sees every other row once, in order."""

from __future__ import annotations

from django.db.models import F

from docket.core.pagination import keyset_page
from docket.issues.models import Issue
from tests.factories import make_issue

NEWEST_FIRST = [F("created_at").desc(), F("pk").desc()]


def _walk(fetch, limit: int) -> list[list[int]]:
    pages, cursor = [], None
    while True:
        page, cursor = keyset_page(
            Issue.objects.all(), NEWEST_FIRST, "issues", cursor, limit, fetch=fetch
        )
        pages.append([row["number"] for row in page])
        if cursor is None:
            return pages


def _rows(ids: list[int], leave_out: set[int] = frozenset()) -> list[dict]:
    found = {r["id"]: r for r in Issue.objects.filter(pk__in=ids).values("id", "number")}
    return [found[i] for i in ids if i in found and found[i]["number"] not in leave_out]


def test_two_steps_walk_every_row_once_in_order(cast):
    for n in range(7):
        make_issue(cast.alice, cast.web, title=f"Issue {n}")
    assert _walk(_rows, 3) == [[7, 6, 5], [4, 3, 2], [1]]


def test_a_row_gone_between_the_steps_is_left_out_and_the_next_page_follows_it(cast):
    for n in range(7):
        make_issue(cast.alice, cast.web, title=f"Issue {n}")
    # WEB-4 disappears after its page's keys were picked (deleted, or made confidential)
    assert _walk(lambda ids: _rows(ids, {4}), 3) == [[7, 6, 5], [3, 2], [1]]
