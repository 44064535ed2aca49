"""Comments on issues: listing, adding, editing and deleting, and what history keeps of them."""

from __future__ import annotations

import pytest

from docket.projects import actions as project_actions
from tests.api.issue_helpers import client, everything, install_clock, problem, when
from tests.factories import make_issue, make_project


@pytest.fixture
def clock(monkeypatch):
    return install_clock(monkeypatch)


@pytest.fixture
def issue(cast):
    return make_issue(cast.alice, cast.web)


def _comment(cast, who: str, body: str, key: str = "WEB-1") -> dict:
    response = client(cast, who).post(f"/issues/{key}/comments", {"body": body})
    assert response.status_code == 201, response.content
    return response.json()


def _bodies(api, key: str = "WEB-1") -> list[tuple[str, str]]:
    response = api.get(f"/issues/{key}/comments")
    assert response.status_code == 200, response.content
    return [(c["author"], c["body"]) for c in response.json()["items"]]


def _history(api, key: str = "WEB-1") -> list[dict]:
    response = api.get(f"/issues/{key}/history")
    assert response.status_code == 200, response.content
    return response.json()["items"]


# --- listing and adding --------------------------------------------------------------------------


def test_a_new_issue_has_no_comments(cast, issue):
    assert cast.api(cast.dave).get("/issues/WEB-1/comments").json() == {
        "items": [],
        "next_cursor": None,
    }


def test_a_comment_is_added_and_listed(cast, clock, issue):
    response = cast.api(cast.bob).post("/issues/WEB-1/comments", {"body": "Seen on Safari too."})

    assert response.status_code == 201, response.content
    comment = dict(response.json())
    assert when(comment.pop("created_at")) == when(comment.pop("updated_at")) == clock.current
    assert isinstance(comment.pop("id"), int)
    assert comment == {
        "issue": "WEB-1",
        "author": "bob",
        "body": "Seen on Safari too.",
        "body_html": "<p>Seen on Safari too.</p>\n",
        "edited": False,
        "internal": False,  # a public comment (tests/api/test_internal_notes.py: the notes)
        "not_notified": [],  # people it mentions who cannot see the issue
    }
    listed = {k: v for k, v in response.json().items() if k != "not_notified"}
    assert cast.api(cast.dave).get("/issues/WEB-1/comments").json()["items"] == [listed]


def test_comments_are_listed_oldest_first(cast, issue):
    for who, body in [("bob", "first"), ("carol", "second"), ("alice", "third")]:
        _comment(cast, who, body)
    assert _bodies(cast.api(cast.dave)) == [
        ("bob", "first"),
        ("carol", "second"),
        ("alice", "third"),
    ]


def test_comment_bodies_keep_their_whitespace(cast, issue):
    body = "  Steps:\n\n    1. open\n    2. click\n"
    assert _comment(cast, "bob", body)["body"] == body


def test_commenting_touches_the_issue_but_not_its_version(cast, clock, issue):
    bob = cast.api(cast.bob)
    before = bob.get("/issues/WEB-1").json()
    comment = _comment(cast, "bob", "bump")
    after = bob.get("/issues/WEB-1").json()
    assert after["version"] == before["version"] == 1
    assert when(after["updated_at"]) == when(comment["created_at"]) > when(before["updated_at"])


def test_comments_are_paginated_without_gaps_or_repeats(cast, issue):
    for n in range(7):
        _comment(cast, "bob", f"comment {n}")
    dave = cast.api(cast.dave)
    seen, cursor, sizes = [], None, []
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = dave.get("/issues/WEB-1/comments", **params).json()
        sizes.append(len(page["items"]))
        seen += [c["body"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sizes == [3, 3, 1]
    assert seen == [f"comment {n}" for n in range(7)]


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 201}, {"cursor": "forged"}])
def test_bad_comment_list_parameters_are_a_400(cast, issue, params):
    problem(cast.api(cast.bob).get("/issues/WEB-1/comments", **params), 400)


@pytest.mark.parametrize("who", ["root", "alice", "bob", "carol"])
def test_reporters_and_up_may_comment(cast, issue, who):
    assert _comment(cast, who, "hello")["author"] == who


@pytest.mark.parametrize(
    "who, status",
    [("dave", 403), ("eve", 404), ("anon", 404)],
    ids=["viewer", "outsider", "anonymous"],
)
def test_who_may_not_comment(cast, issue, who, status):
    before = everything()
    problem(client(cast, who).post("/issues/WEB-1/comments", {"body": "hello"}), status)
    assert everything() == before


@pytest.mark.parametrize("who, status", [("eve", 404), ("anon", 404)])
def test_outsiders_cannot_read_comments_of_a_private_issue(cast, issue, who, status):
    _comment(cast, "bob", "internal")
    problem(client(cast, who).get("/issues/WEB-1/comments"), status)


