"""Custom fields through the API: definitions (admins, audited), values on create/update
with precise 422s, history events `cf.<name>`, and who may set them."""

from __future__ import annotations

from docket.audit.models import AuditEntry
from docket.issues import custom_fields
from docket.projects import actions as project_actions
from tests.custom_fields.conftest import history
from tests.factories import make_project

ALL = {
    "customer": "ACME",
    "points": 3,
    "deadline": "2027-01-31",
    "tier": "gold",
    "platforms": ["ios", "web"],
    "owner": "bob",
}


def test_definitions_are_managed_by_admins_and_audited(cast):
    admin, member = cast.api(cast.alice), cast.api(cast.bob)
    body = {"name": "tier", "type": "select", "options": ["gold", "silver"]}
    assert member.post("/projects/WEB/fields", body).status_code == 403
    made = admin.post("/projects/WEB/fields", body)
    assert made.status_code == 201, made.content
    assert made.json() == {
        "name": "tier", "label": "tier", "type": "select", "options": ["gold", "silver"],
        "required": False, "position": 0,
    }  # fmt: skip
    assert admin.post("/projects/WEB/fields", body).status_code == 409
    assert member.get("/projects/WEB/fields").json()[0]["name"] == "tier"
    changed = admin.patch("/projects/WEB/fields/tier", {"label": "Support tier"})
    assert changed.json()["label"] == "Support tier"
    assert admin.delete("/projects/WEB/fields/tier").status_code == 204
    assert admin.get("/projects/WEB/fields").json() == []
    actions = list(
        AuditEntry.objects.filter(action__startswith="custom_field").values_list(
            "action", flat=True
        )
    )
    assert sorted(actions) == [
        "custom_field.changed", "custom_field.created", "custom_field.deleted"
    ]  # fmt: skip


def test_bad_definitions_name_the_field(cast):
    admin = cast.api(cast.alice)
    cases = [
        ({"name": "Bad Name", "type": "text"}, "name"),
        ({"name": "x", "type": "colour"}, "type"),
        ({"name": "x", "type": "select"}, "options"),
        ({"name": "x", "type": "select", "options": ["a", "a"]}, "options"),
        ({"name": "x", "type": "text", "options": ["a"]}, "options"),
    ]
    for body, field in cases:
        response = admin.post("/projects/WEB/fields", body)
        assert response.status_code == 422, (body, response.content)
        assert field in response.content.decode(), (body, response.content)
    assert admin.get("/projects/WEB/fields").json() == []


def test_create_and_read_every_type(fielded):
    api = fielded.api(fielded.bob)
    made = api.post("/projects/WEB/issues", {"title": "Typed", "custom_fields": ALL})
    assert made.status_code == 201, made.content
    assert made.json()["custom_fields"] == {**ALL, "platforms": ["web", "ios"]}
    read = api.get("/issues/WEB-1").json()["custom_fields"]
    assert read == {**ALL, "platforms": ["web", "ios"]}
    created = history(api, "WEB-1")[0]
    assert created["kind"] == "created"
    assert created["new"]["cf.customer"] == "ACME" and created["new"]["cf.points"] == 3


def test_unset_fields_read_as_empty(fielded):
    api = fielded.api(fielded.bob)
    api.post("/projects/WEB/issues", {"title": "Bare"})
    assert api.get("/issues/WEB-1").json()["custom_fields"] == {
        "customer": None, "points": None, "deadline": None, "tier": None, "platforms": [],
        "owner": None,
    }  # fmt: skip


def test_update_records_a_changed_event_per_field(fielded):
    api = fielded.api(fielded.bob)
    api.post("/projects/WEB/issues", {"title": "T", "custom_fields": {"points": 2}})
    response = api.patch("/issues/WEB-1", {"custom_fields": {"points": 5.5, "customer": "Initech"}})
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 2
    changes = [
        (e["field"], e["old"], e["new"]) for e in history(api, "WEB-1") if e["kind"] == "changed"
    ]
    assert changes == [("cf.points", 2, 5.5), ("cf.customer", None, "Initech")]
    # Sending the same values again changes nothing: no version, no event.
    again = api.patch("/issues/WEB-1", {"custom_fields": {"points": 5.5}})
    assert again.json()["version"] == 2
    cleared = api.patch("/issues/WEB-1", {"custom_fields": {"points": None}})
    assert cleared.json()["custom_fields"]["points"] is None
    assert history(api, "WEB-1")[-1]["old"] == 5.5


BAD = [
    ("customer", 12, "must be a string"),
    ("points", "three", "must be a number"),
    ("points", True, "must be a number"),
    ("deadline", "31/01/2027", "must be a date"),
    ("deadline", "2027-02-30", "must be a date"),
    ("tier", "platinum", "must be one of: gold, silver, bronze"),
    ("platforms", ["web", "blackberry"], "must be one of"),
    ("platforms", "web", "must be a list"),
    ("owner", "carol", "cannot be assigned"),  # a reporter
    ("owner", "eve", "cannot be assigned"),  # not in the project
    ("nosuch", "x", "WEB has no custom field 'nosuch'"),
]


