"""Project, membership, component and milestone endpoints."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from docket.accounts.actor import Who
from docket.accounts.api_auth import ApiRequest
from docket.core.errors import Invalid
from docket.projects import actions
from docket.projects.access import (
    Perm,
    get_project_for,
    role_in,
    visible_memberships,
    visible_projects,
)
from docket.projects.models import Component, Membership, Milestone, Project

router = Router(tags=["projects"])
Visibility = Literal["private", "internal", "public"]
RoleName = Literal["admin", "member", "reporter", "viewer"]


class StrictIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)


class ProjectCreate(StrictIn):
    key: str = Field(
        min_length=2,
        max_length=10,
        examples=["WEB"],
        # Documented for clients and the fuzzer; checked by the action, with a clearer message.
        json_schema_extra={"pattern": "^[A-Z][A-Z0-9]{1,9}$"},
    )
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=10_000)
    visibility: Visibility = "private"
    lead: str | None = None
    workflow: str = "default"
    reporters_see_own_only: bool = Field(
        False, description="Support desk: reporters and outsiders see only their own tickets"
    )


class ProjectUpdate(StrictIn):
    name: str = Field(default=None, min_length=1, max_length=200)  # type: ignore[assignment]
    description: str = Field(default=None, max_length=10_000)  # type: ignore[assignment]
    visibility: Visibility = None  # type: ignore[assignment]
    lead: str | None = None
    reporters_see_own_only: bool = None  # type: ignore[assignment]


class StateOut(Schema):
    name: str
    category: str
    color: str


class ProjectOut(Schema):
    key: str
    name: str
    description: str
    visibility: str
    reporters_see_own_only: bool
    lead: str | None
    your_role: str | None
    statuses: list[StateOut]
    created_at: Any
    updated_at: Any


class MemberIn(StrictIn):
    user: str | None = None
    team: str | None = None
    role: RoleName


class MemberOut(Schema):
    user: str | None
    team: str | None
    role: str


class NameIn(StrictIn):
    name: str = Field(min_length=1, max_length=100)


class ComponentIn(NameIn):
    lead: str | None = Field(
        default=None,
        max_length=150,
        description="Username of the component's lead: a member or admin of the project "
        "(routing may assign its issues to them)",
    )


class ComponentUpdate(StrictIn):
    lead: str | None = Field(max_length=150, description="A username, or null to clear it")


class ComponentOut(Schema):
    name: str
    lead: str | None


ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"


class NamedIn(NameIn):  # a milestone: a name and optional start and due dates
    start_date: str | None = Field(default=None, pattern=ISO_DATE)
    due_date: str | None = Field(default=None, pattern=ISO_DATE)


class MilestoneUpdate(StrictIn):
    """Only the fields sent change; a date sent as null is cleared."""

    name: str | None = Field(default=None, min_length=1, max_length=100)
    start_date: str | None = Field(default=None, pattern=ISO_DATE)
    due_date: str | None = Field(default=None, pattern=ISO_DATE)
    closed: bool | None = None


class MilestoneOut(Schema):
    name: str
    start_date: date | None
    due_date: date | None
    closed: bool


class MemberQuery(Schema):
    user: str | None = None
    team: str | None = None


def project_out(project: Project, user: Who) -> dict[str, Any]:
    states = project.workflow.states.all()
    return {
        "key": project.key,
        "name": project.name,
        "description": project.description,
        "visibility": project.visibility,
        "reporters_see_own_only": project.reporters_see_own_only,
        "lead": project.lead.username if project.lead else None,
        "your_role": role_in(user, project),
        "statuses": [
            {"name": s.name.lower(), "category": s.category, "color": s.color} for s in states
        ],
        "created_at": project.created_at,
        "updated_at": project.updated_at,
    }


def member_out(membership: Membership) -> dict[str, Any]:
    return {
        "user": membership.user.username if membership.user else None,
        "team": membership.team.slug if membership.team else None,
        "role": membership.role,
    }


@router.get("/projects", response=list[ProjectOut], summary="Projects you can see")
def list_projects(request: ApiRequest) -> Any:
    projects = visible_projects(request.auth).select_related("lead", "workflow")
    projects = projects.prefetch_related("workflow__states")
    return [project_out(p, request.auth) for p in projects.order_by("key")]


@router.post("/projects", response={201: ProjectOut}, summary="Create a project")
def create_project(request: ApiRequest, payload: ProjectCreate) -> Any:
    project = actions.create_project(actor=request.auth, **payload.model_dump())
    return Status(201, project_out(project, request.auth))


@router.get("/projects/{key}", response=ProjectOut)
def get_project(request: ApiRequest, key: str) -> Any:
    return project_out(get_project_for(request.auth, key), request.auth)


@router.patch("/projects/{key}", response=ProjectOut)
def update_project(request: ApiRequest, key: str, payload: ProjectUpdate) -> Any:
    project = get_project_for(request.auth, key)
    changes = payload.model_dump(exclude_unset=True)
    project = actions.update_project(actor=request.auth, project=project, changes=changes)
    return project_out(project, request.auth)


@router.get("/projects/{key}/members", response=list[MemberOut])
def list_members(request: ApiRequest, key: str) -> Any:
    project = get_project_for(request.auth, key)
    rows = visible_memberships(request.auth, project).select_related("user", "team")
    return [member_out(m) for m in rows.order_by("id")]


@router.post("/projects/{key}/members", response={201: MemberOut})
def add_member(request: ApiRequest, key: str, payload: MemberIn) -> Any:
    project = get_project_for(request.auth, key)
    membership = actions.set_member(actor=request.auth, project=project, **payload.model_dump())
    return Status(201, member_out(membership))


@router.delete("/projects/{key}/members", response={204: None})
def remove_member(request: ApiRequest, key: str, who: Query[MemberQuery]) -> Any:
    project = get_project_for(request.auth, key)
    actions.remove_member(actor=request.auth, project=project, user=who.user, team=who.team)
    return Status(204, None)


def component_out(component: Component) -> dict[str, Any]:
    return {"name": component.name, "lead": component.lead.username if component.lead else None}


@router.get("/projects/{key}/components", response=list[ComponentOut])
def list_components(request: ApiRequest, key: str) -> Any:
    project = get_project_for(request.auth, key)
    rows = Component.objects.filter(project=project).select_related("lead").order_by("name")
    return [component_out(c) for c in rows]


@router.post("/projects/{key}/components", response={201: ComponentOut})
def add_component(request: ApiRequest, key: str, payload: ComponentIn) -> Any:
    project = get_project_for(request.auth, key, Perm.VIEW)
    component = actions.add_component(
        actor=request.auth, project=project, name=payload.name, lead=payload.lead
    )
    return Status(201, component_out(component))


@router.patch("/projects/{key}/components/{name}", response=ComponentOut)
def update_component(request: ApiRequest, key: str, name: str, payload: ComponentUpdate) -> Any:
    """Set or clear the component's lead (project admins)."""
    project = get_project_for(request.auth, key, Perm.VIEW)
    component = actions.set_component_lead(
        actor=request.auth, project=project, component=name, lead=payload.lead
    )
    return component_out(component)


