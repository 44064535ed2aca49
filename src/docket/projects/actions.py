"""Every write to projects and memberships. Actions check permission and run in one transaction."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db import IntegrityError, transaction

from docket.accounts.actor import Who, account_of
from docket.accounts.models import Team, User
from docket.audit.log import record as audit
from docket.core.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from docket.projects.access import ASSIGNABLE_ROLES, Perm, forget_roles, require, role_in
from docket.projects.models import Component, Membership, Milestone, Project, Role
from docket.projects.workflows import TEMPLATES, create_workflow

PROJECT_KEY = re.compile(r"^[A-Z][A-Z0-9]{1,9}$")
EDITABLE_PROJECT_FIELDS = {"name", "description", "visibility", "lead", "reporters_see_own_only"}


def _check_key(key: str) -> str:
    if not PROJECT_KEY.fullmatch(key):  # not .match: "$" also matches before a final "\n"
        raise Invalid.field(
            "key", "must be 2-10 upper-case letters or digits, starting with a letter (e.g. WEB)"
        )
    return key


def _user_by_name(field: str, username: str) -> User:
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise Invalid.field(field, f"no active user '{username}'")
    return user


@transaction.atomic
def create_project(
    *,
    actor: Who,
    key: str,
    name: str,
    description: str = "",
    visibility: str = Project.Visibility.PRIVATE,
    lead: str | None = None,
    workflow: str = "default",
    reporters_see_own_only: bool = False,
) -> Project:
    """Create a project with its own copy of a workflow; the creator becomes its admin."""
    if not actor.is_authenticated:
        raise Unauthenticated("sign in to create projects")
    _check_key(key)
    if workflow not in TEMPLATES:
        raise Invalid.field("workflow", f"unknown template; choose one of {', '.join(TEMPLATES)}")
    if Project.objects.filter(key=key).exists():
        raise Conflict(
            f"a project with key {key} already exists",
            errors=[{"field": "key", "message": "already taken"}],
        )
    project = Project.objects.create(
        key=key,
        name=name,
        description=description,
        visibility=visibility,
        lead=_user_by_name("lead", lead) if lead else account_of(actor),
        workflow=create_workflow(workflow),
        reporters_see_own_only=reporters_see_own_only,
    )
    Membership.objects.create(project=project, user=account_of(actor), role=Role.ADMIN)
    forget_roles(actor)
    audit(actor, "project.created", project=project, target=key, visibility=visibility)
    return project


@transaction.atomic
def update_project(*, actor: Who, project: Project, changes: dict[str, Any]) -> Project:
    require(actor, project, Perm.MANAGE_PROJECT)
    unknown = set(changes) - EDITABLE_PROJECT_FIELDS
    if unknown:
        raise Invalid.field(sorted(unknown)[0], "cannot be changed")
    changed: dict[str, list[Any]] = {}
    for field, value in changes.items():
        before = _shown(getattr(project, field))
        value = _project_value(field, value)
        setattr(project, field, value)
        if before != _shown(value):
            changed[field] = [before, _shown(value)]
    project.save()
    if changed:
        audit(actor, "project.updated", project=project, target=project.key, changes=changed)
    return project


def _project_value(field: str, value: Any) -> Any:
    """A setting checked (the API's schema checks types too; pages send text)."""
    if field == "lead":
        return _user_by_name("lead", value) if value else None
    if field == "name" and (not isinstance(value, str) or not 1 <= len(value.strip()) <= 200):
        raise Invalid.field("name", "must be 1-200 characters")
    if field == "visibility" and value not in Project.Visibility.values:
        raise Invalid.field("visibility", f"must be one of {', '.join(Project.Visibility.values)}")
    if field == "reporters_see_own_only" and not isinstance(value, bool):
        raise Invalid.field("reporters_see_own_only", "must be true or false")
    if field == "description" and (not isinstance(value, str) or len(value) > 10_000):
        raise Invalid.field("description", "must be text of at most 10,000 characters")
    return value.strip() if field == "name" else value


def _shown(value: Any) -> Any:
    """How a setting reads in the audit log (users by name)."""
    return value.username if isinstance(value, User) else value


def _member_target(username: str | None, team: str | None) -> dict[str, Any]:
    if bool(username) == bool(team):
        raise Invalid(
            "give exactly one of user or team",
            errors=[{"field": "user", "message": "give exactly one of user or team"}],
        )
    if username:
        return {"user": _user_by_name("user", username)}
    found = Team.objects.filter(slug=team).first()
    if found is None:
        raise Invalid.field("team", f"no team '{team}'")
    return {"team": found}


@transaction.atomic
def set_member(
    *, actor: Who, project: Project, role: str, user: str | None = None, team: str | None = None
) -> Membership:
    """Give a user or team a role on the project (adding them, or changing their role)."""
    require(actor, project, Perm.MANAGE_PROJECT)
    if role not in Role.values:
        raise Invalid.field("role", f"must be one of {', '.join(Role.values)}")
    target = _member_target(user, team)
    membership = Membership.objects.filter(project=project, **target).first()
    previous = membership.role if membership else None
    if membership and membership.role == Role.ADMIN and role != Role.ADMIN:
        _keep_an_admin(project, membership)
    try:
        membership, _ = Membership.objects.update_or_create(
            project=project, **target, defaults={"role": role}
        )
    except IntegrityError:
        raise Conflict("membership changed concurrently; retry") from None
    forget_roles(actor)
    who = f"team:{team}" if team else user or ""
    audit(actor, "member.role_set", project=project, target=who, role=role, previous=previous)
    return membership


@transaction.atomic
def remove_member(
    *, actor: Who, project: Project, user: str | None = None, team: str | None = None
) -> None:
    require(actor, project, Perm.MANAGE_PROJECT)
    target = _member_target(user, team)
    membership = Membership.objects.filter(project=project, **target).first()
    if membership is None:
        raise NotFound(f"{user or team} is not a member of {project.key}")
    if membership.role == Role.ADMIN:
        _keep_an_admin(project, membership)
    membership.delete()
    forget_roles(actor)
    who = f"team:{team}" if team else user or ""
    audit(actor, "member.removed", project=project, target=who, previous=membership.role)


def _keep_an_admin(project: Project, leaving: Membership) -> None:
    others = Membership.objects.filter(project=project, role=Role.ADMIN).exclude(id=leaving.id)
    if not others.exists():
        raise Forbidden(f"{project.key} would have no admin left; make someone else admin first")


@transaction.atomic
def add_component(*, actor: Who, project: Project, name: str, lead: str | None = None) -> Component:
    require(actor, project, Perm.MANAGE_PROJECT)
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise Invalid.field("name", "must be 1-100 characters")
    if Component.objects.filter(project=project, name=name).exists():
        raise Conflict(
            f"{project.key} already has a component {name!r}",
            errors=[{"field": "name", "message": "already taken"}],
        )
    person = _component_lead(project, lead)
    audit(actor, "component.created", project=project, target=name, lead=lead)
    return Component.objects.create(project=project, name=name, lead=person)


def _component_lead(project: Project, username: str | None) -> User | None:
    """A component's lead must be someone who may be assigned in the project (an active
    member or admin, directly or through a team): routing assigns issues to them."""
    if username is None:
        return None
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None or role_in(user, project) not in ASSIGNABLE_ROLES:
        raise Invalid.field(
            "lead", f"'{username[:150]}' is not a member of {project.key} who may be assigned"
        )
    return user


@transaction.atomic
def set_component_lead(
    *, actor: Who, project: Project, component: str, lead: str | None
) -> Component:
    """Set (or, with None, clear) the lead of a component; routing's `component_lead`."""
    require(actor, project, Perm.MANAGE_PROJECT)
    found = (
        Component.objects.select_for_update(of=("self",))
        .select_related("lead")
        .filter(project=project, name=component)
        .first()
    )
    if found is None:
        raise NotFound(f"no component {component[:100]!r} in {project.key}")
    person = _component_lead(project, lead)
    old = found.lead.username if found.lead else None
    if found.lead_id != (person.pk if person else None):
        found.lead = person
        found.save(update_fields=["lead"])
        audit(actor, "component.changed", project=project, target=component, lead=[old, lead])
    return found


def _date(field: str, raw: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        raise Invalid.field(field, "must be a real date like 2026-12-31") from None


def _check_span(start: dt.date | None, due: dt.date | None) -> None:
    if start and due and start > due:
        raise Invalid.field("start_date", "must be on or before the due date")


def _milestone_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 100:
        raise Invalid.field("name", "must be 1-100 characters")
    return name


@transaction.atomic
def add_milestone(
    *,
    actor: Who,
    project: Project,
    name: str,
    due_date: str | None = None,
    start_date: str | None = None,
) -> Milestone:
    require(actor, project, Perm.MANAGE_PROJECT)
    name = _milestone_name(name)
    if Milestone.objects.filter(project=project, name=name).exists():
        raise Conflict(
            f"{project.key} already has a milestone {name!r}",
            errors=[{"field": "name", "message": "already taken"}],
        )
    start, due = _date("start_date", start_date), _date("due_date", due_date)
    _check_span(start, due)
    audit(
        actor, "milestone.created", project=project, target=name,
        start_date=start_date, due_date=due_date,
    )  # fmt: skip
    return Milestone.objects.create(project=project, name=name, start_date=start, due_date=due)


MILESTONE_CHANGES = {"name", "start_date", "due_date", "closed"}


@transaction.atomic
def update_milestone(
    *, actor: Who, project: Project, name: str, changes: dict[str, Any]
) -> Milestone:
    """Rename, re-date, close or reopen a milestone (project admins). `changes` holds only
    what is changed: `name`, `start_date`/`due_date` (ISO dates or None), `closed`."""
    require(actor, project, Perm.MANAGE_PROJECT)
    unknown = set(changes) - MILESTONE_CHANGES
    if unknown:
        raise Invalid.field(sorted(unknown)[0], "is not a milestone field")
    found = Milestone.objects.select_for_update().filter(project=project, name=name).first()
    if found is None:
        raise NotFound(f"no milestone {name[:100]!r} in {project.key}")
    new_name = _milestone_name(changes.get("name", found.name))
    if new_name != found.name and Milestone.objects.filter(project=project, name=new_name).exists():
        raise Conflict(
            f"{project.key} already has a milestone {new_name!r}",
            errors=[{"field": "name", "message": "already taken"}],
        )
    start = (
        _date("start_date", changes["start_date"]) if "start_date" in changes else found.start_date
    )
    due = _date("due_date", changes["due_date"]) if "due_date" in changes else found.due_date
    _check_span(start, due)
    after = {"name": new_name, "start_date": start, "due_date": due,
             "closed": bool(changes.get("closed", found.closed))}  # fmt: skip
    diff = {
        field: [_plain(getattr(found, field)), _plain(value)]
        for field, value in after.items()
        if getattr(found, field) != value
    }
    if diff:
        for field, value in after.items():
            setattr(found, field, value)
        found.save(update_fields=list(after))
        audit(actor, "milestone.changed", project=project, target=name, **diff)
    return found


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value
