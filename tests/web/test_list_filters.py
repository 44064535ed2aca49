"""The issue list's default query, total, facets, label chips, narrowing links and removable
terms (Django test client), including what they must never count: issues the reader may not
see (a confidential issue, a support desk's other tickets, a private project)."""

from __future__ import annotations

import datetime as dt
import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from docket.issues import facets
from docket.issues.models import Label
from docket.web.views.list_query import Narrowing, active_terms
from tests.factories import make_issue, make_project


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _keys(response) -> list[str]:
    return [issue["key"] for issue in response.context["issues"]]


def _facet(response, field: str) -> dict[str, int]:
    found = next(f for f in response.context["facets"] if f["field"] == field)
    return {v["name"]: v["count"] for v in found["values"]}


def _q(href: str) -> str:
    return parse_qs(urlsplit(html.unescape(href)).query, keep_blank_values=True)["q"][0]


def _done(actor, issue):
    from docket.issues.actions import transition

    return transition(actor=actor, issue=issue, to="closed")


# --- the default query ----------------------------------------------------------------------


def test_a_list_without_a_query_shows_open_issues_recently_updated_first_and_says_so(cast):
    old = make_issue(cast.bob, cast.web, title="Old but touched")
    make_issue(cast.bob, cast.web, title="Newer")
    closed = make_issue(cast.bob, cast.web, title="Closed one")
    _done(cast.bob, closed)
    from docket.issues.actions import update_issue

    update_issue(actor=cast.bob, issue=old, changes={"priority": "high"})
    response = _as(cast.bob).get("/p/WEB/")
    assert _keys(response) == ["WEB-1", "WEB-2"]  # no closed issue; the touched one first
    body = response.content.decode()
    assert 'value="is:open sort:updated-desc"' in body  # the default is text in the bar
    assert "Open issues, recently updated first" in body
    assert 'placeholder="Filter, e.g. ' in body
    everything = _as(cast.bob).get("/p/WEB/", {"q": ""})  # a cleared bar: every issue
    assert sorted(_keys(everything)) == ["WEB-1", "WEB-2", "WEB-3"]


# --- the total ------------------------------------------------------------------------------


def test_the_total_counts_every_match_not_only_the_page(cast):
    for n in range(3):
        make_issue(cast.bob, cast.web, title=f"Issue {n}")
    response = _as(cast.bob).get("/p/WEB/", {"q": "is:open"})
    assert response.context["total"] == 3 and not response.context["total_capped"]
    assert re.search(r"<strong>3</strong> issues", response.content.decode())


def test_past_the_cap_the_total_reads_n_plus(cast):
    for n in range(4):
        make_issue(cast.bob, cast.web, title=f"Issue {n}")
    found = facets.count_and_facets(cast.bob, facets.IssueFilter(), "", cap=3)
    assert (found.total, found.capped) == (3, True)
    assert facets.count_and_facets(cast.bob, facets.IssueFilter(), "", cap=4).capped is False


def test_totals_and_facets_leave_out_what_the_reader_may_not_see(cast):
    """A confidential issue, a support desk's other reporters' tickets and a private project
    count for those who may see them and for nobody else — not even as a number."""
    make_issue(cast.bob, cast.web, title="Plain", labels=["bug"])
    make_issue(cast.bob, cast.web, title="Secret", confidential=True, labels=["secret-label"])
    desk = make_project(cast.alice, "DESK", visibility="public", members={cast.dave: "reporter"})
    desk.reporters_see_own_only = True
    desk.save()
    make_issue(cast.alice, desk, title="Someone else's ticket", labels=["billing"])
    make_issue(cast.dave, desk, title="Dave's own ticket")
    hidden = make_project(cast.alice, "HID")
    make_issue(cast.alice, hidden, title="Private project", labels=["hidden-label"])

    dave = _as(cast.dave).get(
        "/issues/", {"q": "", "facets": "1"}
    )  # a viewer of WEB, outsider of DESK
    assert sorted(_keys(dave)) == ["DESK-2", "WEB-1"]
    assert dave.context["total"] == 2
    assert sum(_facet(dave, "status").values()) == 2
    assert set(_facet(dave, "label")) == {"bug"}
    body = dave.content.decode()
    for secret in ("secret-label", "billing", "hidden-label"):
        assert secret not in body

    alice = _as(cast.alice).get("/issues/", {"q": "", "facets": "1"})  # admin of all three
    assert alice.context["total"] == 5
    assert set(_facet(alice, "label")) == {"bug", "secret-label", "billing", "hidden-label"}


# --- facets ---------------------------------------------------------------------------------


def test_facets_count_the_current_query_per_status_priority_assignee_and_label(cast):
    make_issue(cast.bob, cast.web, title="A", priority="high", assignee="bob", labels=["bug"])
    make_issue(cast.bob, cast.web, title="B", priority="high", labels=["bug", "ui"])
    make_issue(cast.bob, cast.web, title="C", priority="low", labels=["ui"])
    response = _as(cast.bob).get("/p/WEB/", {"q": "priority:high", "facets": "1"})
    assert _facet(response, "priority") == {"high": 2}
    assert _facet(response, "label") == {"bug": 2, "ui": 1}
    assert _facet(response, "assignee") == {"bob": 1, "none": 1}
    assert sum(_facet(response, "status").values()) == 2
    links = {
        v["name"]: v["url"]
        for f in response.context["facets"]
        if f["field"] == "label"
        for v in f["values"]
    }
    assert _q(links["ui"]) == "priority:high label:ui"


