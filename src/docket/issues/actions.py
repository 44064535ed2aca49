"""Every write to an issue's fields: create, update, transition, delete and restore (the
bulk edit in bulk.py goes through these). Each action checks permission, changes the rows and
records one event per changed field (issues/events.py), all in one transaction. Comments are
in comments.py, explicit access in sharing.py, attachments in the attachments app; nothing
else writes issues."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, transaction

from docket.accounts.actor import Who, account_of
from docket.audit.log import record as audit
from docket.core.bulk import Columns, column_adapters, values_of
from docket.core.clock import now
from docket.core.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from docket.core.rows import insert_returning_id, insert_rows
from docket.issues import custom_fields
from docket.issues.access import check_field_permissions, require_on_issue
from docket.issues.events import record
from docket.issues.fields import (
    EDITABLE_FIELDS,
    FIELDS,
    MAX_COMMENT,
    TRANSITION_FIELDS,
    clean_text,
    field_value,
    snapshot,
)
from docket.issues.mentions import record_mentions
from docket.issues.models import Comment, EventKind, Issue, IssueEvent
from docket.issues.relations import ProjectRelations, initial_state
from docket.issues.status_rules import (
    apply_rule,
    choose_rule,
    follow_status,
    opening_resolution,
    require_chosen_resolution,
)
from docket.issues.watching import add_watchers
from docket.projects.access import Perm, permissions_in, require
from docket.projects.models import Project, WorkflowState
from docket.projects.workflow_rules import (
    Rule,
)


def to_stored(project: Project, values: dict[str, Any]) -> dict[str, Any]:
    """Outside values checked and resolved to what the model stores (objects for relations),
    by the field table's rules."""
    relations = ProjectRelations(project)
    # In the table's order, whatever the caller's: events come out in a stable order.
    return {
        name: field.to_stored(values[name], relations)
        for name, field in FIELDS.items()
        if name in values
    }


def _set(issue: Issue, field: str, value: Any) -> None:
    if field in ("labels", "components"):
        getattr(issue, field).set(value)
    else:
        setattr(issue, field, value)


# --- creating -------------------------------------------------------------------------------


def allocate_numbers(project: Project, count: int = 1) -> int:
    """Reserve `count` consecutive numbers; returns the first. Call inside a transaction.

    The UPDATE takes the project row's write lock until commit, so concurrent creators queue
    up here on PostgreSQL; on SQLite the IMMEDIATE transaction already serialises writers.
    """
    table = Project._meta.db_table
    with connection.cursor() as cursor:  # one statement: UPDATE … RETURNING (SQLite 3.35+)
        cursor.execute(
            f"UPDATE {table} SET next_number = next_number + %s WHERE id = %s "  # noqa: S608
            "RETURNING next_number",
            [count, project.pk],
        )
        (after,) = cursor.fetchone()
    return int(after) - count


_NEW_ISSUE_COLUMNS: dict[str, Columns] = {}  # by database vendor: the adapters differ


def _insert_new(issue: Issue) -> None:
    """Save a new issue by one INSERT … RETURNING: `save()` compiled its INSERT anew for
    every create. Every value is on the instance already (the model's defaults, the
    caller's fields); the Issue model has no auto_now fields and no save() of its own."""
    columns = _NEW_ISSUE_COLUMNS.get(connection.vendor)
    if columns is None:
        columns = [c for c in column_adapters(Issue) if c[0] != "id"]
        _NEW_ISSUE_COLUMNS[connection.vendor] = columns
    issue.pk = insert_returning_id(Issue, [c for _, c, _ in columns], values_of(issue, columns))
    issue._state.adding = False
    issue._state.db = DEFAULT_DB_ALIAS


