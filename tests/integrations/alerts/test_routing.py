"""After the intake opens an incident, the project's own rules take it over from the event
log: an automation rule routes incidents (the intake names no assignee), as it would a
person's issue."""

from __future__ import annotations

from typing import Any

import pytest

from docket.automation.consumer import NAME
from tests.automation.conftest import make_rule, run_rules
from tests.integrations.alerts.conftest import Intake, incidents
from tests.notifications.conftest import cursor_at_the_end


@pytest.fixture(autouse=True)
def fresh_cursor(db: Any) -> None:
    cursor_at_the_end(NAME)


def test_an_automation_rule_routes_the_incident(intake: Intake, cast: Any) -> None:
    make_rule(cast.alice, cast.web, "Incidents to bob", {"on": "created"},
              [{"type": "assign", "to": "bob"}], condition="type:incident")  # fmt: skip
    intake.replay("alertmanager/zulip__firing_2_alerts.json")
    [issue] = incidents(cast.web)
    assert issue.assignee is None
    run_rules()
    issue.refresh_from_db()
    assert issue.assignee == cast.bob
