"""Custom fields: the fields a project's admins add to its issues (text, number, date, single
and multi select, user), their values on issues, and how both read out.

A definition lives in `CustomField`; each value is a `CustomValue` row in the typed column of
its field's type (a multi select has one row per option chosen), so the query language's
`cf.<name>:` terms (query_fields.py) are indexed comparisons on both databases. Values are
outside values like the field table's (fields.py): text, a number, an ISO date, an option,
a list of options, a username. History records a change as a `changed` event whose field is
`cf.<name>`, old and new as the API shows them. The actions (actions.py) call `to_rows` and
`write`; the definitions are managed by `define`, `redefine` and `remove` (audited).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from docket.accounts.actor import Who
from docket.accounts.models import User
from docket.audit.log import record as audit
from docket.core.errors import Conflict, Invalid, NotFound
from docket.core.prepared import Prepared, columns, instance
from docket.core.rows import one_or_none
from docket.issues.fields import DATE_PATTERN, INVISIBLE, label_of
from docket.issues.models import CustomField, CustomFieldType, CustomValue, Issue
from docket.projects.access import ASSIGNABLE_ROLES, Perm, require, visible_people
from docket.projects.models import Project

PREFIX = "cf."  # in history and the query language
NAME = re.compile(r"[a-z][a-z0-9_]{0,26}")
MAX_FIELDS = 50  # per project
MAX_OPTIONS = 100
MAX_OPTION = 100
MAX_TEXT = 1000
MAX_NUMBER = Decimal("1e14")
TYPES = tuple(CustomFieldType.values)
MULTI = CustomFieldType.MULTI_SELECT
COLUMN = {  # the CustomValue column a type's values live in
    CustomFieldType.TEXT: "text",
    CustomFieldType.SELECT: "text",
    CustomFieldType.MULTI_SELECT: "text",
    CustomFieldType.NUMBER: "number",
    CustomFieldType.DATE: "date",
    CustomFieldType.USER: "user",
}


def project_fields(project: Project) -> list[CustomField]:
    """The project's custom fields, in their order (cached on the project object)."""
    cached = getattr(project, "_custom_fields", None)
    if cached is None:
        cached = [instance(CustomField, row) for row in _FIELDS.rows(project.id)]
        project._custom_fields = cached  # type: ignore[attr-defined]
    return cached


# Read for every issue shown on its own (API and page): compiled once (core/prepared.py).
_FIELDS = Prepared(
    lambda project_id: (
        CustomField.objects.filter(project_id=project_id)
        .order_by("position", "id")
        .values(*columns(CustomField))
    ),
    arguments=1,
)


def field_named(project: Project, name: str) -> CustomField:
    for field in project_fields(project):
        if field.name == name:
            return field
    raise Invalid.field(f"custom_fields.{name}", f"{project.key} has no custom field '{name}'")


def empty(field: CustomField) -> Any:
    return [] if field.type == MULTI else None


# --- values: outside value -> clean outside value ------------------------------------------


def check(field: CustomField, value: Any) -> Any:
    """The clean outside value of `value` for `field` (its empty value for null/"")."""
    where = f"custom_fields.{field.name}"
    if value is None or value == "" or value == []:
        if field.required:
            raise Invalid.field(where, "is required")
        return empty(field)
    checker = _CHECKS[CustomFieldType(field.type)]
    return checker(field, value, where)