@transaction.atomic
def create_issue(*, actor: Who, project: Project, fields: dict[str, Any]) -> Issue:
    """File a new issue. `fields` uses outside values; title is required. Its
    `custom_fields` ({name: value}) are the project's custom fields (custom_fields.py)."""
    fields = dict(fields)
    custom = custom_fields.cleaned(project, fields.pop("custom_fields", None) or {})
    custom_fields.missing_required(project, custom)
    perms = permissions_in(actor, project)
    if Perm.CREATE_ISSUE not in perms:
        if not actor.is_authenticated:
            raise Unauthenticated("sign in or send an API token to file issues")
        raise Forbidden(f"you may not create issues in {project.key}")
    if "title" not in fields:
        raise Invalid.field("title", "is required")
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise Invalid.field(sorted(unknown)[0], "cannot be set when creating an issue")
    if ("status" in fields or "resolution" in fields) and Perm.EDIT_ISSUE not in perms:
        raise Forbidden("only members can set the status or resolution of a new issue")
    if fields.get("parent") is not None and Perm.EDIT_ISSUE not in perms:
        raise Forbidden("only members can file a sub-task")  # as update_issue's field rule
    values = to_stored(project, fields)
    moment = now()
    status = values.pop("status", None) or initial_state(project)
    labels = values.pop("labels", [])
    components = values.pop("components", [])
    values["resolution"] = opening_resolution(status, values.get("resolution", ""))
    issue = Issue(
        project=project,
        reporter=account_of(actor),
        status=status,
        created_at=moment,
        updated_at=moment,
        resolved_at=moment if status.is_done else None,
        **values,
    )
    issue.number = allocate_numbers(project)
    _insert_new(issue)
    # A new issue has no links yet: insert them (`.set()` would read them first; the ORM's
    # bulk_create compiles its INSERT and reads the new ids back), and name them in its
    # snapshot from memory.
    for relation, items in (("labels", labels), ("components", components)):
        if items:
            through = getattr(Issue, relation).through
            column = getattr(Issue, relation).field.m2m_reverse_field_name()
            insert_rows(through, ["issue", column], [(issue.pk, x.pk) for x in items])
    custom_fields.write(issue, custom)
    names = {
        "labels": sorted(x.name for x in labels),
        "components": sorted(x.name for x in components),
    }
    created = snapshot(issue, names)
    created.update(
        (custom_fields.PREFIX + name, v) for name, v in custom.items() if v not in (None, [])
    )
    record(issue, actor, EventKind.CREATED, moment, new=created)
    add_watchers(issue, [actor, issue.assignee], moment, new=True)  # reporter and assignee
    record_mentions(issue, issue.description, moment, first=True)
    return issue


# --- updating -------------------------------------------------------------------------------


def _check_conflicts(issue: Issue, changes: dict[str, Any], base_version: int | None) -> None:
    """Refuse a stale update that touches a field someone else changed since `base_version`."""
    if base_version is None or base_version == issue.version:
        return
    if base_version > issue.version or base_version < 1:
        raise Conflict(
            f"version {base_version} of {issue.key} never existed", current=snapshot(issue)
        )
    moved = set(
        IssueEvent.objects.filter(issue=issue, version__gt=base_version)
        .exclude(field="")
        .values_list("field", flat=True)
    )
    clashing = sorted(
        f for f in changes if f in moved and _comparable(f, changes[f]) != field_value(issue, f)
    )
    if clashing:
        raise Conflict(
            f"{issue.key} changed since version {base_version}: {', '.join(clashing)}",
            errors=[{"field": f, "message": "changed by someone else meanwhile"} for f in clashing],
            current=snapshot(issue),
        )


def _check_custom_conflicts(issue: Issue, values: dict[str, Any], base_version: int | None) -> None:
    """As `_check_conflicts`, for custom fields (their events are `cf.<name>`)."""
    if base_version is None or base_version == issue.version or not values:
        return
    moved = set(
        IssueEvent.objects.filter(issue=issue, version__gt=base_version)
        .filter(field__startswith=custom_fields.PREFIX)
        .values_list("field", flat=True)
    )
    current = custom_fields.stored_values(issue)
    clashing = sorted(
        custom_fields.PREFIX + name
        for name, value in values.items()
        if custom_fields.PREFIX + name in moved and value != current.get(name)
    )
    if clashing:
        raise Conflict(
            f"{issue.key} changed since version {base_version}: {', '.join(clashing)}",
            errors=[{"field": f, "message": "changed by someone else meanwhile"} for f in clashing],
            current=snapshot(issue),
        )


