"""Imports are idempotent and resumable: a source's records are remembered, in the batch's
transaction, and a second run (after a crash, or of the same file) imports only the rest."""

from __future__ import annotations

import json
from typing import Any

import pytest

from docket.cli.importfile import ImportStats, load
from docket.core.errors import Invalid
from docket.issues.imports import Origin, import_new_issues
from docket.issues.models import Comment, ImportedRecord, Issue, IssueEvent
from docket.projects.models import Project


def _lines(count: int, *, first: int = 1, **extra: Any) -> list[str]:
    head = [
        json.dumps({"kind": "user", "username": "zed", "email": "zed@example.com"}),
        json.dumps(
            {"kind": "project", "key": "IMP", "members": [{"user": "zed", "role": "member"}]}
        ),
    ]
    issues = [
        json.dumps(
            {
                "kind": "issue",
                "project": "IMP",
                "title": f"Issue {n}",
                "reporter": "zed",
                "comments": [{"author": "zed", "body": f"comment on {n}"}],
                **extra,
            }
        )
        for n in range(first, first + count)
    ]
    return head + issues


def _numbers() -> list[int]:
    return list(
        Issue.objects.filter(project__key="IMP").order_by("number").values_list("number", flat=True)
    )


def _titles() -> list[str]:
    return list(
        Issue.objects.filter(project__key="IMP").order_by("number").values_list("title", flat=True)
    )


def test_a_second_run_of_the_same_file_skips_everything(cast):
    first = load(cast.root, _lines(5), default_source="export.jsonl")
    assert (first.users, first.projects, first.issues, first.comments) == (1, 1, 5, 5)
    again = load(cast.root, _lines(5), default_source="export.jsonl")
    assert (again.issues, again.comments, again.users, again.projects) == (0, 0, 0, 0)
    assert again.skipped_issues == 5 and again.skipped_comments == 5
    assert (again.skipped_users, again.skipped_projects) == (1, 1)
    assert _numbers() == [1, 2, 3, 4, 5]
    assert Comment.objects.count() == 5 and IssueEvent.objects.count() == 10
    assert Project.objects.get(key="IMP").next_number == 6
    kinds = ImportedRecord.objects.filter(source="export.jsonl").values_list("kind", flat=True)
    assert sorted(kinds) == ["issue"] * 5 + ["project", "user"]


def test_a_longer_file_adds_only_the_new_records(cast):
    load(cast.root, _lines(3), default_source="export")
    stats = load(cast.root, _lines(5), default_source="export")
    assert (stats.issues, stats.skipped_issues) == (2, 3)
    assert _titles() == ["Issue 1", "Issue 2", "Issue 3", "Issue 4", "Issue 5"]


def test_a_crash_after_some_batches_resumes_with_continuous_numbers(cast):
    class Crash(Exception):
        pass

    def crash_after_two_batches(stats: ImportStats) -> None:
        if stats.issues >= 4:
            raise Crash  # as if the process died right after the second commit

    with pytest.raises(Crash):
        load(cast.root, _lines(9), batch_size=2, progress=crash_after_two_batches)
    assert _numbers() == [1, 2, 3, 4]
    stats = load(cast.root, _lines(9), batch_size=2)
    assert (stats.issues, stats.skipped_issues) == (5, 4)
    assert _numbers() == list(range(1, 10))
    assert _titles() == [f"Issue {n}" for n in range(1, 10)]  # each exactly once, in order
    assert Project.objects.get(key="IMP").next_number == 10


def test_a_batch_that_fails_keeps_earlier_batches_and_takes_no_number(cast):
    bad = _lines(6)
    bad[-2] = bad[-2].replace('"reporter": "zed"', '"reporter": "zed", "due_date": "soon"')
    with pytest.raises(Invalid) as refused:
        load(cast.root, bad, batch_size=2)
    assert refused.value.detail.startswith("line 7: due_date")
    assert _numbers() == [1, 2, 3, 4]
    stats = load(cast.root, _lines(6), batch_size=2)  # the line mended
    assert (stats.issues, stats.skipped_issues) == (2, 4)
    assert _numbers() == [1, 2, 3, 4, 5, 6]


def test_explicit_ids_identify_issues_within_their_project(cast):
    def issue(source_id: Any, title: str, project: str = "IMP") -> str:
        record = {"kind": "issue", "project": project, "id": source_id, "title": title}
        return json.dumps({**record, "reporter": "zed"})

    head = _lines(0) + [json.dumps({"kind": "project", "key": "TWO"})]
    stats = load(cast.root, [*head, issue(7, "a"), issue("7", "dup"), issue(7, "b", "TWO")])
    assert (stats.issues, stats.skipped_issues) == (2, 1)  # 7 and "7" are one id
    # The same id with changed content is still the same record: skipped, not duplicated.
    stats = load(cast.root, [*head, issue(7, "edited"), issue("JIRA-8", "c")])
    assert (stats.issues, stats.skipped_issues) == (1, 1)
    assert _titles() == ["a", "c"]
    with pytest.raises(Invalid, match="line 4: id: must be a string or an integer"):
        load(cast.root, [*head, issue(True, "x")])


def test_identical_records_without_ids_are_each_imported_once(cast):
    twins = _lines(1) + _lines(1)[2:]  # the same issue line twice
    assert load(cast.root, twins).issues == 2
    stats = load(cast.root, twins)
    assert (stats.issues, stats.skipped_issues) == (0, 2)
    assert _numbers() == [1, 2]


def test_sources_are_separate_and_a_source_line_names_one(cast):
    header = json.dumps({"kind": "source", "name": "acme-jira"})
    assert load(cast.root, [header, *_lines(2)]).source == "acme-jira"
    assert load(cast.root, [header, *_lines(2)], default_source="x").skipped_issues == 2
    other = load(cast.root, _lines(2), source="another-tracker")
    assert other.issues == 2  # another source's records are other records
    with pytest.raises(Invalid, match="line 4: a source line must be the file's first line"):
        load(cast.root, [*_lines(1), header])
    with pytest.raises(Invalid, match="source: must be 1"):
        load(cast.root, _lines(1), source="")


def test_the_action_skips_known_ids_in_one_query(cast):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    records = [{"title": f"t{n}", "reporter": "bob"} for n in range(50)]
    origin = Origin("api", [f"WEB/{n}" for n in range(50)])
    made = import_new_issues(actor=cast.alice, project=cast.web, records=records, origin=origin)
    assert len(made.issues) == 50 and made.skipped == []
    with CaptureQueriesContext(connection) as queries:
        again = import_new_issues(
            actor=cast.alice, project=cast.web, records=records, origin=origin
        )
    assert again.issues == [] and again.skipped == list(range(50))
    sql = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    # the permission, the project lock, the batch's ids: nothing per record
    assert len(sql) == 3 and sum("imported" in q for q in sql) == 1, sql
