"""The site's service accounts (automation rules act as `docket-automation`, SLA escalation
as `docket-sla`): inactive and without a usable password, so nobody signs in as them, and
acting through the same domain actions, gates and workflow rules as a person. Each holds,
per action, exactly the role its caller gives it in the issue's project, and nothing
elsewhere: no site-admin powers, no shares, no desk where it sees only its own tickets."""

from __future__ import annotations

from docket.accounts.actor import Actor
from docket.accounts.models import User
from docket.projects.models import Project, Role

_ids: dict[str, int] = {}


def service_account(username: str, display_name: str) -> User:
    """The account named `username`, made if missing (a database migrated before its app)."""
    known = _ids.get(username)
    if known is not None:
        found = User.objects.filter(pk=known).first()
        if found is not None:
            return found
    user, _ = User.objects.get_or_create(
        username=username,
        defaults={"is_active": False, "first_name": display_name, "password": "!"},
    )
    _ids[username] = user.pk
    return user


def acting_in(account: User, project: Project, role: Role | str | None) -> Actor:
    """`account` as an actor holding `role` in `project` only (no role: it may do nothing)."""
    actor = Actor(account)
    actor.roles = {project.id: Role(role)} if role else {}
    actor.grants = []
    actor.own_only = []
    return actor
