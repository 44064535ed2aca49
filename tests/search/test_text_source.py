"""The index keeps no copy of the texts (issue 20): it reads them from the view
`issue_search_text`. On SQLite, FTS5 forgets a document by re-reading the texts it indexed, so
triggers forget it before its texts change; FTS5's own integrity check (which compares the index
with the view's texts) must pass after every kind of write."""

from __future__ import annotations

from django.db import connection

from docket.issues import actions
from docket.issues import comments as issue_comments
from docket.issues.models import Comment, Issue
from docket.issues.search_index import (
    SOURCE,
    SQLITE_TRIGGERS,
    after_migrate,
    before_migrate,
    index_issues,
)
from tests.factories import make_issue
from tests.search.conftest import found, indexed


def consistent() -> None:
    """SQLite: FTS5's integrity check with the content compared (rank 1); raises if not."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO issue_search (issue_search, rank) VALUES ('integrity-check', 1)"
            )


def relations() -> dict[str, str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name, type FROM sqlite_master WHERE name LIKE 'issue_search%'")
        else:
            cursor.execute(
                "SELECT c.relname, CASE c.relkind WHEN 'v' THEN 'view' ELSE 'table' END "
                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relname LIKE 'issue_search%%' "
                "AND c.relkind IN ('r', 'v')"
            )
        return dict(cursor.fetchall())


def test_no_copy_of_the_texts_is_kept(cast):
    kinds = relations()
    assert kinds[SOURCE] == "view"
    assert "issue_search_content" not in kinds  # SQLite's FTS5 copy
    make_issue(cast.alice, cast.web, title="Walrus alert", description="Narwhal sighted")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT title, description, comments FROM {SOURCE}")  # noqa: S608
        assert cursor.fetchall() == [("Walrus alert", "Narwhal sighted", "")]


def test_every_write_keeps_the_index_and_the_view_in_step(cast):
    issue = make_issue(cast.alice, cast.web, title="Walrus alert", description="Narwhal")
    other = make_issue(cast.alice, cast.web, title="Quiet one")
    consistent()
    first = issue_comments.add_comment(actor=cast.bob, issue=issue, body="capybara")
    issue_comments.add_comment(actor=cast.bob, issue=issue, body="okapi sighted")
    note = issue_comments.add_comment(actor=cast.alice, issue=issue, body="tapir", internal=True)
    consistent()
    actions.update_issue(
        actor=cast.alice, issue=issue, changes={"title": "Penguin alert", "description": "Orca"}
    )
    consistent()
    issue_comments.edit_comment(actor=cast.bob, issue=issue, comment_id=first.pk, body="hippo")
    consistent()
    assert found(cast.alice, "capybara") == []
    assert found(cast.alice, "hippo") == [issue.key]
    assert found(cast.alice, "tapir") == []  # internal notes stay out
    issue_comments.delete_comment(actor=cast.bob, issue=issue, comment_id=first.pk)
    issue_comments.delete_comment(actor=cast.alice, issue=issue, comment_id=note.pk)
    consistent()
    assert found(cast.alice, "hippo") == []
    assert found(cast.alice, "okapi") == [issue.key]
    actions.update_issue(actor=cast.alice, issue=other, changes={"priority": "high"})
    actions.delete_issue(actor=cast.alice, issue=issue)
    consistent()
    assert found(cast.alice, "penguin") == []
    actions.restore_issue(actor=cast.alice, issue=issue)
    consistent()
    assert found(cast.alice, "penguin") == [issue.key]
    assert indexed(issue, "orca", "description") and indexed(issue, "okapi", "comments")


def test_writes_behind_the_actions_back_are_forgotten_not_corrupted(cast):
    issue = make_issue(cast.alice, cast.web, title="Walrus alert")
    Comment.objects.create(
        issue=issue,
        author=cast.bob,
        body="capybara",
        created_at=issue.created_at,
        updated_at=issue.created_at,
    )
    Issue.objects.filter(pk=issue.pk).update(title="Penguin")
    if connection.vendor == "sqlite":  # PostgreSQL's vectors stay as they were until then
        # Forgotten by the triggers, not left half-stale: until re-indexed it is not found
        # at all (FTS5's check would call that damage: the view has a row the index lacks).
        assert found(cast.alice, "walrus") == []
    index_issues([issue.pk])
    consistent()
    assert indexed(issue, "penguin") and indexed(issue, "capybara")
    assert not indexed(issue, "walrus")
    Issue.objects.filter(pk=issue.pk).delete()  # a hard delete (cascades to the comment)
    consistent()
    assert found(cast.alice, "penguin") == []


def test_the_view_and_triggers_step_aside_while_migrations_run(cast):
    before_migrate(plan=[("a migration", False)])
    assert SOURCE not in relations()
    after_migrate()
    assert relations()[SOURCE] == "view"
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            assert set(SQLITE_TRIGGERS) <= {row[0] for row in cursor.fetchall()}
    issue = make_issue(cast.alice, cast.web, title="Walrus alert")
    actions.update_issue(actor=cast.alice, issue=issue, changes={"title": "Penguin"})
    consistent()
    assert found(cast.alice, "penguin") == [issue.key]
