"""Exports over the API: only what the caller can see, CSV columns and formula safety, the
query filter, refusals, and a streamed answer."""

from __future__ import annotations

import csv
import io
import json
import uuid

import pytest
from django.http import StreamingHttpResponse

from docket.issues import comments as issue_comments
from docket.issues import sharing
from docket.projects import actions as project_actions
from tests.factories import UserFactory, make_issue, make_project


def canary() -> str:
    return "canary" + uuid.uuid4().hex


def body(response) -> str:
    assert isinstance(response, StreamingHttpResponse), "an export must stream"
    return b"".join(response.streaming_content).decode()


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def records(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture
def world(cast):
    """WEB (private; alice admin, bob member, carol reporter, dave viewer) with a normal
    issue, a confidential one (each with a comment), one carol reported in confidence and one
    shared with eve; OPS, private, alice's alone; HELP, an internal support desk where carol
    and frank are reporters with a ticket each; PUB, public, with one issue."""
    w = {"canary": {}}

    def issue(project, reporter, name, **fields):
        secret = canary()
        found = make_issue(reporter, project, title=f"{name} {secret}", **fields)
        issue_comments.add_comment(actor=reporter, issue=found, body=f"comment {canary()}")
        w[name], w["canary"][name] = found, secret
        return found

    issue(cast.web, cast.alice, "normal", priority="high", labels=["ui"])
    issue(cast.web, cast.alice, "conf", confidential=True)
    issue(cast.web, cast.carol, "carol_conf", confidential=True)
    shared = issue(cast.web, cast.bob, "shared", confidential=True)
    sharing.grant_access(actor=cast.alice, issue=shared, username="eve")
    ops = make_project(cast.alice, "OPS")
    issue(ops, cast.alice, "ops")
    issue(make_project(cast.alice, "PUB", visibility="public"), cast.alice, "public")
    frank = UserFactory(username="frank")
    help_desk = make_project(
        cast.alice,
        "HELP",
        visibility="internal",
        members={cast.carol: "reporter", frank: "reporter"},
    )
    project_actions.update_project(
        actor=cast.alice, project=help_desk, changes={"reporters_see_own_only": True}
    )
    issue(help_desk, cast.carol, "carol_ticket")
    issue(help_desk, frank, "frank_ticket")
    w["frank"] = frank
    return w


def comment_texts(issue) -> list[str]:
    return [c.body for c in issue.comments.all()]


def seen(text: str, world) -> set[str]:
    """Which issues' canaries (title and comment) an export shows; a comment without its
    issue's title would be a leak of its own, so both are checked."""
    found = set()
    for name, secret in world["canary"].items():
        comment_seen = any(c in text for c in comment_texts(world[name]))
        if secret in text or comment_seen:
            found.add(name)
    return found


EVERYONE = {
    "normal", "conf", "carol_conf", "shared", "ops", "carol_ticket", "frank_ticket", "public"
}  # fmt: skip


@pytest.mark.parametrize("form", ["csv", "json"])
@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("root", EVERYONE),
        ("alice", EVERYONE),
        ("bob", {"normal", "conf", "carol_conf", "shared", "public"}),
        ("dave", {"normal", "public"}),
        ("carol", {"normal", "carol_conf", "carol_ticket", "public"}),
        ("eve", {"shared", "public"}),
        (None, {"public"}),  # anonymous readers see public projects, as on the list
    ],
)
def test_an_export_of_every_project_holds_only_what_the_caller_sees(
    cast, world, form, who, expected
):
    api = cast.api(getattr(cast, who)) if who else cast.api(None)
    response = api.get("/export/issues", format=form)
    assert response.status_code == 200
    text = body(response)
    assert seen(text, world) == expected
    if form == "json":  # comments only with their issues, and the comments of those all there
        for name in expected:
            assert all(c in text for c in comment_texts(world[name]))


