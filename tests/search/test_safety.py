"""Whatever a user types, the backends get quoted terms: never a database error (500)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from docket.issues.models import Issue
from docket.issues.query_fields import compile_issue_query, issue_matches
from docket.issues.search import search_issues
from docket.query import QueryError
from tests.factories import make_issue
from tests.query.strategies import FAST, any_text, garbage
from tests.search.conftest import found

NASTY = [
    '"abc',
    'a"b',
    '"a""b"',
    '"',
    "'",
    "NEAR(",
    "NEAR(a b)",
    '"NEAR(a b)"',
    "*",
    "walrus*",
    "^walrus",
    "OR",
    '"OR"',
    "walrus OR",
    "AND",
    '"AND" "NOT"',
    "-",
    "-walrus",
    "- walrus",
    "{title}: walrus",
    "title : walrus",
    "walrus:*",
    "col:walrus",
    "(walrus",
    "walrus)",
    '"walrus" + "x"',
    "a & b | !c",
    "'walrus':A",
    "walrus <-> x",
    "walrus:*A",
    "\\",
    "\\\\'",
    "%s %%",
    "?",
    "$1",
    "😀 walrus",
    "x" * 1000,
    '"' + "walrus " * 200 + '"',
    "text:\"NEAR(\" comment:'*'",
    'comment:"{title}"',
]


@pytest.fixture
def walrus(cast):
    return make_issue(cast.alice, cast.web, title="Walrus (the big one)", description='Say "hi"')


def _all_paths(user, text: str, issue: Issue) -> None:
    """Ranked search, the list filter and the in-memory test: each QueryError or a result."""
    for run in (
        lambda: search_issues(user, text),
        lambda: list(Issue.objects.filter(compile_issue_query(text, user)[0])),
        lambda: issue_matches(text, issue, user),
    ):
        with contextlib.suppress(QueryError):
            run()


@pytest.mark.parametrize("text", NASTY)
def test_backend_syntax_in_user_input_is_just_text(cast, walrus, text):
    _all_paths(cast.alice, text, walrus)


def test_operators_are_searched_as_words_or_ignored(cast, walrus):
    assert found(cast.alice, "walrus*") == [walrus.key]  # no prefix search: just the word
    assert found(cast.alice, "walrus *") == [walrus.key]  # nothing to look up: left out
    assert found(cast.alice, '"NEAR(walrus"') == []  # the words near and walrus, in a row
    assert found(cast.alice, "{title}: walrus") == []  # the word "title" is not in it
    assert found(cast.alice, '"say hi"') == [walrus.key]  # punctuation between words: ignored
    assert found(cast.alice, '"big one" walrus') == [walrus.key]


def test_random_input_never_breaks_the_database(cast, walrus):
    @FAST
    @given(text=st.one_of(garbage, any_text))
    def check(text):
        _all_paths(cast.alice, text, walrus)

    check()


def test_the_api_answers_400_or_200_never_500(cast, walrus):
    api = cast.api(cast.alice)
    for text in NASTY:
        response = api.get("/issues", q=text)
        assert response.status_code in (200, 400), (text, response.content)
