"""The curated list of hostile requests, each with the exact answer it must get.

One table: what is sent, who sends it, the status, and what the problem's `detail` must
mention (the field, parameter or position at fault). Every row must be answered with an
RFC 9457 problem (`application/problem+json`) and must change nothing: the same issues at the
same versions, comments, projects, users, filters, tokens and memberships as before.

Below the table: the inputs that are *not* refused — markup and path-like strings in every
text field are stored and returned verbatim, as JSON text — and query syntax borrowed from
SQL and full-text engines, which is either a 400 with a position or plain text here.

tests/api/test_errors.py covers the problem format itself and the strict JSON parser in
detail; this file is the one list of attacks.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django.utils.crypto import get_random_string

from docket.accounts.models import ApiToken, User
from docket.accounts.tokens import revoke_token
from docket.core.pagination import encode_cursor
from docket.issues import actions as issue_actions
from docket.issues import comments as issue_comments
from docket.issues.models import Issue, SavedFilter
from docket.projects import actions as project_actions
from docket.projects.models import Component, Membership, Milestone, Project
from tests.api.issue_helpers import everything
from tests.conftest import Api
from tests.factories import make_issue, token_for

PROBLEM = "application/problem+json"
MANY_ORS = " OR ".join(f"word{i}" for i in range(5000))


@dataclass(frozen=True)
class Hostile:
    id: str
    method: str
    path: str
    status: int
    body: Any = None  # sent as JSON
    raw: str | bytes | Callable[[], bytes] | None = None  # sent as is (a callable: built late)
    content_type: str = "application/json"
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    who: str = "root"  # see World.client
    mentions: tuple[str, ...] = ()  # each must appear in `detail`
    extra: dict[str, Any] = field(default_factory=dict)  # members the problem must have


def _oversized() -> bytes:
    filler = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    return json.dumps({"title": "big", "description": filler}).encode()


HOSTILE = [
    # --- the body as a whole ------------------------------------------------------------------
    Hostile("body over the size limit", "post", "/projects/WEB/issues", 413,
            raw=_oversized, mentions=("larger than",)),
    Hostile("JSON nested 10,000 deep", "post", "/projects/WEB/issues", 400,
            raw='{"title": ' + "[" * 10_000 + "]" * 10_000 + "}", mentions=("nested",)),
    Hostile("invalid UTF-8 bytes", "post", "/projects/WEB/issues", 400,
            raw=b'{"title": "caf\xe9"}', mentions=("UTF-8", "byte 14")),
    Hostile("duplicate JSON keys", "post", "/projects/WEB/issues", 400,
            raw='{"title": "a", "title": "b"}', mentions=("duplicate", "title")),
    Hostile("a top-level array", "post", "/projects/WEB/issues", 400,
            raw='[{"title": "a"}]', mentions=("object",)),
    Hostile("1e309 (infinite as a float)", "post", "/tokens", 400,
            raw='{"name": "x", "expires_in_days": 1e309}', mentions=("1e309", "out of range")),
    Hostile("NaN for a boolean", "post", "/projects/WEB/issues", 400,
            raw='{"title": "x", "confidential": NaN}', mentions=("NaN",)),
    Hostile("a 5,000-digit integer", "post", "/tokens", 400,
            raw='{"name": "x", "expires_in_days": ' + "9" * 5000 + "}",
            mentions=("5000 digits",)),
    Hostile("text/plain with a session and its CSRF token", "post", "/projects/WEB/issues", 415,
            raw='{"title": "x"}', content_type="text/plain", who="session",
            mentions=("application/json",)),
    Hostile("text/plain with a session but no CSRF token", "post", "/projects/WEB/issues", 403,
            raw='{"title": "x"}', content_type="text/plain", who="session-no-csrf",
            mentions=("CSRF",)),
    Hostile("a form post", "post", "/projects/WEB/issues", 415,
            raw="title=x", content_type="application/x-www-form-urlencoded",
            mentions=("application/json",)),
    # --- characters no text may hold ------------------------------------------------------------
    Hostile("NUL in an issue title", "post", "/projects/WEB/issues", 422,
            body={"title": "a\x00b"}, mentions=("title", "NUL")),
    Hostile("NUL in a comment", "post", "/issues/WEB-1/comments", 422,
            body={"body": "a\x00b"}, mentions=("body", "NUL")),
    Hostile("NUL in a project name", "post", "/projects", 422,
            body={"key": "NUL", "name": "a\x00b"}, mentions=("name", "NUL")),
    Hostile("NUL in a label", "patch", "/issues/WEB-1", 422,
            body={"labels": ["ok", "a\x00b"]}, mentions=("labels.1", "NUL")),
    Hostile("NUL in a saved filter name", "post", "/filters", 422,
            body={"name": "a\x00b", "query": "is:open"}, mentions=("name", "NUL")),
    Hostile("NUL in a component name", "post", "/projects/WEB/components", 422,
            body={"name": "a\x00b"}, mentions=("name", "NUL")),
    Hostile("NUL in a member's username", "post", "/projects/WEB/members", 422,
            body={"user": "eve\x00", "role": "member"}, mentions=("user", "NUL")),
    Hostile("NUL in a JSON key", "post", "/projects/WEB/issues", 422,
            raw='{"title": "x", "ti\\u0000tle": "y"}', mentions=("key", "NUL")),
    Hostile("NUL in a query parameter", "get", "/issues", 400,
            params={"project": "WEB\x00"}, mentions=("project", "NUL")),
    Hostile("NUL in a path parameter", "get", "/projects/WEB%00/members", 404,
            mentions=("key", "NUL")),
    Hostile("NUL after an issue key", "get", "/issues/WEB-1%00", 404,
            mentions=("key", "NUL")),
    Hostile("a bidi override in a title", "post", "/projects/WEB/issues", 422,
            body={"title": "ab\u202ecd"}, mentions=("title", "U+202E", "character 3")),
    Hostile("a zero-width space in a new title", "patch", "/issues/WEB-1", 422,
            body={"title": "log\u200bin"}, mentions=("title", "U+200B", "character 4")),
    Hostile("a lone surrogate in a title", "post", "/projects/WEB/issues", 422,
            raw='{"title": "x\\ud800y"}', mentions=("title", "surrogate")),
    Hostile("a lone low surrogate in a comment", "post", "/issues/WEB-1/comments", 422,
            raw='{"body": "x\\udfff"}', mentions=("body", "surrogate")),
    # --- names that look like paths -------------------------------------------------------------
    Hostile("../../etc/passwd as a project key (path)", "get",
            "/projects/..%2F..%2Fetc%2Fpasswd", 404, mentions=("no API endpoint",)),
    Hostile("../../etc/passwd as an issue key (path)", "get",
            "/issues/..%2F..%2Fetc%2Fpasswd", 404, mentions=("no API endpoint",)),
    Hostile("../../etc/passwd as a saved filter id (path)", "get",
            "/filters/..%2F..%2Fetc%2Fpasswd", 404, mentions=("no API endpoint",)),
    Hostile("..%2F..%2Fetc as an issue key", "get", "/issues/..%252F..%252Fetc", 404,
            mentions=("no issue",)),
    Hostile("../../etc/passwd as a new project key", "post", "/projects", 422,
            body={"key": "../../etc/passwd", "name": "x"}, mentions=("key",)),
    # --- query languages ------------------------------------------------------------------------
    Hostile("SQL in q", "get", "/issues", 400, params={"q": "x' OR 1=1 --"},
            mentions=("at 12",), extra={"position": 12}),
    Hostile("an unterminated quote in q", "get", "/issues", 400, params={"q": '"abc'},
            mentions=("quote",), extra={"position": 0}),
    Hostile("FTS NEAR( in search", "get", "/search", 400, params={"q": "NEAR("},
            mentions=("'('",), extra={"position": 4}),
    Hostile("SQL in search", "get", "/search", 400, params={"q": "'; DROP TABLE issues; --"},
            extra={"position": 24}),
    Hostile("5,000 OR terms in q", "get", "/issues", 400, params={"q": MANY_ORS},
            mentions=("q", "2000 characters")),
    Hostile("5,000 OR terms in search", "get", "/search", 400, params={"q": MANY_ORS},
            mentions=("q", "2000 characters")),
    Hostile("300 OR terms in q (within the length)", "get", "/issues", 400,
            params={"q": " OR ".join("ab" for _ in range(300))}, mentions=("200",)),
    # --- paging ---------------------------------------------------------------------------------
    Hostile("limit=1000000000", "get", "/issues", 400, params={"limit": "1000000000"},
            mentions=("limit",)),
    Hostile("limit=-1", "get", "/issues", 400, params={"limit": "-1"}, mentions=("limit",)),
    Hostile("limit=0 on comments", "get", "/issues/WEB-1/comments", 400, params={"limit": "0"},
            mentions=("limit",)),
    Hostile("limit=1e3 on history", "get", "/issues/WEB-1/history", 400,
            params={"limit": "1e3"}, mentions=("limit",)),
    Hostile("a forged cursor", "get", "/issues", 400, params={"cursor": "eyJmb3JnZWQiOjF9:x"},
            mentions=("cursor",)),
    Hostile("another listing's cursor", "get", "/issues", 400,
            params={"cursor": encode_cursor("comments", [["v", 1], ["v", 1]])},
            mentions=("cursor",)),
    Hostile("sort by a field that does not exist", "get", "/issues", 400,
            params={"sort": "password"}, mentions=("sort",)),
    # --- identifiers ----------------------------------------------------------------------------
    Hostile("issue WEB-0", "get", "/issues/WEB-0", 404, mentions=("WEB-0",)),
    Hostile("issue WEB-99999999999999999999", "get", "/issues/WEB-99999999999999999999", 404,
            mentions=("WEB-99999999999999999999",)),
    Hostile("issue WEB--1", "patch", "/issues/WEB--1", 404, body={"title": "x"}),
    Hostile("token -1", "delete", "/tokens/-1", 404, mentions=("-1",)),
    Hostile("token 2^64", "delete", "/tokens/18446744073709551616", 404),
    Hostile("token id not a number", "delete", "/tokens/1;DROP", 400, mentions=("token_id",)),
    Hostile("saved filter 0", "get", "/filters/0/issues", 404),
    Hostile("comment 99999999999999999999", "patch",
            "/issues/WEB-1/comments/99999999999999999999", 404, body={"body": "x"}),
    # --- fields a client may not set, or sets wrongly ---------------------------------------
    Hostile("number on create", "post", "/projects/WEB/issues", 422,
            body={"title": "x", "number": 1}, mentions=("number", "unknown field")),
    Hostile("version on create", "post", "/projects/WEB/issues", 422,
            body={"title": "x", "version": 9}, mentions=("version", "unknown field")),
    Hostile("created_at on create", "post", "/projects/WEB/issues", 422,
            body={"title": "x", "created_at": "2020-01-01T00:00:00Z"}, mentions=("created_at",)),
    Hostile("project on create", "post", "/projects/WEB/issues", 422,
            body={"title": "x", "project": "OPS"}, mentions=("project",)),
    Hostile("reporter on create", "post", "/projects/WEB/issues", 422,
            body={"title": "x", "reporter": "eve"}, mentions=("reporter",)),
    Hostile("key on patch", "patch", "/issues/WEB-1", 422,
            body={"key": "WEB-7"}, mentions=("key", "unknown field")),
    Hostile("reporter on patch", "patch", "/issues/WEB-1", 422,
            body={"reporter": "eve"}, mentions=("reporter",)),
    Hostile("updated_at on patch", "patch", "/issues/WEB-1", 422,
            body={"title": "x", "updated_at": "2030-01-01T00:00:00Z"}, mentions=("updated_at",)),
    Hostile("an unknown field on a comment", "post", "/issues/WEB-1/comments", 422,
            body={"body": "x", "author": "alice"}, mentions=("author", "unknown field")),
    Hostile("an array for the title", "post", "/projects/WEB/issues", 422,
            body={"title": ["x"]}, mentions=("title",)),
    Hostile("an array for the priority", "patch", "/issues/WEB-1", 422,
            body={"priority": ["high"]}, mentions=("priority",)),
    Hostile("an object for a comment body", "post", "/issues/WEB-1/comments", 422,
            body={"body": {"text": "x"}}, mentions=("body",)),
    Hostile("a string for labels", "patch", "/issues/WEB-1", 422,
            body={"labels": "ux"}, mentions=("labels",)),
    # --- concurrency headers --------------------------------------------------------------------
    Hostile("a malformed If-Match", "patch", "/issues/WEB-1", 400, body={"title": "x"},
            headers={"HTTP_IF_MATCH": "garbage"}, mentions=("If-Match",)),
    Hostile("a stale If-Match on a field changed since", "patch", "/issues/WEB-1", 409,
            body={"title": "Mine"}, headers={"HTTP_IF_MATCH": '"1"'}, mentions=("title",)),
    Hostile("If-Match of a version that never existed", "patch", "/issues/WEB-1", 409,
            body={"title": "x"}, headers={"HTTP_IF_MATCH": '"99"'}, mentions=("never existed",)),
    # --- header injection through e-mail-ish fields ---------------------------------------------
    Hostile("CR/LF and a Bcc in a user's e-mail", "post", "/users", 422,
            body={"username": "mallory", "password": "a-long-pass-phrase-42",
                  "email": "a@b.c\r\nBcc: x@y"}, mentions=("email",)),
    Hostile("CR/LF in a user's display name", "post", "/users", 422,
            body={"username": "mallory", "password": "a-long-pass-phrase-42",
                  "name": "Mallory\r\nBcc: x@y"}, mentions=("name",)),
    Hostile("a newline after a username", "post", "/users", 422,
            body={"username": "mallory\n", "password": "a-long-pass-phrase-42"},
            mentions=("username",)),
    # --- credentials, methods, hosts ------------------------------------------------------------
    Hostile("an empty bearer token", "patch", "/issues/WEB-1", 401, body={"title": "x"},
            who="empty-bearer", mentions=("token",)),
    Hostile("a garbage bearer token", "patch", "/issues/WEB-1", 401, body={"title": "x"},
            who="garbage-bearer", mentions=("token",)),
    Hostile("an expired token", "patch", "/issues/WEB-1", 401, body={"title": "x"},
            who="expired", mentions=("token",)),
    Hostile("a revoked token", "patch", "/issues/WEB-1", 401, body={"title": "x"},
            who="revoked", mentions=("token",)),
    Hostile("X-HTTP-Method-Override: DELETE on a POST", "post", "/issues/WEB-1", 405,
            body={}, headers={"HTTP_X_HTTP_METHOD_OVERRIDE": "DELETE"}, mentions=("POST",)),
    Hostile("Host: evil.test", "patch", "/issues/WEB-1", 400, body={"title": "x"},
            headers={"HTTP_HOST": "evil.test"}, mentions=("Host",)),
]  # fmt: skip


@dataclass
class World:
    """The cast's WEB project with WEB-1 (version 2: its title changed once, so If-Match "1"
    is stale for the title), a comment, a component, a saved filter, and dead tokens."""

    cast: Any
    expired: str
    revoked: str

    def client(self, who: str) -> Any:
        if who == "root":
            return self.cast.api(self.cast.root)
        if who == "anon":
            return Api()
        if who.startswith("session"):
            return _Session(self.cast.alice, csrf=who == "session")
        header = {
            "empty-bearer": "Bearer ",
            "garbage-bearer": "Bearer " + "\u00e9garbage" * 20,
            "expired": f"Bearer {self.expired}",
            "revoked": f"Bearer {self.revoked}",
        }[who]
        api = Api()
        api.headers = {"HTTP_AUTHORIZATION": header}
        return api


class _Session(Api):
    """A signed-in browser, with (or without) the CSRF token on writes."""

    def __init__(self, user: User, *, csrf: bool):
        super().__init__()
        self.client = Client(enforce_csrf_checks=True)
        self.client.force_login(user)
        if csrf:
            token = get_random_string(32)
            self.client.cookies["csrftoken"] = token
            self.headers = {"HTTP_X_CSRFTOKEN": token}


def snapshot() -> dict[str, Any]:
    """Every row a request in the table could touch (not tokens' last-used times)."""
    return {
        **everything(),
        "projects": list(Project.objects.order_by("id").values()),
        "members": list(Membership.objects.order_by("id").values()),
        "components": list(Component.objects.order_by("id").values()),
        "milestones": list(Milestone.objects.order_by("id").values()),
        "filters": list(SavedFilter.objects.order_by("id").values()),
        "users": list(User.objects.order_by("id").values("id", "username", "email", "first_name",
                                                          "last_name", "is_active")),
        "tokens": list(ApiToken.objects.order_by("id").values_list("id", "name", "revoked_at")),
    }  # fmt: skip


@pytest.fixture
def world(cast) -> World:
    issue = make_issue(cast.alice, cast.web, title="Original title", labels=["ux"])
    issue_actions.update_issue(actor=cast.alice, issue=issue, changes={"title": "Changed"})
    issue_comments.add_comment(actor=cast.alice, issue=issue, body="first")
    project_actions.add_component(actor=cast.alice, project=cast.web, name="backend")
    SavedFilter.objects.create(owner=cast.alice, name="Mine", query="is:open")
    expired = token_for(cast.eve)
    ApiToken.objects.filter(user=cast.eve).update(expires_at=timezone.now() - timedelta(days=1))
    revoked = token_for(cast.eve)
    revoke_token(actor=cast.eve, token_id=ApiToken.objects.filter(user=cast.eve).last().pk)
    return World(cast, expired, revoked)


def _send(client: Any, case: Hostile) -> Any:
    raw = case.raw() if callable(case.raw) else case.raw
    if case.method == "get":
        return client.get(case.path, headers=case.headers, **case.params)
    if raw is None and case.body is None:
        return client.delete(case.path, headers=case.headers, **case.params)
    return client._send(
        case.method, case.path, case.body, case.headers, raw, case.content_type, **case.params
    )


@pytest.mark.parametrize("case", HOSTILE, ids=[case.id for case in HOSTILE])
def test_a_hostile_request_gets_a_clear_problem_and_changes_nothing(world, case):
    client = world.client(case.who)
    before = snapshot()
    response = _send(client, case)
    assert response.status_code == case.status, response.content[:500]
    assert response["Content-Type"] == PROBLEM
    problem = response.json()
    assert problem["type"] == "about:blank" and problem["status"] == case.status
    assert isinstance(problem["title"], str) and problem["title"]
    for text in case.mentions:
        assert text in problem["detail"], problem
    for name, value in case.extra.items():
        assert problem[name] == value, problem
    assert snapshot() == before
    assert Issue.objects.get(number=1).version == 2


def test_the_table_is_long_enough_and_its_ids_unique():
    assert len(HOSTILE) >= 40
    assert len({case.id for case in HOSTILE}) == len(HOSTILE)


def test_dead_and_malformed_tokens_get_one_identical_401(world):
    bodies = {
        who: _send(world.client(who), Hostile(who, "get", "/issues/WEB-1", 401)).content
        for who in ("empty-bearer", "garbage-bearer", "expired", "revoked")
    }
    assert len(set(bodies.values())) == 1, bodies


def test_a_method_override_header_on_a_read_is_ignored(world):
    response = world.client("root").get(
        "/issues/WEB-1", headers={"HTTP_X_HTTP_METHOD_OVERRIDE": "DELETE"}
    )
    assert response.status_code == 200
    assert Issue.objects.get(number=1).deleted_at is None


# --- accepted, and kept as text -------------------------------------------------------------

TEXTS = {
    "script": "<script>alert(document.cookie)</script>",
    "img onerror": "<img src=x onerror=alert(1)>",
    "path": "../../etc/passwd",
}


def _created(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response["X-Content-Type-Options"] == "nosniff"
    return response.json()


def _other_than(name: str | None, listed: Any) -> dict[str, Any]:
    [other] = [item for item in listed.json() if item["name"] != name]
    return other


def _issue(api: Any, **fields: Any) -> dict[str, Any]:
    return _created(api.post("/projects/WEB/issues", {"title": "Plain", **fields}))


# (what to create, the field that holds the text, how to read it back)
VERBATIM: list[Any] = [
    pytest.param(lambda api, text: _issue(api, title=text), "title",
                 lambda api, made: api.get(f"/issues/{made['key']}").json(), id="issue title"),
    pytest.param(lambda api, text: _issue(api, description=text), "description",
                 lambda api, made: api.get(f"/issues/{made['key']}").json(),
                 id="issue description"),
    pytest.param(lambda api, text: _issue(api, labels=[text]), "labels",
                 lambda api, made: api.get(f"/issues/{made['key']}").json(), id="label"),
    pytest.param(lambda api, text: _created(api.post("/issues/WEB-1/comments", {"body": text})),
                 "body", lambda api, made: api.get("/issues/WEB-1/comments").json()["items"][-1],
                 id="comment"),
    pytest.param(lambda api, text: _created(api.post("/projects", {"key": "XSS", "name": text})),
                 "name", lambda api, made: api.get("/projects/XSS").json(), id="project name"),
    pytest.param(lambda api, text: _created(
                     api.post("/projects", {"key": "XSS", "name": "x", "description": text})),
                 "description", lambda api, made: api.get("/projects/XSS").json(),
                 id="project description"),
    pytest.param(lambda api, text: _created(api.post("/filters", {"name": text, "query": "bug"})),
                 "name", lambda api, made: api.get(f"/filters/{made['id']}").json(),
                 id="saved filter name"),
    pytest.param(lambda api, text: _created(
                     api.post("/projects/WEB/components", {"name": text})),
                 "name",
                 lambda api, made: _other_than("backend", api.get("/projects/WEB/components")),
                 id="component name"),
    pytest.param(lambda api, text: _created(
                     api.post("/projects/WEB/milestones", {"name": text})),
                 "name", lambda api, made: _other_than(None, api.get("/projects/WEB/milestones")),
                 id="milestone name"),
    pytest.param(lambda api, text: _created(api.post("/users", {
                     "username": "mallory", "password": "a-long-pass-phrase-42", "name": text})),
                 "name", lambda api, made: next(
                     u for u in api.get("/users").json() if u["username"] == "mallory"),
                 id="user display name"),
]  # fmt: skip


@pytest.mark.parametrize("text", list(TEXTS.values()), ids=list(TEXTS))
@pytest.mark.parametrize(("create", "field_name", "read"), VERBATIM)
def test_markup_and_paths_in_text_fields_are_kept_verbatim_as_json_text(
    world, create, field_name, read, text
):
    api = world.client("root")
    made = create(api, text)
    assert made[field_name] == ([text] if field_name == "labels" else text)
    assert read(api, made)[field_name] == made[field_name]  # and so is the round trip


def test_a_saved_filter_query_with_markup_is_a_phrase_search(world):
    api = world.client("root")
    query = '"' + TEXTS["script"] + '"'
    made = _created(api.post("/filters", {"name": "x", "query": query}))
    assert made["query"] == query
    assert api.get(f"/filters/{made['id']}/issues").json()["items"] == []


# --- other languages' query syntax is text here ---------------------------------------------


@pytest.mark.parametrize("endpoint", ["/issues", "/search"])
@pytest.mark.parametrize(
    "query", ['"Robert\'); DROP TABLE issues;--"', "*", "(a+)+$", '"1=1"'], ids=str
)
def test_borrowed_query_syntax_is_plain_text_and_matches_literally(world, endpoint, query):
    api = world.client("root")
    bobby = _issue(api, title="Robert'); DROP TABLE issues;-- and 1=1")["key"]
    response = api.get(endpoint, q=query)
    assert response.status_code == 200, response.content
    items = response.json()["items"]
    found = [item["issue"]["key"] if endpoint == "/search" else item["key"] for item in items]
    if query.startswith('"'):
        assert found == [bobby]  # a phrase matches the text, nothing else
    assert Issue.objects.count() == 2