def _comparable(field: str, value: Any) -> Any:
    """An outside value normalised the way `field_value` reports it (an invalid one is left
    as it is: it clashes, and the check after the conflict test names what is wrong)."""
    if field == "status" and isinstance(value, str):
        return value.lower()
    try:
        return FIELDS[field].check(value)
    except Invalid:
        return value


@transaction.atomic
def update_issue(
    *, actor: Who, issue: Issue, changes: dict[str, Any], base_version: int | None = None
) -> Issue:
    """Change fields of an issue. `changes` uses outside values. With `base_version`, a
    change to a field that moved since that version is refused (409); others merge.
    A status change takes a transition of the workflow and obeys its rules, as `transition`.
    `custom_fields` ({name: value}) changes the project's custom fields, one event each."""
    changes = dict(changes)
    custom = changes.pop("custom_fields", None)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise Invalid.field(sorted(unknown)[0], "is not an editable issue field")
    issue = locked(issue)
    # Who may move the status (and give a resolution with it) is the transition's rule.
    ruled = {"status", "resolution"} if "status" in changes else set()
    check_field_permissions(actor, issue, set(changes) - ruled)
    if custom is not None:
        check_field_permissions(actor, issue, {"custom_fields"})
    _check_conflicts(issue, changes, base_version)
    custom_values = custom_fields.cleaned(issue.project, custom or {})
    _check_custom_conflicts(issue, custom_values, base_version)
    values = to_stored(issue.project, changes)
    # An unchanged resolution stays for now, so a reopen that also sends it is refused below.
    values = {f: v for f, v in values.items() if f == "resolution" or _differs(issue, f, v)}
    if values.get("parent") is not None:
        refuse_cycle(issue, values["parent"])
    rule = None
    if "status" in values:
        rule, _ = choose_rule(actor, issue, target=values["status"])
    elif ruled:  # the status does not move, so no transition vouches for the other fields
        check_field_permissions(actor, issue, set(changes))
    return _change(actor, issue, values, rule=rule, custom=custom_values)


@transaction.atomic
def transition(
    *,
    actor: Who,
    issue: Issue,
    to: str | None = None,
    name: str | None = None,
    fields: dict[str, Any] | None = None,
    comment: str | None = None,
    base_version: int | None = None,
    ask_resolution: bool = False,
) -> Issue:
    """Move an issue along a transition of its workflow: to the state `to`, or the transition
    called `name` (both may be given; they must agree). `fields` (TRANSITION_FIELDS, outside
    values) change with it and `comment` is added with it, all in one new version.

    Entering a done state without a resolution records "fixed", unless `ask_resolution` (the
    web pages, which ask the person): then it is a 422 naming the resolution field.

    The transition's rules apply: its roles (403), then its effects and required fields (422),
    then the automatic changes of the state categories. A transition is chosen from the state
    the caller saw, so with `base_version` any status move since that version is a 409.
    """
    fields = dict(fields or {})
    unknown = set(fields) - set(TRANSITION_FIELDS)
    if unknown:
        raise Invalid.field(sorted(unknown)[0], "cannot change with a transition; use PATCH")
    if to is None and name is None:
        message = "give the target state (to) or the transition's name (transition)"
        raise Invalid(message, errors=[{"field": "to", "message": message}])
    issue = locked(issue)
    check_field_permissions(actor, issue, set(fields) - {"resolution"})
    if comment is not None:
        require_on_issue(actor, issue, Perm.COMMENT)
        comment = clean_text("comment", comment, max_length=MAX_COMMENT, required=True)
    _check_conflicts(issue, {**fields, "status": None}, base_version)  # None: any move clashes
    relations = ProjectRelations(issue.project)
    target = relations.state(to, field="to") if to is not None else None
    rule, state = choose_rule(actor, issue, target=target, name=name, field="to")
    values: dict[str, Any] = {"status": state}  # first, so its event comes first
    for f, v in fields.items():
        value = FIELDS[f].to_stored(v, relations)
        if f == "resolution" or _differs(issue, f, value):
            values[f] = value
    if ask_resolution and "resolution" not in rule.required_fields:  # else the rule's words
        require_chosen_resolution(issue, state, values.get("resolution") or "")
    return _change(actor, issue, values, rule=rule, comment=comment)


