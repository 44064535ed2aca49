"""Site-wide powers: who is a site admin, and what an API token's scopes allow.

Every app asks these questions (projects' roles, the issue gate, people and teams, the audit
log), so they live with the users and tokens they are about, below every domain app.
"""

from __future__ import annotations

from docket.accounts.actor import Who, as_actor
from docket.core.errors import NotFound


def has_admin_scope(who: Who) -> bool:
    """Sessions carry every power; an API token only what its scopes grant."""
    return as_actor(who).has_scope("admin")


def is_site_admin(who: Who) -> bool:
    actor = as_actor(who)
    user = actor.signed_in
    return bool(user and user.is_active and user.is_superuser and actor.has_scope("admin"))


def assert_site_admin(actor: Who) -> None:
    """Site-admin-only reads answer 404 to everyone else, as if they did not exist."""
    if not is_site_admin(actor):
        raise NotFound("not found")
