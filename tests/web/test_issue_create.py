"""Creating issues from the form, picking a project first, and the Markdown preview."""

from __future__ import annotations

from django.test import Client

from docket.issues.models import Issue, IssueEvent, Label
from docket.projects.models import Component, Milestone
from tests.factories import make_project


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_form_offers_the_projects_people_labels_components_and_milestones(cast):
    Label.objects.create(project=cast.web, name="ui")
    Component.objects.create(project=cast.web, name="api")
    Milestone.objects.create(project=cast.web, name="1.0")
    response = _as(cast.carol).get("/p/WEB/new")
    assert response.status_code == 200
    context = response.context
    assert context["people"] == ["alice", "bob"]  # members and admins only
    assert context["labels"] == ["ui"] and context["components"] == ["api"]
    shown = response.content.decode()
    assert 'name="labels" value="ui"' in shown and 'name="components" value="api"' in shown
    assert context["milestones"] == ["1.0"]
    form = context["form"]
    assert (form["type"], form["priority"], form["severity"]) == ("bug", "medium", "major")
    body = response.content.decode()
    for field in ("title", "description", "type", "priority", "severity", "assignee",
                  "milestone", "due_date"):  # fmt: skip
        assert f'<label for="{field}">' in body
    assert 'name="confidential"' in body


def test_defaults_follow_the_type_in_the_address(cast):
    form = _as(cast.bob).get("/p/WEB/new", {"type": "incident"}).context["form"]
    assert (form["type"], form["priority"]) == ("incident", "high")
    odd = _as(cast.bob).get("/p/WEB/new", {"type": "<nope>"}).context["form"]
    assert odd["type"] == "bug"


