"""Issue list, search, query help, suggestions, saved filters and bulk edit (Django test client)."""

from __future__ import annotations

import html
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from docket.issues.models import Issue, IssueEvent, Label, SavedFilter
from docket.issues.saved_filters import create_filter
from docket.projects.models import Component, Milestone
from tests.factories import make_issue, make_project


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _keys(response) -> list[str]:
    return [issue["key"] for issue in response.context["issues"]]


# --- who sees the lists ---------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(cast):
    for path in ("/issues/", "/p/WEB/", "/search?q=x", "/issues/suggest?q=sta"):
        response = Client().get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login?next=")
    bulk = Client().post("/issues/bulk", {"selected": ["WEB-1"], "priority": "high"})
    assert bulk.status_code == 302 and bulk["Location"].startswith("/login")


def test_a_non_member_gets_a_404_page_for_a_private_project(cast):
    make_issue(cast.bob, cast.web, title="Private thing")
    response = _as(cast.eve).get("/p/WEB/")
    assert response.status_code == 404
    assert b"Private thing" not in response.content
    assert _as(cast.eve).get("/p/NOPE/").status_code == 404
    everything = _as(cast.eve).get("/issues/")
    assert everything.status_code == 200 and _keys(everything) == []


def test_the_project_list_shows_its_issues_newest_first_with_bulk_checkboxes(cast):
    make_issue(cast.bob, cast.web, title="First")
    make_issue(cast.bob, cast.web, title="Second")
    other = make_project(cast.bob, "OPS")
    make_issue(cast.bob, other, title="Elsewhere")
    response = _as(cast.bob).get("/p/WEB/")
    assert response.status_code == 200
    assert _keys(response) == ["WEB-2", "WEB-1"]
    body = response.content.decode()
    assert 'id="sel-WEB-1"' in body and 'form="bulk-form"' in body
    assert 'data-nav-item data-key="WEB-2"' in body
    assert _keys(_as(cast.bob).get("/issues/")) == ["OPS-1", "WEB-2", "WEB-1"]


def test_confidential_issues_stay_hidden_from_viewers(cast):
    make_issue(cast.bob, cast.web, title="Open")
    make_issue(cast.bob, cast.web, title="Secret", confidential=True)
    assert _keys(_as(cast.dave).get("/p/WEB/")) == ["WEB-1"]
    assert _keys(_as(cast.bob).get("/p/WEB/")) == ["WEB-2", "WEB-1"]


# --- the query bar --------------------------------------------------------------------------


def test_a_query_filters_and_keeps_the_users_text(cast):
    make_issue(cast.bob, cast.web, title="Crash", priority="high")
    make_issue(cast.bob, cast.web, title="Typo", priority="low")
    response = _as(cast.bob).get("/p/WEB/", {"q": "priority:>=high"})
    assert _keys(response) == ["WEB-1"]
    assert 'value="priority:&gt;=high"' in response.content.decode()


def test_a_bad_query_is_a_400_with_the_error_inline_at_its_position(cast):
    make_issue(cast.bob, cast.web, title="Crash")
    response = _as(cast.bob).get("/p/WEB/", {"q": "is:open stauts:open"})
    assert response.status_code == 400
    body = response.content.decode()
    text = html.unescape(body)  # the quotes are escaped (&#39; from Jinja, &#x27; from Django)
    assert "unknown field 'stauts' at 8" in text and "did you mean 'status'?" in text
    assert "'stauts'" not in body
    assert 'aria-invalid="true"' in body and 'role="alert"' in body
    assert 'value="is:open stauts:open"' in body  # the text is kept for fixing
    error = response.context["error"]
    assert error["position"] == 8 and error["before"] == "is:open " and error["at"] == "s"
    assert response.context["issues"] == []


def test_a_query_error_never_names_a_private_projects_states(cast):
    secret = make_project(cast.alice, "SEC", workflow="incident")
    secret.workflow.states.filter(name="Mitigated").update(name="Codename Falcon")
    response = _as(cast.eve).get("/issues/", {"q": "status:codename"})
    assert response.status_code == 400
    assert "falcon" not in response.content.decode().lower()