def test_anyone_may_read_but_only_the_signed_in_may_comment_in_a_public_project(cast, anon):
    make_issue(cast.alice, make_project(cast.alice, "PUB", visibility="public"))
    _comment(cast, "alice", "welcome", key="PUB-1")
    assert _bodies(anon, "PUB-1") == [("alice", "welcome")]
    assert _bodies(cast.api(cast.eve), "PUB-1") == [("alice", "welcome")]
    before = everything()
    response = anon.post("/issues/PUB-1/comments", {"body": "me too"})
    problem(response, 401)
    assert response["WWW-Authenticate"] == 'Bearer realm="docket"'
    problem(cast.api(cast.eve).post("/issues/PUB-1/comments", {"body": "me too"}), 403)
    assert everything() == before


def test_commenting_on_an_unknown_issue_is_404(cast, issue):
    before = everything()
    problem(cast.api(cast.bob).post("/issues/WEB-2/comments", {"body": "hello"}), 404)
    assert everything() == before


BAD_BODIES = [
    pytest.param({"body": ""}, id="empty"),
    pytest.param({"body": "   \n\t "}, id="blank"),
    pytest.param({"body": "a\x00b"}, id="NUL"),
    pytest.param({"body": "x" * 100_001}, id="too long"),
    pytest.param({"body": None}, id="null"),
    pytest.param({"body": 42}, id="number"),
    pytest.param({"body": ["text"]}, id="list"),
    pytest.param({}, id="missing"),
    pytest.param({"body": "ok", "author": "alice"}, id="author"),
    pytest.param({"body": "ok", "created_at": "2020-01-01T00:00:00Z"}, id="created_at"),
]


@pytest.mark.parametrize("payload", BAD_BODIES)
def test_an_invalid_comment_is_refused_and_nothing_is_added(cast, issue, payload):
    before = everything()
    body = problem(cast.api(cast.bob).post("/issues/WEB-1/comments", payload), 422)
    assert body["errors"], body
    assert everything() == before


def test_a_malformed_comment_body_adds_nothing(cast, issue):
    bob = cast.api(cast.bob)
    before = everything()
    problem(bob.post("/issues/WEB-1/comments", raw='{"body": "a", "body": "b"}'), 400)
    problem(bob.post("/issues/WEB-1/comments", raw="body=hello", content_type="text/plain"), 415)
    assert everything() == before


# --- editing -------------------------------------------------------------------------------------


def test_the_author_may_edit_their_comment(cast, clock, issue):
    comment = _comment(cast, "carol", "typo")
    response = cast.api(cast.carol).patch(
        f"/issues/WEB-1/comments/{comment['id']}", {"body": "fixed"}
    )

    assert response.status_code == 200, response.content
    edited = response.json()
    assert (edited["id"], edited["body"], edited["edited"]) == (comment["id"], "fixed", True)
    assert edited["created_at"] == comment["created_at"]
    assert when(edited["updated_at"]) == clock.current > when(comment["updated_at"])
    assert _bodies(cast.api(cast.dave)) == [("carol", "fixed")]


@pytest.mark.parametrize("who", ["alice", "root"])
def test_an_admin_may_edit_anyones_comment(cast, issue, who):
    comment = _comment(cast, "carol", "rude words")
    response = client(cast, who).patch(
        f"/issues/WEB-1/comments/{comment['id']}", {"body": "[removed]"}
    )
    assert response.status_code == 200, response.content
    assert (response.json()["author"], response.json()["body"]) == ("carol", "[removed]")


@pytest.mark.parametrize(
    "who, status",
    [("bob", 403), ("carol", 403), ("dave", 403), ("eve", 404), ("anon", 404)],
    ids=["member", "other reporter", "viewer", "outsider", "anonymous"],
)
def test_others_may_not_edit_a_comment(cast, issue, who, status):
    author = "bob" if who == "carol" else "carol"
    comment = _comment(cast, author, "mine")
    before = everything()
    response = client(cast, who).patch(f"/issues/WEB-1/comments/{comment['id']}", {"body": "x"})
    problem(response, status)
    assert everything() == before


def test_an_author_demoted_to_viewer_can_no_longer_edit(cast, issue):
    comment = _comment(cast, "carol", "mine")
    project_actions.set_member(actor=cast.alice, project=cast.web, user="carol", role="viewer")
    before = everything()
    problem(
        cast.api(cast.carol).patch(f"/issues/WEB-1/comments/{comment['id']}", {"body": "x"}), 403
    )
    assert everything() == before


@pytest.mark.parametrize("payload", BAD_BODIES)
def test_an_invalid_edit_changes_nothing(cast, issue, payload):
    comment = _comment(cast, "bob", "original")
    before = everything()
    response = cast.api(cast.bob).patch(f"/issues/WEB-1/comments/{comment['id']}", payload)
    problem(response, 422)
    assert everything() == before


def test_an_edit_to_the_same_text_changes_nothing(cast, issue):
    comment = _comment(cast, "bob", "same")
    before = everything()
    response = cast.api(cast.bob).patch(f"/issues/WEB-1/comments/{comment['id']}", {"body": "same"})
    assert response.status_code == 200
    assert response.json()["edited"] is False
    assert everything() == before


