"""Automation tests: the consumer's cursor at the end of the log, rules made directly, and the
worker's parts run in-process (the notifications tests' clock moves time)."""

from __future__ import annotations

from typing import Any

import pytest

from docket.automation import actions as rule_admin
from docket.automation.consumer import NAME
from docket.automation.models import Rule
from docket.worker import consumers
from tests.notifications.conftest import (
    clock,  # noqa: F401 - fixture
    cursor_at_the_end,
)

STAMPERS_EXTRA = ("docket.automation.engine.now", "docket.automation.actions.now")


@pytest.fixture(autouse=True)
def fresh_cursor(db: Any) -> None:
    cursor_at_the_end(NAME)


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
