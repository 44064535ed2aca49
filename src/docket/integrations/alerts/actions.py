"""Alert intakes: their settings (project admins, audited) and what a delivery does.

A delivery is handled in one transaction under the intake's row lock, so two notifications
for the same group never open two incidents (the partial unique index on open groups is the
backstop). Every issue change goes through the issue actions as the intake's own service
account, holding the member role in the intake's project only; routing, SLA and automation
rules then take the new incident over from the event log like any other."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from docket.accounts.actor import Actor, Who
from docket.accounts.models import User
from docket.audit.log import record as audit
from docket.core.clock import now
from docket.core.errors import (
    DocketError,
    Forbidden,
    Invalid,
    NotFound,
    Unauthenticated,
    checked_name,
)
from docket.integrations.alerts import render
from docket.integrations.alerts.models import AlertGroup, AlertIntake
from docket.integrations.alerts.payloads import Alert, AlertBatch, parse
from docket.issues import actions as issue_actions
from docket.issues.comments import add_comment
from docket.issues.editing import transitions_for
from docket.issues.fields import PRIORITY_BY_NAME, SEVERITY_BY_NAME, TYPE_NAMES
from docket.issues.models import Issue
from docket.projects.access import Perm, require
from docket.projects.bots import acting_in, service_account
from docket.projects.models import Project, Role

TOKEN_PREFIX = "dka_"  # noqa: S105 - a prefix, not a secret
FIELDS = ("name", "source", "issue_type", "severity_map", "resolve_on_resolved", "assignee",
          "team", "enabled")  # fmt: skip
DEFAULT_SEVERITY_MAP: dict[str, dict[str, str]] = {
    "critical": {"priority": "highest", "severity": "critical"},
    "warning": {"priority": "high", "severity": "major"},
    "info": {"priority": "low", "severity": "minor"},
    "default": {"priority": "medium", "severity": "major"},
}
MAX_SEVERITIES = 20
BAD_TOKEN = "a valid intake token is required (Authorization: Bearer <token> or ?token=)"  # noqa: S105


# --- settings -------------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def _check_map(value: Any) -> dict[str, dict[str, str]]:
    if not isinstance(value, dict) or not value or len(value) > MAX_SEVERITIES:
        raise Invalid.field("severity_map", f"must be an object of 1-{MAX_SEVERITIES} severities")
    out: dict[str, dict[str, str]] = {}
    for name, target in value.items():
        where = f"severity_map.{name}"
        if not isinstance(name, str) or not name.strip() or len(name) > 30:
            raise Invalid.field("severity_map", "severity names must be 1-30 characters")
        if not isinstance(target, dict) or set(target) - {"priority", "severity"}:
            raise Invalid.field(where, 'must be {"priority": …, "severity": …}')
        for key, names in (("priority", PRIORITY_BY_NAME), ("severity", SEVERITY_BY_NAME)):
            if key in target and target[key] not in names:
                raise Invalid.field(f"{where}.{key}", f"must be one of: {', '.join(names)}")
        out[name.strip().lower()] = dict(target)
    out.setdefault("default", dict(DEFAULT_SEVERITY_MAP["default"]))
    return out


def _clean(project: Project, data: dict[str, Any], partial: bool) -> dict[str, Any]:
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise Invalid.field(unknown[0], "is not a setting of an alert intake")
    out: dict[str, Any] = {}
    if "name" in data or not partial:
        out["name"] = checked_name(data.get("name"))
    if "source" in data or not partial:
        if data.get("source") not in AlertIntake.Source.values:
            raise Invalid.field("source", f"must be one of: {', '.join(AlertIntake.Source.values)}")
        out["source"] = data["source"]
    if "issue_type" in data:
        if data["issue_type"] not in TYPE_NAMES:
            raise Invalid.field("issue_type", f"must be one of: {', '.join(TYPE_NAMES)}")
        out["issue_type"] = data["issue_type"]
    if "severity_map" in data:
        out["severity_map"] = _check_map(data["severity_map"])
    for flag in ("resolve_on_resolved", "enabled"):
        if flag in data:
            if not isinstance(data[flag], bool):
                raise Invalid.field(flag, "must be true or false")
            out[flag] = data[flag]
    # Who gets the incidents: checked by the issue fields' own rules (assignable people, teams).
    people: dict[str, Any] = {f: data[f] for f in ("assignee", "team") if f in data}
    stored = issue_actions.to_stored(project, people)
    out.update(stored)
    return out


def _described(intake: AlertIntake) -> dict[str, Any]:
    return {
        "name": intake.name, "source": intake.source, "issue_type": intake.issue_type,
        "severity_map": intake.severity_map, "resolve_on_resolved": intake.resolve_on_resolved,
        "assignee": intake.assignee.username if intake.assignee else None,
        "team": intake.team.slug if intake.team else None, "enabled": intake.enabled,
    }  # fmt: skip


def _bot_username(name: str) -> str:
    """`docket-alerts-<the intake's name>-<random>`: readable where a username shows, and
    unique whatever the name (intakes of two projects may share one)."""
    return f"docket-alerts-{slugify(name)[:40] or 'intake'}-{secrets.token_hex(3)}"


def _name_taken(project: Project, name: str, but: int = 0) -> None:
    if AlertIntake.objects.filter(project=project, name=name).exclude(pk=but).exists():
        raise Invalid.field("name", f"{project.key} already has an alert intake called {name!r}")


@transaction.atomic
def create_intake(*, actor: Who, project: Project, data: dict[str, Any]) -> tuple[AlertIntake, str]:
    """A new intake and its token, which is shown this once (only its hash is kept)."""
    require(actor, project, Perm.MANAGE_PROJECT)
    values = _clean(project, data, partial=False)
    _name_taken(project, values["name"])
    values.setdefault("severity_map", _check_map(DEFAULT_SEVERITY_MAP))
    token = _new_token()
    bot = service_account(_bot_username(values["name"]), f"Alerts: {values['name']}")
    moment = now()
    intake = AlertIntake.objects.create(
        project=project, token_hash=_hash(token), token_hint=token[:10], bot=bot,
        created_at=moment, updated_at=moment, **values,
    )  # fmt: skip
    audit(actor, "alert_intake.created", project=project, target=f"alert intake {intake.id}",
          **_described(intake))  # fmt: skip
    return intake, token


@transaction.atomic
def update_intake(*, actor: Who, intake: AlertIntake, data: dict[str, Any]) -> AlertIntake:
    require(actor, intake.project, Perm.MANAGE_PROJECT)
    values = _clean(intake.project, data, partial=True)
    if "name" in values:
        _name_taken(intake.project, values["name"], but=intake.pk)
    before = _described(intake)
    for name, value in values.items():
        setattr(intake, name, value)
    intake.updated_at = now()
    intake.save()
    if "name" in values:  # history names the bot after its intake
        User.objects.filter(pk=intake.bot_id).update(first_name=f"Alerts: {intake.name}"[:150])
    after = _described(intake)
    changed = {k: {"old": before[k], "new": after[k]} for k in after if before[k] != after[k]}
    audit(actor, "alert_intake.changed", project=intake.project,
          target=f"alert intake {intake.id}", name=intake.name, changes=changed)  # fmt: skip
    return intake


@transaction.atomic
def rotate_token(*, actor: Who, intake: AlertIntake) -> str:
    """A new token; the old one stops working at once."""
    require(actor, intake.project, Perm.MANAGE_PROJECT)
    token = _new_token()
    intake.token_hash, intake.token_hint, intake.updated_at = _hash(token), token[:10], now()
    intake.save(update_fields=["token_hash", "token_hint", "updated_at"])
    audit(actor, "alert_intake.token_rotated", project=intake.project,
          target=f"alert intake {intake.id}", name=intake.name)  # fmt: skip
    return token


@transaction.atomic
def delete_intake(*, actor: Who, intake: AlertIntake) -> None:
    """The intake and its group records go; the incidents it opened stay."""
    require(actor, intake.project, Perm.MANAGE_PROJECT)
    audit(actor, "alert_intake.deleted", project=intake.project,
          target=f"alert intake {intake.id}", **_described(intake))  # fmt: skip
    intake.delete()


# --- deliveries -----------------------------------------------------------------------------


def authenticate(intake_id: int, token: str | None) -> AlertIntake:
    """The intake `token` opens (401 alike for a wrong token and an unknown intake)."""
    intake = (
        AlertIntake.objects.select_related("project").filter(pk=intake_id).first()
        if 0 < intake_id < 2**63
        else None
    )
    presented = _hash(token or "")
    expected = intake.token_hash if intake is not None else _hash(_new_token())
    if not hmac.compare_digest(presented, expected) or intake is None or not token:
        raise Unauthenticated(BAD_TOKEN)
    if not intake.enabled:
        raise Forbidden(f"the alert intake {intake.name!r} is disabled")
    return intake


def bot_actor(intake: AlertIntake) -> Actor:
    return acting_in(intake.bot, intake.project, Role.MEMBER)


def receive(intake: AlertIntake, body: dict[str, Any]) -> dict[str, Any]:
    """Handle one delivery: its shape is checked (422) before anything changes."""
    batch = parse(intake.source, body)
    return _deliver(intake.pk, batch)


@transaction.atomic
def _deliver(intake_id: int, batch: AlertBatch) -> dict[str, Any]:
    # Deliveries to one intake take turns: two for the same group cannot both find it closed.
    intake = (
        AlertIntake.objects.select_for_update()
        .select_related("project", "bot")
        .filter(pk=intake_id)
        .first()
    )
    if intake is None:  # deleted since the token was checked
        raise Unauthenticated(BAD_TOKEN)
    key_hash = hashlib.sha256(batch.group_key.encode()).hexdigest()
    group = (
        AlertGroup.objects.select_related("issue", "issue__status", "issue__project")
        .filter(intake=intake, key_hash=key_hash, open=True)
        .first()
    )
    previous = None
    if group is not None and not _incident_open(group.issue):
        previous = group.issue.key if group.issue is not None else None
        _close(group)
        group = None
    if group is None:
        if previous is None:  # the group's last incident, to link from the new one
            last = AlertGroup.objects.filter(intake=intake, key_hash=key_hash, open=False).first()
            previous = last.issue.key if last is not None and last.issue is not None else None
        return _open(intake, batch, key_hash, previous)
    return _follow(intake, group, batch)


def _incident_open(issue: Issue | None) -> bool:
    return issue is not None and issue.deleted_at is None and not issue.status.is_done


def _close(group: AlertGroup) -> None:
    group.open, group.firing, group.updated_at = False, [], now()
    group.save(update_fields=["open", "firing", "updated_at"])


def _answer(outcome: str, issue: Issue | None, detail: str) -> dict[str, Any]:
    return {"outcome": outcome, "issue": issue.key if issue else None, "detail": detail}


def _people(intake: AlertIntake) -> dict[str, Any]:
    people: dict[str, Any] = {}
    if intake.assignee is not None:
        people["assignee"] = intake.assignee.username
    if intake.team is not None:
        people["team"] = intake.team.slug
    return people


def _levels(intake: AlertIntake, firing: list[Alert]) -> dict[str, str]:
    """Priority and severity from the most severe `severity` label among the firing alerts,
    in the order the intake's map lists them."""
    table: dict[str, dict[str, str]] = intake.severity_map
    said = {a.labels.get("severity", "").strip().lower() for a in firing}
    chosen = next((t for name, t in table.items() if name in said and name != "default"), None)
    return dict(chosen or table.get("default") or DEFAULT_SEVERITY_MAP["default"])


