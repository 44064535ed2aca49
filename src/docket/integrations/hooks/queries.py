"""Reading a project's webhooks and their delivery logs: its admins only (the project gate
answers 404 to those who may not see the project, 403 to those who may not manage it)."""

from __future__ import annotations

from django.db.models import QuerySet

from docket.accounts.actor import Who
from docket.core.errors import NotFound
from docket.integrations.hooks.actions import may_manage
from docket.integrations.hooks.models import Delivery, Webhook
from docket.projects.access import get_project_for
from docket.projects.models import Project

MAX_ID = 2**63 - 1


def managed_project(actor: Who, key: str) -> Project:
    project = get_project_for(actor, key)
    may_manage(actor, project)
    return project


def hooks_of(actor: Who, project: Project) -> list[Webhook]:
    may_manage(actor, project)
    return list(Webhook.objects.filter(project=project).select_related("owner", "project"))


def hook_for(actor: Who, key: str, hook_id: int) -> Webhook:
    project = managed_project(actor, key)
    hook = None
    if 0 < hook_id <= MAX_ID:
        found = Webhook.objects.filter(project=project, pk=hook_id)
        hook = found.select_related("owner", "project").first()
    if hook is None:
        raise NotFound(f"no webhook {hook_id} in {project.key}")
    return hook


def deliveries_of(hook: Webhook, *, before: int | None = None) -> QuerySet[Delivery]:
    """Newest first; `before`: only those with a smaller id (the next page)."""
    rows = Delivery.objects.filter(hook=hook).select_related(
        "event", "event__issue", "event__issue__project"
    )
    if before is not None:
        rows = rows.filter(pk__lt=before)
    return rows.order_by("-id")


def delivery_for(hook: Webhook, delivery_id: int) -> Delivery:
    found = None
    if 0 < delivery_id <= MAX_ID:
        found = Delivery.objects.filter(hook=hook, pk=delivery_id).select_related("hook").first()
    if found is None:
        raise NotFound(f"no delivery {delivery_id} of webhook {hook.id}")
    found.hook = hook
    return found
