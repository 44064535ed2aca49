"""References in text follow the gate, for every seat:

- an issue key in a comment is a link (titled with the issue's title) exactly for the seats
  that see that issue, in the API and on the issue page; for the others it is plain text and
  the hidden issue's title (a canary) never appears;
- `mentions:` finds exactly the visible issues that mention someone: a hidden issue never
  matches, whoever it mentions.
"""

from __future__ import annotations

import re

import pytest

from docket.issues import comments
from docket.issues.models import Issue
from tests.access.conftest import SEATS, Seat, World
from tests.access.test_matrix import WEB_SEATS, browser, key_list, no_leak, sees

ISSUE_LINK = re.compile(r'<a href="/([A-Z]+-[0-9]+)" class="issue-ref" title="([^"]*)">')


def _mention_everywhere(world: World, body: str) -> None:
    """The site admin comments `body` on every issue of the world."""
    admin = world.users["siteadmin"]
    for res in world.issues.values():
        issue = Issue.objects.select_related("project").get(pk=res.pk)
        comments.add_comment(actor=admin, issue=issue, body=body)


def _keys_comment(world: World) -> str:
    """PUBL.normal (which every seat sees) gets a comment naming every issue of the world."""
    res = world.issues["PUBL.normal"]
    issue = Issue.objects.select_related("project").get(pk=res.pk)
    keys = " ".join(r.key for r in world.issues.values())
    comments.add_comment(actor=world.users["siteadmin"], issue=issue, body=f"Related: {keys}")
    return res.key


def _linked(world: World, seat: Seat, html: str) -> list[str]:
    """The keys linked in `html`, each checked to carry its own issue's title."""
    titles = {r.key: r.canary["title"] for r in world.issues.values()}
    found = ISSUE_LINK.findall(html)
    for key, title in found:
        assert titles[key] in title, (seat, key)
    return sorted(key for key, _ in found)


def _visible_keys(world: World, seat: Seat) -> list[str]:
    return sorted(r.key for r in world.issues.values() if sees(seat, r))


@pytest.mark.parametrize("seat", SEATS, ids=str)
def test_issue_keys_link_exactly_the_issues_the_reader_sees(world, seat):
    key = _keys_comment(world)
    response = world.api(seat).get(f"/issues/{key}/comments", limit=200)
    assert response.status_code == 200, response.content
    no_leak(world, seat, response.content, f"comments of {key}")
    html = "".join(c["body_html"] for c in response.json()["items"])
    assert _linked(world, seat, html) == _visible_keys(world, seat)


@pytest.mark.parametrize("seat", [s for s in WEB_SEATS if s.role != "anon"], ids=str)
def test_the_issue_page_links_exactly_the_issues_the_reader_sees(world, seat):
    key = _keys_comment(world)
    response = browser(world, seat).get(f"/{key}")
    assert response.status_code == 200
    no_leak(world, seat, response.content, f"web /{key}")
    assert _linked(world, seat, response.content.decode()) == _visible_keys(world, seat)


@pytest.mark.parametrize("seat", SEATS, ids=str)
def test_mentions_finds_only_visible_issues(world, seat):
    _mention_everywhere(world, "cc @staff")  # `team`: in a team that is a member everywhere
    response = world.api(seat).get("/issues", q="mentions:staff", limit=200)
    no_leak(world, seat, response.content, "mentions:staff")
    assert sorted(key_list(response, "mentions:staff")) == _visible_keys(world, seat)


def test_mentions_at_me_is_the_mentioned_persons_own_view(world):
    _mention_everywhere(world, "for @grantee")
    grantee = Seat("grantee")
    response = world.api(grantee).get("/issues", q="mentions:@me", limit=200)
    expected = _visible_keys(world, grantee)
    assert sorted(key_list(response, "mentions:@me")) == expected
    assert len(expected) < len(world.issues)  # some of the issues mentioning them are hidden
