"""Reports tests: the notifications tests' controllable clock, also standing for the
dashboard view's `now`, started at a fixed day so day buckets are known."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.notifications.conftest import Clock

START = dt.datetime(2026, 10, 1, 9, 0, tzinfo=dt.UTC)
STAMPERS = (
    "docket.core.clock.now",
    "docket.issues.actions.now",
    "docket.issues.comments.now",
    "docket.issues.watching.now",
    "docket.issues.query_fields.clock_now",
    "docket.web.views.dashboard.now",
)


@pytest.fixture
def clock(monkeypatch: Any) -> Clock:
    fake = Clock(START)
    for name in STAMPERS:
        monkeypatch.setattr(name, fake)
    return fake
