"""Site-wide powers: who is a site admin, and what an API token's scopes allow.

Every app asks these questions (projects' roles, the issue gate, people and teams, the audit
log), so they live with the users and tokens they are about, below every domain app.
"""

from __future__ import annotations

from typing import Any

from docket.core.errors import NotFound


def has_admin_scope(user: Any) -> bool:
    """Sessions carry every power; an API token only what its scopes grant."""
    scopes = getattr(user, "token_scopes", None)
    return scopes is None or "admin" in scopes


def is_site_admin(user: Any) -> bool:
    return bool(
        user.is_authenticated and user.is_active and user.is_superuser and has_admin_scope(user)
    )


def assert_site_admin(actor: Any) -> None:
    """Site-admin-only reads answer 404 to everyone else, as if they did not exist."""
    if not is_site_admin(actor):
        raise NotFound("not found")