def test_a_project_export_is_refused_to_outsiders_of_a_private_project(cast, world):
    for who in (cast.eve, cast.bob):  # bob is a member of WEB, not of OPS
        response = cast.api(who).get("/projects/OPS/export")
        assert response.status_code == 404
        assert world["canary"]["ops"] not in response.content.decode()
    assert cast.api(cast.eve).get("/projects/WEB/export").status_code == 404


def test_a_support_desk_reporter_exports_only_their_own_tickets(cast, world):
    for form in ("csv", "json"):
        text = body(cast.api(cast.carol).get("/projects/HELP/export", format=form))
        assert seen(text, world) == {"carol_ticket"}
        text = body(cast.api(world["frank"]).get("/projects/HELP/export", format=form))
        assert seen(text, world) == {"frank_ticket"}


def test_a_viewer_sees_no_confidential_issue_nor_its_comments_in_json(cast, world):
    text = body(cast.api(cast.dave).get("/projects/WEB/export", format="json"))
    lines = records(text)
    issues = [r for r in lines if r["kind"] == "issue"]
    assert [r["title"].split()[0] for r in issues] == ["normal"]
    assert not any(c in text for c in comment_texts(world["conf"]))
    # No addresses for anyone but site admins.
    assert all("email" not in r for r in lines if r["kind"] == "user")


def test_csv_has_the_default_columns_and_one_row_per_issue(cast, world):
    response = cast.api(cast.alice).get("/projects/WEB/export")
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="WEB-issues.csv"'
    rows = csv_rows(body(response))
    assert list(rows[0]) == [
        "key", "title", "type", "status", "priority", "severity", "assignee", "reporter",
        "team", "labels", "components", "milestone", "due_date", "created", "updated",
        "resolved", "resolution", "confidential",
    ]  # fmt: skip
    normal = next(r for r in rows if r["key"] == world["normal"].key)
    assert normal["priority"] == "high" and normal["labels"] == "ui"
    assert normal["reporter"] == "alice" and normal["status"] == "new"
    assert normal["confidential"] == "false" and normal["created"].startswith("20")
    assert {r["key"] for r in rows} == {
        world[n].key for n in ("normal", "conf", "carol_conf", "shared")
    }


def test_columns_choose_and_order_the_csv(cast, world):
    response = cast.api(cast.alice).get(
        "/projects/WEB/export", columns="title, key,due,description,labels"
    )
    rows = csv_rows(body(response))
    assert list(rows[0]) == ["title", "key", "due_date", "description", "labels"]


def test_an_unknown_column_is_a_400_naming_it(cast, world):
    response = cast.api(cast.alice).get("/projects/WEB/export", columns="key,password")
    assert response.status_code == 400
    problem = response.json()
    assert "unknown column 'password'" in problem["detail"]
    assert problem["errors"][0]["field"] == "columns"


@pytest.mark.parametrize(
    "title",
    [
        '=HYPERLINK("http://evil.example/","click")',
        "+cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(1+9)*cmd|' /C calc'!A0",
        "\t=1+1",
        "\r=1+1",
    ],
)
def test_csv_cells_that_would_run_as_formulas_are_quoted(cast, title):
    issue = make_issue(cast.alice, cast.web, title=title.strip() or title, labels=["=bad"])
    rows = csv_rows(body(cast.api(cast.alice).get("/projects/WEB/export")))
    row = next(r for r in rows if r["key"] == issue.key)
    assert row["title"] == "'" + issue.title
    assert row["labels"] == "'=bad"


def test_harmless_cells_are_left_as_they_are(cast):
    issue = make_issue(cast.alice, cast.web, title='a = b, "quoted"\nnext line')
    rows = csv_rows(body(cast.api(cast.alice).get("/projects/WEB/export")))
    row = next(r for r in rows if r["key"] == issue.key)
    assert row["title"] == issue.title


