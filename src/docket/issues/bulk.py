"""Bulk edit: the same change applied to many issues, each through the ordinary actions and
under its row lock, each all or nothing. One issue that cannot change (gone, not allowed, a
conflict, a rule it breaks) does not stop the others; every issue gets its own result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from docket.accounts.actor import Who, as_actor
from docket.core.errors import DocketError, Invalid, NotFound, Unauthenticated
from docket.issues import actions, custom_fields
from docket.issues.access import get_issue_for, parse_key, visible_issues
from docket.issues.fields import EDITABLE_FIELDS, FIELDS, TRANSITION_FIELDS, field_value
from docket.issues.models import Issue

MAX_BULK = 200  # issues per bulk edit (a page is 50; "select all" over a few pages at most)
# Labels move by add/remove (below), the status by `to` (a transition).
BULK_FIELDS = tuple(f for f in EDITABLE_FIELDS if f not in ("labels", "status"))


@dataclass(frozen=True)
class BulkChange:
    """What to do to every issue. `changes`: outside values of BULK_FIELDS; `to`: the state
    to move to (by a transition of the workflow); labels to add and remove; `custom_fields`:
    {name: outside value, null clears} of custom fields every issue's project has."""

    changes: dict[str, Any] = field(default_factory=dict)
    custom_fields: dict[str, Any] = field(default_factory=dict)
    add_labels: tuple[str, ...] = ()
    remove_labels: tuple[str, ...] = ()
    to: str | None = None
    # A person chose the state (the web's bulk bar): entering a done state needs a chosen
    # resolution (in `changes`), never a silent "fixed" (actions.transition).
    ask_resolution: bool = False

    def is_empty(self) -> bool:
        return not (
            self.changes or self.custom_fields or self.add_labels or self.remove_labels or self.to
        )


@dataclass(frozen=True)
class BulkResult:
    key: str
    ok: bool
    changed: bool
    status: int  # the HTTP status this issue alone would have answered (200, 403, 404, 409, 422)
    message: str
    version: int | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)


def check_bulk(keys: list[str], change: BulkChange, versions: dict[str, int]) -> None:
    """Refuse (422) a bulk edit that is malformed as a whole, before touching any issue."""
    if not keys:
        raise Invalid.field("issues", "select at least one issue")
    if len(keys) > MAX_BULK:
        raise Invalid.field("issues", f"at most {MAX_BULK} issues at a time (got {len(keys)})")
    if len(set(keys)) != len(keys):
        raise Invalid.field("issues", "each issue may appear once")
    strays = sorted(set(versions) - set(keys))
    if strays:
        raise Invalid.field("versions", f"{strays[0]} is not one of the issues")
    if any(version < 1 for version in versions.values()):
        raise Invalid.field("versions", "versions start at 1")
    unknown = sorted(set(change.changes) - set(BULK_FIELDS))
    if unknown:
        raise Invalid.field(unknown[0], "cannot be bulk edited; labels move by add_labels/"
                            "remove_labels and the status by `to`")  # fmt: skip
    if change.is_empty():
        raise Invalid("nothing to change: give changes, labels to add or remove, or `to`")
    labels = FIELDS["labels"].check
    clash = set(labels(list(change.add_labels))) & set(labels(list(change.remove_labels)))
    if clash:
        raise Invalid.field("labels", f"{sorted(clash)[0]!r} is both added and removed")


