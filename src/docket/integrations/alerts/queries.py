"""Reads for the pages: the name history shows for an intake's service account."""

from __future__ import annotations

from collections.abc import Iterable

from docket.integrations.alerts.models import AlertIntake

BOT_PREFIX = "docket-alerts-"


def bot_names(usernames: Iterable[str]) -> dict[str, str]:
    """{bot username: "Alerts: <intake name>"} for those of `usernames` that are intakes'
    accounts (one query, none when there are none)."""
    bots = {u for u in usernames if u.startswith(BOT_PREFIX)}
    if not bots:
        return {}
    rows = AlertIntake.objects.filter(bot__username__in=bots).values_list("bot__username", "name")
    return {username: f"Alerts: {name}" for username, name in rows}
