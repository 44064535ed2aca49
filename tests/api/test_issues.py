"""The issue endpoints: filing, reading, changing, deleting and restoring, listing, and who may
see a confidential issue. Every refused request is checked to have changed nothing at all."""

from __future__ import annotations

import pytest
from django.core import signing

from docket.accounts.models import Team
from docket.core.pagination import encode_cursor
from docket.issues.models import Label
from docket.projects import actions as project_actions
from tests.api.issue_helpers import (
    START,
    client,
    everything,
    install_clock,
    keys,
    problem,
    when,
)
from tests.factories import make_issue, make_project


@pytest.fixture
def clock(monkeypatch):
    return install_clock(monkeypatch)


@pytest.fixture
def parts(cast):
    """Components and milestones in WEB, and a second project API with its own component."""
    for name in ("Backend", "Frontend"):
        project_actions.add_component(actor=cast.alice, project=cast.web, name=name)
    for name in ("1.0", "2.0"):
        project_actions.add_milestone(actor=cast.alice, project=cast.web, name=name)
    api = make_project(cast.alice, "API", members={cast.bob: "member"})
    project_actions.add_component(actor=cast.alice, project=api, name="Billing")
    return api


def _history(cast, key="WEB-1"):
    response = cast.api(cast.root).get(f"/issues/{key}/history")
    assert response.status_code == 200, response.content
    return response.json()["items"]


def _field(error_body) -> set[str]:
    return {error["field"].split(".")[0] for error in error_body.get("errors", [])}


# --- creating ------------------------------------------------------------------------------------


def test_a_new_issue_gets_sensible_defaults(cast, clock):
    response = cast.api(cast.bob).post("/projects/WEB/issues", {"title": "Login fails"})

    assert response.status_code == 201, response.content
    body = dict(response.json())
    assert when(body.pop("created_at")) == when(body.pop("updated_at")) == START + clock.step
    assert body == {
        "key": "WEB-1",
        "project": "WEB",
        "number": 1,
        "title": "Login fails",
        "description": "",
        "type": "bug",
        "severity": "major",
        "priority": "medium",
        "status": "new",
        "status_category": "todo",
        "resolution": None,
        "reporter": "bob",
        "assignee": None,
        "due_date": None,
        "labels": [],
        "components": [],
        "milestone": None,
        "team": None,
        "confidential": False,
        "parent": None,
        "estimate": None,
        "version": 1,
        "resolved_at": None,
        "sla_state": None,  # no SLA policy holds it (tests/sla/test_issue_fields_api.py)
        "sla_due_at": None,
        "description_html": "",
        "custom_fields": {},  # the project has none
        "not_notified": [],  # people the description mentions who cannot see the issue
    }
    read = {k: v for k, v in response.json().items() if k != "not_notified"}  # writes only
    assert cast.api(cast.bob).get("/issues/WEB-1").json() == read


