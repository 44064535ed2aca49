"""How the API says no: RFC 9457 problem details, the strict JSON body parser, CSRF."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils.crypto import get_random_string

from docket.accounts.models import ApiToken
from docket.projects.models import Membership, Project

PROBLEM = "application/problem+json"


@pytest.fixture
def eve(cast):
    return cast.api(cast.eve)


@pytest.fixture
def unchanged(cast):
    """Asserts, after the test, that no project, membership or token was added or changed."""

    def state():
        return (
            list(Project.objects.order_by("id").values_list("key", "name", "updated_at")),
            list(Membership.objects.order_by("id").values_list("project_id", "user_id", "role")),
            list(ApiToken.objects.order_by("id").values_list("id", "name", "revoked_at")),
        )

    def tokens(rows):  # tokens named "test" are the ones cast.api() mints for the caller
        return [row for row in rows if row[1] != "test"]

    before = state()
    yield
    after = state()
    assert after[:2] == before[:2]
    assert tokens(after[2]) == tokens(before[2])


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["type"] == "about:blank"
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body


# --- problem details ----------------------------------------------------------------------------


def test_every_error_is_a_problem_document(cast, eve, anon, unchanged):
    for response, status in [
        (eve.get("/projects/NOPE"), 404),
        (anon.get("/me"), 401),
        (cast.api(cast.dave).patch("/projects/WEB", {"name": "x"}), 403),
        (eve.post("/projects", {"key": "WEB", "name": "x"}), 409),
        (eve.post("/projects", {"key": "web", "name": "x"}), 422),
        (eve.post("/projects", raw="{"), 400),
        (eve.post("/projects", raw="key=APP", content_type="text/plain"), 415),
    ]:
        _problem(response, status)


def test_a_validation_problem_lists_each_bad_field(eve, unchanged):
    response = eve.post("/projects", {"key": "APP", "name": 5, "visibility": "secret"})
    body = _problem(response, 422)
    assert body["title"] == "Invalid input"
    assert set(body) == {"type", "title", "status", "detail", "errors"}
    assert sorted(e["field"] for e in body["errors"]) == ["name", "visibility"]
    for error in body["errors"]:
        assert set(error) == {"field", "location", "message"}
        assert error["location"] == "body"
        assert error["field"] in body["detail"]


def test_a_problem_without_field_errors_has_no_errors_member(eve, unchanged):
    body = _problem(eve.get("/projects/NOPE"), 404)
    assert set(body) == {"type", "title", "status", "detail"}


def test_a_missing_required_field_is_named(eve, unchanged):
    body = _problem(eve.post("/projects", {"key": "APP"}), 422)
    assert body["errors"] == [{"field": "name", "location": "body", "message": "is required"}]


@pytest.mark.parametrize(
    ("path", "method", "body"),
    [
        ("/projects", "post", {"key": "APP", "name": "x", "colour": "red"}),
        ("/projects/WEB", "patch", {"name": "x", "colour": "red"}),
        ("/projects/WEB/members", "post", {"user": "eve", "role": "member", "colour": "red"}),
        ("/projects/WEB/components", "post", {"name": "x", "colour": "red"}),
        ("/tokens", "post", {"name": "x", "colour": "red"}),
    ],
)
def test_unknown_fields_are_rejected_by_name(cast, unchanged, path, method, body):
    response = getattr(cast.api(cast.alice), method)(path, body)
    problem = _problem(response, 422)
    assert problem["errors"] == [
        {"field": "colour", "location": "body", "message": "unknown field"}
    ]
    assert "colour" in problem["detail"]
    assert not Project.objects.filter(key="APP").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"key": "APP", "name": 5}, "name"),
        ({"key": "APP", "name": None}, "name"),
        ({"key": "APP", "name": ["x"]}, "name"),
        ({"key": 123, "name": "x"}, "key"),
        ({"key": "APP", "name": "x", "visibility": "secret"}, "visibility"),
        ({"key": "APP", "name": "x", "visibility": "PUBLIC"}, "visibility"),
        ({"key": "APP", "name": "x", "description": False}, "description"),
        ({"key": "APP", "name": "x", "lead": 7}, "lead"),
    ],
)
def test_wrong_typed_fields_are_rejected_not_coerced(eve, unchanged, body, field):
    problem = _problem(eve.post("/projects", body), 422)
    assert [e["field"] for e in problem["errors"]] == [field]


@pytest.mark.parametrize(
    "key", ["web!", "web", "Web", "W", "1WEB", "WEB-1", "TOOLONGKEY1", "WE B", "APP\n", " APP"]
)
def test_an_invalid_project_key_is_rejected(eve, unchanged, key):
    problem = _problem(eve.post("/projects", {"key": key, "name": "x"}), 422)
    assert [e["field"] for e in problem["errors"]] == ["key"]


def test_a_duplicate_project_key_is_a_conflict(eve, unchanged):
    problem = _problem(eve.post("/projects", {"key": "WEB", "name": "Another"}), 409)
    assert problem["title"] == "Conflict"
    assert problem["errors"] == [{"field": "key", "message": "already taken"}]


def test_a_bad_path_parameter_is_400_not_422(eve, unchanged):
    problem = _problem(eve.delete("/tokens/not-a-number"), 400)
    assert problem["title"] == "Invalid parameters"
    assert problem["errors"][0]["location"] == "path"
    assert problem["errors"][0]["field"] == "token_id"


# --- the strict JSON parser ---------------------------------------------------------------------


def test_malformed_json_is_400_with_the_position(eve, unchanged):
    problem = _problem(eve.post("/projects", raw='{"key": "APP",\n "name": }'), 400)
    assert problem["title"] == "Malformed request body"
    assert "2:10" in problem["detail"]


def test_an_empty_body_is_reported_as_a_missing_body(eve, unchanged):
    problem = _problem(eve.post("/projects", raw=""), 422)
    assert problem["errors"] == [{"field": "body", "location": "body", "message": "is required"}]


@pytest.mark.parametrize("raw", ["   ", "{'key': 'APP'}", '{"key": "APP", "name": "x",}'])
def test_other_non_json_bodies_are_400(eve, unchanged, raw):
    _problem(eve.post("/projects", raw=raw), 400)


def test_duplicate_keys_are_400(eve, unchanged):
    problem = _problem(eve.post("/projects", raw='{"key": "APP", "name": "a", "name": "b"}'), 400)
    assert "duplicate" in problem["detail"] and "name" in problem["detail"]


def test_duplicate_keys_in_a_nested_object_are_400(cast, unchanged):
    raw = '{"name": "x", "scopes": ["read"], "expires_in_days": 1, "x": {"a": 1, "a": 2}}'
    _problem(cast.api(cast.alice).post("/tokens", raw=raw), 400)


@pytest.mark.parametrize(
    "raw", ["[]", '[{"key": "APP", "name": "x"}]', '"APP"', "42", "null", "true"]
)
def test_a_body_that_is_not_an_object_is_400(eve, unchanged, raw):
    problem = _problem(eve.post("/projects", raw=raw), 400)
    assert "object" in problem["detail"]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_standard_json_numbers_are_400(cast, unchanged, constant):
    raw = '{"name": "x", "expires_in_days": ' + constant + "}"
    _problem(cast.api(cast.alice).post("/tokens", raw=raw), 400)


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""],
)
def test_a_body_that_is_not_declared_as_json_is_415(eve, unchanged, content_type):
    raw = json.dumps({"key": "APP", "name": "x"})
    problem = _problem(eve.post("/projects", raw=raw, content_type=content_type), 415)
    assert "application/json" in problem["detail"]


def test_a_charset_parameter_on_the_json_content_type_is_fine(eve):
    raw = json.dumps({"key": "APP", "name": "x"})
    response = eve.post("/projects", raw=raw, content_type="application/json; charset=utf-8")
    assert response.status_code == 201, response.content


def test_deeply_nested_json_is_400(cast, unchanged):
    raw = '{"name": "x", "scopes": ' + "[" * 100 + "]" * 100 + "}"
    problem = _problem(cast.api(cast.alice).post("/tokens", raw=raw), 400)
    assert "nested" in problem["detail"]


def test_very_deep_nesting_does_not_crash_the_server(cast, unchanged):
    raw = '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}"
    _problem(cast.api(cast.alice).post("/tokens", raw=raw), 400)


def test_brackets_inside_strings_do_not_count_as_nesting(eve):
    response = eve.post("/projects", {"key": "APP", "name": "[" * 60 + '\\"{' * 40})
    assert response.status_code == 201, response.content
    assert response.json()["name"] == "[" * 60 + '\\"{' * 40


def test_invalid_utf8_is_400(eve, unchanged):
    raw = b'{"key": "APP", "name": "caf\xe9"}'
    problem = _problem(eve.post("/projects", raw=raw), 400)
    assert "UTF-8" in problem["detail"]


def test_non_ascii_text_in_valid_utf8_is_fine(eve):
    response = eve.post("/projects", raw='{"key": "APP", "name": "Café ☕"}'.encode())
    assert response.status_code == 201
    assert response.json()["name"] == "Café ☕"


# --- sessions and CSRF --------------------------------------------------------------------------


@pytest.fixture
def browser(cast) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.alice)
    return client


def _csrf(client: Client) -> str:
    token = get_random_string(32)
    client.cookies["csrftoken"] = token
    return token


def test_a_signed_in_browser_reads_without_a_csrf_token(browser):
    response = browser.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["username"] == "alice"


def test_a_session_write_without_a_csrf_token_is_refused(browser, cast):
    before = Project.objects.count()
    response = browser.post(
        "/api/v1/projects", {"key": "APP", "name": "x"}, content_type="application/json"
    )
    problem = _problem(response, 403)
    assert "CSRF" in problem["detail"]
    assert Project.objects.count() == before


def test_a_session_write_with_a_wrong_csrf_token_is_refused(browser, cast):
    _csrf(browser)
    before = _snapshot_web()
    response = browser.patch(
        "/api/v1/projects/WEB",
        {"name": "Forged"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=get_random_string(32),
    )
    _problem(response, 403)
    assert _snapshot_web() == before


def test_a_session_write_with_the_csrf_token_works(browser, cast):
    token = _csrf(browser)
    response = browser.post(
        "/api/v1/projects",
        {"key": "APP", "name": "x"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 201, response.content
    assert response.json()["your_role"] == "admin"
    assert Project.objects.get(key="APP").lead == cast.alice


def test_a_token_request_needs_no_csrf_token_even_with_a_session(browser, cast):
    from tests.factories import token_for

    response = browser.patch(
        "/api/v1/projects/WEB",
        {"name": "By token"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token_for(cast.alice)}",
    )
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "By token"


def test_an_anonymous_write_is_401_not_a_csrf_failure(cast):
    client = Client(enforce_csrf_checks=True)
    before = Project.objects.count()
    response = client.post(
        "/api/v1/projects", {"key": "APP", "name": "x"}, content_type="application/json"
    )
    _problem(response, 401)
    assert Project.objects.count() == before


def _snapshot_web():
    return Project.objects.filter(key="WEB").values("name", "updated_at").get()


def test_a_key_with_a_trailing_newline_does_not_sneak_past_the_pattern(eve, unchanged):
    problem = _problem(eve.post("/projects", {"key": "WEB\n", "name": "Shadow"}), 422)
    assert [e["field"] for e in problem["errors"]] == ["key"]
