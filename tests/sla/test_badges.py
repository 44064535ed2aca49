"""SLA badges on pages: the issue list's SLA column and the board's cards (docs/web.md)."""

from __future__ import annotations

import re
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from docket.issues import comments
from docket.issues.actions import transition
from docket.issues.models import Issue
from tests.factories import make_issue
from tests.sla.conftest import replay_all, sweep
from tests.sla.test_issue_fields_api import add_policy

BADGE = re.compile(
    r'<span class="sla-badge sla-([a-z-]+)" title="([^"]*)">'
    r'<span class="visually-hidden">SLA: </span>([^<]*)</span>'
)


def _as(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def badges(html: str) -> list[tuple[str, str, str]]:
    """(state class, title, words) of each badge, in page order."""
    return BADGE.findall(html)


def row_of(html: str, key: str) -> str:
    match = re.search(rf'<tr data-nav-item data-key="{key}">.*?</tr>', html, re.S)
    assert match, f"no row for {key}"
    return match.group()


def card_of(html: str, key: str) -> str:
    match = re.search(rf'<li class="kanban-card[^"]*" id="card-{key}".*?</li>', html, re.S)
    assert match, f"no card for {key}"
    return match.group()


def test_the_sla_column_is_added_on_request_and_shows_each_state(cast: Any, clock: Any) -> None:
    add_policy(cast)
    held = make_issue(cast.bob, cast.web, title="Checkout fails", priority="high")
    free = make_issue(cast.bob, cast.web, title="Typo", priority="low")
    replay_all()
    bob = _as(cast.bob)
    plain = bob.get("/p/WEB/").content.decode()
    assert "<th" in plain and ">SLA<" not in plain and "sla-badge" not in plain
    assert "Show an SLA column" in plain and "columns=sla" in plain

    page = bob.get("/p/WEB/", {"columns": "sla", "q": ""}).content.decode()
    assert ">SLA</a>" in page and "Hide the SLA column" in page
    assert badges(row_of(page, f"WEB-{held.number}")) == [
        ("running", "SLA running; due 2026-01-05 13:00 UTC", "due in 1h")
    ]
    assert '<td class="sla"></td>' in row_of(page, f"WEB-{free.number}")  # no policy: nothing

    clock.advance(minutes=47)  # past 75 % of the hour: at risk
    sweep(clock)
    page = bob.get("/p/WEB/", {"columns": "sla", "q": ""}).content.decode()
    assert badges(row_of(page, f"WEB-{held.number}")) == [
        ("at-risk", "SLA at risk; due 2026-01-05 13:00 UTC", "due in 13m")
    ]
    clock.advance(hours=2, minutes=13)  # past the first response's deadline by 2 h
    sweep(clock)
    page = bob.get("/p/WEB/", {"columns": "sla", "q": ""}).content.decode()
    assert badges(row_of(page, f"WEB-{held.number}")) == [
        ("breached", "SLA breached; was due 2026-01-05 13:00 UTC", "breached 2h ago")
    ]


def test_paused_and_met_badges(cast: Any, clock: Any) -> None:
    add_policy(cast)
    issue = make_issue(cast.carol, cast.web, title="Login loop", priority="high")
    comments.add_comment(actor=cast.alice, issue=issue, body="On it.")  # the first response
    replay_all()
    transition(actor=cast.alice, issue=issue, to="in progress")  # the policy's pause state
    replay_all()
    page = _as(cast.bob).get("/p/WEB/", {"columns": "sla", "q": ""}).content.decode()
    assert badges(row_of(page, f"WEB-{issue.number}")) == [("paused", "SLA paused", "paused")]
    issue.refresh_from_db()
    transition(actor=cast.alice, issue=issue, to="resolved", fields={"resolution": "fixed"})
    replay_all()
    page = _as(cast.bob).get("/p/WEB/", {"columns": "sla", "q": ""}).content.decode()
    assert [b[0::2] for b in badges(row_of(page, f"WEB-{issue.number}"))] == [("met", "met")]


def test_the_sla_header_sorts_by_sla_and_links_keep_the_column(cast: Any, clock: Any) -> None:
    add_policy(cast)
    first = make_issue(cast.bob, cast.web, title="Filed first", priority="high")
    clock.advance(minutes=20)
    second = make_issue(cast.bob, cast.web, title="Filed second", priority="high")
    make_issue(cast.bob, cast.web, title="No clock", priority="low")
    replay_all()
    bob = _as(cast.bob)
    page = bob.get("/p/WEB/", {"columns": "sla", "q": ""}).content.decode()
    assert 'href="/p/WEB/?q=&amp;sort=sla&amp;columns=sla">SLA</a>' in page
    assert '<input type="hidden" name="columns" value="sla">' in page  # the query bar keeps it
    sorted_page = bob.get("/p/WEB/", {"columns": "sla", "sort": "sla", "q": ""})
    keys = [row["key"] for row in sorted_page.context["issues"]]
    assert keys[:2] == [f"WEB-{first.number}", f"WEB-{second.number}"]  # nearest deadline first
    assert 'aria-sort="ascending"' in sorted_page.content.decode()
    # Unknown column names are ignored rather than refused.
    assert bob.get("/p/WEB/", {"columns": "sla,secrets"}).status_code == 200


def test_the_list_query_count_does_not_grow_with_rows_in_the_sla_column(
    cast: Any, clock: Any
) -> None:
    add_policy(cast)

    def count(n: int) -> int:
        while Issue.objects.count() < n:
            make_issue(cast.bob, cast.web, priority="high", assignee="alice")
        replay_all()
        client = _as(cast.bob)
        client.get("/p/WEB/", {"columns": "sla", "q": ""})  # warm the session and caches alike
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/p/WEB/", {"columns": "sla", "q": ""})
        html = response.content.decode()
        assert response.status_code == 200 and len(badges(html)) == n
        return len(queries)

    assert count(3) == count(30)


def test_board_cards_show_a_live_clock_only(cast: Any, clock: Any) -> None:
    add_policy(cast)
    running = make_issue(cast.bob, cast.web, title="Running", priority="high")
    done = make_issue(cast.carol, cast.web, title="Met", priority="high")
    free = make_issue(cast.bob, cast.web, title="No policy", priority="low")
    comments.add_comment(actor=cast.alice, issue=done, body="Fixed, see the release.")
    replay_all()
    done.refresh_from_db()
    transition(actor=cast.alice, issue=done, to="resolved", fields={"resolution": "fixed"})
    clock.advance(minutes=70)
    replay_all()
    sweep(clock)
    bob = _as(cast.bob)
    html = bob.get("/p/WEB/board").content.decode()
    assert badges(card_of(html, f"WEB-{running.number}")) == [
        ("breached", "SLA breached; was due 2026-01-05 13:00 UTC", "breached 10m ago")
    ]
    assert Issue.objects.get(pk=done.pk).sla_state == "met"
    assert badges(card_of(html, f"WEB-{done.number}")) == []  # met: news no longer
    assert badges(card_of(html, f"WEB-{free.number}")) == []
    # What the fast renderer wrote is what card.html's macro writes (tests/web/test_board.py).
    from django.template.loader import render_to_string

    from docket.issues.board import build_board
    from docket.web.markup import kanban_cards

    card = next(c for col in build_board(cast.bob, cast.web).columns for c in col.cards
                if c.id == running.pk)  # fmt: skip
    slow = render_to_string(
        "web/board/card.html", {"card": card, "issue_base": "/", "move_url": "/m"}
    )
    fast = kanban_cards([card], "/", "/m")
    assert "breached 10m ago" in slow
    assert fast.replace("&#x27;", "&#39;").replace("&quot;", "&#34;") == slow


def test_a_badge_shows_only_on_issues_the_viewer_sees(cast: Any, clock: Any) -> None:
    add_policy(cast)
    secret = make_issue(
        cast.bob, cast.web, title="Members only", priority="high", confidential=True
    )
    replay_all()
    carol = _as(cast.carol).get("/p/WEB/", {"columns": "sla", "q": ""}).content.decode()
    assert f"WEB-{secret.number}" not in carol and "sla-badge" not in carol
    outsider = _as(cast.eve).get("/issues/", {"columns": "sla", "q": "sla:running"})
    assert "sla-badge" not in outsider.content.decode()


def test_the_board_query_count_does_not_grow_with_badged_cards(cast: Any, clock: Any) -> None:
    add_policy(cast)

    def count(n: int) -> int:
        while Issue.objects.count() < n:
            make_issue(cast.bob, cast.web, priority="high")
        replay_all()
        client = _as(cast.bob)
        client.get("/p/WEB/board")
        with CaptureQueriesContext(connection) as queries:
            html = client.get("/p/WEB/board").content.decode()
        assert len(badges(html)) == n
        return len(queries)

    assert count(2) == count(20)
