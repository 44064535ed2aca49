"""Ranked full-text search: `GET /search?q=…` (title hits first, highlighted snippets)."""

from __future__ import annotations

from typing import Any

from ninja import Query, Router, Schema
from pydantic import Field

from docket.accounts.api_auth import ApiRequest
from docket.issues.queries import issues_by_id
from docket.issues.schemas import IssueOut
from docket.issues.search import search_issues

router = Router(tags=["search"])


class SearchParams(Schema):
    q: str = Field(min_length=1, max_length=2000, description="Words, phrases and any filters")
    limit: int = Field(50, ge=1, le=200)


class SearchHit(Schema):
    rank: float
    snippet: str = Field(description="Escaped HTML; matches wrapped in <mark>")
    issue: IssueOut


class SearchResults(Schema):
    items: list[SearchHit]


@router.get("/search", response=SearchResults, summary="Full-text search, best matches first")
def search(request: ApiRequest, params: Query[SearchParams]) -> Any:
    hits = search_issues(request.auth, params.q, params.limit)
    issues = issues_by_id(request.auth, [h.id for h in hits])
    # Built without validating again, as issues/api.py's reads (tests/api/test_read_shapes.py).
    items = [
        SearchHit.model_construct(
            rank=h.rank, snippet=h.snippet, issue=IssueOut.model_construct(**issues[h.id])
        )
        for h in hits
        if h.id in issues
    ]
    return SearchResults.model_construct(items=items)
