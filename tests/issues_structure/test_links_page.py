"""The issue page's Links and Sub-tasks section: what it lists (only what the reader may see),
its forms, and the Blocked badge."""

from __future__ import annotations

import re

from django.test import Client

from docket.issues import links
from docket.issues.actions import update_issue
from docket.issues.models import Issue
from tests.factories import make_issue
from tests.issues_structure.conftest import link


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def issue(key: str) -> Issue:
    project, number = key.split("-")
    return Issue.objects.select_related("project").get(project__key=project, number=number)


def section(html: str) -> str:
    return html.split('id="issue-links"', 1)[1].split("</section>", 1)[0]


def test_the_page_lists_links_and_children_the_reader_may_see(two):
    alice = two.api(two.alice)
    link(alice, "WEB-1", "is_blocked_by", "OPS-1")
    link(alice, "WEB-1", "relates_to", "WEB-2")
    update_issue(actor=two.alice, issue=issue("WEB-3"), changes={"parent": "WEB-1"})
    make_issue(two.alice, two.web, title="Done child", parent="WEB-1", status="Closed")
    make_issue(two.alice, two.web, title="Secret child", parent="WEB-1", confidential=True)

    as_alice = browser(two.alice).get("/WEB-1").content.decode()
    assert "Ops secret outage" in section(as_alice)
    assert 'class="badge blocked"' in as_alice
    assert "1 of 3 done" in section(as_alice)

    carol = browser(two.carol).get("/WEB-1").content.decode()  # a reporter
    shown = section(carol)
    assert "OPS-1" not in carol and "Ops secret outage" not in carol
    assert "Web issue 2" in shown and "Relates to" in shown
    assert 'class="badge blocked"' not in carol  # its only blocker is hidden from carol
    assert "Secret child" not in carol
    assert "1 of 2 done" in shown  # the confidential child is not counted
    assert "an issue you cannot see" in carol  # the history line of the hidden link
    assert "Add link" not in shown  # a reporter may not link


def test_adding_and_removing_a_link_and_setting_the_parent_from_the_page(two):
    client = browser(two.alice)
    added = client.post("/WEB-2/links", {"kind": "blocks", "issue": "WEB-1"})
    assert added.status_code == 302
    assert links.is_blocked(two.alice, issue("WEB-1"))
    page = client.get("/WEB-1").content.decode()
    link_id = re.search(r"/WEB-1/links/(\d+)/delete", page).group(1)
    assert client.post(f"/WEB-1/links/{link_id}/delete").status_code == 302
    assert not links.is_blocked(two.alice, issue("WEB-1"))

    refused = client.post("/WEB-2/links", {"kind": "blocks", "issue": "WEB-2"})
    assert refused.status_code == 422
    assert "cannot be linked to itself" in section(refused.content.decode())

    assert client.post("/WEB-2/parent", {"parent": "WEB-1"}).status_code == 302
    assert issue("WEB-2").parent_id == issue("WEB-1").pk
    cycle = client.post("/WEB-1/parent", {"parent": "WEB-2"})
    assert cycle.status_code == 422
    assert "would make a cycle: WEB-1 → WEB-2 → WEB-1" in cycle.content.decode()


def test_add_subtask_prefills_the_create_form(two):
    client = browser(two.alice)
    page = client.get("/WEB-1").content.decode()
    assert "/p/WEB/new?parent=WEB-1" in page
    form = client.get("/p/WEB/new?parent=WEB-1").content.decode()
    assert 'name="parent" value="WEB-1"' in form
    made = client.post(
        "/p/WEB/new",
        {
            "title": "Child",
            "type": "task",
            "priority": "medium",
            "severity": "major",
            "parent": "WEB-1",
        },
    )
    assert made.status_code == 302, made.content.decode()[:2000]
    assert issue("WEB-5").parent_id == issue("WEB-1").pk


def _list_and_board_queries(client) -> tuple[int, int, str, str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as listed:
        list_html = client.get("/p/WEB/").content.decode()
    with CaptureQueriesContext(connection) as boarded:
        board_html = client.get("/p/WEB/board").content.decode()
    return len(listed), len(boarded), list_html, board_html


def test_the_blocked_badge_in_list_rows_and_on_board_cards_costs_no_query_per_row(two):
    client = browser(two.bob)
    _list_and_board_queries(client)  # warm per-process caches
    alice = two.api(two.alice)
    link(alice, "WEB-1", "blocks", "WEB-2")
    link(alice, "OPS-1", "blocks", "WEB-3")  # hidden from bob: no badge for him
    list_count, board_count, list_html, board_html = _list_and_board_queries(client)
    for html in (list_html, board_html):
        assert html.count('class="badge blocked"') == 1
    row = list_html.split('data-key="WEB-2"', 1)[1].split("</tr>", 1)[0]
    assert "Blocked" in row
    card = board_html.split('id="card-WEB-2"', 1)[1].split("</li>", 1)[0]
    assert "Blocked" in card
    for n in range(5):
        blocked = make_issue(two.alice, two.web, title=f"More {n}")
        links.link_issues(actor=two.alice, issue=issue("WEB-1"), kind="blocks", other=blocked.key)
    more = _list_and_board_queries(client)
    assert (more[0], more[1]) == (list_count, board_count)
    assert more[2].count('class="badge blocked"') == 6