def test_every_field_can_be_set_when_filing_an_issue(cast, parts):
    Team.objects.create(slug="sre", name="SRE")
    response = cast.api(cast.alice).post(
        "/projects/WEB/issues",
        {
            "title": "Export to CSV",
            "description": "Users want a CSV export.",
            "type": "feature",
            "severity": "critical",
            "priority": "highest",
            "status": "in progress",
            "assignee": "bob",
            "due_date": "2026-12-31",
            "labels": ["ui", "export", "ui"],
            "components": ["Frontend", "Backend"],
            "milestone": "1.0",
            "team": "sre",
            "confidential": True,
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert {k: body[k] for k in body if k not in ("created_at", "updated_at")} == {
        "key": "WEB-1",
        "project": "WEB",
        "number": 1,
        "title": "Export to CSV",
        "description": "Users want a CSV export.",
        "type": "feature",
        "severity": "critical",
        "priority": "highest",
        "status": "in progress",
        "status_category": "in_progress",
        "resolution": None,
        "reporter": "alice",
        "assignee": "bob",
        "due_date": "2026-12-31",
        "labels": ["export", "ui"],
        "components": ["Backend", "Frontend"],
        "milestone": "1.0",
        "team": "sre",
        "confidential": True,
        "parent": None,
        "estimate": None,
        "version": 1,
        "resolved_at": None,
        "sla_state": None,
        "sla_due_at": None,
        "description_html": "<p>Users want a CSV export.</p>\n",
        "custom_fields": {},
        "not_notified": [],
    }
    del body["not_notified"]  # only the answers to writes have it
    assert cast.api(cast.alice).get("/issues/WEB-1").json() == body


def test_a_listed_issue_reads_exactly_as_the_issue_on_its_own(cast, parts):
    # Lists build the API shape from plain column values, a single read from the loaded
    # issue: both must agree on every field, empty ones included.
    alice = cast.api(cast.alice)
    everything = {
        "title": "Everything set",
        "description": "*some* text",
        "assignee": "bob",
        "due_date": "2026-12-31",
        "labels": ["ui", "export"],
        "components": ["Frontend", "Backend"],
        "milestone": "1.0",
        "confidential": True,
    }
    for fields in (everything, {"title": "Nothing set"}, {"title": "Done", "status": "Resolved"}):
        assert alice.post("/projects/WEB/issues", fields).status_code == 201

    listed = alice.get("/issues?sort=key").json()["items"]

    assert [issue["key"] for issue in listed] == ["WEB-1", "WEB-2", "WEB-3"]
    for issue in listed:
        alone = alice.get(f"/issues/{issue['key']}").json()
        del alone["description_html"]  # single reads only (lists carry custom_fields too)
        assert issue == alone


def test_filing_an_issue_straight_into_a_done_state_resolves_it(cast, clock):
    body = (
        cast.api(cast.bob)
        .post("/projects/WEB/issues", {"title": "Already fixed", "status": "Resolved"})
        .json()
    )

    assert body["status"] == "resolved"
    assert body["status_category"] == "done"
    assert body["resolution"] == "fixed"
    assert when(body["resolved_at"]) == when(body["created_at"])


def test_the_title_is_trimmed(cast):
    body = cast.api(cast.bob).post("/projects/WEB/issues", {"title": "  Padded title \t"}).json()
    assert body["title"] == "Padded title"


def test_a_title_of_exactly_255_characters_is_accepted(cast):
    response = cast.api(cast.bob).post("/projects/WEB/issues", {"title": "x" * 255})
    assert response.status_code == 201, response.content
    assert response.json()["title"] == "x" * 255


def test_issues_are_numbered_in_order_per_project(cast, parts):
    bob = cast.api(cast.bob)
    made = [bob.post("/projects/WEB/issues", {"title": f"n{i}"}).json()["key"] for i in range(3)]
    made.append(bob.post("/projects/API/issues", {"title": "other"}).json()["key"])
    made.append(bob.post("/projects/web/issues", {"title": "lower-case key"}).json()["key"])
    assert made == ["WEB-1", "WEB-2", "WEB-3", "API-1", "WEB-4"]


def test_numbers_are_not_reused_after_a_delete(cast):
    alice = cast.api(cast.alice)
    alice.post("/projects/WEB/issues", {"title": "one"})
    assert alice.delete("/issues/WEB-1").status_code == 204
    assert alice.post("/projects/WEB/issues", {"title": "two"}).json()["key"] == "WEB-2"


def test_labels_are_created_on_first_use_and_then_reused(cast):
    bob = cast.api(cast.bob)
    first = bob.post("/projects/WEB/issues", {"title": "a", "labels": ["ui", " backend "]})
    second = bob.post("/projects/WEB/issues", {"title": "b", "labels": ["ui"]})

    assert first.json()["labels"] == ["backend", "ui"]
    assert second.json()["labels"] == ["ui"]
    assert sorted(Label.objects.filter(project=cast.web).values_list("name", flat=True)) == [
        "backend",
        "ui",
    ]
    assert sorted(keys(bob.get("/issues", label="ui"))) == ["WEB-1", "WEB-2"]


@pytest.mark.parametrize("who", ["root", "alice", "bob", "carol"])
def test_anyone_with_at_least_the_reporter_role_may_file_an_issue(cast, who):
    response = client(cast, who).post("/projects/WEB/issues", {"title": "Typo"})
    assert response.status_code == 201, response.content
    assert response.json()["reporter"] == who


def test_a_reporter_may_file_a_confidential_issue(cast):
    response = cast.api(cast.carol).post(
        "/projects/WEB/issues", {"title": "XSS in search", "confidential": True}
    )
    assert response.status_code == 201, response.content
    assert response.json()["confidential"] is True


@pytest.mark.parametrize("assignee", ["alice", "bob"])
def test_a_new_issue_may_be_assigned_to_a_member_or_admin(cast, assignee):
    response = cast.api(cast.bob).post("/projects/WEB/issues", {"title": "t", "assignee": assignee})
    assert response.status_code == 201, response.content
    assert response.json()["assignee"] == assignee


BAD_NEW_ISSUES = [
    pytest.param({}, "title", id="no title"),
    pytest.param({"title": ""}, "title", id="empty title"),
    pytest.param({"title": "   "}, "title", id="blank title"),
    pytest.param({"title": "x" * 256}, "title", id="256-char title"),
    pytest.param({"title": "a\x00b"}, "title", id="NUL in title"),
    pytest.param({"title": None}, "title", id="null title"),
    pytest.param({"title": 7}, "title", id="numeric title"),
    pytest.param({"title": "ok", "description": "a\x00b"}, "description", id="NUL description"),
    pytest.param({"title": "ok", "description": "x" * 100_001}, "description", id="long text"),
    pytest.param({"title": "ok", "type": "epic"}, "type", id="unknown type"),
    pytest.param({"title": "ok", "severity": "blocker"}, "severity", id="unknown severity"),
    pytest.param({"title": "ok", "priority": 3}, "priority", id="numeric priority"),
    pytest.param({"title": "ok", "priority": "urgent"}, "priority", id="unknown priority"),
    pytest.param({"title": "ok", "priority": "HIGH"}, "priority", id="upper-case priority"),
    pytest.param({"title": "ok", "confidential": "yes"}, "confidential", id="string bool"),
    pytest.param({"title": "ok", "confidential": 1}, "confidential", id="numeric bool"),
    pytest.param({"title": "ok", "due_date": "2026-02-30"}, "due_date", id="impossible date"),
    pytest.param({"title": "ok", "due_date": "31/12/2025"}, "due_date", id="european date"),
    pytest.param({"title": "ok", "due_date": "2026-1-5"}, "due_date", id="unpadded date"),
    pytest.param({"title": "ok", "due_date": "2026-12-31T00:00"}, "due_date", id="datetime"),
    pytest.param({"title": "ok", "due_date": 20261231}, "due_date", id="numeric date"),
    pytest.param({"title": "ok", "assignee": "carol"}, "assignee", id="assign reporter"),
    pytest.param({"title": "ok", "assignee": "dave"}, "assignee", id="assign viewer"),
    pytest.param({"title": "ok", "assignee": "eve"}, "assignee", id="assign outsider"),
    pytest.param({"title": "ok", "assignee": "nobody"}, "assignee", id="assign unknown user"),
    pytest.param({"title": "ok", "labels": "ui"}, "labels", id="labels not a list"),
    pytest.param({"title": "ok", "labels": [1]}, "labels", id="numeric label"),
    pytest.param({"title": "ok", "labels": ["  "]}, "labels", id="blank label"),
    pytest.param({"title": "ok", "labels": ["x" * 51]}, "labels", id="long label"),
    pytest.param({"title": "ok", "labels": [f"l{i}" for i in range(51)]}, "labels", id="51 labels"),
    pytest.param({"title": "ok", "components": ["Nope"]}, "components", id="unknown component"),
    pytest.param({"title": "ok", "components": ["Billing"]}, "components", id="foreign component"),
    pytest.param({"title": "ok", "milestone": "9.9"}, "milestone", id="unknown milestone"),
    pytest.param({"title": "ok", "status": "done"}, "status", id="unknown status"),
    pytest.param({"title": "ok", "resolution": "fixed"}, "resolution", id="resolution"),
    pytest.param({"title": "ok", "colour": "red"}, "colour", id="unknown field"),
    pytest.param({"title": "ok", "number": 5}, "number", id="number"),
    pytest.param({"title": "ok", "key": "WEB-9"}, "key", id="key"),
    pytest.param({"title": "ok", "version": 3}, "version", id="version"),
    pytest.param({"title": "ok", "reporter": "alice"}, "reporter", id="reporter"),
    pytest.param({"title": "ok", "created_at": "2020-01-01T00:00:00Z"}, "created_at", id="created"),
    pytest.param({"title": "ok", "project": "API"}, "project", id="project"),
    pytest.param(
        {"title": "ok", "labels": ["brand-new"], "milestone": "9.9"}, "milestone", id="half good"
    ),
]


@pytest.mark.parametrize("fields, field", BAD_NEW_ISSUES)
def test_an_invalid_new_issue_is_refused_and_nothing_is_created(cast, parts, fields, field):
    alice = cast.api(cast.alice)
    before = everything()

    body = problem(alice.post("/projects/WEB/issues", fields), 422)

    assert field in _field(body), body
    assert everything() == before
    assert alice.post("/projects/WEB/issues", {"title": "ok"}).json()["key"] == "WEB-1"


MALFORMED_BODIES = [
    pytest.param("not json", "application/json", 400, id="not JSON"),
    pytest.param('{"title": "a", "title": "b"}', "application/json", 400, id="duplicate key"),
    pytest.param('["title"]', "application/json", 400, id="array"),
    pytest.param('{"title": "a", "x": NaN}', "application/json", 400, id="NaN"),
    pytest.param(b'{"title": "\xff"}', "application/json", 400, id="invalid UTF-8"),
    pytest.param("", "application/json", 422, id="empty body"),
    pytest.param('{"title": "a"}', "text/plain", 415, id="not JSON content type"),
]


@pytest.mark.parametrize("raw, content_type, status", MALFORMED_BODIES)
def test_a_malformed_body_creates_nothing(cast, raw, content_type, status):
    before = everything()
    response = cast.api(cast.bob).post("/projects/WEB/issues", raw=raw, content_type=content_type)
    problem(response, status)
    assert everything() == before


@pytest.mark.parametrize(
    "who, status",
    [("dave", 403), ("eve", 404), ("anon", 404)],
    ids=["viewer is forbidden", "outsider cannot see the project", "anonymous cannot see it"],
)
def test_who_may_not_file_an_issue_in_a_private_project(cast, who, status):
    before = everything()
    problem(client(cast, who).post("/projects/WEB/issues", {"title": "t"}), status)
    assert everything() == before


def test_filing_in_an_unknown_project_is_404(cast):
    before = everything()
    problem(cast.api(cast.bob).post("/projects/NOPE/issues", {"title": "t"}), 404)
    assert everything() == before


def test_an_anonymous_caller_must_sign_in_to_file_in_a_public_project(cast, anon):
    make_project(cast.alice, "PUB", visibility="public")
    before = everything()
    response = anon.post("/projects/PUB/issues", {"title": "t"})
    problem(response, 401)
    assert response["WWW-Authenticate"] == 'Bearer realm="docket"'
    assert everything() == before


def test_an_anonymous_caller_must_sign_in_to_change_an_issue_in_a_public_project(cast, anon):
    make_issue(cast.alice, make_project(cast.alice, "PUB", visibility="public"))
    before = everything()
    assert anon.get("/issues/PUB-1").status_code == 200
    for method, path, body in [
        ("patch", "/issues/PUB-1", {"title": "x"}),
        ("patch", "/issues/PUB-1", {}),
        ("delete", "/issues/PUB-1", None),
        ("post", "/issues/PUB-1/comments", {"body": "x"}),
    ]:
        call = getattr(anon, method)
        response = call(path, body) if body is not None else call(path)
        problem(response, 401)
    assert everything() == before


def test_a_signed_in_non_member_of_a_public_project_cannot_file(cast):
    make_project(cast.alice, "PUB", visibility="public")
    before = everything()
    problem(cast.api(cast.eve).post("/projects/PUB/issues", {"title": "t"}), 403)
    assert everything() == before


def test_a_read_only_token_cannot_file_an_issue(cast):
    before = everything()
    problem(cast.api(cast.bob, scopes=["read"]).post("/projects/WEB/issues", {"title": "t"}), 403)
    assert everything() == before


def test_a_reporter_may_not_choose_the_status_of_a_new_issue(cast):
    before = everything()
    response = cast.api(cast.carol).post("/projects/WEB/issues", {"title": "t", "status": "open"})
    problem(response, 403)
    assert everything() == before


# --- reading one issue -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who, status",
    [
        ("root", 200),
        ("alice", 200),
        ("bob", 200),
        ("carol", 200),
        ("dave", 200),
        ("eve", 404),
        ("anon", 404),
    ],
)
def test_who_can_read_an_issue_in_a_private_project(cast, who, status):
    make_issue(cast.alice, cast.web)
    response = client(cast, who).get("/issues/WEB-1")
    assert response.status_code == status, response.content
    if status == 404:
        problem(response, 404)


def test_an_issue_carries_its_version_as_etag(cast):
    make_issue(cast.alice, cast.web)
    bob = cast.api(cast.bob)
    assert bob.get("/issues/WEB-1")["ETag"].startswith('"1-')

    changed = bob.patch("/issues/WEB-1", {"title": "Changed"})
    assert changed["ETag"].startswith('"2-')
    assert changed.json()["version"] == 2
    assert bob.get("/issues/WEB-1")["ETag"].startswith('"2-')


def test_if_none_match_with_the_current_etag_answers_304(cast):
    make_issue(cast.alice, cast.web)
    bob = cast.api(cast.bob)
    etag = bob.get("/issues/WEB-1")["ETag"]
    response = bob.get("/issues/WEB-1", headers={"HTTP_IF_NONE_MATCH": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag


def test_a_new_comment_changes_the_etag_so_caches_refetch(cast):
    make_issue(cast.alice, cast.web)
    bob = cast.api(cast.bob)
    etag = bob.get("/issues/WEB-1")["ETag"]
    bob.post("/issues/WEB-1/comments", {"body": "Seen on staging too"})
    response = bob.get("/issues/WEB-1", headers={"HTTP_IF_NONE_MATCH": etag})
    assert response.status_code == 200
    assert response["ETag"] != etag and response["ETag"].startswith('"1-')


def test_if_none_match_with_an_old_etag_answers_with_the_issue(cast):
    make_issue(cast.alice, cast.web)
    bob = cast.api(cast.bob)
    old = bob.get("/issues/WEB-1")["ETag"]
    bob.patch("/issues/WEB-1", {"priority": "high"})
    response = bob.get("/issues/WEB-1", headers={"HTTP_IF_NONE_MATCH": old})
    assert response.status_code == 200
    assert response.json()["priority"] == "high"
    assert response["ETag"].startswith('"2-')


def test_if_none_match_does_not_reveal_a_hidden_issue(cast):
    make_issue(cast.alice, cast.web)
    response = cast.api(cast.eve).get("/issues/WEB-1", headers={"HTTP_IF_NONE_MATCH": '"1"'})
    problem(response, 404)


def test_a_lower_case_key_finds_the_issue(cast):
    make_issue(cast.alice, cast.web)
    response = cast.api(cast.bob).get("/issues/web-1")
    assert response.status_code == 200
    assert response.json()["key"] == "WEB-1"


@pytest.mark.parametrize(
    "key",
    [
        "WEB-2",
        "NOPE-1",
        "WEB-0",
        "WEB-01",
        "WEB--1",
        "WEB-1.0",
        "WEB-1x",
        "WEB-1%00",
        "WEB-1%0A",
        "WEB-1%20",
        "%20WEB-1",
        "WEB-99999999999999999999",
        "WEB-9999999999",
        "WEB-2147483648",
        "WEB",
        "1",
        "W-1",
        "WEB_1",
        "WEB-1;drop",
    ],
)
def test_unknown_and_malformed_keys_are_404(cast, key):
    make_issue(cast.alice, cast.web)
    problem(cast.api(cast.alice).get(f"/issues/{key}"), 404)


# --- changing fields ---------------------------------------------------------------------------


@pytest.fixture
def filed(cast, parts):
    """WEB-1, filed by alice with most optional fields set."""
    return make_issue(
        cast.alice,
        cast.web,
        title="Old title",
        description="Old text",
        labels=["old"],
        components=["Backend"],
        assignee="alice",
        due_date="2026-06-01",
        milestone="1.0",
    )


@pytest.mark.parametrize(
    "field, value, shown",
    [
        ("title", "New title", "New title"),
        ("title", "  New title  ", "New title"),
        ("description", "New text", "New text"),
        ("description", "", ""),
        ("type", "feature", "feature"),
        ("severity", "critical", "critical"),
        ("priority", "lowest", "lowest"),
        ("assignee", "bob", "bob"),
        ("assignee", None, None),
        ("due_date", "2026-12-31", "2026-12-31"),
        ("due_date", None, None),
        ("labels", ["zeta", "alpha", "zeta"], ["alpha", "zeta"]),
        ("labels", [], []),
        ("components", ["Frontend", "Backend"], ["Backend", "Frontend"]),
        ("components", [], []),
        ("milestone", "2.0", "2.0"),
        ("milestone", None, None),
        ("confidential", True, True),
    ],
)
def test_each_field_can_be_changed(cast, filed, clock, field, value, shown):
    alice = cast.api(cast.alice)
    before = alice.get("/issues/WEB-1").json()

    response = alice.patch("/issues/WEB-1", {field: value})

    assert response.status_code == 200, response.content
    after = response.json()
    assert after.pop("not_notified") == []
    assert after[field] == shown
    assert after["version"] == 2
    assert response["ETag"].startswith('"2-')
    assert when(after["updated_at"]) == clock.current
    untouched = {"version", "updated_at", field, f"{field}_html"}
    assert {k: v for k, v in after.items() if k not in untouched} == {
        k: v for k, v in before.items() if k not in untouched
    }
    assert alice.get("/issues/WEB-1").json() == after
    last = _history(cast)[-1]
    assert (last["kind"], last["field"], last["old"], last["new"]) == (
        "changed",
        field,
        before[field],
        shown,
    )
    assert (last["actor"], last["version"]) == ("alice", 2)


BAD_CHANGES = [
    pytest.param({"title": ""}, "title", id="empty title"),
    pytest.param({"title": "   "}, "title", id="blank title"),
    pytest.param({"title": "x" * 256}, "title", id="256-char title"),
    pytest.param({"title": "a\x00b"}, "title", id="NUL in title"),
    pytest.param({"title": None}, "title", id="null title"),
    pytest.param({"description": None}, "description", id="null description"),
    pytest.param({"description": "\x00"}, "description", id="NUL description"),
    pytest.param({"type": "epic"}, "type", id="unknown type"),
    pytest.param({"type": None}, "type", id="null type"),
    pytest.param({"severity": 2}, "severity", id="numeric severity"),
    pytest.param({"priority": 3}, "priority", id="numeric priority"),
    pytest.param({"priority": "urgent"}, "priority", id="unknown priority"),
    pytest.param({"status": None}, "status", id="null status"),
    pytest.param({"status": "done"}, "status", id="unknown status"),
    pytest.param({"resolution": "fixed"}, "resolution", id="resolution while open"),
    pytest.param({"resolution": "wontfix"}, "resolution", id="unknown resolution"),
    pytest.param({"confidential": "yes"}, "confidential", id="string bool"),
    pytest.param({"confidential": None}, "confidential", id="null bool"),
    pytest.param({"due_date": "2026-02-30"}, "due_date", id="impossible date"),
    pytest.param({"due_date": "31/12/2025"}, "due_date", id="european date"),
    pytest.param({"assignee": "carol"}, "assignee", id="assign reporter"),
    pytest.param({"assignee": "dave"}, "assignee", id="assign viewer"),
    pytest.param({"assignee": "eve"}, "assignee", id="assign outsider"),
    pytest.param({"assignee": "nobody"}, "assignee", id="assign unknown"),
    pytest.param({"labels": None}, "labels", id="null labels"),
    pytest.param({"labels": "ui"}, "labels", id="labels not a list"),
    pytest.param({"labels": ["  "]}, "labels", id="blank label"),
    pytest.param({"components": ["Nope"]}, "components", id="unknown component"),
    pytest.param({"components": ["Billing"]}, "components", id="foreign component"),
    pytest.param({"milestone": "9.9"}, "milestone", id="unknown milestone"),
    pytest.param({"version": 0}, "version", id="version 0"),
    pytest.param({"version": "1"}, "version", id="string version"),
    pytest.param({"number": 7}, "number", id="number"),
    pytest.param({"key": "WEB-7"}, "key", id="key"),
    pytest.param({"reporter": "bob"}, "reporter", id="reporter"),
    pytest.param({"project": "API"}, "project", id="project"),
    pytest.param({"created_at": "2020-01-01T00:00:00Z"}, "created_at", id="created_at"),
    pytest.param({"updated_at": "2020-01-01T00:00:00Z"}, "updated_at", id="updated_at"),
    pytest.param({"resolved_at": None}, "resolved_at", id="resolved_at"),
    pytest.param({"title": "Fine", "milestone": "9.9"}, "milestone", id="half good"),
    pytest.param({"labels": ["brand-new"], "components": ["Nope"]}, "components", id="no label"),
]


@pytest.mark.parametrize("changes, field", BAD_CHANGES)
def test_an_invalid_change_is_refused_and_changes_nothing(cast, filed, changes, field):
    before = everything()
    body = problem(cast.api(cast.alice).patch("/issues/WEB-1", changes), 422)
    assert field in _field(body), body
    assert everything() == before


@pytest.mark.parametrize("raw, content_type, status", MALFORMED_BODIES)
def test_a_malformed_change_body_changes_nothing(cast, filed, raw, content_type, status):
    before = everything()
    response = cast.api(cast.alice).patch("/issues/WEB-1", raw=raw, content_type=content_type)
    problem(response, status)
    assert everything() == before


def test_changing_an_unknown_issue_is_404(cast, filed):
    before = everything()
    problem(cast.api(cast.alice).patch("/issues/WEB-2", {"title": "x"}), 404)
    assert everything() == before


# --- status and resolution ---------------------------------------------------------------------


def test_the_default_workflow_walks_from_new_to_closed_and_back_to_open(cast, clock):
    make_issue(cast.alice, cast.web)
    bob = cast.api(cast.bob)
    seen = []
    for target in ("open", "in progress", "resolved", "closed", "open"):
        response = bob.patch("/issues/WEB-1", {"status": target})
        assert response.status_code == 200, response.content
        body = response.json()
        seen.append(
            (body["status"], body["status_category"], body["resolution"], body["resolved_at"])
        )
    resolved_at = seen[2][3]
    assert when(resolved_at) == START + 4 * clock.step  # the moment of the "resolved" change
    assert seen == [
        ("open", "todo", None, None),
        ("in progress", "in_progress", None, None),
        ("resolved", "done", "fixed", resolved_at),
        ("closed", "done", "fixed", resolved_at),  # done -> done keeps the first resolution time
        ("open", "todo", None, None),
    ]


@pytest.mark.parametrize("target", ["In Progress", "IN PROGRESS", "in progress"])
def test_status_names_match_in_any_case(cast, target):
    make_issue(cast.alice, cast.web)
    response = cast.api(cast.bob).patch("/issues/WEB-1", {"status": target})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "in progress"


@pytest.mark.parametrize(
    "path, target, allowed",
    [
        (["open"], "new", "closed, in progress, resolved"),
        (["in progress"], "new", "closed, open, resolved"),
        (["resolved"], "new", "closed, open"),
        (["resolved"], "in progress", "closed, open"),
        (["closed"], "new", "open"),
        (["closed"], "in progress", "open"),
        (["closed"], "resolved", "open"),
    ],
)
def test_a_move_the_workflow_does_not_allow_is_refused_listing_the_allowed_ones(
    cast, path, target, allowed
):
    make_issue(cast.alice, cast.web)
    bob = cast.api(cast.bob)
    for step in path:
        assert bob.patch("/issues/WEB-1", {"status": step}).status_code == 200
    before = everything()

    body = problem(bob.patch("/issues/WEB-1", {"status": target}), 422)

    message = f"cannot move from {path[-1]} to {target}; allowed: {allowed}"
    assert body["errors"] == [{"field": "status", "message": message}]
    assert everything() == before


def test_an_unknown_status_is_refused_naming_the_states(cast):
    make_issue(cast.alice, cast.web)
    before = everything()
    body = problem(cast.api(cast.bob).patch("/issues/WEB-1", {"status": "done"}), 422)
    assert body["errors"] == [
        {"field": "status", "message": "must be one of: new, open, in progress, resolved, closed"}
    ]
    assert everything() == before


def test_moving_to_the_current_status_is_a_no_op(cast):
    make_issue(cast.alice, cast.web)
    before = everything()
    response = cast.api(cast.bob).patch("/issues/WEB-1", {"status": "new"})
    assert response.status_code == 200
    assert response.json()["version"] == 1
    assert everything() == before


def test_a_resolution_can_be_chosen_when_resolving(cast):
    make_issue(cast.alice, cast.web)
    body = (
        cast.api(cast.bob)
        .patch("/issues/WEB-1", {"status": "resolved", "resolution": "duplicate"})
        .json()
    )
    assert (body["status"], body["resolution"]) == ("resolved", "duplicate")
    assert body["resolved_at"] is not None


def test_the_resolution_of_a_done_issue_can_be_changed_alone(cast):
    make_issue(cast.alice, cast.web)
    bob = cast.api(cast.bob)
    resolved = bob.patch("/issues/WEB-1", {"status": "resolved"}).json()
    body = bob.patch("/issues/WEB-1", {"resolution": "won't fix"}).json()
    assert (body["status"], body["resolution"]) == ("resolved", "won't fix")
    assert body["resolved_at"] == resolved["resolved_at"]


def test_clearing_the_resolution_of_a_done_issue_falls_back_to_fixed(cast):
    make_issue(cast.alice, cast.web)
    bob = cast.api(cast.bob)
    bob.patch("/issues/WEB-1", {"status": "resolved", "resolution": "duplicate"})
    assert bob.patch("/issues/WEB-1", {"resolution": None}).json()["resolution"] == "fixed"


def test_reopening_with_a_resolution_is_refused(cast):
    make_issue(cast.alice, cast.web)
    bob = cast.api(cast.bob)
    bob.patch("/issues/WEB-1", {"status": "resolved"})
    before = everything()
    body = problem(bob.patch("/issues/WEB-1", {"status": "open", "resolution": "fixed"}), 422)
    assert _field(body) == {"resolution"}
    assert everything() == before


def test_leaving_a_done_state_clears_resolution_and_resolved_at(cast):
    make_issue(cast.alice, cast.web)
    bob = cast.api(cast.bob)
    bob.patch("/issues/WEB-1", {"status": "closed", "resolution": "won't fix"})
    body = bob.patch("/issues/WEB-1", {"status": "open"}).json()
    assert (body["status"], body["resolution"], body["resolved_at"]) == ("open", None, None)


# --- who may change what -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"title": "Better title"},
        {"description": "More detail"},
        {"type": "task"},
        {"severity": "minor"},
        {"labels": ["mine"]},
        {"components": ["Backend"]},
    ],
    ids=lambda c: next(iter(c)),
)
def test_a_reporter_may_edit_the_descriptive_fields_of_their_own_issue(cast, parts, changes):
    make_issue(cast.carol, cast.web)
    response = cast.api(cast.carol).patch("/issues/WEB-1", changes)
    assert response.status_code == 200, response.content
    field, value = next(iter(changes.items()))
    assert response.json()[field] == value
    assert response.json()["version"] == 2


@pytest.mark.parametrize(
    "changes",
    [
        {"priority": "highest"},
        {"status": "open"},
        {"assignee": "bob"},
        {"due_date": "2026-12-31"},
        {"milestone": "1.0"},
        {"resolution": "fixed"},
        {"confidential": True},
        {"title": "Fine", "assignee": "bob"},
    ],
    ids=lambda c: "+".join(c),
)
def test_a_reporter_may_not_triage_their_own_issue(cast, parts, changes):
    make_issue(cast.carol, cast.web)
    before = everything()
    problem(cast.api(cast.carol).patch("/issues/WEB-1", changes), 403)
    assert everything() == before


def test_a_reporter_may_not_edit_someone_elses_issue(cast):
    make_issue(cast.bob, cast.web)
    before = everything()
    problem(cast.api(cast.carol).patch("/issues/WEB-1", {"title": "Mine now"}), 403)
    assert everything() == before


def test_a_member_may_edit_anyones_issue(cast):
    make_issue(cast.alice, cast.web)
    response = cast.api(cast.bob).patch("/issues/WEB-1", {"title": "Edited", "assignee": "bob"})
    assert response.status_code == 200, response.content
    assert (response.json()["title"], response.json()["assignee"]) == ("Edited", "bob")


@pytest.mark.parametrize(
    "who, status",
    [("bob", 403), ("carol", 403), ("alice", 200), ("root", 200)],
    ids=["member", "reporter of the issue", "project admin", "site admin"],
)
def test_only_admins_may_make_an_issue_confidential(cast, who, status):
    make_issue(cast.carol, cast.web)
    before = everything()
    response = client(cast, who).patch("/issues/WEB-1", {"confidential": True})
    assert response.status_code == status, response.content
    if status == 403:
        problem(response, 403)
        assert everything() == before
    else:
        assert response.json()["confidential"] is True


@pytest.mark.parametrize(
    "who, status", [("dave", 403), ("eve", 404), ("anon", 404)], ids=["viewer", "outsider", "anon"]
)
def test_who_may_not_change_an_issue_at_all(cast, who, status):
    make_issue(cast.alice, cast.web)
    before = everything()
    problem(client(cast, who).patch("/issues/WEB-1", {"title": "x"}), status)
    assert everything() == before


def test_a_read_only_token_cannot_change_an_issue(cast):
    make_issue(cast.alice, cast.web)
    before = everything()
    problem(cast.api(cast.bob, scopes=["read"]).patch("/issues/WEB-1", {"title": "x"}), 403)
    assert everything() == before


# --- concurrent edits --------------------------------------------------------------------------


@pytest.fixture
def raced(cast):
    """WEB-1 at version 2: alice retitled it after bob read version 1."""
    make_issue(cast.alice, cast.web, title="Original")
    assert cast.api(cast.alice).patch("/issues/WEB-1", {"title": "Theirs"}).status_code == 200


STALE = [
    pytest.param({"headers": {"HTTP_IF_MATCH": '"1"'}}, {}, id="If-Match"),
    pytest.param({"headers": {"HTTP_IF_MATCH": 'W/"1"'}}, {}, id="weak If-Match"),
    pytest.param({}, {"version": 1}, id="body version"),
]


@pytest.mark.parametrize("how, extra", STALE)
def test_a_stale_change_to_a_field_changed_since_is_a_conflict(cast, raced, how, extra):
    before = everything()

    response = cast.api(cast.bob).patch("/issues/WEB-1", {"title": "Mine", **extra}, **how)

    body = problem(response, 409)
    assert body["errors"] == [{"field": "title", "message": "changed by someone else meanwhile"}]
    assert body["current"]["title"] == "Theirs"
    assert body["current"]["priority"] == "medium"
    assert everything() == before


def test_a_conflict_refuses_the_whole_change(cast, raced):
    before = everything()
    response = cast.api(cast.bob).patch(
        "/issues/WEB-1", {"priority": "high", "title": "Mine"}, headers={"HTTP_IF_MATCH": '"1"'}
    )
    problem(response, 409)
    assert everything() == before


@pytest.mark.parametrize("how, extra", STALE)
def test_a_stale_change_to_untouched_fields_is_merged(cast, raced, how, extra):
    response = cast.api(cast.bob).patch("/issues/WEB-1", {"priority": "high", **extra}, **how)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["title"], body["priority"], body["version"]) == ("Theirs", "high", 3)


