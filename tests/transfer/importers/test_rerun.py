"""Running an import again updates what changed in the source and leaves the rest alone."""

from __future__ import annotations

import json

from docket.accounts.models import User
from docket.issues.models import Comment, Issue, IssueEvent
from tests.transfer.importers.conftest import BUGZILLA, GITHUB, docket_import, sample


def _counts():
    return (
        Issue.objects.count(),
        IssueEvent.objects.count(),
        Comment.objects.count(),
        User.objects.count(),
    )


def test_importing_twice_creates_nothing_and_writes_no_events(cast):
    for path, form in ((sample(BUGZILLA), "bugzilla"), (sample(GITHUB), "github")):
        first = docket_import("--format", form, str(path), "--project", "TWICE")
        assert first.exit_code == 0, first.output
    before = _counts()
    for path, form, rows in ((BUGZILLA, "bugzilla", 58), (GITHUB, "github", 100)):
        again = docket_import("--format", form, str(path), "--project", "TWICE")
        assert again.exit_code == 0, again.output
        assert f"0 created, 0 updated, {rows} unchanged" in again.output
    assert _counts() == before


def test_an_updated_source_record_updates_its_issue(cast, tmp_path):
    bugs = [json.loads(line) for line in sample(BUGZILLA).read_text("utf-8").splitlines()]
    path = tmp_path / "bugs.jsonl"
    path.write_text("\n".join(json.dumps(b) for b in bugs), "utf-8")
    assert docket_import("--format", "bugzilla", str(path), "--project", "UPD").exit_code == 0
    target = next(b for b in bugs if b["status"] == "NEW")
    issue = Issue.objects.get(project__key="UPD", title=target["summary"])
    events_before = IssueEvent.objects.filter(issue=issue).count()
    others_before = IssueEvent.objects.exclude(issue=issue).count()

    target["summary"] = "Renamed in Bugzilla"
    target["status"], target["resolution"] = "RESOLVED", "FIXED"
    target["comments"].append(
        {"id": 1, "count": 99, "author": target["creator"], "text": "Fixed upstream",
         "creation_time": "2020-01-01T00:00:00Z"}
    )  # fmt: skip
    path.write_text("\n".join(json.dumps(b) for b in bugs), "utf-8")
    result = docket_import("--format", "bugzilla", str(path), "--project", "UPD")
    assert result.exit_code == 0, result.output
    assert "0 created, 1 updated, 57 unchanged" in result.output

    issue.refresh_from_db()
    assert issue.title == "Renamed in Bugzilla" and issue.status.is_done
    assert issue.resolution == "fixed"
    new = IssueEvent.objects.filter(issue=issue).order_by("id")[events_before:]
    assert {(e.kind, e.field) for e in new} >= {
        ("changed", "title"),
        ("changed", "status"),
        ("commented", ""),
    }
    assert all(e.actor == cast.root for e in new)  # changes of now, by the importer
    assert "Fixed upstream" in Comment.objects.filter(issue=issue).last().body
    assert IssueEvent.objects.exclude(issue=issue).count() == others_before
    # and once more: the updated record is now unchanged
    third = docket_import("--format", "bugzilla", str(path), "--project", "UPD")
    assert "0 created, 0 updated, 58 unchanged" in third.output


def test_an_issue_deleted_here_stays_deleted_when_its_record_changes(cast, tmp_path):
    from docket.issues.actions import delete_issue
    from tests.transfer.importers.conftest import JIRA_XML

    text = sample(JIRA_XML).read_text("utf-8")
    path = tmp_path / "jira.xml"
    path.write_text(text, "utf-8")
    assert docket_import("--format", "jira-xml", str(path), "--project", "AR").exit_code == 0
    gone = Issue.objects.get(project__key="AR", title="Investigate feature area")
    delete_issue(actor=cast.root, issue=gone)
    path.write_text(text.replace("Investigate feature area", "Investigate it again"), "utf-8")
    result = docket_import("--format", "jira-xml", str(path), "--project", "AR")
    assert "0 created, 0 updated, 2 unchanged" in result.output
    gone.refresh_from_db()
    assert gone.deleted_at is not None and gone.title == "Investigate feature area"
