"""The index follows every write, inside the write's own transaction."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import transaction

from docket.issues import actions
from docket.issues import comments as issue_comments
from docket.issues.imports import import_issues
from docket.issues.models import Issue
from docket.issues.search_index import index_issues, issue_backend
from tests.factories import make_issue
from tests.search.conftest import found, indexed


def test_a_new_issue_is_found_by_title_and_description(cast):
    issue = make_issue(cast.alice, cast.web, title="Walrus alert", description="Narwhal sighted")
    assert found(cast.alice, "walrus") == [issue.key]
    assert found(cast.alice, "narwhal") == [issue.key]
    assert indexed(issue, "walrus", "title") and not indexed(issue, "walrus", "description")


def test_editing_the_title_or_description_reindexes(cast):
    issue = make_issue(cast.alice, cast.web, title="Walrus alert", description="Narwhal")
    actions.update_issue(actor=cast.alice, issue=issue, changes={"title": "Penguin alert"})
    assert found(cast.alice, "walrus") == []
    assert found(cast.alice, "penguin") == [issue.key]
    actions.update_issue(actor=cast.alice, issue=issue, changes={"description": "Orca"})
    assert found(cast.alice, "narwhal") == []
    assert found(cast.alice, "orca") == [issue.key]


def test_other_edits_leave_the_document_alone(cast):
    issue = make_issue(cast.alice, cast.web, title="Walrus alert")
    actions.update_issue(actor=cast.alice, issue=issue, changes={"priority": "high"})
    assert found(cast.alice, "walrus") == [issue.key]


def test_comments_are_indexed_when_added_edited_and_deleted(cast):
    issue = make_issue(cast.alice, cast.web, title="Something")
    note = issue_comments.add_comment(actor=cast.bob, issue=issue, body="Seen a capybara")
    assert found(cast.alice, "capybara") == [issue.key]
    assert found(cast.alice, "comment:capybara") == [issue.key]
    issue_comments.edit_comment(actor=cast.bob, issue=issue, comment_id=note.id, body="An axolotl")
    assert found(cast.alice, "capybara") == []
    assert found(cast.alice, "axolotl") == [issue.key]
    issue_comments.delete_comment(actor=cast.bob, issue=issue, comment_id=note.id)
    assert found(cast.alice, "axolotl") == []
    assert not indexed(issue, "axolotl")


def test_every_comment_that_is_not_deleted_counts(cast):
    issue = make_issue(cast.alice, cast.web, title="Something")
    first = issue_comments.add_comment(actor=cast.bob, issue=issue, body="capybara")
    issue_comments.add_comment(actor=cast.bob, issue=issue, body="axolotl")
    issue_comments.delete_comment(actor=cast.bob, issue=issue, comment_id=first.id)
    assert found(cast.alice, "axolotl") == [issue.key]
    assert found(cast.alice, "capybara") == []


def test_deleting_an_issue_takes_it_out_and_restoring_puts_it_back(cast):
    issue = make_issue(cast.alice, cast.web, title="Walrus alert")
    actions.delete_issue(actor=cast.alice, issue=issue)
    assert not indexed(issue, "walrus")
    assert found(cast.root, "walrus") == []
    actions.restore_issue(actor=cast.alice, issue=issue)
    assert found(cast.root, "walrus") == [issue.key]


def test_a_rolled_back_write_leaves_the_index_as_it_was(cast):
    issue = make_issue(cast.alice, cast.web, title="Walrus alert")
    with pytest.raises(RuntimeError), transaction.atomic():
        actions.update_issue(actor=cast.alice, issue=issue, changes={"title": "Penguin"})
        make_issue(cast.alice, cast.web, title="Narwhal")
        raise RuntimeError("changed my mind")
    assert found(cast.alice, "walrus") == [issue.key]
    assert found(cast.alice, "penguin") == [] and found(cast.alice, "narwhal") == []


def test_the_import_indexes_the_whole_batch(cast):
    records = [
        {
            "title": f"Imported walrus {n}",
            "description": "narwhal" if n % 2 else "",
            "reporter": "bob",
            "comments": [{"author": "carol", "body": "capybara"}] if n == 3 else [],
        }
        for n in range(1, 6)
    ]
    issues = import_issues(actor=cast.alice, project=cast.web, records=records)
    assert sorted(found(cast.alice, "walrus")) == sorted(i.key for i in issues)
    assert sorted(found(cast.alice, "narwhal")) == sorted(issues[n].key for n in (0, 2, 4))
    assert found(cast.alice, "comment:capybara") == [issues[2].key]


def test_rebuilding_restores_a_damaged_index(cast):
    kept = make_issue(cast.alice, cast.web, title="Walrus alert")
    gone = make_issue(cast.alice, cast.web, title="Walrus gone")
    issue_comments.add_comment(actor=cast.bob, issue=kept, body="capybara")
    actions.delete_issue(actor=cast.alice, issue=gone)
    issue_backend().delete([kept.pk])
    assert found(cast.alice, "walrus") == []
    out = io.StringIO()
    call_command("rebuild_search_index", stdout=out)
    assert "Indexed 1 issues" in out.getvalue()
    assert found(cast.alice, "walrus") == [kept.key]
    assert found(cast.alice, "capybara") == [kept.key]
    assert not indexed(gone, "walrus")


def test_index_issues_drops_deleted_and_missing_issues(cast):
    issue = make_issue(cast.alice, cast.web, title="Walrus alert")
    Issue.objects.filter(pk=issue.pk).update(title="Penguin")  # behind the actions' back
    index_issues([issue.pk, 999_999])
    assert indexed(issue, "penguin") and not indexed(issue, "walrus")
