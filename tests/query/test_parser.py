"""The grammar: what text becomes which tree, and where syntax errors point."""

from __future__ import annotations

import pytest

from docket.query import MAX_DEPTH, MAX_LENGTH, MAX_TERMS, QueryError, parse, to_text
from docket.query.ast import And, Not, Or, Query, SortKey, Term, Text, Value


def term(name: str, *values: str, op: str = ":") -> Term:
    return Term(name, op, tuple(Value(v) for v in values))


def test_empty_query_matches_everything():
    assert parse("") == Query()
    assert parse("   ") == Query()


def test_terms_lists_and_quoted_values():
    where = parse('status:open,"in progress"').where
    assert where == Term("status", ":", (Value("open"), Value("in progress", quoted=True)))
    assert [v.pos for v in where.values] == [7, 12]


def test_implicit_and_flattens():
    assert parse("a b (c d)").where == And((Text("a"), Text("b"), Text("c"), Text("d")))


def test_or_binds_looser_than_and():
    where = parse("a b OR c AND d").where
    assert where == Or((And((Text("a"), Text("b"))), And((Text("c"), Text("d")))))


def test_parentheses_group():
    assert parse("a (b OR c)").where == And((Text("a"), Or((Text("b"), Text("c")))))


@pytest.mark.parametrize("text", ["-label:wontfix", "NOT label:wontfix"])
def test_negation(text):
    assert parse(text).where == Not(term("label", "wontfix"))


def test_negated_group():
    assert parse("-(a OR b)").where == Not(Or((Text("a"), Text("b"))))


@pytest.mark.parametrize("op", [":", ":>", ":>=", ":<", ":<="])
def test_comparison_operators(op):
    assert parse(f"priority{op}high").where == term("priority", "high", op=op)


def test_values_may_start_with_a_minus():
    assert parse("updated:<-7d").where == term("updated", "-7d", op=":<")


def test_phrases_and_escapes():
    assert parse('"exact phrase"').where == Text("exact phrase", phrase=True)
    assert parse(r'"say \"hi\" \\ bye"').where == Text('say "hi" \\ bye', phrase=True)


def test_keywords_are_capitals_only():
    assert parse("a or b").where == And((Text("a"), Text("or"), Text("b")))
    assert parse("ORANGE NOTE").where == And((Text("ORANGE"), Text("NOTE")))


def test_label_named_like_a_keyword():
    assert parse("label:OR").where == term("label", "OR")


def test_sort_is_collected_separately():
    query = parse("sort:priority-desc,created is:open sort:-updated")
    assert query.where == term("is", "open")
    assert query.sort == (SortKey("priority", True), SortKey("created"), SortKey("updated", True))


def test_sort_asc_suffix():
    assert parse("sort:due-asc").sort == (SortKey("due"),)


@pytest.mark.parametrize("text", ["a OR sort:x", "-sort:x", "a (b OR sort:x)"])
def test_sort_only_at_top_level(text):
    with pytest.raises(QueryError, match="top level"):
        parse(text)


@pytest.mark.parametrize(
    "text, position, message",
    [
        ("(a b", 0, "unclosed '('"),
        ("a (b (c)", 2, "unclosed '('"),
        ("a b)", 3, "unmatched ')'"),
        ('title:"abc', 6, "unterminated quote"),
        ("status:", 7, "unexpected end of query"),
        ("a OR", 4, "unexpected end of query"),
        ("status:open,", 12, "unexpected end of query"),
        (",a", 0, "unexpected ','"),
        ("a -", 3, "unexpected end of query"),
        ("()", 1, "unexpected ')'"),
        ("a\x00b", 1, "query contains an invalid character"),
    ],
)
def test_syntax_errors_point_at_the_problem(text, position, message):
    with pytest.raises(QueryError) as info:
        parse(text)
    assert info.value.position == position
    assert info.value.message.startswith(message)


def test_error_lists_what_was_expected():
    with pytest.raises(QueryError) as info:
        parse("status:")
    assert info.value.expected == ["a quoted phrase", "a value"]
    assert str(info.value) == ("unexpected end of query, expected a quoted phrase or a value at 7")


def test_too_long():
    with pytest.raises(QueryError, match="too long") as info:
        parse("a" * (MAX_LENGTH + 1))
    assert info.value.position == MAX_LENGTH
    parse("a" * MAX_LENGTH)


def test_too_many_terms():
    parse(" ".join(["a"] * MAX_TERMS))
    with pytest.raises(QueryError, match="too complex"):
        parse(" ".join(["a"] * (MAX_TERMS + 1)))
    with pytest.raises(QueryError, match="too complex"):
        parse("label:" + ",".join(["a"] * (MAX_TERMS + 1)))


def test_too_deep():
    parse("(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH)
    with pytest.raises(QueryError, match="too complex") as info:
        parse("(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1))
    assert info.value.position == MAX_DEPTH
    with pytest.raises(QueryError, match="too complex"):
        parse("NOT " * (MAX_DEPTH + 1) + "a")


def test_very_deep_input_is_refused_cheaply():
    with pytest.raises(QueryError, match="too complex"):
        parse("-" * 1999 + "a")


@pytest.mark.parametrize(
    "text",
    [
        'status:open,"in progress" -label:wontfix priority:>=high',
        "a b OR c (d OR -e) NOT f",
        '"OR" "a:b" -"x y" sort:priority-desc,key',
        "(a OR b) sort:due",
        "--a",
        # A value that starts like a longer operator keeps its space (found by Hypothesis).
        "due: <0",
        "due: >x",
        "due:< =5",
        "due:> =",
    ],
)
def test_printing_round_trips(text):
    query = parse(text)
    assert parse(to_text(query)) == query
