"""Full-text search: the query language's hook (hook.py), indexes of plain documents with
SQLite FTS5 and PostgreSQL backends (index.py, sqlite.py, postgres.py) and bounded ranking
(ranking.py). Generic: documents are handed in by the apps; nothing here knows issues."""

from docket.query.search.hook import ContainsSearch, SearchTerm, TextSearch
from docket.query.search.index import (
    Document,
    IndexedSearch,
    IndexSpec,
    SearchBackend,
    backend_for,
)

__all__ = [
    "ContainsSearch",
    "Document",
    "IndexSpec",
    "IndexedSearch",
    "SearchBackend",
    "SearchTerm",
    "TextSearch",
    "backend_for",
]
