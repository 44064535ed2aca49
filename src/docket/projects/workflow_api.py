"""Workflow endpoints: read a project's workflow and its templates; edit states, transitions
and their rules (project admins). Rules live in workflow_actions.py and workflow_rules.py."""

from __future__ import annotations

from typing import Any, Literal

from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from docket.accounts.api_auth import ApiRequest
from docket.projects import workflow_actions as actions
from docket.projects.access import get_project_for
from docket.projects.models import Project, WorkflowState, WorkflowTransition
from docket.projects.workflow_rules import EFFECTS, REQUIRABLE_FIELDS
from docket.projects.workflows import TEMPLATES

router = Router(tags=["workflows"])
Category = Literal["todo", "in_progress", "done"]
Name = Field(min_length=1, max_length=50)
Names = list[str]


class StrictIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=False)


class TemplateStateOut(Schema):
    """A state of a template."""

    name: str = Field(description="As written, e.g. 'In Progress'")
    status: str = Field(description="What issues show and what to send: 'in progress'")
    category: str
    order: int
    color: str
    initial: bool


class WorkflowStateOut(TemplateStateOut):
    """A state of a project's workflow (a template's fields, plus its WIP limit and whether
    SLA clocks pause in it)."""

    wip_limit: int | None = Field(description="Work-in-progress limit (board); null: none")
    waiting: bool = Field(description="The ball is outside the team: SLA clocks pause here")


class TemplateTransitionOut(Schema):
    """A transition of a template."""

    name: str
    from_: str | None = Field(alias="from", description="null: from any state")
    to: str
    allowed_roles: list[str] = Field(description="Empty: every role that may edit issues")
    required_fields: list[str]
    effects: list[str]


class WorkflowTransitionOut(Schema):
    """A transition of a project's workflow (the same fields as a template's, plus its id)."""

    id: int
    name: str
    from_: str | None = Field(alias="from", description="null: from any state")
    to: str
    allowed_roles: list[str] = Field(description="Empty: every role that may edit issues")
    required_fields: list[str]
    effects: list[str]


class WorkflowOut(Schema):
    name: str
    template: str
    states: list[WorkflowStateOut]
    transitions: list[WorkflowTransitionOut]


class TemplateOut(Schema):
    template: str
    name: str
    description: str
    states: list[TemplateStateOut]
    transitions: list[TemplateTransitionOut]


class WorkflowStateIn(StrictIn):
    name: str = Name
    category: Category
    color: str = Field("#888888", pattern=r"^#[0-9a-fA-F]{6}$")
    initial: bool = False
    waiting: bool = Field(False, description="SLA clocks pause in this state")


class WorkflowStateUpdate(StrictIn):
    name: str = Field(None, min_length=1, max_length=50)  # type: ignore[assignment]
    category: Category = None  # type: ignore[assignment]
    color: str = Field(None, pattern=r"^#[0-9a-fA-F]{6}$")  # type: ignore[assignment]
    initial: bool = Field(None, description="Only true: make this the initial state")  # type: ignore[assignment]
    wip_limit: int | None = Field(
        None, ge=1, le=10_000, description="Work-in-progress limit shown on the board; null: none"
    )
    waiting: bool = Field(None, description="SLA clocks pause in this state")  # type: ignore[assignment]


class StateOrderIn(StrictIn):
    states: Names = Field(min_length=1, max_length=100, description="Every state, once")


class StateRemoveParams(Schema):
    move_to: str | None = Field(None, description="Where issues in the state go")
    new_initial: str | None = Field(None, description="Needed when removing the initial state")


class StateRemovedOut(Schema):
    removed: str
    moved_issues: int
    moved_to: str | None
    removed_transitions: list[str]
    workflow: WorkflowOut


class WorkflowTransitionIn(StrictIn):
    name: str = Name
    from_: str | None = Field(None, alias="from", max_length=50, description="null: any state")
    to: str = Field(max_length=50)
    allowed_roles: Names = Field(default_factory=list, max_length=3)
    required_fields: Names = Field(
        default_factory=list,
        max_length=len(REQUIRABLE_FIELDS),
        description="Any of: " + ", ".join(REQUIRABLE_FIELDS),
    )
    effects: Names = Field(
        default_factory=list, max_length=len(EFFECTS), description="Any of: " + ", ".join(EFFECTS)
    )


class WorkflowTransitionUpdate(StrictIn):
    name: str = Field(None, min_length=1, max_length=50)  # type: ignore[assignment]
    allowed_roles: Names = Field(None, max_length=3)  # type: ignore[arg-type]
    required_fields: Names = Field(None, max_length=len(REQUIRABLE_FIELDS))  # type: ignore[arg-type]
    effects: Names = Field(None, max_length=len(EFFECTS))  # type: ignore[arg-type]


def state_out(state: WorkflowState) -> dict[str, Any]:
    return {
        "name": state.name,
        "status": state.name.lower(),
        "category": state.category,
        "order": state.order,
        "color": state.color,
        "initial": state.is_initial,
        "wip_limit": state.wip_limit,
        "waiting": state.waiting,
    }


def transition_out(transition: WorkflowTransition) -> dict[str, Any]:
    source = transition.from_state
    return {
        "id": transition.id,
        "name": transition.name,
        "from": source.name.lower() if source else None,
        "to": transition.to_state.name.lower(),
        "allowed_roles": list(transition.allowed_roles),
        "required_fields": list(transition.required_fields),
        "effects": list(transition.effects),
    }


