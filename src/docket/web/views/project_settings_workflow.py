"""A project's workflow settings page (/p/KEY/settings/workflow): its states (category,
colour, work-in-progress limit, `waiting`, the initial one, order) and the transitions between
them with their rules (who may take them, what they require, what they change). The rules
themselves are projects/workflow_actions.py's and workflow_rules.py's; this only reads forms.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from docket.accounts.actor import Actor
from docket.core.errors import Invalid
from docket.projects import workflow_actions
from docket.projects.models import Project, WorkflowState
from docket.projects.workflow_rules import EFFECTS, REQUIRABLE_FIELDS, RULE_ROLES
from docket.web.views.project_settings import optional, posted, settings_page


def _state_name(request: HttpRequest) -> str:
    return request.POST.get("state", "")


def _add_state(request: HttpRequest, user: Actor, project: Project) -> str:
    state = workflow_actions.add_state(
        actor=user,
        project=project,
        name=posted(request, "name"),
        category=posted(request, "category"),
        color=posted(request, "color") or "#6b7280",
        initial=request.POST.get("initial") == "on",
        waiting=request.POST.get("waiting") == "on",
    )
    return f"Added the state {state.name}."


def _wip_limit(raw: str) -> int | None:
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 6:
        raise Invalid.field("wip_limit", "must be a whole number from 1, or empty for no limit")
    return int(raw)


def _state_changes(request: HttpRequest, state: WorkflowState) -> dict[str, Any]:
    """Only what the form changes (the action audits what it is given)."""
    wanted: dict[str, Any] = {
        "name": posted(request, "name"),
        "category": posted(request, "category"),
        "color": posted(request, "color") or state.color,
        "wip_limit": _wip_limit(posted(request, "wip_limit")),
        "waiting": request.POST.get("waiting") == "on",
    }
    current = {f: getattr(state, f) for f in ("name", "category", "color", "wip_limit", "waiting")}
    changes = {f: v for f, v in wanted.items() if v != current[f]}
    if request.POST.get("initial") == "on" and not state.is_initial:
        changes["initial"] = True
    return changes


def _change_state(request: HttpRequest, user: Actor, project: Project) -> str:
    state = workflow_actions.state_in(project.workflow, _state_name(request))
    changes = _state_changes(request, state)
    if not changes:
        return f"{state.name}: nothing to change."
    changed = workflow_actions.change_state(
        actor=user, project=project, state=state.name, changes=changes
    )
    return f"Saved the state {changed.name}."


def _move_state(request: HttpRequest, user: Actor, project: Project) -> str:
    names = [s.name for s in project.workflow.states.order_by("order", "id")]
    moving = workflow_actions.state_in(project.workflow, _state_name(request)).name
    at = names.index(moving)
    to = at - 1 if request.POST.get("direction") == "up" else at + 1
    if 0 <= to < len(names):
        names[at], names[to] = names[to], names[at]
        workflow_actions.reorder_states(actor=user, project=project, names=names)
    return f"Moved {moving} {'up' if to < at else 'down'}."


def _remove_state(request: HttpRequest, user: Actor, project: Project) -> str:
    removal = workflow_actions.remove_state(
        actor=user,
        project=project,
        state=_state_name(request),
        move_to=optional(request, "move_to"),
        new_initial=optional(request, "new_initial"),
    )
    moved = f"; moved {removal.moved} issue(s) to {removal.moved_to}" if removal.moved else ""
    return f"Removed the state {removal.state}{moved}."


def _rules(request: HttpRequest) -> dict[str, list[str]]:
    return {
        "allowed_roles": request.POST.getlist("allowed_roles"),
        "required_fields": request.POST.getlist("required_fields"),
        "effects": request.POST.getlist("effects"),
    }


def _add_transition(request: HttpRequest, user: Actor, project: Project) -> str:
    created = workflow_actions.add_transition(
        actor=user,
        project=project,
        name=posted(request, "name"),
        source=optional(request, "from"),
        to=posted(request, "to"),
        **_rules(request),
    )
    return f"Added the transition {created.name}."


def _transition_id(request: HttpRequest) -> int:
    raw = request.POST.get("transition", "")
    if not raw.isdigit() or len(raw) > 18:
        raise Invalid.field("transition", "must be a transition of this workflow")
    return int(raw)


def _change_transition(request: HttpRequest, user: Actor, project: Project) -> str:
    changed = workflow_actions.change_transition(
        actor=user,
        project=project,
        transition_id=_transition_id(request),
        changes={"name": posted(request, "name"), **_rules(request)},
    )
    return f"Saved the transition {changed.name}."


def _remove_transition(request: HttpRequest, user: Actor, project: Project) -> str:
    workflow_actions.remove_transition(
        actor=user, project=project, transition_id=_transition_id(request)
    )
    return "Removed the transition."


def _workflow(user: Actor, project: Project) -> dict[str, Any]:
    workflow = project.workflow
    transitions = workflow.transitions.select_related("from_state", "to_state").order_by(
        "from_state__order", "id"
    )
    return {
        "states": list(workflow.states.order_by("order", "id")),
        "transitions": list(transitions),
        "categories": WorkflowState.Category.choices,
        "role_choices": [(str(r), str(r)) for r in RULE_ROLES],
        "required_choices": [(f, f.replace("_", " ")) for f in REQUIRABLE_FIELDS],
        "effect_choices": list(EFFECTS.items()),
    }


workflow = settings_page(
    "workflow",
    {
        "add_state": _add_state,
        "change_state": _change_state,
        "move_state": _move_state,
        "remove_state": _remove_state,
        "add_transition": _add_transition,
        "change_transition": _change_transition,
        "remove_transition": _remove_transition,
    },
    _workflow,
)