def test_editing_an_unknown_or_foreign_comment_is_404(cast, issue):
    make_issue(cast.alice, cast.web, title="Another")
    other = _comment(cast, "bob", "on WEB-2", key="WEB-2")
    bob = cast.api(cast.bob)
    before = everything()
    problem(bob.patch(f"/issues/WEB-1/comments/{other['id']}", {"body": "x"}), 404)
    problem(bob.patch("/issues/WEB-1/comments/999999", {"body": "x"}), 404)
    problem(bob.delete(f"/issues/WEB-1/comments/{other['id']}"), 404)
    assert everything() == before


def test_a_non_numeric_comment_id_is_refused(cast, issue):
    before = everything()
    response = cast.api(cast.bob).patch("/issues/WEB-1/comments/abc", {"body": "x"})
    assert response.status_code in (400, 404, 422), response.content
    assert everything() == before


# --- deleting ------------------------------------------------------------------------------------


def test_the_author_may_delete_their_comment_and_it_leaves_the_list(cast, issue):
    kept = _comment(cast, "bob", "keep me")
    gone = _comment(cast, "carol", "delete me")

    response = cast.api(cast.carol).delete(f"/issues/WEB-1/comments/{gone['id']}")

    assert response.status_code == 204
    assert response.content == b""
    items = cast.api(cast.alice).get("/issues/WEB-1/comments").json()["items"]
    assert [c["id"] for c in items] == [kept["id"]]


@pytest.mark.parametrize("who", ["alice", "root"])
def test_an_admin_may_delete_anyones_comment(cast, issue, who):
    comment = _comment(cast, "carol", "spam")
    assert client(cast, who).delete(f"/issues/WEB-1/comments/{comment['id']}").status_code == 204
    assert _bodies(cast.api(cast.bob)) == []


@pytest.mark.parametrize(
    "who, status",
    [("bob", 403), ("carol", 403), ("dave", 403), ("eve", 404), ("anon", 404)],
    ids=["member", "other reporter", "viewer", "outsider", "anonymous"],
)
def test_others_may_not_delete_a_comment(cast, issue, who, status):
    author = "bob" if who == "carol" else "carol"
    comment = _comment(cast, author, "mine")
    before = everything()
    problem(client(cast, who).delete(f"/issues/WEB-1/comments/{comment['id']}"), status)
    assert everything() == before


def test_a_deleted_comment_cannot_be_edited_or_deleted_again(cast, issue):
    comment = _comment(cast, "bob", "short-lived")
    bob = cast.api(cast.bob)
    bob.delete(f"/issues/WEB-1/comments/{comment['id']}")
    before = everything()
    problem(bob.patch(f"/issues/WEB-1/comments/{comment['id']}", {"body": "back"}), 404)
    problem(bob.delete(f"/issues/WEB-1/comments/{comment['id']}"), 404)
    problem(cast.api(cast.alice).delete(f"/issues/WEB-1/comments/{comment['id']}"), 404)
    assert everything() == before


# --- what history keeps of deleted comments ------------------------------------------------------


@pytest.fixture
def deleted_comment(cast, issue):
    """Carol wrote "my phone number is 555-0100", edited it, then alice deleted it."""
    comment = _comment(cast, "carol", "my phone number is 555-0100")
    carol = cast.api(cast.carol)
    carol.patch(f"/issues/WEB-1/comments/{comment['id']}", {"body": "call me: 555-0100"})
    cast.api(cast.alice).delete(f"/issues/WEB-1/comments/{comment['id']}")
    _comment(cast, "bob", "an innocent comment")
    return comment["id"]


def _about(events, comment_id):
    return [
        (e["kind"], e["actor"], e["old"], e["new"]) for e in events if e["comment_id"] == comment_id
    ]


@pytest.mark.parametrize("who", ["alice", "root"])
def test_admins_still_read_a_deleted_comments_text_in_history(cast, deleted_comment, who):
    assert _about(_history(client(cast, who)), deleted_comment) == [
        ("commented", "carol", None, "my phone number is 555-0100"),
        ("comment_edited", "carol", "my phone number is 555-0100", "call me: 555-0100"),
        ("comment_deleted", "alice", "call me: 555-0100", None),
    ]


@pytest.mark.parametrize("who", ["bob", "carol", "dave"])
def test_non_admins_see_that_a_comment_was_deleted_but_not_its_text(cast, deleted_comment, who):
    events = _history(client(cast, who))
    assert _about(events, deleted_comment) == [
        ("commented", "carol", None, None),
        ("comment_edited", "carol", None, None),
        ("comment_deleted", "alice", None, None),
    ]
    assert "555-0100" not in str(events)
    assert events[-1]["kind"] == "commented"
    assert events[-1]["new"] == "an innocent comment"


def test_edits_of_a_live_comment_stay_readable_in_history(cast, issue):
    comment = _comment(cast, "bob", "v1")
    cast.api(cast.bob).patch(f"/issues/WEB-1/comments/{comment['id']}", {"body": "v2"})
    assert _about(_history(cast.api(cast.dave)), comment["id"]) == [
        ("commented", "bob", None, "v1"),
        ("comment_edited", "bob", "v1", "v2"),
    ]
