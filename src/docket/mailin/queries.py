"""Reading the mail log and the quarantine, through the gate: site admins see every message,
project admins their projects' (messages to no known address are for site admins)."""

from __future__ import annotations

from django.db.models import QuerySet

from docket.accounts.access import is_site_admin
from docket.accounts.actor import Who
from docket.core.errors import NotFound
from docket.mailin.models import Inbound
from docket.projects.access import Perm, permissions_in, visible_projects


def managed_project_ids(actor: Who) -> list[int]:
    return [
        p.id for p in visible_projects(actor) if Perm.MANAGE_PROJECT in permissions_in(actor, p)
    ]


def may_see_any(actor: Who) -> bool:
    return is_site_admin(actor) or bool(managed_project_ids(actor))


def entries_for(actor: Who, outcome: str | None = None) -> QuerySet[Inbound]:
    """Newest first; `outcome` None: every entry."""
    entries = Inbound.objects.select_related("project", "issue__project", "decided_by")
    if not is_site_admin(actor):
        entries = entries.filter(project_id__in=managed_project_ids(actor))
    if outcome:
        entries = entries.filter(outcome=outcome)
    return entries.order_by("-received_at", "-id")


def entry_for(actor: Who, entry_id: int) -> Inbound:
    entry = entries_for(actor).filter(pk=entry_id).first()
    if entry is None:
        raise NotFound(f"no quarantined message {entry_id}")
    return entry
