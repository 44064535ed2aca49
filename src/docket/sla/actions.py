"""Every write to SLA policies: create, update, delete, and the template defaults. Project
admins (and site admins) only; each change queues a replay of the project's clocks (jobs.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import IntegrityError, transaction

from docket.accounts.actor import Who
from docket.accounts.models import Team
from docket.audit.log import record as audit
from docket.core.clock import now
from docket.core.errors import Invalid, checked_name
from docket.issues.fields import PRIORITY_BY_NAME
from docket.issues.query_fields import check_issue_query
from docket.projects.access import Perm, require
from docket.projects.models import Project
from docket.query.errors import QueryError
from docket.sla import engine
from docket.sla.calendar import check_country, parse_hours
from docket.sla.defaults import DEFAULTS
from docket.sla.jobs import replay_later
from docket.sla.models import Policy

FIELDS = (
    "name", "query", "order", "active", "first_response", "resolution", "zone", "hours",
    "country", "subdivision", "closed_dates", "pause_states", "steps",
)  # fmt: skip
MAX_TARGET_MINUTES = 366 * 24 * 60


def clean(values: dict[str, Any], viewer: Who | None = None) -> dict[str, Any]:
    """Check a policy's fields (those given); raises Invalid naming the field."""
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise Invalid.field(sorted(unknown)[0], "is not a policy field")
    out = dict(values)
    if "name" in out:
        checked_name(out["name"])
    if "query" in out:
        try:
            check_issue_query(out["query"], viewer) if out["query"].strip() else None
        except QueryError as error:
            raise Invalid.field("query", str(error)) from error
    for metric in ("first_response", "resolution"):
        if metric in out:
            _targets(metric, out[metric])
    if "zone" in out:
        try:
            ZoneInfo(out["zone"])
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise Invalid.field("zone", f"'{out['zone']}' is not a time zone") from error
    if "hours" in out:
        try:
            parse_hours(out["hours"])
        except (ValueError, AttributeError, TypeError) as error:
            raise Invalid.field("hours", str(error)) from error
    if out.get("country"):
        try:
            check_country(out["country"], out.get("subdivision", ""))
        except ValueError as error:
            raise Invalid.field("country", str(error)) from error
    if "closed_dates" in out:
        try:
            out["closed_dates"] = sorted(
                {dt.date.fromisoformat(d).isoformat() for d in out["closed_dates"]}
            )
        except (ValueError, TypeError) as error:
            raise Invalid.field("closed_dates", "must be dates like 2026-12-24") from error
    if "pause_states" in out and not all(isinstance(s, str) for s in out["pause_states"]):
        raise Invalid.field("pause_states", "must be state names")
    if "steps" in out:
        out["steps"] = _steps(out["steps"])
    return out


def _targets(metric: str, targets: Any) -> None:
    if not isinstance(targets, dict):
        raise Invalid.field(metric, "must map priority names to minutes")
    for name, minutes in targets.items():
        if name not in PRIORITY_BY_NAME:
            raise Invalid.field(metric, f"'{name}' is not a priority")
        if (
            not isinstance(minutes, int)
            or isinstance(minutes, bool)
            or not 0 < minutes <= MAX_TARGET_MINUTES
        ):
            raise Invalid.field(
                metric, f"the target for {name} must be 1-{MAX_TARGET_MINUTES} minutes"
            )


def _steps(steps: Any) -> list[dict[str, Any]]:
    if not isinstance(steps, list):
        raise Invalid.field("steps", "must be a list of {at, do}")
    seen = set()
    out = []
    for step in steps:
        at, do = (step.get("at"), step.get("do")) if isinstance(step, dict) else (None, None)
        if not isinstance(at, int) or isinstance(at, bool) or not 1 <= at <= 1000 or at in seen:
            raise Invalid.field("steps", "each step needs a distinct 'at' percent, 1-1000")
        if not isinstance(do, list) or not do or any(a not in engine.ACTIONS for a in do):
            raise Invalid.field("steps", f"'do' lists actions among {', '.join(engine.ACTIONS)}")
        seen.add(at)
        cleaned: dict[str, Any] = {"at": at, "do": list(dict.fromkeys(do))}
        if "reassign_team" in do:
            slug = step.get("team")
            if not isinstance(slug, str) or not Team.objects.filter(slug=slug).exists():
                raise Invalid.field("steps", "reassign_team needs 'team': the slug of a team")
            cleaned["team"] = slug
        out.append(cleaned)
    return sorted(out, key=lambda s: s["at"])


@transaction.atomic
def create_policy(*, actor: Who, project: Project, values: dict[str, Any]) -> Policy:
    require(actor, project, Perm.MANAGE_PROJECT)
    if "name" not in values:
        raise Invalid.field("name", "is required")
    moment = now()
    policy = Policy(project=project, created_at=moment, updated_at=moment, **clean(values, actor))
    _save(policy)
    audit(actor, "sla.policy_created", project=project, target=policy.name)
    replay_later(project)
    return policy


@transaction.atomic
def update_policy(*, actor: Who, policy: Policy, values: dict[str, Any]) -> Policy:
    require(actor, policy.project, Perm.MANAGE_PROJECT)
    for name, value in clean(values, actor).items():
        setattr(policy, name, value)
    policy.updated_at = now()
    _save(policy)
    audit(actor, "sla.policy_changed", project=policy.project, target=policy.name)
    replay_later(policy.project)
    return policy


@transaction.atomic
def delete_policy(*, actor: Who, policy: Policy) -> None:
    require(actor, policy.project, Perm.MANAGE_PROJECT)
    project = policy.project
    audit(actor, "sla.policy_deleted", project=project, target=policy.name)
    policy.delete()
    replay_later(project)


def _save(policy: Policy) -> None:
    try:
        with transaction.atomic():
            policy.save()
    except IntegrityError as error:
        raise Invalid.field(
            "name", f"{policy.project.key} already has a policy named that"
        ) from error


def add_defaults(project: Project) -> list[Policy]:
    """The default policies of the project's workflow template (none for other templates).
    Used when a project is created (apps.py) and by the demo data; no permission check."""
    moment = now()
    made = []
    for values in DEFAULTS.get(project.workflow.template, []):
        policy, created = Policy.objects.get_or_create(
            project=project, name=values["name"],
            defaults={**clean(values), "created_at": moment, "updated_at": moment},
        )  # fmt: skip
        if created:
            made.append(policy)
    if made:
        engine.recompute_project(project, moment)
    return made