def check_shared_fields(actor: Who, keys: list[str], names: list[str]) -> None:
    """Refuse (422) custom fields that not every selected issue's project has: a field is
    its project's own, so "set tier" means nothing on an issue of a project without one.
    Only projects of issues `actor` may see are asked (an unseen key fails on its own, 404)."""
    wanted: dict[str, set[int]] = {}
    for key in keys:
        try:
            project_key, number = parse_key(key.strip())
        except NotFound:
            continue  # that issue answers 404 on its own
        wanted.setdefault(project_key, set()).add(number)
    found = visible_issues(actor).filter(project__key__in=list(wanted)).select_related("project")
    seen: dict[str, Any] = {}
    for issue in found.filter(number__in={n for ns in wanted.values() for n in ns}):
        if issue.number in wanted[issue.project.key]:
            seen[issue.project.key] = issue.project
    for name in names:
        if not isinstance(name, str):
            raise Invalid.field("custom_fields", "field names are text")
        lacking = sorted(k for k, p in seen.items() if not _has_field(p, name))
        if lacking:
            raise Invalid.field(f"custom_fields.{name}", _not_shared(name, lacking, seen))


def _not_shared(name: str, lacking: list[str], seen: dict[str, Any]) -> str:
    missing = (
        f"{', '.join(lacking)} {'has' if len(lacking) == 1 else 'have'} no custom field '{name}'"
    )
    having = sorted(set(seen) - set(lacking))
    if not having:
        return missing
    return (
        f"the selected issues span projects that do not share this field: {missing} "
        f"(only {', '.join(having)} {'has' if len(having) == 1 else 'have'} it); select issues "
        "of projects that share it"
    )


def _has_field(project: Any, name: str) -> bool:
    return any(f.name == name for f in custom_fields.project_fields(project))


def bulk_update(
    *,
    actor: Who,
    keys: list[str],
    change: BulkChange,
    base_versions: dict[str, int] | None = None,
) -> list[BulkResult]:
    """Apply `change` to the issues `keys`, in order, each in its own transaction (so one
    issue's row lock is held only while it changes, and two bulk edits cannot deadlock).
    With a base version for a key, a change to a field someone else moved since is a
    conflict for that issue (as PATCH and transitions)."""
    actor = as_actor(actor)  # one Actor for every issue: roles loaded once
    if not actor.is_authenticated:
        raise Unauthenticated("sign in or send an API token to edit issues")
    versions = base_versions or {}
    check_bulk(keys, change, versions)
    if change.custom_fields:
        check_shared_fields(actor, keys, list(change.custom_fields))
    return [_one(actor, key, change, versions.get(key)) for key in keys]


def _one(actor: Who, key: str, change: BulkChange, base_version: int | None) -> BulkResult:
    try:
        with transaction.atomic():  # this issue, all or nothing
            issue = actions.locked(get_issue_for(actor, key))
            before = issue.version
            issue = _apply(actor, issue, change, base_version)
    except DocketError as exc:
        return BulkResult(key, False, False, exc.status, exc.detail, errors=exc.errors or [])
    changed = issue.version != before
    message = "updated" if changed else "already so; nothing changed"
    return BulkResult(issue.key, True, changed, 200, message, issue.version)


def _apply(actor: Who, issue: Issue, change: BulkChange, base_version: int | None) -> Issue:
    changes = dict(change.changes)
    if change.custom_fields:
        changes["custom_fields"] = dict(change.custom_fields)
    if change.add_labels or change.remove_labels:
        # Read under the row lock taken above: nobody changes the labels between this read
        # and the write.
        labels, names = set(field_value(issue, "labels")), FIELDS["labels"].check
        new = (labels | set(names(list(change.add_labels)))) - set(
            names(list(change.remove_labels))
        )
        if new != labels:
            changes["labels"] = sorted(new)
    if change.to is not None and field_value(issue, "status") != change.to.lower():
        # The move first, with what may change in the same step (a resolution for a done
        # state, fields the transition requires): one version, checked as a transition is.
        with_move = {f: changes.pop(f) for f in TRANSITION_FIELDS if f in changes}
        issue = actions.transition(
            actor=actor,
            issue=issue,
            to=change.to,
            fields=with_move,
            base_version=base_version,
            ask_resolution=change.ask_resolution,
        )
    if changes:
        # The same base version: our move touched none of these fields, so only someone
        # else's change to one of them since then clashes.
        issue = actions.update_issue(
            actor=actor, issue=issue, changes=changes, base_version=base_version
        )
    return issue
