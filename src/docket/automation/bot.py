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
from docket.projects.models import Project

BOT_USERNAME = "docket-automation"
_bot_id: int | None = None


def bot_user() -> User:
    """The bot account (made if missing: a database migrated before the app existed)."""
    global _bot_id
    if _bot_id is not None:
        found = User.objects.filter(pk=_bot_id).first()
        if found is not None:
            return found
    user, _ = User.objects.get_or_create(
        username=BOT_USERNAME,
        defaults={"is_active": False, "first_name": "Automation", "password": "!"},
    )
    _bot_id = user.pk
    return user


def is_bot(user_id: int | None) -> bool:
    return user_id is not None and user_id == bot_user().pk


def bot_actor(owner: User | None, project: Project, bot: User | None = None) -> Actor:
    """The bot, holding in `project` the role `owner` holds there (none without an owner)."""
    actor = Actor(bot or bot_user())
    role = role_in(owner, project) if owner is not None and owner.is_active else None
    actor.roles = {project.id: role} if role else {}
    actor.grants = []
    actor.own_only = []
    return actor
