"""The bulk import writes its rows without the ORM (COPY on PostgreSQL, INSERTs of many rows on
SQLite, ids reserved from the tables' sequences): what it writes must be what the actions
would have written, findable and with its history, and a batch that fails keeps nothing.
These run on whichever database the suite runs on (SQLite, or PostgreSQL with
DOCKET_DATABASE_URL)."""

import gc

import pytest
from django.db import IntegrityError, connection

from docket.core import bulk
from docket.core.errors import Invalid
from docket.issues import imports
from docket.issues.actions import create_issue
from docket.issues.comments import add_comment
from docket.issues.imports import Origin, import_issues, import_new_issues
from docket.issues.models import Comment, ImportedRecord, Issue, IssueEvent, Label, Watch
from docket.projects.models import Project


def _records(n: int) -> list[dict]:
    return [
        {
            "title": f"Zebra crossing {i}" if i % 2 else f"Quagga stripes {i}",
            "description": f"Seen at the gate number {i}",
            "reporter": "bob",
            "assignee": "bob",
            "labels": ["imported", f"wave-{i % 3}"],
            "confidential": i == 0,
            "created_at": f"2025-01-{i + 1:02d}T10:00:00+00:00",
            "comments": [
                {
                    "author": "carol",
                    "body": f"Ocelot sighting {i}.{c}",
                    "created_at": f"2025-02-{i + 1:02d}T1{c}:00:00+00:00",
                }
                for c in range(i % 3)
            ],
        }
        for i in range(n)
    ]


def _gin_state() -> list[tuple[str, list[str]]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.reloptions FROM pg_class c JOIN pg_am a ON a.oid = c.relam "
            "WHERE a.amname = 'gin' AND c.relname LIKE 'issue_search%%' ORDER BY c.relname"
        )
        return [(name, list(options or [])) for name, options in cursor.fetchall()]


# SQLite: the default, and two rows to a statement, so every table's rows span statements
@pytest.mark.parametrize("per_statement", [bulk.ROWS_PER_STATEMENT, 2])
def test_bulk_rows_are_findable_with_history_and_the_sequences_move_on(
    cast, monkeypatch, per_statement
):
    monkeypatch.setattr(bulk, "ROWS_PER_STATEMENT", per_statement)
    gin_before = _gin_state() if connection.vendor == "postgresql" else []
    made = import_issues(actor=cast.alice, project=cast.web, records=_records(6))
    assert [i.number for i in made] == [1, 2, 3, 4, 5, 6]
    stored = {i.pk: i for i in Issue.objects.filter(project=cast.web)}
    assert sorted(stored) == sorted(i.pk for i in made)  # the reserved ids are the rows'
    first = stored[made[0].pk]
    assert first.confidential and not stored[made[1].pk].confidential
    assert first.created_at.isoformat() == "2025-01-01T10:00:00+00:00"
    assert first.title == "Quagga stripes 0" and first.reporter_id == cast.bob.pk
    assert set(Label.objects.filter(issues=first).values_list("name", flat=True)) == {
        "imported",
        "wave-0",
    }
    assert Watch.objects.filter(issue__in=made).count() == 6  # reporter = assignee: one each
    # comments: their ids ascend in the order written, each with its `commented` event
    comments = list(Comment.objects.filter(issue__in=made).order_by("id"))
    assert [c.body for c in comments] == [
        f"Ocelot sighting {i}.{c}" for i in range(6) for c in range(i % 3)
    ]
    events = IssueEvent.objects.filter(issue__in=made)
    assert events.filter(kind="created").count() == 6
    assert sorted(events.filter(kind="commented").values_list("comment_id", flat=True)) == [
        c.pk for c in comments
    ]
    assert events.filter(kind="commented", new="Ocelot sighting 5.1").count() == 1
    bob = cast.api(cast.bob)
    history = bob.get("/issues/WEB-3/history").json()["items"]
    assert [(e["kind"], e["actor"]) for e in history] == [
        ("created", "bob"),
        ("commented", "carol"),
        ("commented", "carol"),
    ]
    assert history[0]["new"]["imported_by"] == "alice" and history[0]["old"] is None
    # the full-text index: titles, descriptions and comments of every imported issue
    keys = lambda q: sorted(i["key"] for i in bob.get("/issues", q=q).json()["items"])  # noqa: E731
    assert keys("zebra") == ["WEB-2", "WEB-4", "WEB-6"]
    assert keys("quagga") == ["WEB-1", "WEB-3", "WEB-5"]
    assert keys("ocelot") == ["WEB-2", "WEB-3", "WEB-5", "WEB-6"]
    assert keys("gate") == [f"WEB-{n}" for n in range(1, 7)]
    # the tables' sequences are past the reserved ids: the actions go on from there
    issue = create_issue(actor=cast.alice, project=cast.web, fields={"title": "Zebra after"})
    note = add_comment(actor=cast.alice, issue=issue, body="Ocelot after")
    assert issue.pk > max(stored) and note.pk > max(c.pk for c in comments)
    assert issue.number == 7
    assert keys("zebra") == ["WEB-2", "WEB-4", "WEB-6", "WEB-7"]
    assert keys("ocelot") == ["WEB-2", "WEB-3", "WEB-5", "WEB-6", "WEB-7"]
    if connection.vendor == "postgresql":
        # the GIN indexes are back as they were built (no pending list), and empty of one
        assert _gin_state() == gin_before
        assert all("fastupdate=off" in options for _, options in gin_before)
        with connection.cursor() as cursor:
            for name, _ in gin_before:
                cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [name])
                assert cursor.fetchone()[0] == 0


