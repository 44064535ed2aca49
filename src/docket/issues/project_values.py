"""What a project's issues pick from, managed by its admins: labels (created, renamed,
recoloured, deleted here, or on first use by an issue: issues/relations.py), and deleting a
component or milestone.

Deleting takes the item off every issue carrying it first, each issue with a new version and
a recorded change (`detach_from_issues`), in the same transaction: nothing about an issue
changes unrecorded. Renaming a label changes no issue (they refer to the row), but saved
filters and automation rules that name the old name no longer match it.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Model

from docket.accounts.actor import Who
from docket.audit.log import record as audit
from docket.core.errors import Conflict, Invalid, NotFound
from docket.issues.actions import detach_from_issues
from docket.issues.fields import FIELDS
from docket.issues.models import Issue, Label
from docket.projects.access import Perm, require
from docket.projects.models import Component, Milestone, Project

COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
LABEL_CHANGES = {"name", "color"}


def _label_name(value: Any) -> str:
    """A label name by the rule issues apply to labels they are given (fields.py)."""
    try:
        return str(FIELDS["labels"].check([value])[0])
    except Invalid as problem:
        raise Invalid.field("name", problem.errors[0]["message"]) from None


def _color(value: Any) -> str:
    if not isinstance(value, str) or not COLOR.fullmatch(value):
        raise Invalid.field("color", "must be a colour like #15803d")
    return value.lower()


def _label(project: Project, name: str, *, lock: bool = False) -> Label:
    rows = Label.objects.select_for_update() if lock else Label.objects
    found = rows.filter(project=project, name=name).first()
    if found is None:
        raise NotFound(f"no label {name[:50]!r} in {project.key}")
    return found


def _taken(project: Project, name: str) -> Conflict:
    return Conflict(
        f"{project.key} already has a label {name!r}",
        errors=[{"field": "name", "message": "already taken"}],
    )


def usage(project: Project, field: str) -> dict[int, int]:
    """How many issues of `project` (deleted ones too: they keep them) carry each label or
    component, or are in each milestone: {id: count}. For project admins' settings pages."""
    column = {"labels": "labels", "components": "components", "milestone": "milestone"}[field]
    rows = (
        Issue.objects.filter(project=project, **{f"{column}__isnull": False})
        .values(column)
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row[column]: row["n"] for row in rows}


@transaction.atomic
def create_label(*, actor: Who, project: Project, name: str, color: str = "#64748b") -> Label:
    require(actor, project, Perm.MANAGE_PROJECT)
    name, color = _label_name(name), _color(color)
    if Label.objects.filter(project=project, name=name).exists():
        raise _taken(project, name)
    try:
        with transaction.atomic():
            created = Label.objects.create(project=project, name=name, color=color)
    except IntegrityError:
        raise _taken(project, name) from None
    audit(actor, "label.created", project=project, target=name, color=color)
    return created


@transaction.atomic
def change_label(*, actor: Who, project: Project, name: str, changes: dict[str, Any]) -> Label:
    """Rename or recolour a label; `changes` holds `name` and/or `color`."""
    require(actor, project, Perm.MANAGE_PROJECT)
    unknown = set(changes) - LABEL_CHANGES
    if unknown:
        raise Invalid.field(sorted(unknown)[0], "cannot be changed")
    found = _label(project, name, lock=True)
    after = {
        "name": _label_name(changes["name"]) if "name" in changes else found.name,
        "color": _color(changes["color"]) if "color" in changes else found.color,
    }
    if after["name"] != found.name and (
        Label.objects.filter(project=project, name=after["name"]).exists()
    ):
        raise _taken(project, after["name"])
    diff = {f: [getattr(found, f), v] for f, v in after.items() if getattr(found, f) != v}
    if diff:
        for field, value in after.items():
            setattr(found, field, value)
        found.save(update_fields=list(after))
        audit(actor, "label.changed", project=project, target=name, **diff)
    return found


@transaction.atomic
def delete_label(*, actor: Who, project: Project, name: str) -> int:
    """Delete a label, taking it off its issues first; returns how many issues it was on."""
    require(actor, project, Perm.MANAGE_PROJECT)
    found = _label(project, name, lock=True)
    count = detach_from_issues(actor=actor, project=project, field="labels", item=found)
    found.delete()
    audit(actor, "label.deleted", project=project, target=name, issues=count)
    return count


def delete_component(*, actor: Who, project: Project, name: str) -> int:
    """Delete a component, taking it off its issues first; returns how many it was on."""
    return _delete(actor, project, Component, name, "component", field="components")


def delete_milestone(*, actor: Who, project: Project, name: str) -> int:
    """Delete a milestone, clearing it from its issues first; returns how many were in it."""
    return _delete(actor, project, Milestone, name, "milestone", field="milestone")


@transaction.atomic
def _delete(
    actor: Who, project: Project, model: type[Model], name: str, what: str, *, field: str
) -> int:
    found = _locked(actor, project, model, name, what)
    count = detach_from_issues(actor=actor, project=project, field=field, item=found)
    found.delete()
    audit(actor, f"{what}.deleted", project=project, target=name, issues=count)
    return count


def _locked(actor: Who, project: Project, model: type[Model], name: str, what: str) -> Any:
    require(actor, project, Perm.MANAGE_PROJECT)
    found = model._default_manager.select_for_update().filter(project=project, name=name).first()
    if found is None:
        raise NotFound(f"no {what} {name[:100]!r} in {project.key}")
    return found
