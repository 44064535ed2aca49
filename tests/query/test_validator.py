"""Checking a parsed query against the issue fields: names, values, operators, suggestions."""

from __future__ import annotations

import pytest

from docket.issues.query_fields import ISSUE_QUERY, check_issue_query
from docket.query import QueryError, parse, validate
from docket.query.checked import EMPTY, ME, AllOf, AnyOf, Cond, Negate, Search
from docket.query.dates import DateSpec

pytestmark = pytest.mark.django_db


def error(text: str) -> QueryError:
    with pytest.raises(QueryError) as info:
        check_issue_query(text)
    return info.value


def cond(text: str) -> Cond:
    where = check_issue_query(text).where
    assert isinstance(where, Cond)
    return where


def test_unknown_field_suggests_the_closest():
    exc = error("stauts:open")
    assert (exc.message, exc.position, exc.suggestion) == ("unknown field 'stauts'", 0, "status")
    assert str(exc) == "unknown field 'stauts' at 0 — did you mean 'status'?"


def test_unknown_field_position_inside_the_query():
    assert error("is:open asignee:bob").position == 8


def test_unknown_enum_value_suggests():
    exc = error("priority:hihg")
    assert str(exc) == "unknown priority 'hihg' at 9 — did you mean 'high'?"
    assert exc.expected == ["lowest", "low", "medium", "high", "highest"]


def test_enum_values_ignore_case_and_punctuation():
    assert cond("priority:HIGH").operands == (4,)
    assert cond('resolution:wontfix,"won\'t fix",Wont_Fix').operands == ("won't fix",) * 3
    assert cond("type:bug,Task").operands == ("bug", "task")


def test_status_names_come_from_the_workflows(cast):
    operands = cond('status:open,"in progress",inprogress').operands
    assert operands == ("Open", "In Progress", "In Progress")
    exc = error("status:opne")
    assert exc.suggestion == "open"
    assert "in progress" in exc.expected


def test_aliases():
    assert cond("label:ui").field is cond("labels:ui").field
    assert cond("component:x").field.name == "components"
    assert cond("due_date:today").field.name == "due"


def test_field_names_ignore_case():
    assert cond("Priority:high").field.name == "priority"


def test_me_and_none():
    assert cond("assignee:@me,none,bob").operands == (ME, EMPTY, "bob")
    assert cond('assignee:"none"').operands == ("none",)  # quoted: a user called none


def test_none_on_a_field_that_is_never_empty():
    assert "never empty" in error("priority:none").message


def test_me_only_on_people():
    assert "people fields" in error("label:@me").message


def test_comparisons_only_on_ordered_fields():
    exc = error("status:>open")
    assert exc.message == "'status' cannot be compared with '>'"
    assert exc.position == 6
    assert cond("priority:>=high").op == ":>="
    assert isinstance(cond("created:<-7d").operands[0], DateSpec)


def test_a_comparison_takes_one_value():
    assert error("priority:>low,high").position == 14


def test_dates_are_checked():
    exc = error("due:<2026-02-30")
    assert exc.message.startswith("invalid date '2026-02-30'")
    assert exc.position == 5


def test_bool():
    assert cond("confidential:yes").operands == (True,)
    assert error("confidential:maybe").expected == ["true", "yes", "false", "no"]


def test_issue_keys():
    assert cond("key:web-12").operands == (("WEB", 12),)
    assert "not an issue key" in error("key:12").message
    assert "not an issue key" in error("key:WEB-99999999999").message


@pytest.mark.parametrize("field", ["parent", "blocks", "linked"])
def test_fields_naming_an_issue_take_a_key(field):
    assert cond(f"{field}:web-12").operands == (("WEB", 12),)
    assert "not an issue key" in error(f"{field}:x").message


def test_is_flags_expand_to_queries():
    assert check_issue_query("is:closed").where == check_issue_query("category:done").where
    overdue = check_issue_query("is:overdue").where
    assert isinstance(overdue, AllOf)
    assert isinstance(overdue.children[1], Negate)


def test_unknown_flag():
    exc = error("is:opne")
    assert exc.suggestion == "open"
    assert exc.position == 3


def test_is_list_is_an_or():
    assert isinstance(check_issue_query("is:open,unassigned").where, AnyOf)


def test_has():
    where = check_issue_query("has:due").where
    assert where == Negate(Cond(ISSUE_QUERY.field("due"), ":", (EMPTY,)))
    assert "never empty" in error("has:title").message
    assert error("has:milestnoe").suggestion == "milestone"


def test_free_text_and_text_field_become_searches():
    words = check_issue_query('login "exact phrase" text:foo').where
    assert isinstance(words, AllOf)
    assert [(s.text, s.phrase) for s in words.children] == [  # type: ignore[union-attr]
        ("login", False),
        ("exact phrase", True),
        ("foo", False),
    ]
    assert all(isinstance(s, Search) for s in words.children)


def test_empty_value():
    assert error('title:""').message.startswith("expected a value")


def test_sort():
    sort = check_issue_query("sort:priority-desc,due").sort
    assert [(s.field.name, s.desc) for s in sort] == [("priority", True), ("due", False)]
    exc = error("sort:prority")
    assert exc.suggestion == "priority"
    assert "cannot sort by 'labels'" in error("sort:labels").message


def test_default_sort():
    sort = check_issue_query("").sort
    assert [(s.field.name, s.desc) for s in sort] == [("created", True)]


def test_validate_takes_a_parsed_query():
    assert validate(parse("priority:high"), ISSUE_QUERY) == check_issue_query("priority:high")