def test_a_forged_cursor_or_bad_sort_is_shown_inline(cast):
    make_issue(cast.bob, cast.web)
    cursor = _as(cast.bob).get("/p/WEB/", {"cursor": "garbage"})
    assert cursor.status_code == 400 and b"cursor is not one this server issued" in cursor.content
    sort = _as(cast.bob).get("/p/WEB/", {"sort": "colour"})
    assert sort.status_code == 400 and b"cannot sort by" in sort.content


def test_sort_links_rewrite_the_sort_parameter_and_toggle(cast):
    make_issue(cast.bob, cast.web, title="b low", priority="low")
    make_issue(cast.bob, cast.web, title="a high", priority="high")
    make_issue(cast.bob, cast.web, title="c medium", priority="medium")
    client = _as(cast.bob)
    first = client.get("/p/WEB/", {"q": "is:open"})
    links = first.context["sort_links"]
    assert links["priority"] == "/p/WEB/?q=is%3Aopen&sort=priority-desc"
    assert links["title"] == "/p/WEB/?q=is%3Aopen&sort=title"
    by_priority = client.get(links["priority"])
    assert _keys(by_priority) == ["WEB-2", "WEB-3", "WEB-1"]
    assert 'aria-sort="descending"' in by_priority.content.decode()
    assert by_priority.context["sort_links"]["priority"].endswith("sort=priority")
    assert _keys(client.get("/p/WEB/", {"sort": "priority"})) == ["WEB-1", "WEB-3", "WEB-2"]
    assert _keys(client.get("/p/WEB/", {"sort": "title"})) == ["WEB-2", "WEB-1", "WEB-3"]


def test_next_page_links_use_keyset_cursors_and_lead_back_to_the_first_page(cast):
    for n in range(53):
        make_issue(cast.bob, cast.web, title=f"Issue {n}")
    client = _as(cast.bob)
    first = client.get("/p/WEB/", {"q": "is:open"})
    assert len(first.context["issues"]) == 50 and first.context["next_url"]
    assert "Back to first page" not in first.content.decode()
    second = client.get(first.context["next_url"])
    assert _keys(second) == ["WEB-3", "WEB-2", "WEB-1"]
    assert second.context["next_url"] == ""
    assert 'href="/p/WEB/?q=is%3Aopen"' in second.content.decode()
    assert "Back to first page" in second.content.decode()


def test_the_list_query_count_does_not_grow_with_the_rows(cast):
    label = Label.objects.create(project=cast.web, name="ui")

    def count(n: int) -> int:
        while Issue.objects.count() < n:
            issue = make_issue(cast.bob, cast.web, assignee="alice")
            issue.labels.add(label)
        client = _as(cast.bob)
        client.get("/p/WEB/")  # warm the session and caches alike for both runs
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/p/WEB/", {"q": "is:open"})
        assert response.status_code == 200 and len(response.context["issues"]) == n
        return len(queries)

    few = count(5)
    assert count(50) == few
    assert few <= 25


