"""Changing a project's webhooks (its admins), each change in the audit log; redelivering a
delivery. The hook's owner — whoever last saved it — is whose view of the issues it sends."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction

from docket.accounts.actor import Who, account_of
from docket.audit.log import record as audit
from docket.core.clock import now
from docket.core.errors import Conflict, Invalid, checked_name
from docket.core.outbound.client import target_problem
from docket.core.outbound.signing import new_secret
from docket.integrations.hooks.models import CHAT_FORMATS, Delivery, Format, Webhook
from docket.issues.models import EventKind
from docket.issues.query_fields import check_issue_query
from docket.projects.access import Perm, require
from docket.projects.models import Project
from docket.query import QueryError

FIELDS = ("name", "url", "format", "kinds", "query", "public_channel", "enabled")
MAX_HOOKS_PER_PROJECT = 20


def may_manage(actor: Who, project: Project) -> None:
    require(actor, project, Perm.MANAGE_PROJECT)


def origin(url: str) -> str:
    """Scheme and host of a URL: what the audit log keeps (a chat URL is itself a secret)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"


def _check_url(url: Any) -> str:
    if not isinstance(url, str) or not url.strip() or len(url) > 2000:
        raise Invalid.field("url", "must be a URL of at most 2000 characters")
    problem = target_problem(url.strip())
    if problem:
        raise Invalid.field("url", problem)
    return url.strip()


def _check_kinds(kinds: Any) -> list[str]:
    known = set(EventKind.values)
    if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
        raise Invalid.field("kinds", "must be a list of event kinds (empty: all)")
    unknown = sorted(set(kinds) - known)
    if unknown:
        raise Invalid.field(
            "kinds", f"{unknown[0]!r} is not an event kind; kinds are {', '.join(sorted(known))}"
        )
    return sorted(set(kinds))


def _check_query(actor: Who, query: Any) -> str:
    if query is None:
        return ""
    if not isinstance(query, str) or len(query) > 2000:
        raise Invalid.field("query", "must be a query of at most 2000 characters")
    if query.strip():
        try:
            check_issue_query(query, actor)
        except QueryError as wrong:
            raise Invalid.field("query", str(wrong)) from wrong
    return query.strip()


def _clean(actor: Who, data: dict[str, Any], partial: bool) -> dict[str, Any]:
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise Invalid.field(unknown[0], "is not a field of a webhook")
    out: dict[str, Any] = {}
    if "name" in data or not partial:
        out["name"] = checked_name(data.get("name"))
    if "url" in data or not partial:
        out["url"] = _check_url(data.get("url"))
    if "format" in data:
        if data["format"] not in Format.values:
            raise Invalid.field("format", f"must be one of {', '.join(Format.values)}")
        out["format"] = data["format"]
    if "kinds" in data:
        out["kinds"] = _check_kinds(data["kinds"])
    if "query" in data:
        out["query"] = _check_query(actor, data["query"])
    for flag in ("public_channel", "enabled"):
        if flag in data:
            if not isinstance(data[flag], bool):
                raise Invalid.field(flag, "must be true or false")
            out[flag] = data[flag]
    return out


def described(hook: Webhook) -> dict[str, Any]:
    return {
        "name": hook.name, "url": origin(hook.url), "format": hook.format, "kinds": hook.kinds,
        "query": hook.query, "public_channel": hook.public_channel, "enabled": hook.enabled,
    }  # fmt: skip


@transaction.atomic
def create_hook(*, actor: Who, project: Project, data: dict[str, Any]) -> Webhook:
    """A new hook with a new secret (shown to its maker once, in the answer). Chat formats
    are public channels unless said otherwise."""
    may_manage(actor, project)
    values = _clean(actor, data, partial=False)
    values.setdefault("format", Format.STANDARD)
    values.setdefault("public_channel", values["format"] in CHAT_FORMATS)
    if Webhook.objects.filter(project=project).count() >= MAX_HOOKS_PER_PROJECT:
        raise Invalid(f"a project has at most {MAX_HOOKS_PER_PROJECT} webhooks")
    moment = now()
    hook = Webhook.objects.create(
        project=project, owner=account_of(actor), secret=new_secret(),
        created_at=moment, updated_at=moment, **values,
    )  # fmt: skip
    audit(actor, "webhook.created", project=project, target=f"webhook {hook.id}", **described(hook))
    return hook


@transaction.atomic
def update_hook(*, actor: Who, hook: Webhook, data: dict[str, Any]) -> Webhook:
    """Change a hook; whoever changes it becomes its owner. Turning it on again clears what
    disabled it; its deliveries still due go out."""
    may_manage(actor, hook.project)
    values = _clean(actor, data, partial=True)
    before = described(hook)
    for name, value in values.items():
        setattr(hook, name, value)
    if values.get("enabled") and hook.disabled_at is not None:
        hook.disabled_at, hook.disabled_reason = None, ""
        hook.failing_since, hook.exhausted_in_a_row = None, 0
    hook.owner = account_of(actor)
    hook.updated_at = now()
    hook.save()
    after = described(hook)
    changed = {k: {"old": before[k], "new": after[k]} for k in after if before[k] != after[k]}
    audit(actor, "webhook.changed", project=hook.project, target=f"webhook {hook.id}",
          name=hook.name, changes=changed)  # fmt: skip
    return hook


@transaction.atomic
def rotate_secret(*, actor: Who, hook: Webhook) -> Webhook:
    may_manage(actor, hook.project)
    hook.secret = new_secret()
    hook.owner = account_of(actor)
    hook.updated_at = now()
    hook.save(update_fields=["secret", "owner", "updated_at"])
    audit(actor, "webhook.secret_rotated", project=hook.project, target=f"webhook {hook.id}",
          name=hook.name)  # fmt: skip
    return hook


@transaction.atomic
def delete_hook(*, actor: Who, hook: Webhook) -> None:
    may_manage(actor, hook.project)
    audit(actor, "webhook.deleted", project=hook.project, target=f"webhook {hook.id}",
          **described(hook))  # fmt: skip
    hook.delete()


@transaction.atomic
def redeliver(*, actor: Who, delivery: Delivery) -> Delivery:
    """Send a delivery again, now, under the same `webhook-id`: one more attempt if it had
    run out, or its next attempt moved to now if it was waiting. (A hook that is off sends
    nothing: 409.)"""
    hook = delivery.hook
    may_manage(actor, hook.project)
    if not hook.enabled:
        raise Conflict("the webhook is off: turn it on first")
    locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if locked.status == Delivery.Status.SENDING:
        raise Conflict("this delivery is being sent right now")
    locked.status = Delivery.Status.PENDING
    locked.max_attempts = max(locked.max_attempts, locked.attempts + 1)
    locked.due_at = now()
    locked.save(update_fields=["status", "max_attempts", "due_at"])
    audit(actor, "webhook.redelivered", project=hook.project, target=f"webhook {hook.id}",
          delivery=locked.message_id, event=locked.event_id)  # fmt: skip
    return locked


def max_attempts() -> int:
    return int(getattr(settings, "DOCKET_WEBHOOK_MAX_ATTEMPTS", 15))
