"""The bot that rule actions act as: one account per site (`docket-automation`, made by the
app's migration, inactive so nobody signs in as it, with no password), so every rule action
goes through the same domain actions, permission gates and workflow rules as a person's.

Its powers: in the issue's project, exactly the role the rule's owner (whoever last saved it)
holds there now — directly, through a team, or ADMIN if they are a site admin — and nothing
elsewhere. An owner who left the project, or was deactivated, leaves the bot with no role, and
the rule's actions are refused (the run log says so). History names the bot as the actor;
the rule is recorded per event (RuleEffect), and the timeline says "Automation: <rule name>".
"""

from __future__ import annotations

from docket.accounts.actor import Actor
from docket.accounts.models import User
from docket.projects.access import role_in
from docket.projects.bots import acting_in, service_account
from docket.projects.models import Project

BOT_USERNAME = "docket-automation"


def bot_user() -> User:
    return service_account(BOT_USERNAME, "Automation")


def bot_actor(owner: User | None, project: Project, bot: User | None = None) -> Actor:
    """The bot, holding in `project` the role `owner` holds there (none without an owner)."""
    role = role_in(owner, project) if owner is not None and owner.is_active else None
    return acting_in(bot or bot_user(), project, role)
