"""Ranked full-text search over issues. Starts from the permission gate like every read."""

from __future__ import annotations

import datetime as dt

from docket.accounts.actor import Who
from docket.issues.access import visible_issues
from docket.issues.query_fields import check_issue_query, issue_context
from docket.issues.search_index import issue_backend
from docket.query import CheckedQuery, compile_query
from docket.query.compiler import ordering
from docket.query.search.ranking import Hit, ranked, split_terms
from docket.query.search.terms import searchable

MAX_LIMIT = 200

__all__ = ["Hit", "search_issues"]


def search_issues(
    user: Who, text: str, limit: int = 50, *, now: dt.datetime | None = None
) -> list[Hit]:
    """The best `limit` issues `user` may see for `text`, a query in the Docket query
    language: its top-level words and phrases rank the results (title hits first, then a
    score from each issue alone; see docket.query.search.ranking), everything else in it
    only filters. Each Hit is (issue id, rank, snippet HTML). Without top-level words to
    rank by (only filters, or words inside OR / NOT) the issues come in the query's order,
    without snippets.
    `sort:` does not change the ranked order. Raises QueryError for a bad query.
    """
    checked = check_issue_query(text, user)
    terms, rest = split_terms(checked.where)
    ctx = issue_context(user, now)
    gate = visible_issues(user)
    if rest is not None:
        gate = gate.filter(compile_query(CheckedQuery(rest, ()), ctx)[0])
    limit = max(1, min(limit, MAX_LIMIT))
    if searchable(terms):
        return ranked(issue_backend(), terms, gate, limit)
    ids = gate.order_by(*ordering(checked.sort)).values_list("pk", flat=True)[:limit]
    return [Hit(pk, 0.0, "") for pk in ids]
