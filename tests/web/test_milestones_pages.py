"""Milestones: start and due dates in the API, the milestones page (dates, progress over the
issues the viewer may see, overdue), one milestone's page (its issues as the list shows them),
and project admins adding, editing, closing and reopening them (audited)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from docket.audit.models import AuditEntry
from docket.issues import actions
from docket.projects import actions as project_actions
from docket.projects.models import Milestone
from tests.factories import make_issue


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


@pytest.fixture
def launch(cast) -> Milestone:
    """Milestone "Launch 1.0" due in 5 days: 2 open issues, 1 closed, 1 confidential open."""
    due = (_today() + dt.timedelta(days=5)).isoformat()
    milestone = project_actions.add_milestone(
        actor=cast.alice, project=cast.web, name="Launch 1.0", start_date="2026-01-05",
        due_date=due,
    )  # fmt: skip
    for title in ("Sign-up form", "Pricing page"):
        make_issue(cast.bob, cast.web, title=title, milestone="Launch 1.0")
    done = make_issue(cast.bob, cast.web, title="Logo", milestone="Launch 1.0")
    actions.transition(actor=cast.alice, issue=done, to="closed")
    make_issue(cast.alice, cast.web, title="Pen test", milestone="Launch 1.0", confidential=True)
    return milestone


# --- the API ---------------------------------------------------------------------------------


def test_the_api_returns_and_accepts_start_and_due_dates(cast):
    admin = cast.api(cast.alice)
    made = admin.post(
        "/projects/WEB/milestones",
        {"name": "Beta", "start_date": "2026-03-01", "due_date": "2026-03-31"},
    )
    assert made.status_code == 201
    assert made.json() == {
        "name": "Beta", "start_date": "2026-03-01", "due_date": "2026-03-31", "closed": False,
    }  # fmt: skip
    listed = cast.api(cast.carol).get("/projects/WEB/milestones").json()
    assert listed == [made.json()]
    changed = admin.patch("/projects/WEB/milestones/Beta", {"due_date": None, "closed": True})
    assert changed.status_code == 200
    assert changed.json() == {
        "name": "Beta", "start_date": "2026-03-01", "due_date": None, "closed": True,
    }  # fmt: skip
    entry = AuditEntry.objects.filter(action="milestone.changed").get()
    assert entry.data == {"due_date": ["2026-03-31", None], "closed": [False, True]}


def test_the_api_refuses_a_start_after_the_due_date_and_non_admins(cast):
    admin = cast.api(cast.alice)
    backwards = admin.post(
        "/projects/WEB/milestones",
        {"name": "Beta", "start_date": "2026-04-01", "due_date": "2026-03-31"},
    )
    assert backwards.status_code == 422
    assert backwards.json()["errors"][0]["field"] == "start_date"
    assert not Milestone.objects.exists()
    project_actions.add_milestone(actor=cast.alice, project=cast.web, name="Beta")
    member = cast.api(cast.bob).patch("/projects/WEB/milestones/Beta", {"closed": True})
    assert member.status_code == 403
    assert not Milestone.objects.get(name="Beta").closed
    missing = admin.patch("/projects/WEB/milestones/Nope", {"closed": True})
    assert missing.status_code == 404
    unnamed = admin.patch("/projects/WEB/milestones/Beta", {"name": "B2", "closed": None})
    assert unnamed.status_code == 422 and unnamed.json()["errors"][0]["field"] == "closed"
    assert Milestone.objects.filter(name="Beta").exists()


# --- the pages -------------------------------------------------------------------------------


def test_the_milestones_page_counts_only_issues_the_viewer_may_see(cast, launch):
    member = _as(cast.bob).get("/p/WEB/milestones").content.decode()
    assert 'href="/p/WEB/milestones/Launch%201.0"' in member
    assert "1 done, 3 open" in member  # the confidential one counts for a member
    assert "5 days left" in member and "2026-01-05" in member
    reporter = _as(cast.carol).get("/p/WEB/milestones").content.decode()
    assert "1 done, 2 open" in reporter  # but not for a reporter
    assert re.search(r'<progress max="3" value="1"', reporter)
    assert _as(cast.eve).get("/p/WEB/milestones").status_code == 404


def test_a_milestones_page_lists_its_visible_issues_and_progress(cast, launch):
    html = _as(cast.carol).get("/p/WEB/milestones/Launch 1.0").content.decode()
    assert "Sign-up form" in html and "Pricing page" in html and "Logo" in html
    assert "Pen test" not in html
    assert "33%" in html and "1 done, 2 open" in html
    assert "milestone:&#34;Launch 1.0&#34;" in html or "milestone:&quot;Launch 1.0&quot;" in html
    assert _as(cast.carol).get("/p/WEB/milestones/Nope").status_code == 404


def test_an_overdue_milestone_is_marked(cast):
    past = (_today() - dt.timedelta(days=3)).isoformat()
    project_actions.add_milestone(actor=cast.alice, project=cast.web, name="Late", due_date=past)
    make_issue(cast.bob, cast.web, title="Still open", milestone="Late")
    html = _as(cast.bob).get("/p/WEB/milestones").content.decode()
    assert "Overdue by 3 days" in html


def test_only_admins_see_the_forms_and_may_add_or_edit(cast, launch):
    member = _as(cast.bob)
    page = member.get("/p/WEB/milestones").content.decode()
    assert "Add a milestone" not in page
    assert "Edit milestone" not in member.get("/p/WEB/milestones/Launch 1.0").content.decode()
    refused = member.post("/p/WEB/milestones", {"name": "Sneaky"})
    assert refused.status_code == 403 and not Milestone.objects.filter(name="Sneaky").exists()
    refused = member.post("/p/WEB/milestones/Launch 1.0", {"close": "1"})
    assert refused.status_code == 403 and not Milestone.objects.get(pk=launch.pk).closed

    admin = _as(cast.alice)
    assert "Add a milestone" in admin.get("/p/WEB/milestones").content.decode()
    added = admin.post(
        "/p/WEB/milestones", {"name": "GA", "start_date": "2026-06-01", "due_date": "2026-06-30"}
    )
    assert added.status_code == 302
    ga = Milestone.objects.get(name="GA")
    assert (ga.start_date, ga.due_date) == (dt.date(2026, 6, 1), dt.date(2026, 6, 30))
    bad = admin.post("/p/WEB/milestones", {"name": "Bad", "start_date": "2026-07-01",
                                           "due_date": "2026-06-01"})  # fmt: skip
    assert bad.status_code == 422
    assert "Start date: must be on or before the due date" in bad.content.decode()
    assert not Milestone.objects.filter(name="Bad").exists()

    edited = admin.post(
        "/p/WEB/milestones/GA", {"name": "GA 1", "start_date": "", "due_date": "2026-07-15"}
    )
    assert edited.status_code == 302 and edited["Location"] == "/p/WEB/milestones/GA%201"
    ga.refresh_from_db()
    assert (ga.name, ga.start_date, ga.due_date) == ("GA 1", None, dt.date(2026, 7, 15))
    assert admin.post("/p/WEB/milestones/GA 1", {"close": "1"}).status_code == 302
    ga.refresh_from_db()
    assert ga.closed
    assert "Reopen milestone" in admin.get("/p/WEB/milestones/GA 1").content.decode()
    actions_logged = list(
        AuditEntry.objects.filter(target__in=["GA", "GA 1"])
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions_logged == ["milestone.created", "milestone.changed", "milestone.changed"]


def test_the_project_nav_links_the_milestones(cast):
    assert 'href="/p/WEB/milestones"' in _as(cast.carol).get("/p/WEB/").content.decode()
