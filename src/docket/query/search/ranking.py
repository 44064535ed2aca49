"""Ranked results, with work bounded by design whatever the words.

Ranking costs per match (the backend's `scores` reads each candidate), so a word found in
every document would cost as much as there are documents. Instead each tier ranks a
bounded number of candidates, found newest first (an index walk that stops early, see walk.py):

1. first-field hits ("title hits"): the newest HEAD_WINDOW documents whose first field
   alone matches every term, best first;
2. if that gives fewer than `limit`, the newest WINDOW matches anywhere, best first.

With fewer matches than that (most searches) the ranking is exact; beyond, it is the best of
the newest ones, so an old document can lose to a newer one that scores lower. See
docs/query-language.md, "Full-text search".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, NamedTuple

from django.db.models import QuerySet

from docket.query.checked import AllOf, Checked, Search
from docket.query.search.hook import SearchTerm
from docket.query.search.index import SearchBackend
from docket.query.search.marks import highlight, is_marked
from docket.query.search.terms import searchable

HEAD_WINDOW = 500  # first-field hits ranked, at most
WINDOW = 1000  # other matches ranked, at most


class Hit(NamedTuple):
    """`rank`: higher is better; first-field hits are 1 <= rank < 2, the others 0 <= rank < 1.
    `snippet`: HTML (escaped text, matches in <mark>), or "" when nothing could be shown."""

    id: int
    rank: float
    snippet: str


def split_terms(where: Checked | None) -> tuple[list[SearchTerm], Checked | None]:
    """The searches every result must match (the top level of the query) and the rest."""
    if isinstance(where, Search):
        return [where.term], None
    if not isinstance(where, AllOf):
        return [], where
    terms = [child.term for child in where.children if isinstance(child, Search)]
    rest = [child for child in where.children if not isinstance(child, Search)]
    return terms, (AllOf(tuple(rest)) if len(rest) > 1 else rest[0] if rest else None)


def ranked(
    backend: SearchBackend, terms: Sequence[SearchTerm], gate: QuerySet[Any], limit: int
) -> list[Hit]:
    """The best `limit` (at most HEAD_WINDOW) documents matching every term among the rows
    of `gate`."""
    terms = searchable(terms)
    limit = min(limit, HEAD_WINDOW, WINDOW)
    if not terms or limit < 1:
        return []
    head = backend.spec.fields[:1]
    head_terms = [t if t.fields else replace(t, fields=head) for t in terms]
    free = any(not t.fields for t in terms)  # only `comment:`-like terms: no title tier
    first = backend.newest(head_terms, gate, HEAD_WINDOW) if free else []
    hits = _best(backend, terms, first, 1.0, limit)
    if len(hits) < limit:
        seen = set(first)
        rest = [i for i in backend.newest(terms, gate, WINDOW) if i not in seen]
        hits += _best(backend, terms, rest, 0.0, limit - len(hits))
    return with_snippets(backend, terms, hits)


def _best(
    backend: SearchBackend, terms: list[SearchTerm], ids: list[int], tier: float, count: int
) -> list[Hit]:
    scores = backend.scores(terms, ids) if ids else {}
    best = sorted(ids, key=lambda i: (-scores.get(i, 0.0), -i))[:count]
    return [Hit(i, tier + _squash(scores.get(i, 0.0)), "") for i in best]


def _squash(score: float) -> float:
    """Any score >= 0 into [0, 1), keeping the order."""
    score = max(score, 0.0)
    return score / (1.0 + score)


def with_snippets(
    backend: SearchBackend, terms: Sequence[SearchTerm], hits: list[Hit]
) -> list[Hit]:
    """The hits with a snippet each: from the first other field that shows a match, else
    from the first field, else the start of the first other field that has text."""
    terms = searchable(terms)
    if not hits or not terms:
        return hits
    parts = backend.snippets(terms, [hit.id for hit in hits])
    return [hit._replace(snippet=_pick(parts.get(hit.id, []))) for hit in hits]


def _pick(parts: list[str]) -> str:
    ordered = [*parts[1:], *parts[:1]]
    chosen = next((p for p in ordered if is_marked(p)), None)
    if chosen is None:
        chosen = next((p for p in parts[1:] if p.strip()), "")
    return highlight(chosen)