def workflow_out(project: Project) -> dict[str, Any]:
    workflow = project.workflow
    transitions = workflow.transitions.select_related("from_state", "to_state").order_by("id")
    return {
        "name": workflow.name,
        "template": workflow.template,
        "states": [state_out(s) for s in workflow.states.order_by("order", "id")],
        "transitions": [transition_out(t) for t in transitions],
    }


def template_out(key: str) -> dict[str, Any]:
    template = TEMPLATES[key]
    return {
        "name": template.name,
        "template": key,
        "description": template.description,
        "states": [
            {
                "name": name,
                "status": name.lower(),
                "category": category,
                "order": order,
                "color": color,
                "initial": order == 0,
            }
            for order, (name, category, color) in enumerate(template.states)
        ],
        "transitions": [
            {
                "name": move.name,
                "from": move.source.lower() if move.source else None,
                "to": move.target.lower(),
                "allowed_roles": [str(r) for r in move.roles],
                "required_fields": list(move.requires),
                "effects": list(move.effects),
            }
            for move in template.transitions
        ],
    }


@router.get(
    "/workflow-templates",
    response=list[TemplateOut],
    by_alias=True,
    summary="The workflows a new project can start from",
)
def list_templates(request: ApiRequest) -> Any:
    return [template_out(key) for key in TEMPLATES]


@router.get(
    "/projects/{key}/workflow",
    response=WorkflowOut,
    by_alias=True,
    summary="A project's workflow: states, transitions and their rules",
)
def get_workflow(request: ApiRequest, key: str) -> Any:
    return workflow_out(get_project_for(request.auth, key))


@router.post(
    "/projects/{key}/workflow/states",
    response={201: WorkflowStateOut},
    summary="Add a state (at the end of the order)",
)
def add_state(request: ApiRequest, key: str, payload: WorkflowStateIn) -> Any:
    project = get_project_for(request.auth, key)  # the action checks admin
    state = actions.add_state(actor=request.auth, project=project, **payload.model_dump())
    return Status(201, state_out(state))


@router.patch(
    "/projects/{key}/workflow/states/{state}",
    response=WorkflowStateOut,
    summary="Rename, recolour or recategorise a state, or make it initial",
)
def change_state(request: ApiRequest, key: str, state: str, payload: WorkflowStateUpdate) -> Any:
    project = get_project_for(request.auth, key)  # the action checks admin
    changes = payload.model_dump(exclude_unset=True)
    changed = actions.change_state(
        actor=request.auth, project=project, state=state, changes=changes
    )
    return state_out(changed)


@router.put(
    "/projects/{key}/workflow/order",
    response=WorkflowOut,
    by_alias=True,
    summary="Reorder the states",
)
def reorder_states(request: ApiRequest, key: str, payload: StateOrderIn) -> Any:
    project = get_project_for(request.auth, key)  # the action checks admin
    actions.reorder_states(actor=request.auth, project=project, names=payload.states)
    return workflow_out(project)


@router.delete(
    "/projects/{key}/workflow/states/{state}",
    response=StateRemovedOut,
    by_alias=True,
    summary="Remove a state (its issues need move_to)",
)
def remove_state(
    request: ApiRequest, key: str, state: str, params: Query[StateRemoveParams]
) -> Any:
    project = get_project_for(request.auth, key)  # the action checks admin
    removal = actions.remove_state(
        actor=request.auth,
        project=project,
        state=state,
        move_to=params.move_to,
        new_initial=params.new_initial,
    )
    return {
        "removed": removal.state,
        "moved_issues": removal.moved,
        "moved_to": removal.moved_to,
        "removed_transitions": removal.removed_transitions,
        "workflow": workflow_out(project),
    }


@router.post(
    "/projects/{key}/workflow/transitions",
    response={201: WorkflowTransitionOut},
    by_alias=True,
    summary="Add a transition with its rules",
)
def add_transition(request: ApiRequest, key: str, payload: WorkflowTransitionIn) -> Any:
    project = get_project_for(request.auth, key)  # the action checks admin
    fields = payload.model_dump()
    transition = actions.add_transition(
        actor=request.auth, project=project, source=fields.pop("from_"), **fields
    )
    return Status(201, transition_out(transition))


@router.patch(
    "/projects/{key}/workflow/transitions/{int:transition_id}",
    response=WorkflowTransitionOut,
    by_alias=True,
    summary="Rename a transition or change its rules",
)
def change_transition(
    request: ApiRequest, key: str, transition_id: int, payload: WorkflowTransitionUpdate
) -> Any:
    project = get_project_for(request.auth, key)  # the action checks admin
    changed = actions.change_transition(
        actor=request.auth,
        project=project,
        transition_id=transition_id,
        changes=payload.model_dump(exclude_unset=True),
    )
    return transition_out(changed)


@router.delete(
    "/projects/{key}/workflow/transitions/{int:transition_id}",
    response={204: None},
    summary="Remove a transition",
)
def remove_transition(request: ApiRequest, key: str, transition_id: int) -> Any:
    project = get_project_for(request.auth, key)  # the action checks admin
    actions.remove_transition(actor=request.auth, project=project, transition_id=transition_id)
    return Status(204, None)
