"""Every sample imports, with counts checked against the source files (counted here, by
reading them independently of the converters)."""

from __future__ import annotations

import csv
import json
from collections import Counter

from docket.issues.models import Comment, Issue, IssueEvent
from docket.transfer.importers.models import Placeholder
from tests.transfer.importers.conftest import (
    BUGZILLA,
    GITHUB,
    HADOOP,
    JIRA_XML,
    SEAMONKEY,
    TRELLO,
    docket_import,
    sample,
)


def _csv_rows(path):
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _jsonl(path):
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _issues(cast, key):
    return cast.api(cast.root).get("/issues", q=f"project:{key}", limit=50).json()


def test_hadoop_jira_csv_with_the_preset(cast):
    rows = _csv_rows(sample(HADOOP))
    result = docket_import(
        "--format", "csv", "--preset", "gitbugs-jira", str(HADOOP), "--project", "HAD"
    )
    assert result.exit_code == 0, result.output
    assert f"{len(rows)} created" in result.output and "0 failed" in result.output
    issues = Issue.objects.filter(project__key="HAD")
    assert issues.count() == len(rows) == 2503
    # Resolved → a done state, with the resolution; the rest stay open
    assert issues.filter(status__category="done").count() == sum(
        r["Status"] == "Resolved" for r in rows
    )
    duplicates = sum(r["Resolution"] == "Duplicate" for r in rows)
    assert issues.filter(resolution="duplicate").count() == duplicates
    blockers = sum(r["Priority"] == "Blocker" for r in rows)
    assert issues.filter(priority=5).count() == blockers
    # dates kept (Jira's 30/Sep/21 17:20), the unmapped column in the description's block
    first = rows[0]
    issue = (
        issues.get(title=first["Summary"].strip())
        if sum(r["Summary"] == first["Summary"] for r in rows) == 1
        else issues.order_by("number").first()
    )
    assert issue.created_at.strftime("%d/%b/%y %H:%M") == first["Created"]
    if first["Affects Version/s"]:
        assert f"**Affects Version/s:** {first['Affects Version/s']}" in issue.description


def test_seamonkey_bugzilla_csv_with_an_explicit_mapping(cast):
    rows = _csv_rows(sample(SEAMONKEY))
    maps = [
        "title=Summary", "id=Issue id", "status=Status", "priority=Priority",
        "resolution=Resolution", "created=Created", "description=Description",
    ]  # fmt: skip
    args = [a for m in maps for a in ("--map", m)]
    result = docket_import("--format", "csv", *args, str(SEAMONKEY), "--project", "SM")
    assert result.exit_code == 0, result.output
    issues = Issue.objects.filter(project__key="SM")
    assert issues.count() == len(rows) == 1076
    done = sum(r["Status"] in ("RESOLVED", "VERIFIED") for r in rows)
    assert issues.filter(status__category="done").count() == done
    assert issues.filter(resolution="cannot reproduce").count() == sum(
        r["Resolution"] in ("WORKSFORME", "INCOMPLETE") for r in rows
    )
    # what people see: the API lists them (first page)
    assert len(_issues(cast, "SM")["items"]) == 50


def test_jira_xml_export(cast):
    text = sample(JIRA_XML).read_text("utf-8")
    result = docket_import("--format", "jira-xml", str(JIRA_XML), "--project", "AR")
    assert result.exit_code == 0, result.output
    assert Issue.objects.filter(project__key="AR").count() == text.count("<item>") == 2
    api = cast.api(cast.root)
    epic = next(
        i
        for i in api.get("/issues", q="project:AR").json()["items"]
        if i["title"] == "Investigate feature"
    )
    assert (
        epic["labels"] == ["PM"] and epic["type"] == "feature" and epic["status"].lower() == "new"
    )
    assert epic["reporter"] == "Chen-Lim" and epic["due_date"] == "2021-11-12"
    comments = api.get(f"/issues/{epic['key']}/comments").json()["items"]
    assert len(comments) == text.count("<comment ") == 1
    assert comments[0]["author"] == "Chen-Lim" and comments[0]["body"].startswith("Kicking off")
    task = Issue.objects.get(project__key="AR", title="Investigate feature area")
    assert task.status.name == "In Progress"  # statusCategory indeterminate
    assert task.created_at.isoformat() == "2021-09-24T21:22:15+00:00"


def test_github_issues_with_events(cast):
    issues = _jsonl(sample(GITHUB))
    result = docket_import("--format", "github", str(GITHUB), "--project", "GH")
    assert result.exit_code == 0, result.output
    made = Issue.objects.filter(project__key="GH")
    assert made.count() == len(issues) == 100
    closed = sum(i["state"] == "closed" for i in issues)
    assert made.filter(status__category="done").count() == closed == 60
    events = Counter(e["event"] for i in issues for e in i["events"])
    history = IssueEvent.objects.filter(issue__project__key="GH", kind="changed")
    assert history.filter(field="labels").count() == events["labeled"] + events["unlabeled"]
    assert history.filter(field="status").count() == events["closed"] + events["reopened"]
    # one issue's first label event: its actor and time, the set after it
    first = next(i for i in issues if i["events"])
    labeled = next(e for e in first["events"] if e["event"] == "labeled")
    key = (
        f"GH-{made.get(title=first['title']).number}"
        if made.filter(title=first["title"]).count() == 1
        else None
    )
    if key:
        shown = cast.api(cast.root).get(f"/issues/{key}/history").json()["items"]
        change = next(e for e in shown if e["kind"] == "changed" and e["field"] == "labels")
        assert change["actor"] == labeled["actor"]["login"]
        assert change["at"].startswith(labeled["created_at"][:19])
        assert labeled["label"]["name"] in change["new"]