def _open(
    intake: AlertIntake, batch: AlertBatch, key_hash: str, previous: str | None
) -> dict[str, Any]:
    firing = batch.firing
    if not firing:
        return _answer("ignored", None, "no open incident for this group and nothing firing")
    actor = bot_actor(intake)
    fields = {
        "title": render.title(batch, firing),
        "description": render.description(batch, firing, intake.name, previous),
        "type": intake.issue_type,
        **_levels(intake, firing),
    }
    try:
        issue = issue_actions.create_issue(
            actor=actor, project=intake.project, fields={**fields, **_people(intake)}
        )
    except Invalid:  # the assignee or team left the project: routing rules may still assign
        issue = issue_actions.create_issue(actor=actor, project=intake.project, fields=fields)
    moment = now()
    AlertGroup.objects.create(
        intake=intake, key_hash=key_hash, group_key=batch.group_key, issue=issue,
        firing=sorted({a.id for a in firing}), deliveries=1, created_at=moment, updated_at=moment,
    )  # fmt: skip
    return _answer("opened", issue, f"opened {issue.key} for {len(firing)} firing alert(s)")


def _follow(intake: AlertIntake, group: AlertGroup, batch: AlertBatch) -> dict[str, Any]:
    """A group with an open incident: comment when what fires changed; resolve when nothing
    does. Each notification lists the whole group, so an alert missing from it has ended —
    unless the sender truncated the list (`truncatedAlerts`): then only what it says counts."""
    issue = group.issue
    assert issue is not None  # an open group has its incident (_incident_open)
    before = set(group.firing)
    firing_ids = {a.id for a in batch.firing}
    if batch.truncated:
        firing_ids |= before - {a.id for a in batch.resolved}
    group.deliveries += 1
    group.updated_at = now()
    if firing_ids == before:
        group.save(update_fields=["deliveries", "updated_at"])
        return _answer("unchanged", issue, "nothing changed since the last notification")
    group.firing = sorted(firing_ids)
    group.save(update_fields=["firing", "deliveries", "updated_at"])
    actor = bot_actor(intake)
    if firing_ids:
        new = [a for a in batch.firing if a.id not in before]
        gone = [a for a in batch.resolved if a.id in before]
        vanished = len(before - firing_ids - {a.id for a in gone})
        body = render.change_comment(new, gone, batch.firing, vanished=vanished)
        add_comment(actor=actor, issue=issue, body=body)
        return _answer("commented", issue, f"{len(firing_ids)} alert(s) firing")
    return _resolve(intake, group, batch, actor)