def _text(field: CustomField, value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise Invalid.field(where, "must be a string")
    if "\x00" in value:
        raise Invalid.field(where, "must not contain NUL characters")
    if len(value) > MAX_TEXT:
        raise Invalid.field(where, f"must be at most {MAX_TEXT} characters (got {len(value)})")
    return value


def _number(field: CustomField, value: Any, where: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid.field(where, "must be a number")
    if not math.isfinite(value) or abs(value) >= MAX_NUMBER:
        raise Invalid.field(where, f"must be a finite number below {MAX_NUMBER:.0e}")
    return number_out(Decimal(str(value)).quantize(Decimal("0.0001")))


def number_out(value: Decimal) -> int | float:
    """A stored number as the API shows it: 3, not 3.0000; 2.5, not 2.5000."""
    return int(value) if value == value.to_integral_value() else float(value)


def _date(field: CustomField, value: Any, where: str) -> str:
    if isinstance(value, str) and re.fullmatch(DATE_PATTERN, value):
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise Invalid.field(where, "must be a date like 2026-12-31")


def _option(field: CustomField, value: Any, where: str) -> str:
    if not isinstance(value, str) or value not in field.options:
        raise Invalid.field(where, f"must be one of: {', '.join(field.options)}")
    return value


def _options(field: CustomField, value: Any, where: str) -> list[str]:
    if not isinstance(value, list):
        raise Invalid.field(where, "must be a list of options")
    chosen = {_option(field, item, where) for item in value}
    return [option for option in field.options if option in chosen]  # the field's order


def _user(field: CustomField, value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid.field(where, "must be a username")
    return value


_CHECKS = {
    CustomFieldType.TEXT: _text,
    CustomFieldType.NUMBER: _number,
    CustomFieldType.DATE: _date,
    CustomFieldType.SELECT: _option,
    CustomFieldType.MULTI_SELECT: _options,
    CustomFieldType.USER: _user,
}


def _person(project: Project, field: CustomField, username: str) -> User:
    """A user value: someone who may be assigned in the project (so anyone who may read the
    issue may know of them), as `assignee` requires."""
    roles = list(ASSIGNABLE_ROLES)
    person = one_or_none(
        User.objects.filter(username=username, is_active=True)
        .filter(
            Q(memberships__project=project, memberships__role__in=roles)
            | Q(teams__memberships__project=project, teams__memberships__role__in=roles)
        )
        .distinct()
    )
    if person is None:
        raise Invalid.field(
            f"custom_fields.{field.name}", f"'{username}' cannot be assigned in {project.key}"
        )
    return person


# --- reading and writing values on an issue ------------------------------------------------


def stored_values(issue: Issue) -> dict[str, Any]:
    """Every custom field of the issue's project with its outside value (empty ones too)."""
    fields = project_fields(issue.project)
    if not fields:
        return {}
    values = {f.name: empty(f) for f in fields}
    by_id = {f.id: f for f in fields}
    rows = CustomValue.objects.filter(issue=issue).order_by("id")
    for row in rows.values("field_id", "text", "number", "date", "user__username"):
        field = by_id.get(row["field_id"])
        if field is not None:
            _put(values, field, _row_value(field, dict(row)))
    return values


def _row_value(field: CustomField, row: dict[str, Any]) -> Any:
    column = COLUMN[CustomFieldType(field.type)]
    if column == "user":
        return row["user__username"]
    value = row[column]
    if column == "number":
        return number_out(value)
    if column == "date":
        return value.isoformat()
    return value


def _put(values: dict[str, Any], field: CustomField, value: Any) -> None:
    if field.type == MULTI:
        values[field.name] = [o for o in field.options if o in {*values[field.name], value}]
    else:
        values[field.name] = value


def values_for(reader: Who, issue: Issue) -> dict[str, Any]:
    """The issue's custom field values as `reader` may see them: a person `reader` may not
    know of (a support desk's former staff, to a customer) reads as null."""
    values = stored_values(issue)
    people = {
        f.name: values[f.name]
        for f in project_fields(issue.project)
        if f.type == CustomFieldType.USER and values[f.name] is not None
    }
    if people:
        known = set(
            User.objects.filter(visible_people(reader, issue.project))
            .filter(username__in=list(people.values()))
            .values_list("username", flat=True)
        )
        for name, username in people.items():
            if username not in known:
                values[name] = None
    return values


def cleaned(project: Project, given: Any) -> dict[str, Any]:
    """`custom_fields` of a create or update, checked: {name: clean outside value}."""
    if not isinstance(given, dict):
        raise Invalid.field("custom_fields", "must be an object of field names and values")
    return {name: check(field_named(project, name), value) for name, value in given.items()}


def missing_required(project: Project, given: dict[str, Any]) -> None:
    """A new issue must give every required field (422 naming the first missing)."""
    for field in project_fields(project):
        if field.required and field.name not in given:
            raise Invalid.field(f"custom_fields.{field.name}", "is required")


def write(issue: Issue, clean: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """Store the clean values; returns (history field, old, new) for each that changed."""
    if not clean:
        return []
    before = stored_values(issue)
    changed = []
    for name, value in clean.items():
        field = field_named(issue.project, name)
        if before.get(name) == value:
            continue
        CustomValue.objects.filter(issue=issue, field=field).delete()
        CustomValue.objects.bulk_create(_rows(issue, field, value))
        changed.append((PREFIX + name, before.get(name), value))
    return changed


def _rows(issue: Issue, field: CustomField, value: Any) -> list[CustomValue]:
    if value is None or value == []:
        return []
    column = COLUMN[CustomFieldType(field.type)]
    items = value if isinstance(value, list) else [value]
    rows = []
    for item in items:
        stored: Any = item
        if column == "user":
            stored = _person(issue.project, field, item)
        elif column == "number":
            stored = Decimal(str(item))
        elif column == "date":
            stored = dt.date.fromisoformat(item)
        rows.append(CustomValue(issue=issue, field=field, **{column: stored}))
    return rows


# --- definitions (project admins) ----------------------------------------------------------


def definition_out(field: CustomField) -> dict[str, Any]:
    return {
        "name": field.name,
        "label": field.label,
        "type": field.type,
        "options": list(field.options),
        "required": field.required,
        "position": field.position,
    }


def _clean_definition(values: dict[str, Any], *, type_: str) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    if "label" in values:
        label = values["label"]
        if not isinstance(label, str) or not label.strip() or len(label) > 100:
            raise Invalid.field("label", "must be a name of at most 100 characters")
        clean["label"] = label.strip()
    if "options" in values:
        clean["options"] = _clean_options(values["options"], type_)
    if "required" in values:
        if not isinstance(values["required"], bool):
            raise Invalid.field("required", "must be true or false")
        clean["required"] = values["required"]
    if "position" in values:
        if not isinstance(values["position"], int) or not 0 <= values["position"] < 10_000:
            raise Invalid.field("position", "must be a whole number from 0 to 9999")
        clean["position"] = values["position"]
    return clean


def _clean_options(options: Any, type_: str) -> list[str]:
    if type_ not in (CustomFieldType.SELECT, MULTI):
        if options:
            raise Invalid.field("options", f"only select fields have options, not {type_}")
        return []
    if not isinstance(options, list) or not options or len(options) > MAX_OPTIONS:
        raise Invalid.field("options", f"must be a list of 1 to {MAX_OPTIONS} options")
    clean = []
    for option in options:
        if not isinstance(option, str) or not option.strip() or len(option) > MAX_OPTION:
            raise Invalid.field("options", f"each option is text of 1 to {MAX_OPTION} characters")
        if INVISIBLE.search(option):
            raise Invalid.field("options", "must not contain invisible or bidi characters")
        if option.strip() in clean:
            raise Invalid.field("options", f"'{option.strip()}' is given twice")
        clean.append(option.strip())
    return clean


@transaction.atomic
def define(*, actor: Who, project: Project, values: dict[str, Any]) -> CustomField:
    """Add a custom field to `project` (project admins)."""
    require(actor, project, Perm.MANAGE_PROJECT)
    name = values.get("name")
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise Invalid.field(
            "name", "must be 1-27 lower-case letters, digits or _, starting with a letter"
        )
    type_ = values.get("type")
    if type_ not in TYPES:
        raise Invalid.field("type", f"must be one of: {', '.join(TYPES)}")
    if CustomField.objects.filter(project=project).count() >= MAX_FIELDS:
        raise Invalid(f"{project.key} already has {MAX_FIELDS} custom fields")
    clean = _clean_definition({"label": name, **values}, type_=type_)
    if type_ in (CustomFieldType.SELECT, MULTI) and "options" not in clean:
        raise Invalid.field("options", "a select field needs its options")
    try:
        with transaction.atomic():
            field = CustomField.objects.create(project=project, name=name, type=type_, **clean)
    except IntegrityError:
        raise Conflict(f"{project.key} already has a custom field '{name}'") from None
    audit(actor, "custom_field.created", project=project, target=name, type=type_)
    return field


def get_field(project: Project, name: str) -> CustomField:
    found = one_or_none(CustomField.objects.filter(project=project, name=name))
    if found is None:
        raise NotFound(f"{project.key} has no custom field '{name}'")
    return found


@transaction.atomic
def redefine(*, actor: Who, project: Project, name: str, values: dict[str, Any]) -> CustomField:
    """Change a field's label, options, required or position (not its name or type). An
    option still in use cannot be removed."""
    require(actor, project, Perm.MANAGE_PROJECT)
    field = get_field(project, name)
    clean = _clean_definition(values, type_=field.type)
    if "options" in clean:
        dropped = set(field.options) - set(clean["options"])
        used = field.values.filter(text__in=list(dropped)).values_list("text", flat=True)
        in_use = sorted({str(option) for option in used})
        if in_use:
            raise Invalid.field("options", f"still set on issues: {', '.join(in_use)}")
    for attribute, value in clean.items():
        setattr(field, attribute, value)
    field.save()
    audit(actor, "custom_field.changed", project=project, target=name, fields=sorted(clean))
    return field


@transaction.atomic
def remove(*, actor: Who, project: Project, name: str) -> None:
    """Delete a field and its values (history keeps what they were)."""
    require(actor, project, Perm.MANAGE_PROJECT)
    field = get_field(project, name)
    field.delete()
    audit(actor, "custom_field.deleted", project=project, target=name)


def values_by_issue(ids: list[int]) -> dict[int, dict[str, Any]]:
    """The set custom field values of many issues in one query: {issue id: {name: value}}
    (exports; issues without any are absent)."""
    found: dict[int, dict[str, Any]] = {}
    rows = (
        CustomValue.objects.filter(issue_id__in=ids)
        .select_related("field", "user")
        .order_by("issue_id", "field_id", "id")
    )
    for row in rows:
        field = row.field
        values = found.setdefault(row.issue_id, {})
        if field.name not in values:
            values[field.name] = empty(field)
        value = _row_value(
            field,
            {"text": row.text, "number": row.number, "date": row.date,
             "user__username": row.user.username if row.user else None},
        )  # fmt: skip
        _put(values, field, value)
    return found


# --- many issues at once: list rows, history labels -----------------------------------------


def add_to_rows(reader: Who, rows: list[dict[str, Any]]) -> None:
    """Put `custom_fields` ({name: value}, every field of the row's project, as `values_for`
    gives one issue) on API-shaped list rows: two queries for the page (the page's projects'
    definitions and their values), plus one per project with a person in a user field (who
    `reader` may know of), never one per issue."""
    if not rows:
        return
    numbers: dict[str, list[int]] = {}
    for row in rows:
        numbers.setdefault(row["project"], []).append(row["number"])
    defined = CustomField.objects.filter(project__key__in=list(numbers))
    fields = list(defined.select_related("project").order_by("position", "id"))
    by_project: dict[str, list[CustomField]] = {}
    for f in fields:
        by_project.setdefault(f.project.key, []).append(f)
    values = {
        (row["project"], row["number"]): {
            f.name: empty(f) for f in by_project.get(row["project"], [])
        }
        for row in rows
    }
    if fields:
        _fill(values, {f.id: f for f in fields}, numbers, by_project)
        _mask_people(reader, by_project, values)
    for row in rows:
        row["custom_fields"] = values[(row["project"], row["number"])]


def _fill(
    values: dict[tuple[str, int], dict[str, Any]],
    by_id: dict[int, CustomField],
    numbers: dict[str, list[int]],
    by_project: dict[str, list[CustomField]],
) -> None:
    where = Q()
    for key in by_project:
        where |= Q(issue__project__key=key, issue__number__in=numbers[key])
    rows = CustomValue.objects.filter(where).order_by("id")
    columns = ("field_id", "issue__project__key", "issue__number", "text", "number", "date")
    for row in rows.values(*columns, "user__username"):
        field = by_id[row["field_id"]]
        found = values[(row["issue__project__key"], row["issue__number"])]
        _put(found, field, _row_value(field, dict(row)))


def _mask_people(
    reader: Who,
    by_project: dict[str, list[CustomField]],
    values: dict[tuple[str, int], dict[str, Any]],
) -> None:
    """A person `reader` may not know of reads as null (as in `values_for`)."""
    for key, fields in by_project.items():
        people = [f.name for f in fields if f.type == CustomFieldType.USER]
        shown = [v for (k, _), v in values.items() if k == key]
        named = {v[name] for v in shown for name in people if v[name] is not None}
        if not named:
            continue
        known = set(
            User.objects.filter(visible_people(reader, fields[0].project))
            .filter(username__in=list(named))
            .values_list("username", flat=True)
        )
        for found in shown:
            for name in people:
                if found[name] not in known:
                    found[name] = None


def label_events(project: Project, events: list[dict[str, Any]]) -> None:
    """Put `label` on history events that change a field: a custom field's label ("Customer
    tier", where `field` keeps the stable `cf.tier`), a removed field's name, or the field
    table's label."""
    labels = {PREFIX + f.name: f.label for f in project_fields(project)}
    for event in events:
        name = event.get("field")
        if not name:
            event["label"] = None
        elif name.startswith(PREFIX):
            event["label"] = labels.get(name, name[len(PREFIX) :])
        else:
            event["label"] = label_of(name)