@router.get("/projects/{key}/milestones", response=list[MilestoneOut])
def list_milestones(request: ApiRequest, key: str) -> Any:
    project = get_project_for(request.auth, key)
    return list(Milestone.objects.filter(project=project).order_by("name"))


@router.post("/projects/{key}/milestones", response={201: MilestoneOut})
def add_milestone(request: ApiRequest, key: str, payload: NamedIn) -> Any:
    project = get_project_for(request.auth, key, Perm.VIEW)
    milestone = actions.add_milestone(
        actor=request.auth,
        project=project,
        name=payload.name,
        start_date=payload.start_date,
        due_date=payload.due_date,
    )
    return Status(201, milestone)


@router.patch("/projects/{key}/milestones/{name}", response=MilestoneOut)
def update_milestone(request: ApiRequest, key: str, name: str, payload: MilestoneUpdate) -> Any:
    """Rename, re-date, close or reopen a milestone (project admins)."""
    project = get_project_for(request.auth, key, Perm.VIEW)
    changes = payload.model_dump(exclude_unset=True)
    for field in ("name", "closed"):  # only the dates may be cleared
        if field in changes and changes[field] is None:
            raise Invalid.field(field, "may not be null")
    return actions.update_milestone(actor=request.auth, project=project, name=name, changes=changes)


__all__ = ["router", "Perm"]