def test_bad_values_are_422s_naming_the_field_and_change_nothing(fielded):
    api = fielded.api(fielded.bob)
    api.post("/projects/WEB/issues", {"title": "T"})
    for name, value, message in BAD:
        for response in (
            api.patch("/issues/WEB-1", {"custom_fields": {name: value}}),
            api.post("/projects/WEB/issues", {"title": "N", "custom_fields": {name: value}}),
        ):
            assert response.status_code == 422, (name, value, response.content)
            body = response.content.decode()
            assert f"custom_fields.{name}" in body and message in body, body
    assert api.get("/issues/WEB-1").json()["version"] == 1
    assert api.get("/issues", q="project:WEB").json()["items"].__len__() == 1


def test_required_field(fielded):
    admin = fielded.api(fielded.alice)
    admin.patch("/projects/WEB/fields/customer", {"required": True})
    missing = admin.post("/projects/WEB/issues", {"title": "T"})
    assert missing.status_code == 422 and "custom_fields.customer" in missing.content.decode()
    made = admin.post("/projects/WEB/issues", {"title": "T", "custom_fields": {"customer": "A"}})
    assert made.status_code == 201
    emptied = admin.patch("/issues/WEB-1", {"custom_fields": {"customer": ""}})
    assert emptied.status_code == 422 and "is required" in emptied.content.decode()


def test_reporters_set_them_when_filing_but_not_after(fielded):
    reporter = fielded.api(fielded.carol)
    made = reporter.post("/projects/WEB/issues", {"title": "T", "custom_fields": {"tier": "gold"}})
    assert made.status_code == 201, made.content
    later = reporter.patch("/issues/WEB-1", {"custom_fields": {"tier": "silver"}})
    assert later.status_code == 403
    viewer = fielded.api(fielded.dave)
    assert viewer.patch("/issues/WEB-1", {"custom_fields": {"tier": "silver"}}).status_code == 403


def test_options_in_use_cannot_be_removed(fielded):
    admin = fielded.api(fielded.alice)
    admin.post("/projects/WEB/issues", {"title": "T", "custom_fields": {"tier": "gold"}})
    response = admin.patch("/projects/WEB/fields/tier", {"options": ["silver", "bronze"]})
    assert response.status_code == 422 and "still set on issues: gold" in response.content.decode()
    assert admin.patch("/projects/WEB/fields/tier", {"options": ["gold"]}).status_code == 200


def test_a_person_the_reader_may_not_know_reads_as_null(cast):
    """On a support desk a customer knows of its staff only: someone who has since become
    another customer reads as null to them (and as themselves to the staff)."""
    desk = make_project(cast.alice, "DESK", members={cast.bob: "member", cast.carol: "reporter"})
    project_actions.update_project(
        actor=cast.alice, project=desk, changes={"reporters_see_own_only": True}
    )
    custom_fields.define(actor=cast.alice, project=desk, values={"name": "owner", "type": "user"})
    customer, admin = cast.api(cast.carol), cast.api(cast.alice)
    key = customer.post("/projects/DESK/issues", {"title": "Printer on fire"}).json()["key"]
    assert admin.patch(f"/issues/{key}", {"custom_fields": {"owner": "bob"}}).status_code == 200
    assert customer.get(f"/issues/{key}").json()["custom_fields"]["owner"] == "bob"
    project_actions.set_member(actor=cast.alice, project=desk, user="bob", role="reporter")
    assert customer.get(f"/issues/{key}").json()["custom_fields"]["owner"] is None
    assert admin.get(f"/issues/{key}").json()["custom_fields"]["owner"] == "bob"


def test_a_stale_change_to_a_custom_field_is_a_conflict(fielded):
    alice, bob = fielded.api(fielded.alice), fielded.api(fielded.bob)
    alice.post("/projects/WEB/issues", {"title": "T", "custom_fields": {"points": 1}})
    assert alice.patch("/issues/WEB-1", {"custom_fields": {"points": 2}}).status_code == 200
    stale = bob.patch("/issues/WEB-1", {"custom_fields": {"points": 3}, "version": 1})
    assert stale.status_code == 409 and "cf.points" in stale.content.decode()
    # another field merges; the same value as now is no clash
    merged = bob.patch("/issues/WEB-1", {"custom_fields": {"tier": "gold"}, "version": 1})
    assert merged.status_code == 200, merged.content
    same = bob.patch("/issues/WEB-1", {"custom_fields": {"points": 2}, "version": 1})
    assert same.status_code == 200
    assert bob.get("/issues/WEB-1").json()["custom_fields"]["points"] == 2


def test_reading_an_issue_costs_the_same_with_many_custom_fields(fielded):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = fielded.api(fielded.bob)
    api.post("/projects/WEB/issues", {"title": "T", "custom_fields": ALL})

    def cost() -> int:
        with CaptureQueriesContext(connection) as read:
            assert api.get("/issues/WEB-1").status_code == 200
        return len(read)

    few = cost()
    for n in range(30):
        custom_fields.define(
            actor=fielded.alice, project=fielded.web, values={"name": f"extra{n}", "type": "text"}
        )
        api.patch("/issues/WEB-1", {"custom_fields": {f"extra{n}": f"v{n}"}})
    assert cost() == few
    assert len(api.get("/issues/WEB-1").json()["custom_fields"]) == 36
