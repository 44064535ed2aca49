"""The account SLA escalations act as (`docket-sla`): inactive, no password, so nobody signs
in as it. In an issue's project it holds the member role while it acts (a policy is set by
the project's admins, so its steps act with their say-so), and nothing elsewhere; every
change goes through the issue actions, with their permission checks and events."""

from __future__ import annotations

from docket.accounts.actor import Actor
from docket.accounts.models import User
from docket.projects.bots import acting_in, service_account
from docket.projects.models import Project, Role

BOT_USERNAME = "docket-sla"


def bot_user() -> User:
    return service_account(BOT_USERNAME, "SLA")


def bot_actor(project: Project, bot: User | None = None) -> Actor:
    return acting_in(bot or bot_user(), project, Role.MEMBER)