def _change(
    actor: Who,
    issue: Issue,
    values: dict[str, Any],
    *,
    rule: Rule | None = None,
    comment: str | None = None,
    custom: dict[str, Any] | None = None,
) -> Issue:
    """Apply resolved `values` (and a transition's rules) to a locked issue as one version;
    `custom`: clean custom field values (custom_fields.py)."""
    moment = now()
    if rule is not None:
        apply_rule(actor, issue, rule, values, comment)
    if "status" in values or "resolution" in values:
        follow_status(issue, values, moment)
    values = {f: v for f, v in values.items() if _differs(issue, f, v)}
    custom_changes = custom_fields.write(issue, custom or {})
    if not values and comment is None and not custom_changes:
        return issue
    _write(issue, actor, values, moment)
    for field, old, new in custom_changes:  # after the table's fields, in the version
        record(issue, actor, EventKind.CHANGED, moment, field=field, old=old, new=new)
    if comment is not None:
        note = Comment.objects.create(
            issue=issue,
            author=account_of(actor),
            body=comment,
            created_at=moment,
            updated_at=moment,
        )
        record(issue, actor, EventKind.COMMENTED, moment, comment=note, new=comment)
        record_mentions(issue, comment, moment, comment=note, first=True)
    return issue


def _write(issue: Issue, actor: Who, values: dict[str, Any], moment: dt.datetime) -> None:
    """Save `values` as the issue's next version, with one `changed` event per field."""
    before = {f: field_value(issue, f) for f in values}
    issue.version += 1
    issue.updated_at = moment
    for field, value in values.items():
        _set(issue, field, value)
    issue.save()
    if values.get("assignee") is not None:
        add_watchers(issue, [issue.assignee], moment)  # a new assignee follows the issue
    if "description" in values:
        record_mentions(issue, issue.description, moment)
    for field in values:
        record(
            issue,
            actor,
            EventKind.CHANGED,
            moment,
            field=field,
            old=before[field],
            new=field_value(issue, field),
        )


@transaction.atomic
def move_issues(
    *, actor: Who, project: Project, source: WorkflowState, target: WorkflowState
) -> int:
    """Move every issue in `source` (deleted ones too) to `target`; returns how many.

    For workflow edits (a state being removed): the admin changes the workflow itself, so no
    transition rule applies, but the category changes do (entering or leaving done). Each
    issue gets a new version with a `changed` status event (and resolution events if needed).
    """
    require(actor, project, Perm.MANAGE_PROJECT)
    if {source.workflow_id, target.workflow_id} != {project.workflow_id}:
        raise Invalid(f"both states must belong to the workflow of {project.key}")
    issues = (
        Issue.objects.select_for_update(of=("self",))
        .select_related("project", "status", "assignee", "milestone", "team")
        .filter(status=source)
        .order_by("id")
    )
    moment = now()
    moved = 0
    for issue in issues:
        values: dict[str, Any] = {"status": target}
        follow_status(issue, values, moment)
        _write(issue, actor, values, moment)
        moved += 1
    return moved


DETACHABLE = ("labels", "components", "milestone")


