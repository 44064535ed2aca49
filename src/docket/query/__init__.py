"""The Docket query language: one grammar, parsed to a syntax tree, checked against a field
registry, then compiled to a Django Q + ordering or evaluated against one object in memory.

Generic: it knows the fields of issues (or anything else) only through a `Registry`.
See docs/query-language.md.

    query = parse(text)                         # syntax only          -> Query
    checked = validate(query, registry)         # fields and values    -> CheckedQuery
    q, order = compile_query(checked, ctx)      # for the database
    ok = evaluate(checked, obj, ctx)            # for one object

Every step raises QueryError and nothing else for bad input.
"""

from docket.query.ast import And, Node, Not, Or, Query, SortKey, Term, Text, Value
from docket.query.checked import CheckedQuery
from docket.query.compiler import compile_query
from docket.query.context import Context
from docket.query.errors import QueryError
from docket.query.evaluator import evaluate
from docket.query.fields import Field, Flag, Kind, Registry
from docket.query.limits import MAX_DEPTH, MAX_LENGTH, MAX_TERMS
from docket.query.parser import parse
from docket.query.printer import to_text
from docket.query.search import ContainsSearch, IndexedSearch, SearchTerm, TextSearch
from docket.query.validator import validate

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_TERMS",
    "And",
    "CheckedQuery",
    "ContainsSearch",
    "Context",
    "Field",
    "Flag",
    "IndexedSearch",
    "Kind",
    "Node",
    "Not",
    "Or",
    "Query",
    "QueryError",
    "Registry",
    "SearchTerm",
    "SortKey",
    "Term",
    "Text",
    "TextSearch",
    "Value",
    "compile_query",
    "evaluate",
    "parse",
    "to_text",
    "validate",
]
