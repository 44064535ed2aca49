"""Two writers changing one issue's text at once both end up in its document (PostgreSQL;
SQLite never runs two writers at once)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from docket.issues import comments as issue_comments
from docket.issues.models import Issue
from tests.factories import UserFactory, make_issue, make_project
from tests.search.conftest import indexed

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="only PostgreSQL runs two writers at once (SQLite's BEGIN IMMEDIATE serialises them); "
    "CI runs this on PostgreSQL",
)


def _edit(user, issue_id: int, comment_id: int, body: str, hold: float = 0.0, started=None):
    try:
        with transaction.atomic():
            issue = Issue.objects.get(pk=issue_id)
            issue_comments.edit_comment(actor=user, issue=issue, comment_id=comment_id, body=body)
            if started:
                started.set()
            time.sleep(hold)  # keep the transaction open while the other writer runs
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_concurrent_comment_edits_both_reach_the_index():
    alice = UserFactory(username="alice")
    web = make_project(alice, "WEB")
    issue = make_issue(alice, web, title="Race")
    first = issue_comments.add_comment(actor=alice, issue=issue, body="old one")
    second = issue_comments.add_comment(actor=alice, issue=issue, body="old two")
    started = threading.Event()
    slow = threading.Thread(target=_edit, args=(alice, issue.pk, first.id, "walrus", 0.5, started))
    slow.start()
    started.wait(5)
    fast = threading.Thread(target=_edit, args=(alice, issue.pk, second.id, "narwhal"))
    fast.start()
    slow.join(10)
    fast.join(10)
    assert indexed(issue, "walrus") and indexed(issue, "narwhal")
