"""The issue page: fields edited in place with conflict reports, comments, transitions, the
timeline, watching, @mention candidates — and who may do what (the gate and the actions)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from docket.accounts.models import Team
from docket.attachments.actions import attach_bytes
from docket.issues import actions, comments, links, sharing, watching, worklog
from docket.issues.models import Comment, Issue, IssueEvent, Watch
from docket.issues.queries import IssueFilter, list_issues
from docket.issues.query_fields import issue_matches
from docket.projects import actions as project_actions
from tests.factories import UserFactory, make_issue, make_project

HX = {"HTTP_HX_REQUEST": "true"}


def _as(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _issue(cast, **fields) -> Issue:
    fields.setdefault("title", "Login button misaligned")
    return make_issue(cast.bob, cast.web, **fields)


def _reload(issue: Issue) -> Issue:
    return Issue.objects.select_related("status", "assignee").get(pk=issue.pk)


def _text(response) -> str:
    return response.content.decode()


# --- seeing the page ---------------------------------------------------------------------------


def test_a_member_sees_fields_status_watchers_transitions_and_the_description(cast):
    _issue(cast, description="It **moves** <script>alert(1)</script>", assignee="alice")
    response = _as(cast.bob).get("/WEB-1")
    assert response.status_code == 200
    body = _text(response)
    assert '<h1 class="issue-title">Login button misaligned</h1>' in body
    assert "<strong>moves</strong>" in body and "<script>alert(1)" not in body
    assert "Status: </span>new" in body
    assert "2 watching, including you" in body  # bob reported it, alice is assigned
    for name in ("Open", "Start progress", "Resolve…", "Close…"):  # … done: asks resolution
        assert f">{name}</button>" in body
    for field in ("title", "description", "priority", "assignee", "labels", "due_date"):
        assert f"/WEB-1/fields/{field}?since=1" in body  # every field editable in place
    assert "/WEB-1/fields/confidential?since" not in body  # only admins change that
    assert 'data-shortcut="e"' in body and 'data-shortcut="a"' in body
    assert "?issue=WEB-1" in body  # live updates for this issue


def test_the_page_follows_the_csp(cast):
    _issue(cast, description="x")
    body = _text(_as(cast.alice).get("/WEB-1"))
    assert not re.search(r"<script(?![^>]*\bsrc=)", body)  # no inline scripts
    assert " style=" not in body and "hx-on" not in body and "javascript:" not in body
    assert "/static/web/issue.js" in body


def test_a_confidential_issue_says_so_in_words(cast):
    _issue(cast, confidential=True)
    body = _text(_as(cast.alice).get("/WEB-1"))
    assert "Confidential</span>" in body
    assert "/WEB-1/fields/confidential?since=1" in body  # admins may change it


def test_outsiders_get_a_404_page_and_anonymous_visitors_sign_in(cast):
    _issue(cast)
    for path in ("/WEB-1", "/WEB-1/fields/title", "/WEB-1/people", "/WEB-1/timeline"):
        response = _as(cast.eve).get(path, **HX)
        assert response.status_code == 404, path
    assert _as(cast.eve).post("/WEB-1/watch").status_code == 404
    assert _as(cast.eve).post("/WEB-1/fields/title", {"value": "x"}).status_code == 404
    assert _as(cast.eve).get("/WEB-999").status_code == 404
    response = _as(None).get("/WEB-1")
    assert response.status_code == 302 and response["Location"] == "/login?next=%2FWEB-1"
    assert _reload(Issue.objects.get()).title == "Login button misaligned"
    assert not Watch.objects.filter(user=cast.eve).exists()


def test_a_viewer_sees_no_edit_controls_and_forged_posts_change_nothing(cast):
    issue = _issue(cast)
    client = _as(cast.dave)
    body = _text(client.get("/WEB-1"))
    assert "/fields/" not in body and "/transitions" not in body
    assert 'id="comment-form"' not in body and 'data-shortcut="a"' not in body
    assert client.get("/WEB-1/fields/title", **HX).status_code == 403
    response = client.post("/WEB-1/fields/title", {"value": "Hacked", "version": "1"}, **HX)
    assert response.status_code == 403
    assert client.post("/WEB-1/fields/title", {"value": "Hacked"}).status_code == 403
    response = client.post("/WEB-1/transitions", {"name": "Close", "version": "1"}, **HX)
    assert response.status_code == 403
    assert client.post("/WEB-1/comments", {"body": "hi"}, **HX).status_code == 403
    fresh = _reload(issue)
    assert (fresh.title, fresh.status.name, fresh.version) == (issue.title, "New", 1)
    assert not Comment.objects.exists()


def test_a_reporter_edits_only_what_reporters_may(cast):
    make_issue(cast.carol, cast.web, title="Printer on fire")
    client = _as(cast.carol)
    body = _text(client.get("/WEB-1"))
    assert "/WEB-1/fields/title?since" in body and "/WEB-1/fields/labels?since" in body
    assert "/WEB-1/fields/priority?since" not in body
    assert "/WEB-1/fields/assignee?since" not in body  # and no "Assign to me"
    response = client.post("/WEB-1/fields/priority", {"value": "highest", "version": "1"}, **HX)
    assert response.status_code == 403 and "reporters may not change priority" in _text(response)
    assert Issue.objects.get().priority == 3


# --- editing fields in place ---------------------------------------------------------------------


def test_a_field_opens_as_a_form_and_saves_back_to_its_view(cast):
    issue = _issue(cast)
    client = _as(cast.bob)
    form = _text(client.get("/WEB-1/fields/priority?since=1", **HX))
    assert 'name="version" value="1"' in form and '<option value="medium" selected>' in form
    response = client.post("/WEB-1/fields/priority", {"value": "high", "version": "1"}, **HX)
    assert response.status_code == 200
    assert response["HX-Trigger"] == "docket:issue-changed"
    body = _text(response)
    assert 'id="field-priority"' in body and "high" in body and "Saved" in body
    assert "?since=2" in body  # the next edit starts from the new version
    assert _reload(issue).priority == 4
    event = IssueEvent.objects.get(field="priority")
    assert (event.actor, event.old, event.new) == (cast.bob, "medium", "high")
    shown = _text(client.get("/WEB-1/fields/priority?show=1", **HX))
    assert 'id="edit-priority-button"' in shown


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("title", "Renamed", "Renamed"),
        ("description", "*new* text", "*new* text"),
        ("type", "task", "task"),
        ("severity", "critical", 4),
        ("assignee", "alice", "alice"),
        ("assignee", "", None),
        ("labels", "ui, backend ,ui", ["backend", "ui"]),
        ("milestone", "1.0", "1.0"),
        ("due_date", "2026-12-31", "2026-12-31"),
    ],
)
def test_every_field_saves(cast, field, value, expected):
    project_actions.add_milestone(actor=cast.alice, project=cast.web, name="1.0")
    issue = _issue(cast, assignee="bob")
    response = _as(cast.bob).post(f"/WEB-1/fields/{field}", {"value": value, "version": 1}, **HX)
    assert response.status_code == 200, _text(response)
    fresh = _reload(issue)
    got = {
        "assignee": fresh.assignee.username if fresh.assignee else None,
        "labels": sorted(x.name for x in fresh.labels.all()),
        "milestone": fresh.milestone.name if fresh.milestone else None,
        "due_date": fresh.due_date.isoformat() if fresh.due_date else None,
    }.get(field, getattr(fresh, field))
    assert got == expected


def test_components_and_confidential_save(cast):
    project_actions.add_component(actor=cast.alice, project=cast.web, name="api")
    project_actions.add_component(actor=cast.alice, project=cast.web, name="web")
    issue = _issue(cast)
    client = _as(cast.alice)
    form = _text(client.get("/WEB-1/fields/components", **HX))
    assert 'type="checkbox" name="value" value="api"' in form
    client.post("/WEB-1/fields/components", {"value": ["web", "api"], "version": 1}, **HX)
    assert sorted(c.name for c in _reload(issue).components.all()) == ["api", "web"]
    client.post("/WEB-1/fields/confidential", {"value": "true", "version": 2}, **HX)
    assert _reload(issue).confidential is True
    client.post("/WEB-1/fields/confidential", {"version": 3}, **HX)
    assert _reload(issue).confidential is False


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "   ", "Must not be empty"),
        ("priority", "urgent", "Must be one of: lowest, low, medium, high, highest"),
        ("due_date", "soon", "Must be a date like 2026-12-31"),
        ("assignee", "eve", "&#39;eve&#39; is not a member of WEB"),
        ("milestone", "9.9", "No milestone &#39;9.9&#39; in WEB"),
    ],
)
def test_bad_input_shows_an_inline_error_and_changes_nothing(cast, field, value, message):
    issue = _issue(cast)
    response = _as(cast.bob).post(f"/WEB-1/fields/{field}", {"value": value, "version": 1}, **HX)
    assert response.status_code == 422
    assert response["X-Docket-Partial"] == "1"
    body = _text(response)
    assert 'role="alert"' in body and message in body
    assert f'id="field-{field}"' in body and "data-editing" in body  # the form stays open
    assert _reload(issue).version == 1


def test_a_garbled_version_is_a_bad_request(cast):
    _issue(cast)
    response = _as(cast.bob).post("/WEB-1/fields/title", {"value": "x", "version": "1x"})
    assert response.status_code == 400
    assert _as(cast.bob).get("/WEB-1/fields/nonsense", **HX).status_code == 404


def test_a_conflicting_edit_shows_theirs_and_yours_and_can_be_reapplied(cast):
    issue = _issue(cast)
    actions.update_issue(actor=cast.alice, issue=issue, changes={"title": "Theirs"}, base_version=1)
    client = _as(cast.bob)
    response = client.post("/WEB-1/fields/title", {"value": "Mine", "version": "1"}, **HX)
    assert response.status_code == 409
    body = _text(response)
    assert "Someone else changed the title" in body and "alice changed it" in body
    assert re.search(r"data-theirs>.*Theirs", body, re.S)
    assert re.search(r"data-yours>.*Mine", body, re.S)
    assert "Re-apply my change" in body and "Keep theirs" in body
    assert 'name="version" value="2"' in body  # re-applying builds on the current version
    assert _reload(issue).title == "Theirs"  # nothing was overwritten
    again = client.post("/WEB-1/fields/title", {"value": "Mine", "version": "2"}, **HX)
    assert again.status_code == 200 and _reload(issue).title == "Mine"


def test_keep_theirs_shows_the_current_value(cast):
    issue = _issue(cast)
    actions.update_issue(actor=cast.alice, issue=issue, changes={"priority": "low"})
    body = _text(_as(cast.bob).get("/WEB-1/fields/priority?show=1", **HX))
    assert "low" in body and "?since=2" in body


def test_a_change_to_another_field_meanwhile_merges(cast):
    issue = _issue(cast)
    actions.update_issue(actor=cast.alice, issue=issue, changes={"priority": "high"})
    response = _as(cast.bob).post("/WEB-1/fields/title", {"value": "Mine", "version": "1"}, **HX)
    assert response.status_code == 200
    fresh = _reload(issue)
    assert (fresh.title, fresh.priority) == ("Mine", 4)


def test_the_edit_form_says_when_the_field_moved_since_the_page_loaded(cast):
    issue = _issue(cast)
    actions.update_issue(actor=cast.alice, issue=issue, changes={"title": "Theirs"})
    body = _text(_as(cast.bob).get("/WEB-1/fields/title?since=1", **HX))
    assert "alice changed the title after you loaded the page" in body
    assert 'value="Theirs"' in body and 'name="version" value="2"' in body


def test_assign_to_me(cast):
    issue = _issue(cast)
    client = _as(cast.alice)
    response = client.post("/WEB-1/fields/assignee", {"value": "alice", "version": 1}, **HX)
    assert response.status_code == 200
    assert 'data-shortcut="a"' not in _text(response)  # already assigned to her
    assert _reload(issue).assignee == cast.alice


# --- comments ------------------------------------------------------------------------------------


def test_comments_render_markdown_and_stay_inert(cast):
    _issue(cast)
    client = _as(cast.bob)
    response = client.post(
        "/WEB-1/comments", {"body": "**bold** <script>alert(1)</script> @alice"}, **HX
    )
    assert response.status_code == 200 and "Comment added." in _text(response)
    assert response["HX-Trigger"] == "docket:issue-changed"
    body = _text(client.get("/WEB-1"))
    assert "<strong>bold</strong>" in body
    assert "<script>alert(1)" not in body and "&lt;script&gt;alert(1)" in body
    plain = client.post("/WEB-1/comments", {"body": "no js"})
    comment = Comment.objects.order_by("id").last()
    assert plain.status_code == 302 and plain["Location"] == f"/WEB-1#comment-{comment.id}"


def test_an_empty_comment_is_an_inline_error(cast):
    _issue(cast)
    response = _as(cast.bob).post("/WEB-1/comments", {"body": "  "}, **HX)
    assert response.status_code == 422
    assert "Must not be empty" in _text(response) and 'role="alert"' in _text(response)
    assert not Comment.objects.exists()


def test_authors_edit_and_delete_their_comments_and_others_cannot(cast):
    issue = _issue(cast)
    comment = comments.add_comment(actor=cast.bob, issue=issue, body="first")
    carol = _as(cast.carol)
    assert f"/WEB-1/comments/{comment.id}?edit=1" not in _text(carol.get("/WEB-1"))
    assert carol.get(f"/WEB-1/comments/{comment.id}?edit=1", **HX).status_code == 403
    refused = carol.post(f"/WEB-1/comments/{comment.id}", {"body": "mine now"}, **HX)
    assert refused.status_code == 403
    bob = _as(cast.bob)
    assert "first" in _text(bob.get(f"/WEB-1/comments/{comment.id}?edit=1", **HX))
    edited = bob.post(f"/WEB-1/comments/{comment.id}", {"body": "*second*"}, **HX)
    assert edited.status_code == 200 and "<em>second</em>" in _text(edited)
    assert "(edited)" in _text(edited)
    deleted = bob.post(f"/WEB-1/comments/{comment.id}/delete", **HX)
    assert deleted.status_code == 200 and "Comment deleted" in _text(deleted)
    assert Comment.objects.get().deleted_at is not None
    page = _text(bob.get("/WEB-1"))
    assert "second" not in page and "Comment deleted</em> by <strong>bob</strong>" in page


def test_preview_renders_sanitised_markdown(cast):
    _issue(cast)
    response = _as(cast.bob).post("/WEB-1/preview", {"body": "**b** <img src=x onerror=alert(1)>"})
    body = _text(response)
    assert "<strong>b</strong>" in body and "<img" not in body
    assert _as(cast.eve).post("/WEB-1/preview", {"body": "x"}).status_code == 404


def test_mention_candidates_are_the_projects_people_only(cast):
    _issue(cast)
    team = Team.objects.create(slug="ops", name="Ops")
    frank = UserFactory(username="frank")
    team.members.add(frank)
    project_actions.set_member(actor=cast.alice, project=cast.web, team="ops", role="viewer")
    UserFactory(username="alfred")  # no role in WEB
    found = _as(cast.bob).get("/WEB-1/people", {"q": "a"}).json()["people"]
    assert [p["username"] for p in found] == ["alice"]
    everyone = _as(cast.bob).get("/WEB-1/people").json()["people"]
    assert [p["username"] for p in everyone] == ["alice", "bob", "carol", "dave", "frank"]
    assert _as(cast.eve).get("/WEB-1/people", {"q": "a"}).status_code == 404


# --- transitions ----------------------------------------------------------------------------------


def test_taking_a_transition_by_its_button(cast):
    issue = _issue(cast)
    response = _as(cast.bob).post(
        "/WEB-1/transitions", {"name": "Start progress", "to": "in progress", "version": "1"}, **HX
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "docket:issue-changed"
    assert ">Resolve…</button>" in _text(response)
    assert _reload(issue).status.name == "In Progress"


def test_entering_a_done_state_asks_for_the_resolution_with_fixed_preselected(cast):
    issue = _issue(cast)
    client = _as(cast.bob)
    asked = client.post(
        "/WEB-1/transitions", {"name": "Resolve", "to": "resolved", "version": "1"}, **HX
    )
    assert asked.status_code == 200 and "HX-Trigger" not in asked  # a question, nothing changed
    form = _text(asked)
    assert "<legend>Resolution</legend>" in form and 'role="alert"' not in form
    assert re.search(r'value="fixed" checked autofocus', form), form
    assert 'value="won\'t fix">' in form or 'value="won&#39;t fix">' in form
    assert _reload(issue).status.name == "New"
    fields = {"name": "Resolve", "to": "resolved", "version": "1", "form": "1"}
    taken = client.post("/WEB-1/transitions", {**fields, "resolution": "won't fix"}, **HX)
    assert taken.status_code == 200 and taken["HX-Trigger"] == "docket:issue-changed"
    fresh = _reload(issue)
    assert (fresh.status.name, fresh.resolution) == ("Resolved", "won't fix")
    closed = client.post(
        "/WEB-1/transitions", {"name": "Close", "to": "closed", "version": "2"}, **HX
    )
    assert closed.status_code == 200  # done to done: no question, the resolution stays
    assert _reload(issue).resolution == "won't fix"


def test_the_resolution_step_works_without_javascript(cast):
    _issue(cast)
    client = _as(cast.bob)
    page = _text(client.get("/WEB-1"))
    take = re.search(r'name="take" value="(\d+)">\s*<button[^>]*>Resolve…', page)
    assert take, page
    form = client.get("/WEB-1/transitions", {"take": take.group(1)})
    assert form.status_code == 200 and "<html" in _text(form)  # a page of its own
    assert 'value="fixed" checked' in _text(form)
    asked = client.post("/WEB-1/transitions", {"name": "Resolve", "to": "resolved", "version": "1"})
    assert (
        asked.status_code == 200
        and "<html" in _text(asked)
        and "<legend>Resolution" in _text(asked)
    )
    taken = client.post(
        "/WEB-1/transitions",
        {
            "name": "Resolve",
            "to": "resolved",
            "version": "1",
            "form": "1",
            "resolution": "duplicate",
        },
    )
    assert taken.status_code == 302 and taken["Location"] == "/WEB-1"
    assert Issue.objects.get(number=1).resolution == "duplicate"


def test_the_api_still_records_fixed_when_no_resolution_is_given(cast):
    issue = _issue(cast)
    actions.transition(actor=cast.bob, issue=issue, to="resolved")
    assert _reload(issue).resolution == "fixed"


def test_a_refused_transition_shows_the_engines_reason(cast):
    issue = _issue(cast)
    actions.transition(actor=cast.alice, issue=issue, to="closed")
    response = _as(cast.bob).post(
        "/WEB-1/transitions", {"name": "Resolve", "to": "resolved", "version": "1"}, **HX
    )
    assert response.status_code == 409  # the status moved since the page showed it
    assert "changed since version 1: status" in _text(response)
    response = _as(cast.bob).post("/WEB-1/transitions", {"name": "Resolve", "version": "2"}, **HX)
    assert response.status_code == 422
    assert "Resolve is not available from closed; available: Reopen" in _text(response)


def test_a_transition_that_needs_fields_opens_a_form(cast):
    desk = make_project(cast.alice, "DESK", workflow="support", members={cast.bob: "member"})
    make_issue(cast.bob, desk, title="Cannot log in")
    client = _as(cast.bob)
    page = _text(client.get("/DESK-1"))
    solve = re.search(r'id="transition-(\d+)"[^>]*\n?[^>]*>Solve…', page)
    assert solve, page
    form = _text(client.get(f"/DESK-1/transitions?take={solve.group(1)}", **HX))
    assert 'name="resolution"' in form and "(required)" in form and "data-editing" in form
    fields = {"name": "Solve", "to": "solved", "rule": solve.group(1), "form": "1", "version": 1}
    refused = client.post("/DESK-1/transitions", {**fields, "comment": "done?"}, **HX)
    assert refused.status_code == 422
    assert "Solve requires resolution" in _text(refused) and "done?" in _text(refused)
    taken = client.post("/DESK-1/transitions", {**fields, "resolution": "duplicate"}, **HX)
    assert taken.status_code == 200
    issue = Issue.objects.get(project=desk)
    assert (issue.status.name, issue.resolution) == ("Solved", "duplicate")


# --- the timeline ---------------------------------------------------------------------------------


def test_the_timeline_tells_what_happened_in_words(cast):
    issue = _issue(cast)
    actions.update_issue(actor=cast.bob, issue=issue, changes={"priority": "high"})
    actions.update_issue(actor=cast.bob, issue=issue, changes={"labels": ["ui", "db"]})
    actions.update_issue(actor=cast.bob, issue=issue, changes={"assignee": "alice"})
    actions.transition(actor=cast.bob, issue=issue, to="open", comment="triaged")
    sharing.grant_access(actor=cast.alice, issue=issue, username="eve")
    body = re.sub(r"\s+", " ", _text(_as(cast.bob).get("/WEB-1")))
    assert "<strong>bob</strong> created the issue" in body
    assert (
        'changed priority from <span class="val">medium</span> to <span class="val">high</span>'
        in body
    )
    assert 'added labels <span class="val">db, ui</span>' in body
    assert 'assigned <span class="val">alice</span>' in body
    assert (
        'moved the issue from <span class="val">new</span> to <span class="val">open</span>' in body
    )
    assert 'gave <span class="val">eve</span> access to this issue' in body
    moved, said = body.index('to <span class="val">open'), body.index("triaged")
    assert moved < said  # the move, then the comment made with it


def test_the_timeline_shows_the_latest_entries_and_loads_older_ones(cast):
    issue = _issue(cast)
    for n in range(60):
        comments.add_comment(actor=cast.bob, issue=issue, body=f"note {n:02d}")
    client = _as(cast.bob)
    page = _text(client.get("/WEB-1"))
    shown = re.findall(r"note (\d\d)", page)
    assert shown == [f"{n:02d}" for n in range(10, 60)]  # the latest 50, oldest first
    assert "created the issue" not in page
    cursor = re.search(r"/WEB-1/timeline\?cursor=([^\"&]+)", page).group(1)
    older = _text(client.get(f"/WEB-1/timeline?cursor={cursor}", **HX))
    assert re.findall(r"note (\d\d)", older) == [f"{n:02d}" for n in range(10)]
    assert "created the issue" in older and "Show older" not in older
    assert client.get("/WEB-1/timeline?cursor=forged", **HX).status_code == 400


def _queries_for_page(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/WEB-1").status_code == 200
    return len(captured)


def test_the_issue_page_runs_a_fixed_number_of_queries(cast):
    issue = _issue(cast, labels=["ui"])
    client = _as(cast.bob)
    for n in range(5):
        comments.add_comment(actor=cast.alice, issue=issue, body=f"**c{n}**")
        actions.update_issue(actor=cast.bob, issue=issue, changes={"title": f"t{n}"})
    few = _queries_for_page(client)
    for n in range(25):
        comments.add_comment(actor=cast.carol, issue=issue, body=f"c{n}")
        actions.update_issue(actor=cast.bob, issue=issue, changes={"title": f"u{n}"})
    many = _queries_for_page(client)
    assert few == many
    # 11 for the issue, the top bar's unread count, the mute toggle's state, the custom
    # fields and one asking which of the optional sections have anything (none here)
    assert many <= 15


def test_the_page_reads_a_section_only_when_it_has_something(cast):
    issue = _issue(cast)
    client = _as(cast.bob)
    bare = _queries_for_page(client)
    make_issue(cast.bob, cast.web, title="A sub-task", parent=issue.key)
    links.link_issues(actor=cast.bob, issue=issue, kind="relates_to", other="WEB-2")
    worklog.log_work(actor=cast.bob, issue=issue, time="90m")
    attach_bytes(actor=cast.bob, issue=issue, filename="trace.txt", data=b"Traceback")
    full = _queries_for_page(client)
    page = _text(client.get("/WEB-1"))
    assert "trace.txt" in page and "1h 30m" in page and page.count("A sub-task") >= 2
    # 9 for the sections: attachments, links and their other ends, sub-tasks, the work log,
    # visible sub-tasks (a level each) and their totals (2); 3 for what the timeline now
    # tells (the link's issue and project, the attachment's name)
    assert full == bare + 12, (bare, full)


# --- watching -------------------------------------------------------------------------------------


def test_reporter_and_assignee_watch_automatically(cast):
    issue = _issue(cast, assignee="alice")
    assert watching.watchers_of(issue) == (["alice", "bob"], 2)
    actions.update_issue(actor=cast.bob, issue=issue, changes={"assignee": "bob"})
    actions.update_issue(actor=cast.alice, issue=issue, changes={"assignee": None})
    assert watching.watchers_of(issue) == (["alice", "bob"], 2)  # leaving is by choice


def test_watch_and_unwatch_from_the_page(cast):
    issue = _issue(cast)
    client = _as(cast.dave)  # a viewer may watch what they can see
    body = _text(client.post("/WEB-1/watch", {"watch": "1"}, **HX))
    assert ">Unwatch</button>" in body and "2 watching, including you" in body
    assert client.post("/WEB-1/watch", {"watch": "1"}).status_code == 302  # twice: same
    assert watching.watchers_of(issue) == (["bob", "dave"], 2)
    body = _text(client.post("/WEB-1/watch", {"watch": "0"}, **HX))
    assert ">Watch</button>" in body and "1 watching" in body
    assert not Watch.objects.filter(user=cast.dave).exists()


def test_the_watchers_api(cast):
    issue = _issue(cast)
    dave = cast.api(cast.dave)
    assert dave.post("/issues/WEB-1/watchers").json() == {
        "key": "WEB-1", "count": 2, "watching": True, "watchers": ["bob", "dave"],
    }  # fmt: skip
    listed = cast.api(cast.alice).get("/issues/WEB-1/watchers").json()
    assert listed["watching"] is False and listed["watchers"] == ["bob", "dave"]
    assert dave.delete("/issues/WEB-1/watchers").status_code == 204
    assert watching.watchers_of(issue) == (["bob"], 1)
    eve = cast.api(cast.eve)
    assert eve.get("/issues/WEB-1/watchers").status_code == 404
    assert eve.post("/issues/WEB-1/watchers").status_code == 404
    assert cast.api(None).get("/issues/WEB-1/watchers").status_code in (401, 404)
    read_only = cast.api(cast.dave, scopes=["read"])
    assert read_only.post("/issues/WEB-1/watchers").status_code == 403


def test_a_watcher_who_loses_access_sees_nothing(cast):
    issue = _issue(cast)
    watching.watch(actor=cast.dave, issue=issue)
    project_actions.remove_member(actor=cast.alice, project=cast.web, user="dave")
    client = _as(cast.dave)
    assert client.get("/WEB-1").status_code == 404
    assert cast.api(cast.dave).get("/issues/WEB-1/watchers").status_code == 404
    found = cast.api(cast.dave).get("/issues", q="watcher:@me").json()["items"]
    assert found == []
    assert "Login button" not in _text(client.get("/"))


def test_the_watcher_query_field(cast):
    first = _issue(cast, title="one")
    second = _issue(cast, title="two")
    watching.watch(actor=cast.dave, issue=second)
    Watch.objects.filter(issue=first).delete()

    def keys(user, query):
        rows, _ = list_issues(user, IssueFilter(), query=query)
        return sorted(i["key"] for i in rows)

    assert keys(cast.dave, "watcher:@me") == ["WEB-2"]
    assert keys(cast.alice, "watcher:dave") == ["WEB-2"]
    assert keys(cast.alice, "watcher:bob") == ["WEB-2"]
    assert keys(cast.alice, "watcher:none") == ["WEB-1"]
    assert keys(cast.alice, "-watcher:dave") == ["WEB-1"]
    assert keys(cast.alice, "watchers:bob,dave") == ["WEB-2"]
    assert issue_matches("watcher:dave", second, cast.alice)
    assert not issue_matches("watcher:dave", first, cast.alice)


def test_my_work_lists_what_i_watch(cast):
    issue = _issue(cast, title="Flaky deploys")
    watching.watch(actor=cast.dave, issue=issue)
    body = _text(_as(cast.dave).get("/"))
    assert "Watching" in body and "Flaky deploys" in body


def test_editing_a_title_to_hold_an_invisible_character_is_refused_in_place(cast):
    issue = _issue(cast)
    response = _as(cast.bob).post(
        "/WEB-1/fields/title", {"value": "Login\u2066 button", "version": "1"}, **HX
    )
    assert response.status_code == 422
    assert "U+2066 at character 6" in _text(response)
    assert _reload(issue).title == "Login button misaligned"