def test_htmx_refreshes_get_just_the_results_region(cast):
    make_issue(cast.bob, cast.web, title="Crash")
    response = _as(cast.bob).get("/p/WEB/", {"q": "is:open"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="results"')
    assert 'hx-trigger="docket:live from:body, docket:bulk from:body"' in body
    assert 'hx-get="/p/WEB/?q=is%3Aopen"' in body  # keeps the query (and cursor) on refresh
    assert "Saved filters" not in body
    assert "HX-Request" in response["Vary"]


def test_the_project_list_opts_into_live_updates_for_its_project(cast):
    body = _as(cast.bob).get("/p/WEB/").content.decode()
    assert 'data-live-url="/live?project=WEB"' in body
    assert 'src="/static/web/list.js"' in body


def test_a_script_title_is_escaped_in_the_list(cast):
    make_issue(cast.bob, cast.web, title="<script>alert(1)</script>")
    body = _as(cast.bob).get("/p/WEB/").content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


# --- suggestions ----------------------------------------------------------------------------


def _suggest(user, q: str, cursor: int | None = None, **extra) -> dict:
    params = {"q": q, **extra}
    if cursor is not None:
        params["cursor"] = cursor
    response = _as(user).get("/issues/suggest", params)
    assert response.status_code == 200
    return json.loads(response.content)


def test_suggestions_complete_field_names_and_enum_values(cast):
    found = _suggest(cast.bob, "is:open pri")
    assert found["kind"] == "field" and found["start"] == 8 and found["end"] == 11
    assert [i["value"] for i in found["items"]] == ["priority:"]
    values = _suggest(cast.bob, "priority:h")
    assert [i["value"] for i in values["items"]] == ["high", "highest"]
    assert values["start"] == 9
    listed = _suggest(cast.bob, "priority:low,hi")
    assert listed["start"] == 13 and listed["items"][0]["value"] == "high"
    compared = _suggest(cast.bob, "priority:>=me")
    assert compared["start"] == 11 and compared["items"][0]["value"] == "medium"


def test_suggestions_in_the_middle_of_the_query_use_the_cursor(cast):
    found = _suggest(cast.bob, "type:bu is:open", cursor=7)
    assert found["start"] == 5 and found["end"] == 7
    assert found["items"][0]["value"] == "bug"


def test_suggested_states_quote_names_with_spaces(cast):
    found = _suggest(cast.bob, "status:in")
    assert {"value": '"in progress"', "label": "in progress"} in found["items"]


def test_suggested_values_come_only_from_visible_projects(cast):
    Label.objects.create(project=cast.web, name="web-secret-label")
    Component.objects.create(project=cast.web, name="web-billing")
    Milestone.objects.create(project=cast.web, name="web-launch")
    mine = make_project(cast.eve, "EVE")
    Label.objects.create(project=mine, name="eve-label")
    for user, sees in ((cast.bob, True), (cast.eve, False)):
        labels = [i["value"] for i in _suggest(user, "label:")["items"]]
        assert ("web-secret-label" in labels) is sees
        assert ("eve-label" in labels) is not sees
        assert (
            any(i["value"] == "web-billing" for i in _suggest(user, "component:web")["items"])
            is sees
        )
        assert (
            any(i["value"] == "web-launch" for i in _suggest(user, "milestone:web")["items"])
            is sees
        )
        people = [i["value"] for i in _suggest(user, "assignee:")["items"]]
        assert ("carol" in people) is sees
        assert "@me" in people and "none" in people
        projects = [i["value"] for i in _suggest(user, "project:")["items"]]
        assert ("web" in projects) is sees


def test_suggestions_for_a_project_list_stay_in_that_project(cast):
    other = make_project(cast.bob, "OPS")
    Label.objects.create(project=cast.web, name="alpha")
    Label.objects.create(project=other, name="alpine")
    scoped = _suggest(cast.bob, "label:al", project="WEB")
    assert [i["value"] for i in scoped["items"]] == ["alpha"]
    assert (
        _as(cast.eve).get("/issues/suggest", {"q": "label:", "project": "WEB"}).status_code == 404
    )


def test_suggestions_never_reveal_private_state_names(cast):
    secret = make_project(cast.alice, "SEC", workflow="incident")
    secret.workflow.states.filter(name="Mitigated").update(name="Codename Falcon")
    assert _suggest(cast.eve, "status:codename")["items"] == []
    assert _suggest(cast.alice, "status:codename")["items"][0]["label"] == "codename falcon"


# --- search ---------------------------------------------------------------------------------


def test_search_ranks_title_hits_and_marks_matches_in_escaped_snippets(cast):
    make_issue(cast.bob, cast.web, title="Login fails", description="<b>bold</b> login text")
    make_issue(cast.bob, cast.web, title="<script>alert(1)</script> login")
    make_issue(cast.bob, cast.web, title="Unrelated")
    response = _as(cast.bob).get("/search", {"q": "login"})
    assert response.status_code == 200
    keys = [hit["issue"]["key"] for hit in response.context["hits"]]
    assert sorted(keys) == ["WEB-1", "WEB-2"]
    body = response.content.decode()
    assert "<script>alert(1)</script>" not in body and "<b>bold</b>" not in body
    assert "&lt;script&gt;" in body
    assert "<mark>" in body  # only <mark> is added to the escaped text
    snippets = " ".join(hit["snippet"] for hit in response.context["hits"])
    assert "<" not in snippets.replace("<mark>", "").replace("</mark>", "")


def test_search_shows_a_bad_query_inline(cast):
    response = _as(cast.bob).get("/search", {"q": 'login title:"abc'})
    assert response.status_code == 400
    assert "unterminated quote" in response.content.decode()
    assert response.context["error"]["position"] == 12


def test_search_only_finds_visible_issues(cast):
    make_issue(cast.bob, cast.web, title="Payroll leak")
    assert _as(cast.eve).get("/search", {"q": "payroll"}).context["hits"] == []
    assert len(_as(cast.dave).get("/search", {"q": "payroll"}).context["hits"]) == 1


def test_an_empty_search_shows_just_the_form(cast):
    response = _as(cast.bob).get("/search")
    assert response.status_code == 200 and response.context["hits"] == []


def test_query_help_lists_the_fields(cast):
    body = _as(cast.bob).get("/issues/query-help").content.decode()
    assert "<code>priority</code>" in body and "is:overdue" in body


# --- saved filters --------------------------------------------------------------------------


def test_saving_a_personal_filter_and_running_it_from_the_sidebar(cast):
    make_issue(cast.bob, cast.web, title="High", priority="high")
    client = _as(cast.bob)
    saved = client.post(
        "/issues/filters", {"name": "Hot", "query": "priority:high", "next": "/p/WEB/?q=x"}
    )
    assert saved.status_code == 302 and saved["Location"] == "/p/WEB/?q=x"
    filt = SavedFilter.objects.get(name="Hot")
    assert filt.owner == cast.bob and filt.project is None
    page = client.get("/issues/")
    entry = page.context["personal_filters"][0]
    assert entry["url"] == "/issues/?q=priority%3Ahigh"
    assert _keys(client.get(entry["url"])) == ["WEB-1"]
    assert client.get(entry["url"]).context["personal_filters"][0]["current"] is True
    assert _as(cast.carol).get("/issues/").context["personal_filters"] == []


def test_a_shared_filter_shows_in_the_project_sidebar_for_its_readers(cast):
    client = _as(cast.bob)
    client.post(
        "/issues/filters",
        {
            "name": "Team bugs",
            "query": "type:bug",
            "project": "WEB",
            "share": "1",
            "next": "/p/WEB/",
        },
    )
    assert SavedFilter.objects.get(name="Team bugs").project == cast.web
    shared = _as(cast.dave).get("/p/WEB/").context["shared_filters"]
    assert [f["name"] for f in shared] == ["Team bugs"] and shared[0]["url"].startswith("/p/WEB/")
    assert shared[0]["mine"] is False


def test_the_sidebar_shows_shared_filters_only_of_projects_one_can_see(cast):
    ops = make_project(cast.eve, "OPS")  # private: bob is not in it
    create_filter(actor=cast.bob, name="Web bugs", query="type:bug", project_key="WEB")
    create_filter(actor=cast.eve, name="Ops fires", query="priority:highest", project_key="OPS")
    create_filter(actor=cast.bob, name="Mine", query="")
    create_filter(actor=cast.eve, name="Hers", query="")

    def sidebar(user, path):
        context = _as(user).get(path).context
        return (
            [f["name"] for f in context["personal_filters"]],
            [(f["name"], f["project"]) for f in context["shared_filters"]],
        )

    assert sidebar(cast.bob, "/issues/") == (["Mine"], [("Web bugs", "WEB")])
    assert sidebar(cast.bob, "/p/WEB/") == (["Mine"], [("Web bugs", "WEB")])
    assert sidebar(cast.eve, "/issues/") == (["Hers"], [("Ops fires", "OPS")])
    assert sidebar(cast.eve, f"/p/{ops.key}/") == (["Hers"], [("Ops fires", "OPS")])
    assert _as(cast.eve).get("/p/WEB/").status_code == 404


def test_a_bad_filter_is_refused_with_a_message_and_nothing_saved(cast):
    client = _as(cast.dave)
    response = client.post(
        "/issues/filters",
        {"name": "Mine", "query": "stauts:x", "next": "/p/WEB/"},
        follow=True,
    )
    assert "The filter was not saved" in response.content.decode()
    shared = client.post(
        "/issues/filters",
        {"name": "Shared", "query": "", "project": "WEB", "share": "1", "next": "/p/WEB/"},
        follow=True,
    )
    assert "does not allow edit issue" in shared.content.decode()
    assert SavedFilter.objects.count() == 0


def test_only_the_owner_deletes_a_filter_from_the_sidebar(cast):
    filt = create_filter(actor=cast.bob, name="Mine", query="", project_key="WEB")
    refused = _as(cast.carol).post(f"/issues/filters/{filt.id}/delete", {"next": "/p/WEB/"})
    assert refused.status_code == 302 and SavedFilter.objects.filter(id=filt.id).exists()
    _as(cast.bob).post(f"/issues/filters/{filt.id}/delete", {"next": "/p/WEB/"})
    assert not SavedFilter.objects.filter(id=filt.id).exists()


# --- bulk edit ------------------------------------------------------------------------------


def _bulk(user, keys, htmx=True, **changes):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    data = {"selected": keys, "next": "/p/WEB/", **changes}
    return _as(user).post("/issues/bulk", data, **headers)


def test_the_bulk_bar_fetches_its_choices_when_it_first_opens(cast):
    make_issue(cast.bob, cast.web, title="One", labels=["ui"])
    page = _as(cast.bob).get("/p/WEB/").content.decode()
    assert 'data-choices-url="/issues/bulk-choices?project=WEB"' in page
    assert '<option value="carol">' not in page  # not on the page itself: fetched on demand

    found = _as(cast.bob).get("/issues/bulk-choices", {"project": "WEB"}).json()

    assert found == {
        "people": ["alice", "bob"],  # who may be assigned (members and admins)
        "labels": ["ui"],
        "states": ["new", "open", "in progress", "resolved", "closed"],
    }
    everywhere = _as(cast.bob).get("/issues/bulk-choices").json()
    assert everywhere["labels"] == [] and "in progress" in everywhere["states"]


def test_bulk_choices_of_a_private_project_are_not_found_by_outsiders(cast):
    assert _as(cast.eve).get("/issues/bulk-choices", {"project": "WEB"}).status_code == 404
    anonymous = Client().get("/issues/bulk-choices", {"project": "WEB"})
    assert anonymous.status_code == 302


def test_bulk_edit_applies_each_change_through_the_actions(cast):
    one = make_issue(cast.carol, cast.web, title="One")
    two = make_issue(cast.carol, cast.web, title="Two", labels=["old"])
    response = _bulk(
        cast.bob, ["WEB-1", "WEB-2"], assignee="alice", priority="high",
        add_label="triaged", remove_label="old", to="in progress",
    )  # fmt: skip
    assert response.status_code == 200 and response["HX-Trigger"] == "docket:bulk"
    assert [r["ok"] for r in response.context["results"]] == [True, True]
    assert "2 updated" in response.content.decode()
    for issue in (one, two):
        issue.refresh_from_db()
        assert issue.assignee == cast.alice and issue.priority == 4
        assert issue.status.name == "In Progress"
        assert [label.name for label in issue.labels.all()] == ["triaged"]
        fields = set(
            IssueEvent.objects.filter(issue=issue, kind="changed").values_list("field", flat=True)
        )
        assert {"assignee", "priority", "labels", "status"} <= fields


def test_a_bulk_move_to_a_done_state_asks_for_the_resolution_and_records_the_one_chosen(cast):
    one = make_issue(cast.carol, cast.web, title="One")
    two = make_issue(cast.carol, cast.web, title="Two")
    page = _as(cast.bob).get("/p/WEB/").content.decode()
    assert 'name="resolution"' in page and "won&#39;t fix" in page
    unasked = _bulk(cast.bob, ["WEB-1", "WEB-2"], to="resolved")
    assert [r["ok"] for r in unasked.context["results"]] == [False, False]
    assert "choose a resolution" in unasked.content.decode()
    one.refresh_from_db()
    assert one.status.name != "Resolved" and one.resolution == ""  # nothing defaulted
    chosen = _bulk(cast.bob, ["WEB-1", "WEB-2"], to="resolved", resolution="won't fix")
    assert [r["ok"] for r in chosen.context["results"]] == [True, True]
    for issue in (one, two):
        issue.refresh_from_db()
        assert (issue.status.name, issue.resolution) == ("Resolved", "won't fix")


def test_bulk_edit_by_a_viewer_changes_nothing_and_says_why(cast):
    issue = make_issue(cast.bob, cast.web, title="One")
    make_issue(cast.bob, cast.web, title="Two")
    before = list(IssueEvent.objects.values_list("id", flat=True))
    response = _bulk(cast.dave, ["WEB-1", "WEB-2"], assignee="bob", priority="high")
    assert response.status_code == 200
    body = response.content.decode()
    assert "WEB-1</span>: you may not edit WEB-1" in body
    assert "WEB-2</span>: you may not edit WEB-2" in body
    assert "2 refused" in body
    issue.refresh_from_db()
    assert issue.assignee is None and issue.priority == 3 and issue.version == 1
    assert list(IssueEvent.objects.values_list("id", flat=True)) == before


def test_bulk_edit_reports_each_issue_and_keeps_the_others(cast):
    make_issue(cast.bob, cast.web, title="Mine", priority="high")  # already high
    make_issue(cast.bob, cast.web, title="Other")
    other = make_project(cast.eve, "EVE")
    make_issue(cast.eve, other, title="Not visible to bob")
    response = _bulk(cast.bob, ["WEB-1", "WEB-2", "EVE-1", "WEB-99"], priority="high")
    results = {r["key"]: r for r in response.context["results"]}
    assert results["WEB-1"]["ok"] and not results["WEB-1"]["changed"]
    assert results["WEB-2"]["ok"] and results["WEB-2"]["changed"]
    assert results["EVE-1"]["message"] == "no issue EVE-1"  # not "forbidden": no existence leak
    assert results["WEB-99"]["message"] == "no issue WEB-99"
    assert "1 updated, 1 already so, 2 refused" in response.content.decode()


def test_one_issues_failure_rolls_back_only_that_issue(cast):
    make_issue(cast.bob, cast.web, title="One")
    make_issue(cast.bob, cast.web, title="Two")
    Issue.objects.filter(number=2).update(assignee=None)
    # carol (reporter) may take no transition, and may not change priority: both refused whole
    response = _bulk(cast.carol, ["WEB-1"], priority="high", to="in progress")
    assert not response.context["results"][0]["ok"]
    assert Issue.objects.get(number=1).priority == 3
    # an unknown assignee fails each issue with the field's reason, nothing half-done
    bad = _bulk(cast.bob, ["WEB-1", "WEB-2"], priority="high", assignee="eve")
    assert all("is not a member of WEB" in r["message"] for r in bad.context["results"])
    assert set(Issue.objects.values_list("priority", flat=True)) == {3}


def test_bulk_edit_needs_a_selection_and_a_change(cast):
    make_issue(cast.bob, cast.web)
    nothing = _bulk(cast.bob, [], priority="high")
    assert "Select at least one issue." in nothing.content.decode()
    assert "HX-Trigger" not in nothing
    no_change = _bulk(cast.bob, ["WEB-1"])
    assert "Choose something to change." in no_change.content.decode()
    assert Issue.objects.get().version == 1


def test_bulk_edit_without_javascript_redirects_back_with_messages(cast):
    make_issue(cast.bob, cast.web)
    response = _bulk(cast.dave, ["WEB-1"], htmx=False, priority="high")
    assert response.status_code == 302 and response["Location"] == "/p/WEB/"
    shown = _as(cast.dave)
    response = shown.post(
        "/issues/bulk", {"selected": ["WEB-1"], "priority": "high", "next": "/p/WEB/"}, follow=True
    )
    body = response.content.decode()
    assert "1 refused" in body and "WEB-1: you may not edit WEB-1" in body


def test_bulk_unassign_and_assign_to_me(cast):
    make_issue(cast.bob, cast.web, assignee="alice")
    _bulk(cast.bob, ["WEB-1"], assignee="@none")
    assert Issue.objects.get().assignee is None
    _bulk(cast.bob, ["WEB-1"], assignee="@me")
    assert Issue.objects.get().assignee == cast.bob


@pytest.mark.parametrize("path", ["/issues/bulk", "/issues/filters"])
def test_writes_need_the_csrf_token(cast, path):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.bob)
    assert client.post(path, {"selected": ["WEB-1"], "priority": "high"}).status_code == 403
