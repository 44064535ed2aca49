"""Reading the audit log, through the gate: site admins read all of it, a project's admins
that project's part, anyone else nothing."""

from __future__ import annotations

from django.db.models import F, QuerySet

from docket.accounts.access import is_site_admin
from docket.accounts.actor import Who
from docket.audit.models import AuditEntry
from docket.core.pagination import keyset_page
from docket.projects.access import Perm, permissions_in
from docket.projects.models import Project


def entries_for(viewer: Who, project: Project | None = None) -> QuerySet[AuditEntry]:
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
