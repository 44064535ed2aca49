"""The default policies of the support and incident workflow templates (docs/sla.md).

A project made from one of those templates gets them when it is created (apps.py listens for
the new project); an admin can change or delete them like any other policy."""

from __future__ import annotations

from typing import Any

WEEKDAYS_9_TO_5 = {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}

DEFAULTS: dict[str, list[dict[str, Any]]] = {
    "support": [
        {
            "name": "Support",
            "query": "",
            "first_response": {
                "highest": 60, "high": 240, "medium": 480, "low": 960, "lowest": 1440,
            },
            "resolution": {
                "highest": 480, "high": 960, "medium": 2400, "low": 4800, "lowest": 9600,
            },
            "zone": "UTC",
            "hours": WEEKDAYS_9_TO_5,
            "pause_states": [],  # the workflow's waiting state (Waiting on customer) pauses
            "steps": [
                {"at": 75, "do": ["notify_assignee"]},
                {"at": 100, "do": ["notify_assignee", "notify_lead", "raise_priority"]},
            ],
        }
    ],
    "incident": [
        {
            "name": "Incident",
            "query": "",
            "first_response": {"highest": 15, "high": 30, "medium": 60, "low": 240, "lowest": 480},
            "resolution": {
                "highest": 240, "high": 480, "medium": 1440, "low": 4320, "lowest": 10080,
            },
            "zone": "UTC",
            "hours": None,  # incidents run around the clock
            "pause_states": [],
            "steps": [
                {"at": 75, "do": ["notify_assignee"]},
                {"at": 100, "do": ["notify_assignee", "notify_lead", "raise_priority"]},
                {"at": 150, "do": ["notify_lead"]},  # add reassign_team with a team slug
            ],
        }
    ],
}  # fmt: skip
