"""History completeness: every change made through the API leaves exactly one event per changed
field (or per comment action, delete, restore), in order, and nothing else leaves any."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.api.issue_helpers import START, client, everything, install_clock, problem, when
from tests.factories import make_issue


@pytest.fixture
def clock(monkeypatch):
    return install_clock(monkeypatch)


def _history(api, key: str = "WEB-1", **params) -> list[dict]:
    response = api.get(f"/issues/{key}/history", **params)
    assert response.status_code == 200, response.content
    return response.json()["items"]


def _events(api) -> list[tuple]:
    return [
        (e["kind"], e["field"], e["old"], e["new"], e["actor"], e["version"]) for e in _history(api)
    ]


# --- a scripted life of one issue ----------------------------------------------------------------

CREATED = {
    "title": "Checkout button does nothing",
    "description": "",
    "type": "bug",
    "severity": "major",
    "priority": "high",
    "status": "new",
    "resolution": None,
    "assignee": None,
    "team": None,
    "due_date": None,
    "labels": [],
    "components": [],
    "milestone": None,
    "confidential": False,
    "estimate": None,
    "parent": None,
}
FIREFOX = "I can reproduce this on Firefox"
FIREFOX_128 = "I can reproduce this on Firefox 128"
FIXED = "Fixed in build 412"

# step -> the events it must write: (kind, field, old, new, actor, version, comment)
# `comment` names which comment the event is about: "first", "second" or None.
EXPECTED = [
    (1, ("created", None, None, CREATED, "bob", 1, None)),
    (2, ("changed", "title", CREATED["title"], "Checkout fails on Safari", "bob", 2, None)),
    (3, ("changed", "assignee", None, "bob", "alice", 3, None)),
    (4, ("changed", "status", "new", "open", "bob", 4, None)),
    (5, ("commented", None, None, FIREFOX, "carol", 4, "first")),
    (6, ("changed", "labels", [], ["checkout", "ui"], "bob", 5, None)),
    (7, ("changed", "status", "open", "in progress", "bob", 6, None)),
    (8, ("comment_edited", None, FIREFOX, FIREFOX_128, "carol", 6, "first")),
    (9, ("changed", "severity", "major", "critical", "bob", 7, None)),
    (9, ("changed", "priority", "high", "highest", "bob", 7, None)),
    (10, ("changed", "due_date", None, "2026-03-01", "bob", 8, None)),
    (11, ("changed", "status", "in progress", "resolved", "bob", 9, None)),
    (11, ("changed", "resolution", None, "fixed", "bob", 9, None)),
    (12, ("changed", "status", "resolved", "closed", "alice", 10, None)),
    (13, ("commented", None, None, FIXED, "bob", 10, "second")),
    (14, ("comment_deleted", None, FIREFOX_128, None, "alice", 10, "first")),
    (15, ("changed", "status", "closed", "open", "alice", 11, None)),
    (15, ("changed", "resolution", "fixed", None, "alice", 11, None)),
    (16, ("changed", "assignee", "bob", None, "alice", 12, None)),
    (17, ("changed", "confidential", False, True, "alice", 13, None)),
    (18, ("deleted", None, None, None, "alice", 14, None)),
    (19, ("restored", None, None, None, "alice", 15, None)),
    (20, ("changed", "description", "", "Only with an empty cart.", "bob", 16, None)),
]


@pytest.fixture
def lived(cast, clock):
    """Twenty changes to WEB-1 through the API, by bob, alice and carol; returns comment ids."""
    bob, alice, carol = (cast.api(u) for u in (cast.bob, cast.alice, cast.carol))
    comments = {}

    def ok(response, status=200):
        assert response.status_code == status, response.content
        return response

    ok(bob.post("/projects/WEB/issues", {"title": CREATED["title"], "priority": "high"}), 201)
    ok(bob.patch("/issues/WEB-1", {"title": "Checkout fails on Safari"}))
    ok(alice.patch("/issues/WEB-1", {"assignee": "bob"}))
    ok(bob.patch("/issues/WEB-1", {"status": "open"}))
    comments["first"] = ok(carol.post("/issues/WEB-1/comments", {"body": FIREFOX}), 201).json()
    ok(bob.patch("/issues/WEB-1", {"labels": ["ui", "checkout"]}))
    ok(bob.patch("/issues/WEB-1", {"status": "in progress"}))
    first = comments["first"]["id"]
    ok(carol.patch(f"/issues/WEB-1/comments/{first}", {"body": FIREFOX_128}))
    ok(bob.patch("/issues/WEB-1", {"priority": "highest", "severity": "critical"}))
    ok(bob.patch("/issues/WEB-1", {"due_date": "2026-03-01"}))
    ok(bob.patch("/issues/WEB-1", {"status": "resolved"}))
    ok(alice.patch("/issues/WEB-1", {"status": "closed"}))
    comments["second"] = ok(bob.post("/issues/WEB-1/comments", {"body": FIXED}), 201).json()
    ok(alice.delete(f"/issues/WEB-1/comments/{first}"), 204)
    ok(alice.patch("/issues/WEB-1", {"status": "open"}))
    ok(alice.patch("/issues/WEB-1", {"assignee": None}))
    ok(alice.patch("/issues/WEB-1", {"confidential": True}))
    ok(alice.delete("/issues/WEB-1"), 204)
    ok(alice.post("/issues/WEB-1/restore"))
    ok(bob.patch("/issues/WEB-1", {"description": "Only with an empty cart."}))
    return {name: comment["id"] for name, comment in comments.items()}


def test_twenty_changes_leave_exactly_the_expected_history(cast, lived):
    events = _history(cast.api(cast.alice))

    actual = [
        (e["kind"], e["field"], e["old"], e["new"], e["actor"], e["version"], e["comment_id"])
        for e in events
    ]
    expected = [(*event[:6], lived[event[6]] if event[6] else None) for _, event in EXPECTED]
    assert actual == expected
    assert [when(e["at"]) for e in events] == [
        START + dt.timedelta(seconds=step) for step, _ in EXPECTED
    ]
    ids = [e["id"] for e in events]
    assert ids == sorted(set(ids))


def test_the_scripted_issue_ends_in_the_state_its_history_describes(cast, lived):
    issue = cast.api(cast.bob).get("/issues/WEB-1").json()
    assert {k: issue[k] for k in CREATED} == {
        "title": "Checkout fails on Safari",
        "description": "Only with an empty cart.",
        "type": "bug",
        "severity": "critical",
        "priority": "highest",
        "status": "open",
        "resolution": None,
        "assignee": None,
        "team": None,
        "due_date": "2026-03-01",
        "labels": ["checkout", "ui"],
        "components": [],
        "milestone": None,
        "confidential": True,
        "estimate": None,
        "parent": None,
    }
    assert issue["version"] == EXPECTED[-1][1][5]
    comments = cast.api(cast.bob).get("/issues/WEB-1/comments").json()["items"]
    assert [(c["id"], c["body"]) for c in comments] == [(lived["second"], FIXED)]


def test_history_pages_add_up_to_the_whole_history(cast, lived):
    alice = cast.api(cast.alice)
    whole = _history(alice)
    walked, cursor = [], None
    while True:
        params = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        page = alice.get("/issues/WEB-1/history", **params).json()
        assert len(page["items"]) <= 4
        walked += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert walked == whole
    assert len(whole) == len(EXPECTED)


def test_non_admins_read_the_same_history_without_the_deleted_comments_text(cast, lived):
    full = _history(cast.api(cast.alice))
    for who in ("bob", "root"):
        seen = _history(client(cast, who))
        if who == "root":
            assert seen == full
            continue
        assert len(seen) == len(full)
        for mine, theirs in zip(seen, full, strict=True):
            if theirs["comment_id"] == lived["first"]:
                assert (mine["old"], mine["new"]) == (None, None)
                assert {k: v for k, v in mine.items() if k not in ("old", "new")} == {
                    k: v for k, v in theirs.items() if k not in ("old", "new")
                }
            else:
                assert mine == theirs


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 501}, {"cursor": "forged"}])
def test_bad_history_parameters_are_a_400(cast, params):
    make_issue(cast.alice, cast.web)
    problem(cast.api(cast.bob).get("/issues/WEB-1/history", **params), 400)


# --- what does not write history ------------------------------------------------------------------


@pytest.fixture
def settled(cast, clock):
    """WEB-1 at version 1 with a few fields set, and a comment by bob."""
    make_issue(
        cast.alice, cast.web, title="Same", labels=["a", "b"], assignee="bob", priority="high"
    )
    cast.api(cast.bob).post("/issues/WEB-1/comments", {"body": "first!"})


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"version": 1},
        {"title": "Same"},
        {"title": "  Same  "},
        {"description": ""},
        {"type": "bug"},
        {"priority": "high"},
        {"labels": ["b", "a"]},
        {"labels": ["a", "b", "a"]},
        {"components": []},
        {"status": "new"},
        {"status": "NEW"},
        {"assignee": "bob"},
        {"due_date": None},
        {"milestone": None},
        {"resolution": None},
        {"confidential": False},
        {
            "title": "Same",
            "labels": ["b", "a"],
            "status": "new",
            "assignee": "bob",
            "resolution": None,
            "confidential": False,
            "version": 1,
        },
    ],
    ids=lambda changes: "+".join(changes) or "empty",
)
def test_a_patch_that_changes_nothing_writes_nothing(cast, settled, changes):
    before = everything()
    response = cast.api(cast.alice).patch("/issues/WEB-1", changes)
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 1
    assert response["ETag"].startswith('"1-')
    assert everything() == before


def test_a_multi_field_patch_writes_one_event_per_changed_field(cast, settled, clock):
    alice = cast.api(cast.alice)
    before = _history(alice)

    response = alice.patch(
        "/issues/WEB-1",
        {
            "title": "Different",
            "priority": "high",  # unchanged
            "labels": ["a", "b"],  # unchanged
            "assignee": "alice",
            "due_date": "2026-05-01",
            "status": "open",
        },
    )

    assert response.status_code == 200, response.content
    assert response.json()["version"] == 2
    new = _history(alice)[len(before) :]
    assert [(e["kind"], e["field"], e["old"], e["new"], e["actor"], e["version"]) for e in new] == [
        ("changed", "title", "Same", "Different", "alice", 2),
        ("changed", "status", "new", "open", "alice", 2),
        ("changed", "assignee", "bob", "alice", "alice", 2),
        ("changed", "due_date", None, "2026-05-01", "alice", 2),
    ]
    assert {when(e["at"]) for e in new} == {clock.current}


def test_an_edit_to_the_same_comment_text_writes_nothing(cast, settled):
    comment = cast.api(cast.bob).get("/issues/WEB-1/comments").json()["items"][0]
    before = everything()
    response = cast.api(cast.bob).patch(
        f"/issues/WEB-1/comments/{comment['id']}", {"body": "first!"}
    )
    assert response.status_code == 200
    assert everything() == before


@pytest.fixture
def contested(cast, settled):
    """Like `settled`, then alice retitled WEB-1 (now version 2) and opened it (version 3)."""
    alice = cast.api(cast.alice)
    assert alice.patch("/issues/WEB-1", {"title": "Theirs"}).status_code == 200
    assert alice.patch("/issues/WEB-1", {"status": "open"}).status_code == 200
    comment = alice.get("/issues/WEB-1/comments").json()["items"][0]
    return comment["id"]


FAILING = [
    pytest.param("bob", "patch", "", {"title": ""}, {}, 422, id="empty title"),
    pytest.param("bob", "patch", "", {"title": "ok", "assignee": "eve"}, {}, 422, id="half good"),
    pytest.param(
        "bob", "patch", "", {"priority": "low", "due_date": "2026-02-30"}, {}, 422, id="bad date"
    ),
    pytest.param("bob", "patch", "", {"status": "new"}, {}, 422, id="disallowed move"),
    pytest.param("bob", "patch", "", {"resolution": "fixed"}, {}, 422, id="resolution on open"),
    pytest.param("bob", "patch", "", {"number": 9}, {}, 422, id="read-only field"),
    pytest.param(
        "bob", "patch", "", {"title": "Mine"}, {"HTTP_IF_MATCH": '"1"'}, 409, id="stale change"
    ),
    pytest.param("bob", "patch", "", {"title": "x"}, {"HTTP_IF_MATCH": "v1"}, 400, id="If-Match"),
    pytest.param("carol", "patch", "", {"priority": "low"}, {}, 403, id="reporter triage"),
    pytest.param("bob", "patch", "", {"confidential": True}, {}, 403, id="member confidential"),
    pytest.param("dave", "patch", "", {"title": "x"}, {}, 403, id="viewer edit"),
    pytest.param("eve", "patch", "", {"title": "x"}, {}, 404, id="outsider edit"),
    pytest.param("anon", "patch", "", {"title": "x"}, {}, 404, id="anonymous edit"),
    pytest.param("bob", "delete", "", None, {}, 403, id="member delete"),
    pytest.param("alice", "post", "/restore", None, {}, 422, id="restore live issue"),
    pytest.param("bob", "post", "/comments", {"body": ""}, {}, 422, id="empty comment"),
    pytest.param("bob", "post", "/comments", {"body": " \n "}, {}, 422, id="blank comment"),
    pytest.param("dave", "post", "/comments", {"body": "hi"}, {}, 403, id="viewer comment"),
    pytest.param("carol", "patch", "/comments/{c}", {"body": "x"}, {}, 403, id="edit others'"),
    pytest.param("bob", "patch", "/comments/{c}", {"body": ""}, {}, 422, id="edit to empty"),
    pytest.param("carol", "delete", "/comments/{c}", None, {}, 403, id="delete others'"),
    pytest.param("bob", "delete", "/comments/999999", None, {}, 404, id="delete unknown"),
]


@pytest.mark.parametrize("who, method, path, body, headers, status", FAILING)
def test_a_failed_request_writes_no_history(
    cast, contested, who, method, path, body, headers, status
):
    before = everything()
    url = "/issues/WEB-1" + path.format(c=contested)
    call = getattr(client(cast, who), method)
    response = call(url, body, headers=headers) if body is not None else call(url, headers=headers)
    problem(response, status)
    assert everything() == before


@pytest.mark.parametrize(
    "raw, content_type, status",
    [
        ('{"title": "a", "title": "b"}', "application/json", 400),
        ("{", "application/json", 400),
        ('{"title": "a"}', "text/plain", 415),
    ],
)
def test_a_malformed_request_writes_no_history(cast, contested, raw, content_type, status):
    before = everything()
    response = cast.api(cast.bob).patch("/issues/WEB-1", raw=raw, content_type=content_type)
    problem(response, status)
    assert everything() == before