def test_creating_an_issue_redirects_to_it_with_its_key(cast):
    Label.objects.create(project=cast.web, name="ui")
    Component.objects.create(project=cast.web, name="api")
    Milestone.objects.create(project=cast.web, name="1.0")
    client = _as(cast.bob)
    response = client.post(
        "/p/WEB/new",
        {
            "title": "  Login button misaligned  ", "description": "It *moves*.",
            "type": "task", "priority": "high", "severity": "minor", "assignee": "alice",
            "labels": ["ui"], "components": ["api"], "milestone": "1.0",
            "due_date": "2026-12-31", "confidential": "1",
        },
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"] == "/WEB-1"
    issue = Issue.objects.get()
    assert issue.title == "Login button misaligned" and issue.reporter == cast.bob
    assert (issue.type, issue.priority, issue.severity) == ("task", 4, 2)
    assert issue.assignee == cast.alice and issue.milestone.name == "1.0"
    assert [x.name for x in issue.labels.all()] == ["ui"]
    assert [x.name for x in issue.components.all()] == ["api"]
    assert str(issue.due_date) == "2026-12-31" and issue.confidential
    assert IssueEvent.objects.filter(issue=issue, kind="created").count() == 1
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["Created WEB-1"]


def test_a_reporter_files_a_plain_issue_with_the_defaults(cast):
    response = _as(cast.carol).post(
        "/p/WEB/new", {"title": "Broken", "type": "bug", "priority": "medium", "severity": "major"}
    )
    assert response.status_code == 302
    issue = Issue.objects.get()
    assert issue.assignee is None and issue.milestone is None and not issue.confidential


def test_errors_are_shown_by_each_field_and_the_input_is_kept(cast):
    response = _as(cast.bob).post(
        "/p/WEB/new",
        {"title": "   ", "description": "Keep <me>", "type": "bug", "priority": "medium",
         "severity": "major"},
    )  # fmt: skip
    assert response.status_code == 422
    body = response.content.decode()
    assert response.context["errors"] == {"title": "must not be empty"}
    assert '<p id="title-error" class="error">Title must not be empty</p>' in body
    assert 'aria-describedby="title-error"' in body
    assert "Keep &lt;me&gt;</textarea>" in body
    bad = _as(cast.bob).post(
        "/p/WEB/new",
        {"title": "Fine", "type": "bug", "priority": "urgent", "severity": "major",
         "assignee": "eve", "due_date": "2026-02-30"},
    )  # fmt: skip
    assert bad.status_code == 422
    assert "priority" in bad.context["errors"]
    assert 'value="Fine"' in bad.content.decode()
    assert Issue.objects.count() == 0


def test_each_field_error_is_reported_against_its_field(cast):
    cases = {
        "assignee": {"assignee": "eve"},
        "due_date": {"due_date": "31/12/2026"},
        "milestone": {"milestone": "nope"},
        "components": {"components": ["nope"]},
    }
    for field, extra in cases.items():
        data = {"title": "T", "type": "bug", "priority": "medium", "severity": "major", **extra}
        response = _as(cast.bob).post("/p/WEB/new", data)
        assert response.status_code == 422, field
        assert list(response.context["errors"]) == [field]
        assert f'id="{field}-error"' in response.content.decode()
    assert Issue.objects.count() == 0


def test_viewers_get_403_and_outsiders_404_and_nothing_is_created(cast):
    assert _as(cast.dave).get("/p/WEB/new").status_code == 403
    assert _as(cast.dave).post("/p/WEB/new", {"title": "x"}).status_code == 403
    assert _as(cast.eve).get("/p/WEB/new").status_code == 404
    assert _as(cast.eve).post("/p/WEB/new", {"title": "x"}).status_code == 404
    anonymous = Client().get("/p/WEB/new")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login")
    assert Issue.objects.count() == 0


def test_new_issue_anywhere_lets_you_pick_a_project_you_can_file_in(cast):
    make_project(cast.alice, "OPS", members={cast.dave: "viewer"})
    make_project(cast.eve, "EVE", visibility="internal")
    page = _as(cast.alice).get("/issues/new")
    assert [p.key for p in page.context["projects"]] == ["OPS", "WEB"]
    picked = _as(cast.alice).get("/issues/new", {"project": "ops", "type": "task"})
    assert picked["Location"] == "/p/OPS/new?type=task"
    # one project to file in: straight to its form (dave may only view OPS and WEB, eve's is
    # internal: only carol's reporter role in WEB counts for her)
    only = _as(cast.carol).get("/issues/new")
    assert only.status_code == 302 and only["Location"] == "/p/WEB/new"
    none = _as(cast.dave).get("/issues/new")
    assert none.status_code == 200 and "cannot file issues" in none.content.decode()


def test_the_preview_renders_sanitised_markdown(cast):
    response = _as(cast.bob).post(
        "/issues/preview", {"description": "**bold** <script>alert(1)</script>"}
    )
    body = response.content.decode()
    assert "<strong>bold</strong>" in body and "<script>" not in body
    assert Client().post("/issues/preview", {"description": "x"}).status_code == 302


def test_a_title_with_markup_is_stored_as_text(cast):
    _as(cast.bob).post(
        "/p/WEB/new",
        {"title": '<img src=x onerror="alert(1)">', "type": "bug", "priority": "medium",
         "severity": "major"},
    )  # fmt: skip
    assert Issue.objects.get().title == '<img src=x onerror="alert(1)">'


def test_a_title_with_a_bidi_override_is_refused_by_the_field_with_its_position(cast):
    form = {"title": "Pay invoice\u202eexe.pdf", "type": "bug", "priority": "medium",
            "severity": "major"}  # fmt: skip
    response = _as(cast.bob).post("/p/WEB/new", form)
    assert response.status_code == 422
    assert response.context["errors"] == {
        "title": "must not contain invisible or bidi characters (U+202E at character 12)"
    }
    assert not Issue.objects.exists()


def test_titles_keep_the_joiners_and_marks_real_scripts_need(cast):
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # ZWNJ inside a word
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467 crash"  # ZWJ emoji sequence
    for title in (persian, family, "see \u05e9\u05dc\u05d5\u05dd\u200f (RLM)"):
        form = {"title": title, "type": "bug", "priority": "medium", "severity": "major"}
        assert _as(cast.bob).post("/p/WEB/new", form).status_code == 302, title
    assert sorted(Issue.objects.values_list("title", flat=True)) == sorted(
        [persian, family, "see \u05e9\u05dc\u05d5\u05dd\u200f (RLM)"]
    )