def _resolve(
    intake: AlertIntake, group: AlertGroup, batch: AlertBatch, actor: Actor
) -> dict[str, Any]:
    issue = group.issue
    assert issue is not None
    note = render.resolved_comment(batch)
    if not intake.resolve_on_resolved:
        add_comment(actor=actor, issue=issue, body=note)
        return _answer("commented", issue, "resolved; the intake leaves the incident open")
    why = _move_to_done(actor, issue, note)
    if why is None:
        _close(group)
        return _answer("resolved", issue, f"{issue.key} moved to a done state")
    add_comment(actor=actor, issue=issue, body=f"{note}\nNot resolved automatically: {why}\n")
    return _answer("commented", issue, f"resolved, but {issue.key} stays open: {why}")


def _move_to_done(actor: Actor, issue: Issue, note: str) -> str | None:
    """Take the first transition to a done state the bot may take (None), or say why not."""
    choices = [t for t in transitions_for(actor, issue) if t["done"]]
    usable = [t for t in choices if set(t["required_fields"]) <= {"resolution", "comment"}]
    if not usable:
        if choices:
            needs = ", ".join(choices[0]["required_fields"])
            return f"the transition {choices[0]['name']!r} requires {needs}"
        state = issue.status.name
        return f"no transition from {state!r} to a done state is open to the member role"
    chosen = usable[0]
    try:
        issue_actions.transition(
            actor=actor, issue=issue, name=chosen["name"], to=chosen["to"],
            fields={"resolution": "fixed"}, comment=note,
        )  # fmt: skip
    except DocketError as refused:
        return refused.detail
    return None


def get_intake(actor: Who, project: Project, intake_id: int) -> AlertIntake:
    require(actor, project, Perm.MANAGE_PROJECT)
    intake = (
        AlertIntake.objects.filter(project=project, pk=intake_id)
        .select_related("project", "assignee", "team")
        .first()
        if 0 < intake_id < 2**63
        else None
    )
    if intake is None:
        raise NotFound(f"no alert intake {intake_id} in {project.key}")
    return intake


def may_manage(actor: Who, project: Project) -> None:
    require(actor, project, Perm.MANAGE_PROJECT)
