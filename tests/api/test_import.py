"""The bulk import action records the same history a hand-made issue would have."""

from docket.issues.imports import import_issues
from docket.issues.models import IssueEvent


def test_imported_issues_have_created_and_commented_events_and_links(cast):
    records = [
        {
            "title": "Imported crash",
            "reporter": "bob",
            "assignee": "bob",
            "priority": "high",
            "labels": ["legacy", "bug"],
            "created_at": "2025-01-02T03:04:05+00:00",
            "comments": [
                {"author": "carol", "body": "Me too", "created_at": "2025-01-03T00:00:00+00:00"}
            ],
        }
    ]
    import_issues(actor=cast.alice, project=cast.web, records=records)
    bob = cast.api(cast.bob)
    issue = bob.get("/issues/WEB-1").json()
    assert issue["labels"] == ["bug", "legacy"] and issue["priority"] == "high"
    assert issue["created_at"].startswith("2025-01-02T03:04:05")
    history = bob.get("/issues/WEB-1/history").json()["items"]
    assert [(e["kind"], e["actor"]) for e in history] == [
        ("created", "bob"),
        ("commented", "carol"),
    ]
    created = history[0]["new"]
    assert created["labels"] == ["bug", "legacy"] and created["imported_by"] == "alice"
    assert history[1]["new"] == "Me too" and history[1]["comment_id"] is not None
    assert history[1]["at"].startswith("2025-01-03")
    # Empty values are SQL NULL, as the actions store them (not JSON null).
    assert IssueEvent.objects.filter(issue__number=1, old__isnull=True).count() == 2
    comments = bob.get("/issues/WEB-1/comments").json()["items"]
    assert [c["body"] for c in comments] == ["Me too"]
    assert [i["key"] for i in bob.get("/issues", q="label:legacy").json()["items"]] == ["WEB-1"]


# --- the importer checks exactly as create_issue does ----------------------------------------

import pytest  # noqa: E402

from docket.core.errors import Invalid  # noqa: E402
from docket.issues.actions import create_issue  # noqa: E402
from docket.issues.models import Issue  # noqa: E402

BAD_FIELDS = [
    {"due_date": "31/12/2026"},
    {"due_date": 20261231},
    {"due_date": "20261231"},
    {"due_date": "2026-W53-4"},
    {"confidential": "false"},
    {"confidential": 1},
    {"title": ""},
    {"title": "x" * 256},
    {"title": 7},
    {"description": "nul \x00"},
    {"title": "right\u202eto left"},
    {"type": "epic"},
    {"severity": "blocker"},
    {"priority": 3},
    {"status": "limbo"},
    {"status": "open", "resolution": "fixed"},
    {"resolution": "maybe", "status": "closed"},
    {"assignee": "carol"},  # a reporter cannot be assigned
    {"assignee": "nobody"},
    {"labels": "ui"},
    {"labels": [""]},
    {"labels": ["x" * 51]},
    {"components": ["no-such"]},
    {"milestone": "no-such"},
]


@pytest.mark.parametrize("bad", BAD_FIELDS, ids=lambda bad: repr(bad)[:40])
def test_the_importer_refuses_what_create_refuses_with_the_same_error(cast, bad):
    fields = {"title": "A title", **bad}
    with pytest.raises(Invalid) as by_create:
        create_issue(actor=cast.alice, project=cast.web, fields=fields)
    with pytest.raises(Invalid) as by_import:
        import_issues(
            actor=cast.alice,
            project=cast.web,
            records=[{"title": "fine", "reporter": "bob"}, {**fields, "reporter": "bob"}],
        )
    assert by_import.value.detail == f"record 2: {by_create.value.detail}"
    assert by_import.value.errors == by_create.value.errors
    assert not Issue.objects.exists()  # nothing of the batch was kept


def test_imported_and_created_issues_record_the_same_snapshot(cast):
    fields = {
        "title": "Same",
        "priority": "high",
        "status": "closed",
        "assignee": "bob",
        "due_date": "2026-12-31",
        "labels": ["b", "a", "a"],
        "confidential": True,
    }
    create_issue(actor=cast.alice, project=cast.web, fields=fields)
    import_issues(actor=cast.alice, project=cast.web, records=[{**fields, "reporter": "alice"}])
    alice = cast.api(cast.alice)
    made, imported = (alice.get(f"/issues/WEB-{n}/history").json()["items"][0] for n in (1, 2))
    assert {**imported["new"], "imported_by": None} == {**made["new"], "imported_by": None}
    assert imported["new"]["resolution"] == "fixed" and imported["new"]["labels"] == ["a", "b"]
    watching = [alice.get(f"/issues/WEB-{n}/watchers").json()["watchers"] for n in (1, 2)]
    assert watching[0] == watching[1] == ["alice", "bob"]  # reporter and assignee follow it


def test_the_import_names_the_line_it_was_given(cast):
    with pytest.raises(Invalid) as refused:
        import_issues(
            actor=cast.alice,
            project=cast.web,
            records=[{"title": "t", "reporter": "bob", "due_date": "tomorrow"}],
            where=["line 7"],
        )
    assert refused.value.detail == "line 7: due_date: must be a date like 2026-12-31"


def test_a_file_loads_in_batches_and_a_bad_line_loses_only_its_batch(cast):
    import json

    from docket.cli.importfile import load

    issue = {"kind": "issue", "project": "WEB", "reporter": "bob"}
    lines = [json.dumps({**issue, "title": f"Issue {n}"}) for n in range(1, 6)]
    lines.append(json.dumps({**issue, "title": "bad", "due_date": "31/12/2026"}))
    batches = []
    with pytest.raises(Invalid) as refused:
        load(cast.alice, lines, batch_size=2, progress=lambda s: batches.append(s.issues))
    assert refused.value.detail == "line 6: due_date: must be a date like 2026-12-31"
    assert batches == [2, 4]  # two batches of two were saved; the last (5, 6) was not
    assert Issue.objects.count() == 4
