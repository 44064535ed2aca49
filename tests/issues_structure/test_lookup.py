"""The issue page's key completion for the link and parent inputs: matches by key prefix, by
number in the issue's project, or by title words; never an issue the reader may not see."""

from __future__ import annotations

from django.test import Client

from tests.factories import make_issue


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def keys(client: Client, issue: str, text: str) -> list[str]:
    answer = client.get(f"/{issue}/lookup", {"q": text})
    assert answer.status_code == 200, answer.content
    return [found["key"] for found in answer.json()["issues"]]


def test_matches_by_key_prefix_number_and_title_words(two):
    for n in range(5, 13):
        make_issue(two.alice, two.web, title=f"Filler {n}")
    member = client_for(two.bob)
    assert keys(member, "WEB-1", "web-1") == ["WEB-10", "WEB-11", "WEB-12"]  # not itself
    assert keys(member, "WEB-2", "WEB-1") == ["WEB-1", "WEB-10", "WEB-11", "WEB-12"]
    assert keys(member, "WEB-1", "3") == ["WEB-3"]
    assert keys(member, "WEB-1", "issue 4 web") == ["WEB-4"]
    assert keys(member, "WEB-1", "  ") == []
    answer = member.get("/WEB-1/lookup", {"q": "WEB-2"}).json()["issues"]
    assert answer == [{"key": "WEB-2", "title": "Web issue 2", "status": "New"}]


def test_hidden_issues_never_match(two):
    make_issue(two.alice, two.web, title="Confidential outage", confidential=True)
    reporter, admin = client_for(two.carol), client_for(two.alice)
    assert keys(admin, "WEB-1", "outage") == ["WEB-5", "OPS-1"]
    assert keys(reporter, "WEB-1", "outage") == []  # OPS is not hers, WEB-5 is confidential
    assert keys(reporter, "WEB-1", "OPS-") == []
    assert keys(client_for(two.bob), "WEB-1", "OPS-1") == []


def test_the_lookup_is_gated_by_the_issue_itself(two):
    assert client_for(two.bob).get("/OPS-1/lookup", {"q": "WEB"}).status_code == 404
    assert client_for(two.eve).get("/WEB-1/lookup", {"q": "WEB"}).status_code == 404


def test_the_link_and_parent_inputs_offer_the_matches(two):
    page = client_for(two.bob).get("/WEB-1").content.decode()
    assert 'id="link-issue" name="issue" list="issue-matches" data-lookup' in page
    assert 'id="parent-key" name="parent" list="issue-matches" data-lookup' in page
    assert '<datalist id="issue-matches" data-lookup-url="/WEB-1/lookup">' in page