def test_facets_show_a_limited_number_of_values_most_frequent_first(cast):
    for n in range(12):
        make_issue(
            cast.bob, cast.web, title=f"I{n}", labels=[f"l{n:02}"] + (["common"] if n else [])
        )
    found = facets.count_and_facets(cast.bob, facets.IssueFilter(), "", shown=8)
    labels = found.values["label"]
    assert len(labels) == 8 and (labels[0].name, labels[0].count) == ("common", 11)


# --- rows: chips, narrowing links, dates ------------------------------------------------------


def test_rows_link_status_priority_assignee_and_labels_to_the_narrowed_query(cast):
    make_issue(cast.bob, cast.web, title="Crash", priority="high", assignee="bob", labels=["bug"])
    Label.objects.filter(name="bug").update(color="#d73a4a")
    body = _as(cast.bob).get("/p/WEB/", {"q": "is:open"}).content.decode()
    rows = body[body.index("<tbody>") : body.index("</tbody>")]
    narrowed = {_q(href) for href in re.findall(r'<a class="qf[^"]*"[^>]* href="([^"]+)"', rows)}
    assert narrowed == {
        "is:open label:bug",
        "is:open assignee:bob",
        "is:open priority:high",
        "is:open status:new",
    }
    assert 'data-chip="#d73a4a"' in body  # the label's colour, painted by list.js


def test_a_narrowing_link_replaces_a_single_valued_term_and_adds_labels(cast):
    narrowing = Narrowing("priority:low label:bug sort:updated-desc", lambda q: q)
    assert narrowing.link("priority", "high") == "label:bug priority:high sort:updated-desc"
    assert narrowing.link("label", "ui") == "priority:low label:bug label:ui sort:updated-desc"
    assert narrowing.link("label", "bug") == ""  # already there: no link
    quoted = 'priority:low label:bug status:"In Progress" sort:updated-desc'
    assert narrowing.link("status", "In Progress") == quoted
    assert Narrowing("(unclosed", lambda q: q).link("label", "x") == ""


def test_each_active_term_can_be_removed_with_one_click(cast):
    make_issue(cast.bob, cast.web, title="A", labels=["bug"])
    response = _as(cast.bob).get("/p/WEB/", {"q": "is:open label:bug sort:priority-desc"})
    terms = {t["text"]: _q(t["remove"]) for t in response.context["terms"]}
    assert terms == {
        "is:open": "label:bug sort:priority-desc",
        "label:bug": "is:open sort:priority-desc",
        "sort:priority-desc": "is:open label:bug",
    }
    assert 'aria-label="Remove label:bug"' in response.content.decode()
    assert active_terms("label:", lambda q: q) == []  # a query that does not parse: no chips


def test_an_overdue_date_is_marked_in_words_too_and_a_done_one_is_not(cast):
    past = dt.date.today() - dt.timedelta(days=3)
    make_issue(cast.bob, cast.web, title="Late", due_date=past.isoformat())
    finished = make_issue(cast.bob, cast.web, title="Late but done", due_date=past.isoformat())
    _done(cast.bob, finished)
    body = _as(cast.bob).get("/p/WEB/", {"q": ""}).content.decode()
    rows = {k: row for k, row in re.findall(r'data-key="(WEB-\d)"(.*?)</tr>', body, re.S)}
    assert 'class="overdue"' in rows["WEB-1"] and "(overdue)" in rows["WEB-1"]
    assert "overdue" not in rows["WEB-2"]
    assert f'datetime="{past.isoformat()}"' in rows["WEB-2"]


def test_updated_times_are_relative_with_the_exact_time_on_hover(cast):
    make_issue(cast.bob, cast.web, title="Fresh")
    body = _as(cast.bob).get("/p/WEB/").content.decode()
    exact = r"\d{4}-\d\d-\d\d \d\d:\d\d"
    cell = rf'<td class="opt upd"><time class="ago" datetime="[^"]+" title="{exact}[^"]*">'
    assert re.search(cell + "just now</time>", body)


@pytest.mark.parametrize("target", ["results", "list-page"])
def test_htmx_asks_for_the_results_or_the_whole_list_region(cast, target):
    make_issue(cast.bob, cast.web, title="A")
    response = _as(cast.bob).get("/p/WEB/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET=target)
    body = response.content.decode()
    assert ('id="list-page"' in body) == (target == "list-page")
    assert 'id="results"' in body and "<strong>1</strong> issue" in body


def test_the_facets_load_after_the_page_or_inline_without_javascript(cast):
    make_issue(cast.bob, cast.web, title="A", labels=["bug"])
    client = _as(cast.bob)
    page = client.get("/p/WEB/", {"q": "is:open"})
    assert "facets" not in page.context  # the page itself does not count them
    body = page.content.decode()
    lazy = re.search(r'id="facets" open hx-get="([^"]+)" hx-trigger="load"', body)
    assert lazy and _q(lazy.group(1)) == "is:open"
    assert f'<a href="{lazy.group(1)}">Count by status' in body  # the same, as a plain link
    counts = client.get(
        html.unescape(lazy.group(1)), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="facets"
    )
    text = counts.content.decode()
    assert text.lstrip().startswith("<details") and 'id="list-page"' not in text
    assert _facet(counts, "label") == {"bug": 1}
    inline = client.get("/p/WEB/", {"q": "is:open", "facets": "1"})
    assert _facet(inline, "label") == {"bug": 1} and 'id="list-page"' in inline.content.decode()