def test_trello_board(cast):
    board = json.loads(sample(TRELLO).read_text("utf-8"))
    result = docket_import("--format", "trello", str(TRELLO), "--project", "TR")
    assert result.exit_code == 0, result.output
    assert Issue.objects.filter(project__key="TR").count() == len(board["cards"]) == 1
    card = Issue.objects.get(project__key="TR")
    assert card.title == board["cards"][0]["name"]
    assert card.reporter.username == "johndoe" and not card.reporter.is_active  # a placeholder
    # the member added and removed: history, by the member who did it, at its time
    shown = IssueEvent.objects.filter(issue=card, kind="changed", field="assignee").order_by(
        "created_at"
    )
    assert [(e.old, e.new) for e in shown] == [(None, "johndoe"), ("johndoe", None)]


def test_trello_board_with_lists_checklists_and_comments(cast, tmp_path):
    """The sample holds no comments and one list; the same board with what real boards have
    (a Done list, a checklist, a comment action) — built from the sample, in memory."""
    board = json.loads(sample(TRELLO).read_text("utf-8"))
    card = board["cards"][0]
    board["lists"].append({"id": "hashlistdone", "name": "Done", "closed": False})
    shipped = {"id": "card2", "name": "Shipped thing", "idList": "hashlistdone"}
    shipped |= {"idChecklists": ["cl1"], "idLabels": [board["labels"][0]["id"]]}
    board["cards"].append({**card, **shipped})
    steps = [
        {"name": "write", "state": "complete", "pos": 1},
        {"name": "ship", "state": "incomplete", "pos": 2},
    ]
    board["checklists"] = [{"id": "cl1", "name": "Steps", "checkItems": steps}]
    member = board["members"][0]
    comment = {
        "id": "a1",
        "type": "commentCard",
        "date": "2021-07-11T10:00:00.000Z",
        "idMemberCreator": member["id"],
        "memberCreator": member,
        "data": {"text": "Looks good", "card": {"id": "card2"}},
    }
    board["actions"].insert(0, comment)
    path = tmp_path / "board.json"
    path.write_text(json.dumps(board), "utf-8")
    result = docket_import("--format", "trello", str(path), "--project", "TB")
    assert result.exit_code == 0, result.output
    done = Issue.objects.get(project__key="TB", title="Shipped thing")
    assert done.status.is_done and done.resolution == "fixed"
    assert "- [x] write\n- [ ] ship" in done.description
    assert [lb.name for lb in done.labels.all()] == ["yellow"]  # unnamed: its colour
    said = Comment.objects.get(issue=done)
    assert said.body == "Looks good" and said.author.username == "johndoe"
    assert Issue.objects.get(project__key="TB", title=card["name"]).status.name == "New"


def test_bugzilla_bugs_with_comments_and_history(cast):
    bugs = _jsonl(sample(BUGZILLA))
    result = docket_import("--format", "bugzilla", str(BUGZILLA), "--project", "BZ")
    assert result.exit_code == 0, result.output
    made = Issue.objects.filter(project__key="BZ")
    assert made.count() == len(bugs) == 58
    # the first comment (count 0) is the description; the others are comments
    expected = sum(1 for b in bugs for c in b["comments"] if c["count"] > 0 and c["text"].strip())
    assert Comment.objects.filter(issue__project__key="BZ").count() == expected
    done = sum(b["status"] in ("RESOLVED", "VERIFIED", "CLOSED") for b in bugs)
    assert made.filter(status__category="done").count() == done
    status_changes = sum(
        1 for b in bugs for h in b["history"] for c in h["changes"] if c["field_name"] == "status"
    )
    history = IssueEvent.objects.filter(issue__project__key="BZ", kind="changed")
    assert history.filter(field="status").count() == status_changes
    # one bug's status changes: its original actors and times, in order
    bug = next(
        b
        for b in bugs
        if sum(c["field_name"] == "status" for h in b["history"] for c in h["changes"]) >= 2
    )
    issue = made.get(title=bug["summary"])
    wanted = [
        (h["who"], h["when"][:19], c["removed"], c["added"])
        for h in bug["history"] for c in h["changes"] if c["field_name"] == "status"
    ]  # fmt: skip
    got = IssueEvent.objects.filter(issue=issue, field="status").order_by("created_at", "id")
    placeholders = {p.user_id: p.identity for p in Placeholder.objects.all()}
    assert [
        (placeholders.get(e.actor_id, e.actor.email), e.created_at.isoformat()[:19], e.old, e.new)
        for e in got
    ] == [(who, at, old, new) for who, at, old, new in wanted]
    reporter = issue.reporter
    assert not reporter.is_active and not reporter.has_usable_password()
    assert reporter.email == ""  # the source's address stays off the account until claimed
