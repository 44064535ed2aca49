"""The demo's automation rules (`docket demo`, docs/automation.md): new HELP tickets go round
robin to a support team, OPS pages its SRE team when an incident becomes highest priority,
and WEB labels overdue work — so a new user finds rules, and within a minute of the worker's
first sweep a run log (WEB's overdue issues). Made through the same actions as the pages."""

from __future__ import annotations

from typing import Any

from docket.accounts import actions as people
from docket.accounts.actor import Who
from docket.accounts.models import Team
from docket.automation import actions as rules
from docket.projects.models import Project

# slug: (name, which demo users are its members)
TEAMS = {"support": ("Support", slice(0, 4)), "sre": ("Site reliability", slice(4, 7))}
RULES: list[tuple[str, dict[str, Any]]] = [
    ("HELP", {
        "name": "New tickets go round robin to support", "trigger": {"on": "created"},
        "actions": [{"type": "assign", "strategy": "round_robin", "team": "support"},
                    {"type": "add_labels", "labels": ["triage"]}],
    }),
    ("OPS", {
        "name": "Highest priority pages the SRE team",
        "trigger": {"on": "changed", "field": "priority", "to": "highest"},
        "actions": [{"type": "notify", "team": "sre",
                     "message": "Highest priority now: please take a look."},
                    {"type": "add_labels", "labels": ["escalated"]}],
    }),
    ("WEB", {
        "name": "Overdue work gets the overdue label", "trigger": {"on": "overdue"},
        "condition": "-label:overdue",
        "actions": [{"type": "add_labels", "labels": ["overdue"]}],
    }),
]  # fmt: skip


def add_demo_rules(actor: Who, usernames: list[str]) -> int:
    """The teams (when missing) and rules above; returns how many rules were added."""
    for slug, (name, members) in TEAMS.items():
        if Team.objects.filter(slug=slug).exists():
            continue
        team = people.create_team(actor=actor, slug=slug, name=name)
        for username in usernames[members]:
            people.add_team_member(actor=actor, team=team, username=username)
    added = 0
    for key, data in RULES:
        project = Project.objects.filter(key=key).first()
        if project is not None:
            rules.create_rule(actor=actor, project=project, data=data)
            added += 1
    return added