def test_the_query_filters_the_export(cast, world):
    for form in ("csv", "json"):
        text = body(
            cast.api(cast.alice).get("/projects/WEB/export", q="priority:high", format=form)
        )
        assert seen(text, world) == {"normal"}
    text = body(cast.api(cast.alice).get("/export/issues", q="label:ui"))
    assert seen(text, world) == {"normal"}


def test_a_bad_query_is_a_400_with_its_message_and_position(cast, world):
    response = cast.api(cast.alice).get("/projects/WEB/export", q="priority:hgih")
    assert response.status_code == 400
    problem = response.json()
    assert problem["title"] == "Invalid query"
    assert "hgih" in problem["detail"] or "priority" in problem["detail"]
    assert "position" in problem


def test_a_bad_format_is_a_400(cast, world):
    response = cast.api(cast.alice).get("/projects/WEB/export", format="xlsx")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "format"


def test_json_is_json_lines_as_import_reads_them(cast, world):
    response = cast.api(cast.root).get("/projects/WEB/export", format="json")
    assert response["Content-Type"] == "application/x-ndjson"
    assert response["Content-Disposition"] == 'attachment; filename="WEB-issues.jsonl"'
    lines = records(body(response))
    kinds = [r["kind"] for r in lines]
    assert kinds[0] == "source" and kinds.count("project") == 1
    # users, then the project, then its issues: the order import needs
    assert kinds == sorted(kinds, key=["source", "user", "project", "issue"].index)
    users = {r["username"]: r for r in lines if r["kind"] == "user"}
    assert set(users) == {"alice", "bob", "carol"}  # the people the issues name
    assert users["alice"]["email"] == "alice@example.com"  # a site admin's export
    project = next(r for r in lines if r["kind"] == "project")
    assert {m["user"]: m["role"] for m in project["members"]} == {
        "alice": "admin", "bob": "member", "carol": "reporter"
    }  # fmt: skip
    normal = next(r for r in lines if r["kind"] == "issue" and r["id"] == world["normal"].number)
    assert normal["priority"] == "high" and normal["labels"] == ["ui"]
    assert [c["author"] for c in normal["comments"]] == ["alice"]
    assert [e["kind"] for e in normal["history"]] == ["created"]


@pytest.mark.parametrize("who", ["root", "alice", "bob", "carol"])
def test_internal_notes_are_never_exported(cast, who):
    """Staff read them in Docket, but an import has no internal notes: a round trip would
    publish them to reporters, so no export carries them, nor their authors' events."""
    issue = make_issue(cast.carol, cast.web, title="Customer ticket")
    note = canary()
    issue_comments.add_comment(
        actor=cast.bob, issue=issue, body=f"staff only {note}", internal=True
    )
    issue_comments.add_comment(actor=cast.alice, issue=issue, body="public answer")
    for form in ("csv", "json"):
        text = body(cast.api(getattr(cast, who)).get("/projects/WEB/export", format=form))
        assert note not in text
    lines = records(body(cast.api(getattr(cast, who)).get("/projects/WEB/export", format="json")))
    ticket = next(r for r in lines if r["kind"] == "issue")
    assert [c["body"] for c in ticket["comments"]] == ["public answer"]
    assert all(e["kind"] != "commented" for e in ticket["history"])


def test_sort_orders_the_csv_rows_as_on_the_list(cast):
    for title, priority in (("low one", "low"), ("top one", "highest"), ("mid one", "medium")):
        make_issue(cast.alice, cast.web, title=title, priority=priority)
    text = body(cast.api(cast.alice).get("/projects/WEB/export", sort="-priority"))
    assert [r["title"] for r in csv_rows(text)] == ["top one", "mid one", "low one"]
    text = body(cast.api(cast.alice).get("/projects/WEB/export", q="sort:priority"))
    assert [r["title"] for r in csv_rows(text)] == ["low one", "mid one", "top one"]
    refused = cast.api(cast.alice).get("/projects/WEB/export", sort="colour")
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "sort"