@transaction.atomic
def detach_from_issues(*, actor: Who, project: Project, field: str, item: Any) -> int:
    """Take a label or component off every issue of `project` carrying it, or clear a
    milestone from every issue in it (deleted issues too); returns how many changed.

    For settings edits (the item is being deleted): like `move_issues`, each issue gets a new
    version with a `changed` event, so nothing about an issue changes unrecorded.
    """
    require(actor, project, Perm.MANAGE_PROJECT)
    if field not in DETACHABLE or item.project_id != project.pk:
        raise Invalid(f"cannot detach {field} of another project")
    issues = (
        Issue.objects.select_for_update(of=("self",))
        .select_related("project", "status", "assignee", "milestone", "team")
        .prefetch_related("labels", "components")
        .filter(**{field: item})
        .order_by("id")
    )
    moment = now()
    changed = 0
    for issue in issues:
        if field == "milestone":
            values: dict[str, Any] = {"milestone": None}
        else:
            values = {field: [x for x in getattr(issue, field).all() if x.pk != item.pk]}
        _write(issue, actor, values, moment)
        changed += 1
    return changed


MAX_DEPTH = 50  # sub-task levels walked when looking for a cycle


def refuse_cycle(issue: Issue, parent: Issue) -> None:
    """422 naming the cycle if `parent` is `issue` or one of its sub-tasks at any depth."""
    chain = [issue.key, parent.key]
    current: Issue | None = parent
    for _ in range(MAX_DEPTH):
        if current is None:
            return
        if current.pk == issue.pk:
            raise Invalid.field("parent", f"would make a cycle: {' → '.join(chain)}")
        current = current.parent
        if current is not None:
            chain.append(current.key)
    raise Invalid.field("parent", f"sub-tasks may nest at most {MAX_DEPTH} levels deep")


def _differs(issue: Issue, field: str, value: Any) -> bool:
    if field in ("labels", "components"):
        return sorted(x.pk for x in getattr(issue, field).all()) != sorted(x.pk for x in value)
    return bool(getattr(issue, field) != value)


def locked(issue: Issue) -> Issue:
    """Re-read the issue under a row lock, so the checks below see the latest version."""
    fresh = (
        Issue.objects.select_for_update(of=("self",))
        .select_related(
            "project", "project__workflow", "status", "reporter", "assignee", "milestone", "team"
        )
        .get(pk=issue.pk)
    )
    if fresh.deleted_at is not None:
        raise NotFound(f"no issue {issue.key}")
    return fresh


def assign(
    *, actor: Who, issue: Issue, assignee: str | None, base_version: int | None = None
) -> Issue:
    return update_issue(
        actor=actor, issue=issue, changes={"assignee": assignee}, base_version=base_version
    )


# --- deleting -------------------------------------------------------------------------------


@transaction.atomic
def delete_issue(*, actor: Who, issue: Issue) -> None:
    """Hide an issue. Nothing is erased: the event records it and an admin can restore it."""
    require_on_issue(actor, issue, Perm.MODERATE)
    issue = locked(issue)
    moment = now()
    issue.deleted_at = moment
    issue.version += 1
    issue.save(update_fields=["deleted_at", "version"])
    record(issue, actor, EventKind.DELETED, moment)
    audit(actor, "issue.deleted", project=issue.project, target=issue.key, title=issue.title)


@transaction.atomic
def restore_issue(*, actor: Who, issue: Issue) -> Issue:
    require_on_issue(actor, issue, Perm.MODERATE)
    issue = Issue.objects.select_for_update(of=("self",)).select_related("project").get(pk=issue.pk)
    if issue.deleted_at is None:
        raise Invalid(f"{issue.key} is not deleted")
    moment = now()
    issue.deleted_at = None
    issue.version += 1
    issue.save(update_fields=["deleted_at", "version"])
    record(issue, actor, EventKind.RESTORED, moment)
    audit(actor, "issue.restored", project=issue.project, target=issue.key)
    return issue
