"""The query package on its own: a registry over plain objects, no issues, no database."""

from __future__ import annotations

import ast
import datetime as dt
import pathlib
from dataclasses import dataclass, field

import pytest
from django.db.models import F, Q
from django.db.models.expressions import OrderBy

import docket.query
from docket.query import (
    ContainsSearch,
    Context,
    Field,
    Flag,
    Kind,
    QueryError,
    Registry,
    compile_query,
    evaluate,
    parse,
    validate,
)

NOW = dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC)


@dataclass
class Doc:
    name: str
    size: str = "small"
    owner: str | None = None
    tags: list[str] = field(default_factory=list)
    day: dt.date | None = None


def _tagged(q: Q) -> Q:
    return Q(pk__in=[])  # stands in for a subquery; not run here


DOCS = Registry(
    [
        Field("name", Kind.TEXT, "name", lambda d: d.name, sort=("name",)),
        Field(
            "size", Kind.ENUM, "size", lambda d: d.size,
            values=(("small", "s"), ("large", "l")), ordered=True,
        ),
        Field("owner", Kind.USER, "owner", lambda d: d.owner, nullable=True),
        Field("tag", Kind.NAME, "tag", lambda d: d.tags, nullable=True, within=_tagged),
        Field("day", Kind.DATE, "day", lambda d: d.day, nullable=True, sort=("day",)),
    ],
    flags=[Flag("mine", "owner:@me")],
    search=ContainsSearch(("name",), lambda d: (d.name,)),
)  # fmt: skip


def check(text: str, doc: Doc, me: str | None = "ann") -> bool:
    return evaluate(validate(parse(text), DOCS), doc, Context(now=NOW, me=me))


def test_evaluate_plain_objects():
    doc = Doc("Quarterly report", size="l", owner="ann", tags=["finance"], day=dt.date(2026, 4, 1))
    assert check("report size:>small is:mine tag:FINANCE day:<today", doc)
    assert check("-tag:legal has:tag day:-30d", doc)
    assert not check("is:mine", doc, me=None)
    assert check("owner:none OR quarterly", Doc("quarterly"))
    assert not check("has:owner", Doc("x"))


def test_ordered_enums_compare_by_their_listed_order():
    # stored "l" sorts before "s", but large comes after small
    assert check("size:>small", Doc("x", size="l"))
    assert not check("size:<small", Doc("x", size="l"))


def test_compile_to_q():
    checked = validate(parse("size:>=large -owner:bob day:today"), DOCS)
    q, ordering = compile_query(checked, Context(now=NOW, me="ann"))
    assert q == (
        Q(size__in=("l",))
        & ~(Q(owner__exact="bob") & Q(owner__isnull=False))
        & (Q(day__exact=dt.date(2026, 5, 1)) & Q(day__isnull=False))
    )
    assert ordering == [OrderBy(F("pk"), descending=False)]


def test_sort_puts_empty_values_last():
    _, ordering = compile_query(validate(parse("sort:day-desc,name"), DOCS), Context(now=NOW))
    assert ordering == [
        OrderBy(F("day"), descending=True, nulls_last=True),
        OrderBy(F("name")),
        OrderBy(F("pk"), descending=True),
    ]


def test_registry_refuses_clashing_names():
    with pytest.raises(ValueError, match="taken"):
        Registry([Field("a", Kind.TEXT), Field("b", Kind.TEXT, aliases=("a",))])
    with pytest.raises(ValueError, match="taken"):
        Registry([Field("sort", Kind.TEXT)])


def test_the_plain_words_of_an_and_reach_the_text_search_together():
    calls = []

    class Recording:
        def q(self, terms):
            calls.append([(t.text, t.phrase, t.fields) for t in terms])
            return Q(pk__in=[])

        def matches(self, obj, terms):
            return True

    fields = [Field("name", Kind.TEXT, "name"), Field("body", Kind.SEARCH, searches=("body",))]
    registry = Registry(fields, search=Recording())
    checked = validate(parse('a "b c" -d (e OR f) name:x body:g'), registry)
    compile_query(checked, Context(now=NOW))
    assert calls == [
        [("d", False, ())],
        [("e", False, ())],
        [("f", False, ())],
        [("a", False, ()), ("b c", True, ()), ("g", False, ("body",))],
    ]


def test_no_text_search_configured():
    plain = Registry([Field("a", Kind.TEXT, "a")])
    with pytest.raises(QueryError, match="text search is not available"):
        validate(parse("hello"), plain)


def test_query_package_does_not_import_the_apps():
    package = pathlib.Path(docket.query.__file__).parent
    for path in package.rglob("*.py"):  # search/ too: backends index plain documents
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith(("docket.issues", "docket.projects")), path
