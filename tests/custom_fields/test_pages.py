"""The issue page shows the custom fields and time, members change them and log time through
its forms (the actions' rules and 422s apply), the milestone page shows its time totals."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import make_issue


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def issue(fielded):
    return make_issue(
        fielded.alice, fielded.web, title="Typed", estimate=120,
        custom_fields={"customer": "ACME", "tier": "gold", "platforms": ["ios"], "owner": "bob"},
    )  # fmt: skip


def test_the_issue_page_shows_and_edits_custom_fields(fielded, issue):
    member = client_for(fielded.bob)
    page = member.get("/WEB-1").content.decode()
    assert 'id="cf-form"' in page and 'value="ACME"' in page
    assert '<option value="gold" selected>' in page
    saved = member.post(
        "/WEB-1/custom-fields",
        {"cf.customer": "Initech", "cf.points": "5", "cf.tier": "silver",
         "cf.platforms": ["web", "ios"], "cf.owner": "alice", "cf.deadline": ""},
    )  # fmt: skip
    assert saved.status_code == 302
    api = fielded.api(fielded.bob).get("/issues/WEB-1").json()["custom_fields"]
    assert api == {
        "customer": "Initech", "points": 5, "deadline": None, "tier": "silver",
        "platforms": ["web", "ios"], "owner": "alice",
    }  # fmt: skip
    page = member.get("/WEB-1").content.decode()
    assert 'value="Initech"' in page
    assert "changed Customer from" in page  # the timeline names a field by its label


def test_a_bad_value_shows_the_reason_and_changes_nothing(fielded, issue):
    member = client_for(fielded.bob)
    refused = member.post("/WEB-1/custom-fields", {"cf.points": "lots", "cf.customer": "X"})
    assert refused.status_code == 422
    assert "must be a number" in refused.content.decode()
    assert (
        fielded.api(fielded.bob).get("/issues/WEB-1").json()["custom_fields"]["customer"] == "ACME"
    )


def test_readers_without_the_right_see_values_but_no_forms(fielded, issue):
    page = client_for(fielded.carol).get("/WEB-1").content.decode()
    assert "ACME" in page and 'id="cf-form"' not in page and 'id="worklog-form"' not in page


def test_logging_time_on_the_page(fielded, issue):
    member = client_for(fielded.bob)
    assert member.post("/WEB-1/worklog", {"time": "1h 30m", "note": "repro"}).status_code == 302
    page = member.get("/WEB-1").content.decode()
    assert "1h 30m</strong> by bob" in page
    assert "Logged <strong>1h 30m</strong> of <strong>2h</strong>" in page
    assert "logged " in page  # the timeline says so
    bad = member.post("/WEB-1/worklog", {"time": "soon"})
    assert bad.status_code == 422 and "not a duration" in bad.content.decode()


def test_the_milestone_page_shows_time_totals(fielded):
    fielded.api(fielded.alice).post("/projects/WEB/milestones", {"name": "1.0"})
    make_issue(fielded.alice, fielded.web, title="A", estimate=60, milestone="1.0")
    fielded.api(fielded.alice).post("/issues/WEB-1/worklog", {"time": 90})
    page = client_for(fielded.bob).get("/p/WEB/milestones/1.0").content.decode()
    assert "Time: <strong>1h 30m</strong> logged of <strong>1h</strong> estimated" in page


def test_the_create_form_asks_for_custom_fields_and_an_estimate(fielded):
    member = client_for(fielded.bob)
    form = member.get("/p/WEB/new").content.decode()
    assert 'name="cf.customer"' in form and 'name="cf.platforms"' in form
    assert 'name="estimate"' in form and '<option value="bob">' in form
    made = member.post(
        "/p/WEB/new",
        {"title": "From the form", "type": "bug", "priority": "medium", "severity": "major",
         "estimate": "2h 15m", "cf.customer": "ACME", "cf.tier": "bronze",
         "cf.platforms": ["android"], "cf.points": "", "cf.owner": ""},
    )  # fmt: skip
    assert made.status_code == 302, made.content.decode()[:2000]
    issue = fielded.api(fielded.bob).get("/issues/WEB-1").json()
    assert issue["estimate"] == 135
    assert issue["custom_fields"]["customer"] == "ACME"
    assert issue["custom_fields"]["platforms"] == ["android"]
    assert issue["custom_fields"]["points"] is None


def test_the_create_form_names_a_missing_required_field(fielded):
    fielded.api(fielded.alice).patch("/projects/WEB/fields/customer", {"required": True})
    refused = client_for(fielded.bob).post(
        "/p/WEB/new", {"title": "T", "type": "bug", "priority": "medium", "severity": "major"}
    )
    assert refused.status_code == 422
    assert "Customer: is required" in refused.content.decode()
    assert fielded.api(fielded.bob).get("/issues", q="project:WEB").json()["items"] == []


def test_the_settings_page_lists_adds_and_deletes_fields(cast):
    admin, member = client_for(cast.alice), client_for(cast.bob)
    added = admin.post(
        "/p/WEB/fields",
        {"name": "tier", "label": "Tier", "type": "select", "options": "gold, silver"},
    )
    assert added.status_code == 302
    listing = member.get("/p/WEB/fields").content.decode()
    assert "<code>cf.tier</code>" in listing and "gold, silver" in listing
    assert 'name="delete"' not in listing  # members read, admins manage
    assert member.post("/p/WEB/fields", {"name": "x", "type": "text"}).status_code == 403
    bad = admin.post("/p/WEB/fields", {"name": "Bad Name", "type": "text"})
    assert bad.status_code == 422 and "lower-case letters" in bad.content.decode()
    assert admin.post("/p/WEB/fields", {"delete": "tier"}).status_code == 302
    assert "No custom fields yet" in member.get("/p/WEB/fields").content.decode()


def test_the_estimate_reads_and_edits_as_a_duration_in_place(fielded, issue):
    member = client_for(fielded.bob)
    assert ">2h<" in member.get("/WEB-1").content.decode().replace(" ", "")
    form = member.get("/WEB-1/fields/estimate").content.decode()
    assert 'value="2h"' in form
    saved = member.post("/WEB-1/fields/estimate", {"value": "3h 30m", "version": "1"})
    assert saved.status_code == 302
    assert fielded.api(fielded.bob).get("/issues/WEB-1").json()["estimate"] == 210
