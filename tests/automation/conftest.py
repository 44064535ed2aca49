"""Automation tests: the consumer's cursor at the end of the log, rules made directly, and the
worker's parts run in-process (the notifications tests' clock moves time)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from docket.automation import actions as rule_admin
from docket.automation.consumer import NAME
from docket.automation.models import Rule
from docket.issues.models import IssueEvent
from docket.worker import consumers
from docket.worker.models import ConsumerCursor
from tests.notifications.conftest import clock  # noqa: F401 - fixture

STAMPERS_EXTRA = ("docket.automation.engine.now", "docket.automation.actions.now")


@pytest.fixture(autouse=True)
def fresh_cursor(db: Any) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            table = IssueEvent._meta.db_table
            cursor.execute(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id'))")
            last = cursor.fetchone()[0]
    else:
        last = IssueEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    ConsumerCursor.objects.update_or_create(
        name=NAME, defaults={"last_event_id": last, "updated_at": timezone.now()}
    )


def run_rules() -> int:
    """Hand every new event to the automation consumer, as the worker does, until the log is
    quiet (rules' own changes are new events too)."""
    consumer = next(c for c in consumers.registered() if c.name == NAME)
    handled = 0
    for _ in range(50):
        given = consumers.dispatch(consumer)
        handled += given
        if not given:
            return handled
    raise AssertionError("the log never went quiet")


def make_rule(actor: Any, project: Any, name: str, trigger: dict, actions: list, **kw: Any) -> Rule:
    return rule_admin.create_rule(
        actor=actor, project=project,
        data={"name": name, "trigger": trigger, "actions": actions, **kw},
    )  # fmt: skip