def _nothing_kept(cast) -> None:
    assert not Issue.objects.exists()
    assert not Comment.objects.exists()
    assert not IssueEvent.objects.exists()
    assert not Watch.objects.exists()
    assert not ImportedRecord.objects.filter(kind=ImportedRecord.Kind.ISSUE).exists()
    assert not Label.objects.filter(name="imported").exists()
    assert Project.objects.get(pk=cast.web.pk).next_number == 1
    bob = cast.api(cast.bob)
    assert bob.get("/issues", q="ocelot").json()["items"] == []


def test_a_batch_that_fails_in_the_database_keeps_nothing(cast):
    """A clash in the issues table itself (the batch's numbers are taken), after its labels
    were made: the database refuses the rows and the whole batch is gone."""
    create_issue(actor=cast.alice, project=cast.web, fields={"title": "Number one"})
    Project.objects.filter(pk=cast.web.pk).update(next_number=1)  # as if WEB-1 were not
    taken = Issue.objects.get()
    assert gc.isenabled()
    with pytest.raises(IntegrityError):
        import_new_issues(
            actor=cast.alice,
            project=cast.web,
            records=_records(4),
            origin=Origin("clash", ["a", "b", "c", "d"]),
        )
    assert gc.isenabled()  # the batch paused the cycle collector; its failure restored it
    assert list(Issue.objects.values_list("pk", flat=True)) == [taken.pk]
    assert not Comment.objects.exists()
    assert list(IssueEvent.objects.values_list("kind", flat=True)) == ["created"]
    assert not ImportedRecord.objects.filter(source="clash").exists()
    assert not Label.objects.filter(name="imported").exists()
    assert Project.objects.get(pk=cast.web.pk).next_number == 1


def test_a_batch_that_fails_after_its_rows_and_index_were_written_keeps_nothing(cast, monkeypatch):
    """Everything of the batch is written (issues, comments, events, watchers, labels, the
    search index); the last step, remembering the source's ids, fails: nothing is kept."""

    def refuse(*args, **kwargs):
        raise Invalid("the memory of the batch could not be written")

    monkeypatch.setattr(imports, "remember", refuse)
    with pytest.raises(Invalid):
        import_new_issues(
            actor=cast.alice,
            project=cast.web,
            records=_records(5),
            origin=Origin("late", [str(n) for n in range(5)]),
        )
    _nothing_kept(cast)
    monkeypatch.undo()
    # and the same batch then goes in whole
    done = import_new_issues(
        actor=cast.alice,
        project=cast.web,
        records=_records(5),
        origin=Origin("late", [str(n) for n in range(5)]),
    )
    assert len(done.issues) == 5 and Comment.objects.count() == 4
    assert sorted(
        i["key"] for i in cast.api(cast.bob).get("/issues", q="ocelot").json()["items"]
    ) == [
        "WEB-2",
        "WEB-3",
        "WEB-5",
    ]
