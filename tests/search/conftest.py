"""Helpers for the full-text search tests. They run on whichever database the settings
select (SQLite by default, PostgreSQL with DOCKET_DATABASE_URL), with the same expectations."""

from __future__ import annotations

from typing import Any

from docket.issues.access import visible_issues
from docket.issues.models import Issue
from docket.issues.query_fields import compile_issue_query
from docket.issues.search import search_issues
from docket.issues.search_index import issue_backend
from docket.query import SearchTerm


def keys_of(ids: list[int]) -> list[str]:
    issues = Issue.objects.select_related("project").in_bulk(ids)
    return [issues[i].key for i in ids]


def found(user: Any, text: str, limit: int = 50) -> list[str]:
    """Keys of the ranked search results, best first."""
    return keys_of([hit.id for hit in search_issues(user, text, limit)])


def matching(user: Any, text: str) -> set[str]:
    """Keys of every visible issue the query matches (the list path: compile_issue_query)."""
    q, _ = compile_issue_query(text, user)
    return set(keys_of(list(visible_issues(user).filter(q).values_list("id", flat=True))))


def count(user: Any, text: str) -> int:
    q, _ = compile_issue_query(text, user)
    return visible_issues(user).filter(q).count()


def indexed(issue: Issue, word: str, field: str | None = None) -> bool:
    """Whether the index itself (no permission gate) has `word` in the issue's document."""
    term = SearchTerm(word, fields=(field,) if field else ())
    return issue_backend().contains(issue.pk, [term])
