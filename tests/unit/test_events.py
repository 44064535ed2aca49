"""A failing consumer of `events_committed` neither undoes the commit nor goes unreported.
(Once per commit and never for a rollback: tests/live/test_doorbell.py, with real commits.)"""

from __future__ import annotations

import logging

from docket.core.clock import now
from docket.issues.events import events_committed, record
from docket.issues.models import EventKind, IssueEvent
from tests.factories import make_issue


def test_a_failing_consumer_is_logged_and_the_commit_stands(
    cast, caplog, django_capture_on_commit_callbacks
):
    def broken(sender, **kwargs):
        raise ValueError("consumer bug")

    events_committed.connect(broken, dispatch_uid="test-broken")
    try:
        with (
            caplog.at_level(logging.ERROR, logger="docket.issues.events"),
            django_capture_on_commit_callbacks(execute=True) as callbacks,
        ):
            issue = make_issue(cast.bob, cast.web)
            record(issue, cast.bob, EventKind.CHANGED, now(), field="title", old="a", new="b")
        assert len(callbacks) == 1  # one announcement for both events
        assert IssueEvent.objects.filter(issue=issue).count() == 2
        assert "consumer bug" in caplog.text
    finally:
        events_committed.disconnect(dispatch_uid="test-broken")