def test_a_stale_change_agreeing_with_the_current_value_is_accepted(cast, raced):
    response = cast.api(cast.bob).patch(
        "/issues/WEB-1", {"title": "Theirs"}, headers={"HTTP_IF_MATCH": '"1"'}
    )
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 2


def test_a_change_based_on_the_current_version_goes_through(cast, raced):
    response = cast.api(cast.bob).patch(
        "/issues/WEB-1", {"title": "Mine"}, headers={"HTTP_IF_MATCH": '"2"'}
    )
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "Mine"


def test_if_match_star_means_any_version(cast, raced):
    response = cast.api(cast.bob).patch(
        "/issues/WEB-1", {"title": "Mine"}, headers={"HTTP_IF_MATCH": "*"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "Mine"


def test_the_if_match_header_wins_over_the_body_version(cast, raced):
    response = cast.api(cast.bob).patch(
        "/issues/WEB-1", {"title": "Mine", "version": 2}, headers={"HTTP_IF_MATCH": '"1"'}
    )
    problem(response, 409)


@pytest.mark.parametrize("etag", ['"3"', '"99"', '"0"'])
def test_a_version_that_never_existed_is_a_conflict(cast, raced, etag):
    before = everything()
    response = cast.api(cast.bob).patch(
        "/issues/WEB-1", {"priority": "high"}, headers={"HTTP_IF_MATCH": etag}
    )
    assert problem(response, 409)["current"]["title"] == "Theirs"
    assert everything() == before


@pytest.mark.parametrize("etag", ["abc", "2", '"2", "3"', '"-1"', '"x"', 'W/""', '""', '"2'])
def test_a_malformed_if_match_is_a_bad_request(cast, raced, etag):
    before = everything()
    response = cast.api(cast.bob).patch(
        "/issues/WEB-1", {"priority": "high"}, headers={"HTTP_IF_MATCH": etag}
    )
    body = problem(response, 400)
    assert _field(body) == {"If-Match"}
    assert everything() == before


# --- deleting and restoring --------------------------------------------------------------------


@pytest.mark.parametrize(
    "who, status",
    [("bob", 403), ("carol", 403), ("dave", 403), ("eve", 404), ("anon", 404)],
)
def test_only_admins_may_delete_an_issue(cast, who, status):
    make_issue(cast.carol, cast.web)
    before = everything()
    problem(client(cast, who).delete("/issues/WEB-1"), status)
    assert everything() == before


@pytest.mark.parametrize("who", ["root", "alice", "bob", "carol", "dave", "eve", "anon"])
def test_a_deleted_issue_is_gone_for_everyone(cast, who):
    make_issue(cast.alice, cast.web)
    make_issue(cast.alice, cast.web, title="Survivor")
    response = cast.api(cast.alice).delete("/issues/WEB-1")
    assert response.status_code == 204
    assert response.content == b""

    caller = client(cast, who)
    for path in ("/issues/WEB-1", "/issues/WEB-1/comments", "/issues/WEB-1/history"):
        problem(caller.get(path), 404)
    assert "WEB-1" not in keys(caller.get("/issues"))


def test_a_deleted_issue_cannot_be_changed_commented_or_deleted_again(cast):
    make_issue(cast.alice, cast.web)
    alice = cast.api(cast.alice)
    alice.delete("/issues/WEB-1")
    before = everything()
    problem(alice.patch("/issues/WEB-1", {"title": "x"}), 404)
    problem(alice.post("/issues/WEB-1/comments", {"body": "x"}), 404)
    problem(alice.delete("/issues/WEB-1"), 404)
    assert everything() == before


def test_restoring_brings_a_deleted_issue_back_intact(cast, parts):
    make_issue(cast.alice, cast.web, labels=["ui"], components=["Backend"], assignee="bob")
    alice = cast.api(cast.alice)
    alice.post("/issues/WEB-1/comments", {"body": "Still here?"})
    original = alice.get("/issues/WEB-1").json()
    alice.delete("/issues/WEB-1")

    response = alice.post("/issues/WEB-1/restore")

    assert response.status_code == 200, response.content
    restored = response.json()
    assert restored["version"] == original["version"] + 2
    assert {k: v for k, v in restored.items() if k != "version"} == {
        k: v for k, v in original.items() if k != "version"
    }
    bob = cast.api(cast.bob)
    assert bob.get("/issues/WEB-1").status_code == 200
    assert keys(bob.get("/issues")) == ["WEB-1"]
    assert [c["body"] for c in bob.get("/issues/WEB-1/comments").json()["items"]] == ["Still here?"]


def test_deleting_and_restoring_are_recorded_in_history(cast):
    make_issue(cast.alice, cast.web)
    alice = cast.api(cast.alice)
    alice.delete("/issues/WEB-1")
    alice.post("/issues/WEB-1/restore")
    events = [(e["kind"], e["actor"], e["version"]) for e in _history(cast)]
    assert events == [("created", "alice", 1), ("deleted", "alice", 2), ("restored", "alice", 3)]


@pytest.mark.parametrize("who", ["bob", "carol", "dave", "eve", "anon"])
def test_only_admins_can_find_a_deleted_issue_to_restore_it(cast, who):
    make_issue(cast.alice, cast.web)
    cast.api(cast.alice).delete("/issues/WEB-1")
    before = everything()
    problem(client(cast, who).post("/issues/WEB-1/restore"), 404)
    assert everything() == before


def test_restoring_an_issue_that_is_not_deleted_is_refused(cast):
    make_issue(cast.alice, cast.web)
    before = everything()
    problem(cast.api(cast.alice).post("/issues/WEB-1/restore"), 422)
    problem(cast.api(cast.bob).post("/issues/WEB-1/restore"), 403)
    problem(cast.api(cast.alice).post("/issues/WEB-9/restore"), 404)
    assert everything() == before


# --- listing and filtering ---------------------------------------------------------------------


@pytest.fixture
def catalogue(cast):
    """Four issues in WEB and one in API, with distinct field values to filter on."""
    api = make_project(cast.alice, "API", members={cast.bob: "member"})
    make_issue(
        cast.bob,
        cast.web,
        priority="high",
        severity="minor",
        type="bug",
        labels=["ui"],
        assignee="bob",
    )  # WEB-1: new
    make_issue(
        cast.carol,
        cast.web,
        priority="low",
        severity="critical",
        type="feature",
        labels=["ui", "backend"],
    )  # WEB-2: new, assigned below
    cast.api(cast.alice).patch("/issues/WEB-2", {"status": "open", "assignee": "alice"})
    make_issue(
        cast.bob, cast.web, priority="highest", type="task", labels=["backend"], status="resolved"
    )  # WEB-3: done
    make_issue(cast.alice, cast.web, assignee="bob", status="closed")  # WEB-4: done
    make_issue(cast.alice, api, priority="low", type="task")  # API-1: new
    return api


@pytest.mark.parametrize(
    "params, expected",
    [
        ({}, ["API-1", "WEB-4", "WEB-3", "WEB-2", "WEB-1"]),
        ({"project": "WEB"}, ["WEB-4", "WEB-3", "WEB-2", "WEB-1"]),
        ({"project": "api"}, ["API-1"]),
        ({"project": "WEB,API"}, ["API-1", "WEB-4", "WEB-3", "WEB-2", "WEB-1"]),
        ({"project": "NOPE"}, []),
        ({"status": "open"}, ["WEB-2"]),
        ({"status": "New,closed"}, ["API-1", "WEB-4", "WEB-1"]),
        ({"status": "in progress"}, []),
        ({"state": "open"}, ["API-1", "WEB-2", "WEB-1"]),
        ({"state": "closed"}, ["WEB-4", "WEB-3"]),
        ({"state": "all"}, ["API-1", "WEB-4", "WEB-3", "WEB-2", "WEB-1"]),
        ({"assignee": "bob"}, ["WEB-4", "WEB-1"]),
        ({"assignee": "none"}, ["API-1", "WEB-3"]),
        ({"assignee": "@me"}, ["WEB-4", "WEB-1"]),
        ({"assignee": "alice,none"}, ["API-1", "WEB-3", "WEB-2"]),
        ({"reporter": "carol"}, ["WEB-2"]),
        ({"reporter": "@me"}, ["WEB-3", "WEB-1"]),
        ({"priority": "low"}, ["API-1", "WEB-2"]),
        ({"priority": "high,highest"}, ["WEB-3", "WEB-1"]),
        ({"severity": "critical"}, ["WEB-2"]),
        ({"severity": "major"}, ["API-1", "WEB-4", "WEB-3"]),
        ({"label": "ui"}, ["WEB-2", "WEB-1"]),
        ({"label": "ui,backend"}, ["WEB-2"]),
        ({"label": "nothing"}, []),
        ({"type": "bug"}, ["WEB-4", "WEB-1"]),
        ({"type": "feature,task"}, ["API-1", "WEB-3", "WEB-2"]),
        ({"project": "WEB", "state": "open", "assignee": "@me"}, ["WEB-1"]),
        ({"project": "WEB", "type": "task", "label": "backend"}, ["WEB-3"]),
    ],
)
def test_the_list_filters(cast, catalogue, params, expected):
    assert keys(cast.api(cast.bob).get("/issues", **params)) == expected


@pytest.mark.parametrize(
    "params, field",
    [
        ({"priority": "urgent"}, "priority"),
        ({"severity": "blocker"}, "severity"),
        ({"type": "epic"}, "type"),
        ({"state": "pending"}, "state"),
        ({"limit": 0}, "limit"),
        ({"limit": -1}, "limit"),
        ({"limit": 201}, "limit"),
        ({"limit": 1000}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"sort": "bogus"}, "sort"),
        ({"sort": "titel"}, "sort"),
        ({"sort": "priority-sideways"}, "sort"),
        ({"sort": "-"}, "sort"),
        ({"sort": "-priority-desc"}, "sort"),
    ],
)
def test_bad_list_parameters_are_a_400(cast, catalogue, params, field):
    body = problem(cast.api(cast.bob).get("/issues", **params), 400)
    assert _field(body) == {field}


def test_the_list_only_shows_what_the_caller_may_see(cast, catalogue, anon):
    make_issue(cast.alice, cast.web, title="Secret", confidential=True)  # WEB-5
    assert keys(cast.api(cast.root).get("/issues", project="WEB")) == [
        "WEB-5",
        "WEB-4",
        "WEB-3",
        "WEB-2",
        "WEB-1",
    ]
    assert keys(cast.api(cast.dave).get("/issues")) == ["WEB-4", "WEB-3", "WEB-2", "WEB-1"]
    assert keys(cast.api(cast.eve).get("/issues")) == []
    assert keys(anon.get("/issues")) == []


def test_assignee_at_me_matches_nothing_for_anonymous_callers(cast, catalogue, anon):
    make_issue(cast.alice, make_project(cast.alice, "PUB", visibility="public"))
    assert keys(anon.get("/issues")) == ["PUB-1"]
    assert keys(anon.get("/issues", assignee="@me")) == []


# --- sorting and pagination --------------------------------------------------------------------

PRIORITIES = ["high", "low", "high", "medium", "lowest", "highest", "low"]
SEVERITIES = ["minor", "critical", "major", "minor", "trivial"]
DUES = [None, "2026-03-01", "2026-02-01", "2026-03-01", None, "2026-01-15"]
RANK = {
    "lowest": 1, "low": 2, "medium": 3, "high": 4, "highest": 5,
    "trivial": 1, "minor": 2, "major": 3, "critical": 4,
}  # fmt: skip
COUNT = 23


def _prio(n):
    return PRIORITIES[n % len(PRIORITIES)]


def _sev(n):
    return SEVERITIES[n % len(SEVERITIES)]


def _due(n):
    return DUES[n % len(DUES)]


SORT_ORDER = {
    "created": lambda n: (n,),
    "key": lambda n: (n,),
    "priority": lambda n: (RANK[_prio(n)], n),
    "severity": lambda n: (RANK[_sev(n)], n),
    "due": lambda n: (_due(n) or "9999-12-31", n),
    "updated": lambda n: ((n - 1) // 4, n),  # four issues share each moment
}


@pytest.fixture
def many(cast, clock):
    """WEB-1..WEB-23 with many equal sort values, including equal timestamps."""
    clock.step = clock.step * 0
    for n in range(1, COUNT + 1):
        clock.current = START.replace(second=(n - 1) // 4)
        make_issue(
            cast.alice,
            cast.web,
            title=f"Issue {n}",
            priority=_prio(n),
            severity=_sev(n),
            due_date=_due(n),
        )


def _walk(api, limit, **params):
    pages, cursor = [], None
    for _ in range(COUNT + 2):
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        response = api.get("/issues", **query)
        pages.append(keys(response))
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return pages
    raise AssertionError("pagination never ended")


@pytest.mark.parametrize(
    "sort",
    [
        "created",
        "created-desc",
        "key",
        "key-desc",
        "priority",
        "priority-desc",
        "-priority",
        "priority-asc",
        "severity",
        "severity-desc",
        "due",
        "due-desc",
        "updated",
        "updated-desc",
    ],
)
def test_pages_walk_every_issue_once_in_sort_order(cast, many, sort):
    name = sort.lstrip("-").split("-")[0]
    descending = sort.endswith("-desc") or sort.startswith("-")
    expected = sorted(range(1, COUNT + 1), key=SORT_ORDER[name], reverse=descending)
    if name == "due":  # issues without a due date come last in both directions
        expected = [n for n in expected if _due(n)] + [n for n in expected if not _due(n)]

    pages = _walk(cast.api(cast.bob), 5, sort=sort)

    assert [len(page) for page in pages] == [5, 5, 5, 5, 3]
    walked = [key for page in pages for key in page]
    assert walked == [f"WEB-{n}" for n in expected]


def test_the_default_order_is_newest_first(cast, many):
    assert keys(cast.api(cast.bob).get("/issues", limit=3)) == ["WEB-23", "WEB-22", "WEB-21"]


def test_a_page_that_ends_the_list_has_no_next_cursor(cast, many):
    bob = cast.api(cast.bob)
    assert bob.get("/issues", limit=COUNT).json()["next_cursor"] is None
    assert [len(page) for page in _walk(bob, COUNT - 1)] == [COUNT - 1, 1]
    assert [len(page) for page in _walk(bob, 200)] == [COUNT]


def test_pagination_keeps_the_filters(cast, many):
    pages = _walk(cast.api(cast.bob), 2, priority="high,highest", sort="key")
    expected = [f"WEB-{n}" for n in range(1, COUNT + 1) if _prio(n) in ("high", "highest")]
    assert [key for page in pages for key in page] == expected
    assert all(len(page) <= 2 for page in pages)


def test_a_real_cursor_keeps_working_with_the_same_sort(cast, many):
    bob = cast.api(cast.bob)
    first = bob.get("/issues", limit=5, sort="priority").json()
    again = bob.get("/issues", limit=5, sort="priority", cursor=first["next_cursor"])
    once_more = bob.get("/issues", limit=5, sort="priority", cursor=first["next_cursor"])
    assert keys(again) == keys(once_more)
    assert not set(keys(again)) & {item["key"] for item in first["items"]}


@pytest.mark.parametrize(
    "how, value, sort",
    [
        pytest.param("raw", "garbage", "created-desc", id="garbage"),
        pytest.param("other salt", [1, 2], "created-desc", id="signed with another salt"),
        pytest.param("ours", [1, 2, 3], "created-desc", id="three values"),
        pytest.param("ours", {"a": 1}, "created-desc", id="not a list"),
        pytest.param("ours", ["x", 1], "priority", id="text for a number"),
        pytest.param("ours", [None, 1], "priority", id="null value"),
        pytest.param("ours", [3, "x"], "priority", id="text id"),
        pytest.param("ours", ["yesterday", 1], "updated", id="bad timestamp"),
        pytest.param("ours", ["2026-02-30", 1], "due", id="bad date"),
    ],
)
def test_a_forged_or_garbled_cursor_is_a_400(cast, many, how, value, sort):
    cursor = {
        "raw": str,
        "other salt": signing.dumps,
        "ours": lambda v: encode_cursor("issues", v),
    }[how](value)
    problem(cast.api(cast.bob).get("/issues", cursor=cursor, sort=sort), 400)


def test_a_tampered_cursor_is_a_400(cast, many):
    bob = cast.api(cast.bob)
    cursor = bob.get("/issues", limit=5).json()["next_cursor"]
    problem(bob.get("/issues", cursor=cursor[:-4]), 400)
    problem(bob.get("/issues", cursor="x" + cursor), 400)


# --- confidential issues -----------------------------------------------------------------------


@pytest.fixture
def hushed(cast):
    """WEB-1 public; WEB-2 confidential, filed by bob; WEB-3 confidential, filed by carol."""
    make_issue(cast.alice, cast.web, title="Public")
    make_issue(cast.bob, cast.web, title="Bob's secret", confidential=True)
    make_issue(cast.carol, cast.web, title="Carol's secret", confidential=True)
    for key in ("WEB-2", "WEB-3"):
        cast.api(cast.alice).post(f"/issues/{key}/comments", {"body": "hush"})


SEES = {
    "root": ["WEB-3", "WEB-2", "WEB-1"],
    "alice": ["WEB-3", "WEB-2", "WEB-1"],
    "bob": ["WEB-3", "WEB-2", "WEB-1"],
    "carol": ["WEB-3", "WEB-1"],
    "dave": ["WEB-1"],
    "eve": [],
    "anon": [],
}


@pytest.mark.parametrize("who", list(SEES))
def test_confidential_issues_are_listed_only_for_insiders_reporter_and_assignee(cast, hushed, who):
    assert keys(client(cast, who).get("/issues")) == SEES[who]


@pytest.mark.parametrize("who", list(SEES))
def test_confidential_issues_and_their_comments_and_history_are_hidden(cast, hushed, who):
    caller = client(cast, who)
    for key in ("WEB-2", "WEB-3"):
        for path in ("", "/comments", "/history"):
            response = caller.get(f"/issues/{key}{path}")
            if key in SEES[who]:
                assert response.status_code == 200, (key, path, response.content)
            else:
                problem(response, 404)


@pytest.mark.parametrize("who", ["carol", "dave", "eve", "anon"])
def test_nobody_can_comment_on_a_confidential_issue_they_cannot_see(cast, hushed, who):
    before = everything()
    problem(client(cast, who).post("/issues/WEB-2/comments", {"body": "peek"}), 404)
    assert everything() == before


def test_the_assignee_keeps_seeing_a_confidential_issue_after_being_made_viewer(cast):
    make_issue(cast.alice, cast.web, title="Assigned secret", confidential=True, assignee="bob")
    make_issue(cast.alice, cast.web, title="Other secret", confidential=True)
    project_actions.set_member(actor=cast.alice, project=cast.web, user="bob", role="viewer")

    bob = cast.api(cast.bob)
    assert bob.get("/issues/WEB-1").status_code == 200
    assert bob.get("/issues/WEB-1/history").status_code == 200
    problem(bob.get("/issues/WEB-2"), 404)
    assert keys(bob.get("/issues")) == ["WEB-1"]


def test_the_reporter_keeps_seeing_their_confidential_issue_as_a_viewer(cast, hushed):
    project_actions.set_member(actor=cast.alice, project=cast.web, user="carol", role="viewer")
    carol = cast.api(cast.carol)
    assert carol.get("/issues/WEB-3").status_code == 200
    assert keys(carol.get("/issues")) == ["WEB-3", "WEB-1"]


def test_making_an_issue_confidential_hides_it_at_once_and_clearing_shows_it(cast):
    make_issue(cast.alice, cast.web)
    alice, dave = cast.api(cast.alice), cast.api(cast.dave)
    assert dave.get("/issues/WEB-1").status_code == 200

    alice.patch("/issues/WEB-1", {"confidential": True})
    problem(dave.get("/issues/WEB-1"), 404)
    assert keys(dave.get("/issues")) == []

    alice.patch("/issues/WEB-1", {"confidential": False})
    assert dave.get("/issues/WEB-1").status_code == 200


def test_confidential_issues_in_a_public_project_stay_hidden_from_outsiders(cast, anon):
    pub = make_project(cast.alice, "PUB", visibility="public")
    make_issue(cast.alice, pub, title="Open to all")
    make_issue(cast.alice, pub, title="Embargoed", confidential=True)

    for caller in (anon, cast.api(cast.eve)):
        assert keys(caller.get("/issues")) == ["PUB-1"]
        assert caller.get("/issues/PUB-1").status_code == 200
        for path in ("", "/comments", "/history"):
            problem(caller.get(f"/issues/PUB-2{path}"), 404)
