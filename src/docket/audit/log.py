"""Writing and reading the audit log of administrative actions.

Actions call `record()` inside their own transaction, so an entry exists exactly when the
change it describes was committed. Who/where comes from the request context (core/context.py).
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, QuerySet

from docket.audit.models import AuditEntry
from docket.core import context
from docket.core.clock import now
from docket.core.pagination import keyset_page
from docket.projects.access import Perm, is_site_admin, permissions_in
from docket.projects.models import Project


def record(
    actor: Any,
    action: str,
    *,
    project: Project | None = None,
    target: str = "",
    **data: Any,
) -> AuditEntry:
    """Append one entry. `actor` None means the command line (the server's owner)."""
    signed_in = actor is not None and actor.is_authenticated
    where = context.current()
    return AuditEntry.objects.create(
        at=now(),
        actor=actor if signed_in else None,
        actor_name=actor.username if signed_in else "(command line)",
        action=action,
        project=project,
        project_key=project.key if project else "",
        target=str(target)[:200],
        data=data,
        ip=where.ip,
        via=where.via or "cli",  # no request context: the command line
    )


def entries_for(viewer: Any, project: Project | None = None) -> QuerySet[AuditEntry]:
    """Site admins read everything; a project's admins read that project's entries.
    Anyone else gets nothing (callers turn that into a 404)."""
    entries = AuditEntry.objects.select_related(None)
    if project is not None:
        if Perm.MANAGE_PROJECT not in permissions_in(viewer, project):
            return entries.none()
        return entries.filter(project=project)
    return entries if is_site_admin(viewer) else entries.none()


def page(
    entries: QuerySet[AuditEntry], cursor: str | None, limit: int
) -> tuple[list[AuditEntry], str | None]:
    return keyset_page(entries, [F("id").desc()], "audit", cursor, limit)
