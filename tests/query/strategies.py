"""Hypothesis strategies: random syntax trees, and random valid issue queries."""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st

from docket.query.ast import OPS, Node, Not, Query, SortKey, Term, Text, Value, and_, or_
from docket.query.printer import BARE_VALUE, BARE_WORD, LOOKS_LIKE_TERM, quote

FAST = settings(max_examples=100, deadline=None, database=None)

# Anything the tokenizer accepts: no NUL, no lone surrogates.
any_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))
names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True).filter(
    lambda n: n.lower() != "sort"
)
# Characters a bare value or word may hold (no white space, no control characters).
bare_chars = st.characters(
    blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp"), blacklist_characters='(),"'
)
bare_values = st.text(bare_chars, min_size=1).filter(lambda t: bool(BARE_VALUE.fullmatch(t)))
bare_words = st.text(bare_chars, min_size=1).filter(
    lambda t: (
        bool(BARE_WORD.fullmatch(t))
        and t not in ("AND", "OR", "NOT")
        and not LOOKS_LIKE_TERM.match(t)
    )
)
values = st.one_of(
    st.builds(Value, bare_values, st.just(False)), st.builds(Value, any_text, st.just(True))
)
terms = st.builds(
    Term, names, st.sampled_from(OPS), st.lists(values, min_size=1, max_size=3).map(tuple)
)
texts = st.one_of(st.builds(Text, bare_words), st.builds(Text, any_text, st.just(True)))


def _compound(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    many = st.lists(children, min_size=2, max_size=4)
    return st.one_of(
        st.builds(Not, children),
        many.map(lambda nodes: and_(*nodes)),
        many.map(lambda nodes: or_(*nodes)),
    )


trees = st.recursive(st.one_of(terms, texts), _compound, max_leaves=12)
sort_keys = st.builds(SortKey, names, st.booleans())
queries = st.builds(Query, st.none() | trees, st.lists(sort_keys, max_size=3).map(tuple))

# Query-ish garbage: mostly the characters that mean something, some of anything.
garbage = st.one_of(
    any_text,
    st.text(st.sampled_from(list('abs:<>=-,()"\\ @ORANDNOT0123456789dwm'))),
    st.lists(
        st.sampled_from(
            ["status:", "priority:>=", "due:<", "created:", "-", "NOT ", " OR ", "(", ")",
             '"', ",", "high", "none", "@me", "-7d", "today", "is:", "has:", "sort:", " ",
             "label:", "key:", "WEB-1", "9999-12-31", "0001-01-01", "-99999d", "resolution:"]
        )
    ).map("".join),
)  # fmt: skip

# Valid issue queries over the vocabulary of the test dataset (tests/query/conftest.py).
DATES = ["today", "yesterday", "tomorrow", "-7d", "+1w", "-1m", "2026-03-10", "2026-03-15",
         "2026-01-05", "2025-12-31", "2026-04-01"]  # fmt: skip
VOCABULARY: dict[str, list[str]] = {
    "status": ["new", "open", '"in progress"', "resolved", "closed"],
    "priority": ["lowest", "low", "medium", "high", "highest"],
    "severity": ["trivial", "minor", "major", "critical"],
    "type": ["bug", "task", "feature", "improvement"],
    "resolution": ["fixed", "wontfix", "none"],
    "assignee": ["alice", "bob", "@me", "none"],
    "reporter": ["alice", "carol", "@me"],
    "label": ["ui", "perf", "wontfix", "bug-bash", "UI", "none"],
    "component": ["Frontend", "backend", "none"],
    "milestone": ["1.0", "2.0", "none"],
    "confidential": ["true", "false"],
    "project": ["web", "API"],
    "key": ["WEB-1", "web-3", "API-1"],
    "comment": ["firefox", "secret", "none"],
    "title": ["login", "crash", "CSV"],
    "description": ["login", "nothing"],
    "text": ["login", '"rate limit"'],
    "is": ["open", "closed", "overdue", "unassigned", "confidential"],
    "has": ["due", "assignee", "milestone", "labels", "components", "comment", "resolution"],
    "due": [*DATES, "none"],
    "created": DATES,
    "updated": DATES,
    "resolved": [*DATES, "none"],
}
COMPARABLE = {"priority", "severity", "due", "created", "updated", "resolved"}


@st.composite
def issue_terms(draw: st.DrawFn) -> str:
    field = draw(st.sampled_from(sorted(VOCABULARY)))
    choices = [v for v in VOCABULARY[field] if v != "none"]
    if field in COMPARABLE and choices and draw(st.booleans()):
        return f"{field}{draw(st.sampled_from(OPS[1:]))}{draw(st.sampled_from(choices))}"
    picked = draw(st.lists(st.sampled_from(VOCABULARY[field]), min_size=1, max_size=2))
    return f"{field}:{','.join(picked)}"


issue_words = st.sampled_from(["login", "typo", quote("rate limit"), "LOGIN", "save"])


def _issue_compound(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    pair = st.tuples(children, children)
    return st.one_of(
        children.map(lambda c: f"-({c})"),
        pair.map(lambda p: f"({p[0]} {p[1]})"),
        pair.map(lambda p: f"({p[0]} OR {p[1]})"),
    )


issue_queries = st.recursive(st.one_of(issue_terms(), issue_words), _issue_compound, max_leaves=6)
