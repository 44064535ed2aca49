"""The in-memory evaluator, and its agreement with the compiler on real rows."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from hypothesis import given
from hypothesis import strategies as st

from docket.issues.models import Issue
from docket.issues.query_fields import (
    check_issue_query,
    compile_issue_query,
    issue_matches,
)
from docket.query import parse
from tests.query.conftest import NOW
from tests.query.strategies import FAST, issue_queries
from tests.query.test_compiler import CASES


def _loaded() -> list[Issue]:
    return list(
        Issue.objects.select_related("project", "status", "reporter", "assignee", "milestone")
        .prefetch_related("labels", "components", "comments")
        .order_by("id")
    )


def _agree(text: str, user, issues: list[Issue]) -> None:
    q, _ = compile_issue_query(text, user, now=NOW)
    in_db = set(Issue.objects.filter(q).values_list("id", flat=True))
    checked = check_issue_query(text)
    in_memory = {i.id for i in issues if issue_matches(checked, i, user, now=NOW)}
    assert in_db == in_memory, text


def test_evaluator_matches_the_expected_issues(data):
    issues = _loaded()
    for text, names in CASES.items():
        expected = {data.issues[name].id for name in names}
        got = {i.id for i in issues if issue_matches(text, i, data.cast.alice, now=NOW)}
        assert got == expected, text


def test_compiler_and_evaluator_agree_on_the_examples(data):
    issues = _loaded()
    for text in CASES:
        _agree(text, data.cast.alice, issues)
        _agree(text, AnonymousUser(), issues)


def test_compiler_and_evaluator_agree_on_random_queries(data):
    issues = _loaded()
    users = st.sampled_from([data.cast.alice, data.cast.bob, AnonymousUser()])

    @FAST
    @given(issue_queries, users)
    def check(text, user):
        _agree(text, user, issues)

    check()


def test_issue_matches_accepts_text_parsed_or_checked(data):
    crash = data.issues["crash"]
    alice = data.cast.alice
    assert issue_matches("assignee:@me is:closed", crash, alice, now=NOW)
    assert issue_matches(parse("label:ui"), crash, alice, now=NOW)
    assert not issue_matches(check_issue_query("is:open"), crash, alice, now=NOW)
    assert not issue_matches("assignee:@me", crash, AnonymousUser(), now=NOW)


def test_relative_dates_are_resolved_when_evaluated(data):
    checked = check_issue_query("due:<today")  # a saved rule keeps its meaning
    export = data.issues["export"]  # due 2026-03-15
    assert not issue_matches(checked, export, data.cast.alice, now=NOW)
    assert issue_matches(checked, export, data.cast.alice, now=NOW.replace(day=16))
