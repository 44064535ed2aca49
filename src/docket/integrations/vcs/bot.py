"""The account connected repositories act as (`docket-vcs`): inactive, no password, so nobody
signs in as it. In the repository's project it holds the member role while it acts (a project
admin connected the repository, so its links and closings act with their say-so) and nothing
elsewhere; every change goes through the issue actions, with their checks and events."""

from __future__ import annotations

from docket.accounts.actor import Actor
from docket.accounts.models import User
from docket.projects.bots import acting_in, service_account
from docket.projects.models import Project, Role

BOT_USERNAME = "docket-vcs"


def bot_user() -> User:
    return service_account(BOT_USERNAME, "Version control")


def bot_actor(project: Project) -> Actor:
    return acting_in(bot_user(), project, Role.MEMBER)
