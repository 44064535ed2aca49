"""Ranking: title hits first, then relevance; phrases, stemming, snippets, bounded windows."""

from __future__ import annotations

import pytest

from docket.issues import actions
from docket.issues import comments as issue_comments
from docket.issues.search import search_issues
from docket.query.search import ranking
from docket.query.search.marks import END, START, highlight
from tests.factories import make_issue
from tests.search.conftest import found, matching


@pytest.fixture
def zoo(cast):
    a, web = cast.alice, cast.web
    return {
        "body": make_issue(a, web, title="Feeding schedule", description="walrus " * 5),
        "title": make_issue(a, web, title="Walrus escaped", description="Again."),
        "once": make_issue(
            a, web, title="Keeper notes", description="Long notes. " * 30 + "One walrus."
        ),
        "other": make_issue(a, web, title="Penguin pool", description="Cold water"),
    }


def test_title_hits_come_first_then_the_better_body_match(cast, zoo):
    keys = {name: issue.key for name, issue in zoo.items()}
    assert found(cast.alice, "walrus") == [keys["title"], keys["body"], keys["once"]]


def test_title_hits_are_ranked_one_and_up(cast, zoo):
    ranks = [hit.rank for hit in search_issues(cast.alice, "walrus")]
    assert 1 <= ranks[0] < 2 and all(0 <= r < 1 for r in ranks[1:])
    assert ranks[1] > ranks[2]


def test_a_title_hit_needs_every_word_in_the_title(cast):
    both = make_issue(cast.alice, cast.web, title="Walrus and penguin")
    split = make_issue(cast.alice, cast.web, title="Walrus", description="penguin " * 9)
    assert found(cast.alice, "penguin walrus") == [both.key, split.key]


def test_every_word_must_match(cast, zoo):
    assert found(cast.alice, "walrus penguin") == []
    assert found(cast.alice, "walrus escaped") == [zoo["title"].key]


def test_phrases_need_the_words_together_and_in_order(cast):
    hit = make_issue(cast.alice, cast.web, title="Login button broken")
    make_issue(cast.alice, cast.web, title="Button to login is broken")
    assert found(cast.alice, '"login button"') == [hit.key]
    assert matching(cast.alice, '"login button"') == {hit.key}
    assert len(found(cast.alice, "login button")) == 2


def test_words_are_stemmed_and_case_folded(cast):
    issue = make_issue(cast.alice, cast.web, title="Export CRASHES on save")
    assert found(cast.alice, "crash") == [issue.key]
    assert found(cast.alice, "Crashing") == [issue.key]
    assert found(cast.alice, "crashes save") == [issue.key]


def test_other_terms_of_the_query_filter(cast, zoo):
    actions.update_issue(actor=cast.alice, issue=zoo["body"], changes={"priority": "high"})
    assert found(cast.alice, "walrus priority:high") == [zoo["body"].key]
    assert found(cast.alice, "walrus -priority:high") == [zoo["title"].key, zoo["once"].key]
    assert found(cast.alice, "walrus project:nope") == []


def test_words_under_or_filter_and_results_come_newest_first(cast, zoo):
    hits = search_issues(cast.alice, "walrus OR penguin")
    assert [hit.rank for hit in hits] == [0.0] * 4
    assert [h.id for h in hits] == sorted((i.id for i in zoo.values()), reverse=True)


def test_comment_field_looks_only_in_comments(cast, zoo):
    issue_comments.add_comment(actor=cast.bob, issue=zoo["other"], body="a walrus visited")
    assert found(cast.alice, "comment:walrus") == [zoo["other"].key]
    assert matching(cast.alice, "comment:walrus") == {zoo["other"].key}
    assert matching(cast.alice, "text:walrus") == {i.key for i in zoo.values()}
    assert matching(cast.alice, "comment:none") == {zoo[n].key for n in ("body", "title", "once")}


def test_field_searches_alone_have_no_title_tier(cast, zoo):
    issue_comments.add_comment(actor=cast.bob, issue=zoo["title"], body="walrus")
    (hit,) = search_issues(cast.alice, "comment:walrus")
    assert hit.id == zoo["title"].id and hit.rank < 1
    (hit,) = search_issues(cast.alice, "escaped comment:walrus")
    assert hit.rank >= 1


def test_snippets_highlight_the_match_in_escaped_html(cast):
    make_issue(
        cast.alice, cast.web, title="XSS", description="Paste <script>alert(1)</script> walrus"
    )
    (hit,) = search_issues(cast.alice, "walrus")
    assert "<mark>walrus</mark>" in hit.snippet and "alert" in hit.snippet
    assert hit.snippet.replace("<mark>", "").replace("</mark>", "").count("<") == 0


def test_snippets_come_from_the_body_field_that_matched(cast):
    issue = make_issue(cast.alice, cast.web, title="Walrus", description="Nothing here")
    issue_comments.add_comment(actor=cast.bob, issue=issue, body="The walrus again")
    (hit,) = search_issues(cast.alice, "walrus")
    assert "<mark>walrus</mark> again" in hit.snippet


def test_a_title_only_match_gets_the_title_as_snippet(cast):
    make_issue(cast.alice, cast.web, title="Walrus", description="Nothing here")
    (hit,) = search_issues(cast.alice, "walrus")
    assert hit.snippet == "<mark>Walrus</mark>"


def test_limit(cast, zoo):
    assert len(search_issues(cast.alice, "walrus", limit=2)) == 2
    assert len(search_issues(cast.alice, "walrus", limit=0)) == 1


def test_only_the_newest_window_of_matches_is_ranked(cast, monkeypatch):
    """The documented trade-off: beyond WINDOW matches per tier, older ones are not ranked."""
    best = make_issue(cast.alice, cast.web, title="Notes", description="Walrus, walrus.")
    newer = [
        make_issue(cast.alice, cast.web, title="N", description="A walrus, seen from afar.")
        for _ in range(3)
    ]
    assert found(cast.alice, "walrus")[0] == best.key
    monkeypatch.setattr(ranking, "WINDOW", 3)
    assert found(cast.alice, "walrus") == [i.key for i in reversed(newer)]


def test_title_hits_fill_up_with_body_hits_from_their_own_window(cast, monkeypatch):
    """Tier 2 looks at the newest WINDOW matches; tier 1 already found all title hits."""
    monkeypatch.setattr(ranking, "HEAD_WINDOW", 2)
    monkeypatch.setattr(ranking, "WINDOW", 2)
    old_title = make_issue(cast.alice, cast.web, title="Walrus")
    bodies = [make_issue(cast.alice, cast.web, title="N", description="walrus") for _ in range(3)]
    assert found(cast.alice, "walrus", limit=2) == [old_title.key, bodies[-1].key]


def test_highlight_escapes_balances_marks_and_keeps_one_line():
    assert highlight(f'a <b> {START}x{END}\n\n"y" {START}z') == (
        "a &lt;b&gt; <mark>x</mark> &quot;y&quot; z"
    )
