"""Every write to a project's workflow: states, transitions and their rules (project admins).

A live workflow is never left in a state that strands issues: a state that holds issues is
only removed by moving them (each move recorded on the issue), the initial state only with a
new one, and there is always at least one done state. A state's category only crosses the
done line while it is empty, since that would change what its issues' resolution means.
Each action locks the workflow row, so concurrent edits of one workflow queue up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, ProtectedError, Q
from django.db.models.functions import Lower

from docket.accounts.actor import Who
from docket.audit.log import record as audit
from docket.core.errors import Conflict, Invalid, NotFound
from docket.issues.actions import move_issues
from docket.issues.models import Issue
from docket.projects.access import Perm, require
from docket.projects.models import Project, Workflow, WorkflowState, WorkflowTransition
from docket.projects.workflow_rules import clean_effects, clean_required, clean_roles

# Names show up in lists, URLs and queries (`status:"in progress"`): letters, digits, spaces
# and a little punctuation; no commas (lists split on them) and no quotes.
NAME = re.compile(r"^\w(?:[\w .'&/()+-]*[\w.)])?$")
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
DONE = WorkflowState.Category.DONE
MAX_STATES, MAX_TRANSITIONS = 50, 250  # per workflow
STATE_FIELDS = {"name", "category", "color", "initial", "wip_limit", "waiting"}
MAX_WIP_LIMIT = 10_000
RULE_FIELDS = {"name", "allowed_roles", "required_fields", "effects"}


@dataclass
class StateRemoval:
    state: str
    moved: int = 0
    moved_to: str | None = None
    removed_transitions: list[str] = field(default_factory=list)


# --- finding and checking ---------------------------------------------------------------------


def _locked_workflow(actor: Who, project: Project) -> Workflow:
    require(actor, project, Perm.MANAGE_PROJECT)
    return Workflow.objects.select_for_update().get(pk=project.workflow_id)


def state_in(workflow: Workflow, name: str) -> WorkflowState:
    """The state a path names (404 if the workflow has none by that name)."""
    state = workflow.states.filter(name__iexact=name.strip()).first()
    if state is None:
        raise NotFound(f"no state {name!r} in this workflow")
    return state


def _named_state(workflow: Workflow, field_name: str, name: str) -> WorkflowState:
    """The state a request body names (422 if unknown)."""
    state = workflow.states.filter(name__iexact=name.strip()).first()
    if state is None:
        names = ", ".join(s.name.lower() for s in workflow.states.all())
        raise Invalid.field(field_name, f"no state {name!r}; the states are: {names}")
    return state


def transition_in(workflow: Workflow, transition_id: int) -> WorkflowTransition:
    found = (
        workflow.transitions.select_related("from_state", "to_state")
        .filter(id=transition_id)
        .first()
    )
    if found is None:
        raise NotFound(f"no transition {transition_id} in this workflow")
    return found


def _clean_name(field_name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise Invalid.field(field_name, "must be a string")
    name = " ".join(value.split())
    if not 1 <= len(name) <= 50:
        raise Invalid.field(field_name, "must be 1 to 50 characters")
    if not NAME.fullmatch(name):
        raise Invalid.field(
            field_name,
            "may hold letters, digits, spaces and . ' & / ( ) + - (and starts with a letter)",
        )
    return name


def _clean_color(value: Any) -> str:
    if not isinstance(value, str) or not COLOR.fullmatch(value):
        raise Invalid.field("color", "must be a colour like #16a34a")
    return value.lower()


def _clean_category(value: Any) -> str:
    if value not in WorkflowState.Category.values:
        raise Invalid.field(
            "category", f"must be one of: {', '.join(WorkflowState.Category.values)}"
        )
    return str(value)


def _name_free(workflow: Workflow, name: str, exclude: WorkflowState | None = None) -> None:
    taken = workflow.states.annotate(lower=Lower("name")).filter(lower=name.lower())
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise Conflict(
            f"the workflow already has a state {name!r}",
            errors=[{"field": "name", "message": "already taken (names ignore case)"}],
        )


def _transition_name_free(
    workflow: Workflow,
    name: str,
    source: WorkflowState | None,
    exclude: WorkflowTransition | None = None,
) -> None:
    """A name leaves each state at most once, so `"transition": "Resolve"` is never ambiguous."""
    same = workflow.transitions.filter(name__iexact=name)
    if source is not None:
        same = same.filter(Q(from_state=source) | Q(from_state__isnull=True))
    if exclude is not None:
        same = same.exclude(pk=exclude.pk)
    clash = same.select_related("from_state").first()
    if clash is not None:
        where = f"from {clash.from_state.name.lower()}" if clash.from_state else "from any state"
        raise Conflict(
            f"the workflow already has a transition {clash.name!r} {where}",
            errors=[{"field": "name", "message": "already leaves that state"}],
        )


def _holding(state: WorkflowState) -> int:
    return Issue.objects.filter(status=state).count()  # deleted issues too: they keep a status


def _issues_text(count: int) -> str:
    return f"{count} issue{'' if count == 1 else 's'}"


def _are_in(count: int, state: WorkflowState) -> str:
    return f"{_issues_text(count)} {'is' if count == 1 else 'are'} in {state.name.lower()}"


# --- states -----------------------------------------------------------------------------------


@transaction.atomic
def add_state(
    *,
    actor: Who,
    project: Project,
    name: str,
    category: str,
    color: str = "#888888",
    initial: bool = False,
    waiting: bool = False,
) -> WorkflowState:
    """Add a state at the end of the order (reorder with `reorder_states`). `waiting`: the
    ball is with someone outside the team there, so SLA clocks pause (docs/sla.md)."""
    workflow = _locked_workflow(actor, project)
    name = _clean_name("name", name)
    category = _clean_category(category)
    color = _clean_color(color)
    _name_free(workflow, name)
    if workflow.states.count() >= MAX_STATES:
        raise Invalid(f"a workflow has at most {MAX_STATES} states")
    last = workflow.states.aggregate(last=Max("order"))["last"]
    if initial:
        workflow.states.update(is_initial=False)
    try:
        with transaction.atomic():
            created = WorkflowState.objects.create(
                workflow=workflow,
                name=name,
                category=category,
                color=color,
                order=0 if last is None else last + 1,
                is_initial=bool(initial),
                waiting=_clean_waiting(waiting),
            )
    except IntegrityError:
        raise Conflict(f"the workflow already has a state {name!r}") from None
    audit(actor, "workflow.state_added", project=project, target=name, category=category)
    return created


@transaction.atomic
def change_state(
    *, actor: Who, project: Project, state: str, changes: dict[str, Any]
) -> WorkflowState:
    """Rename, recolour, recategorise a state, make it the initial one, set its
    work-in-progress limit (`wip_limit`: a positive number, or None for no limit), or mark it
    `waiting` (SLA clocks pause there; the SLA app replays the project's clocks after)."""
    workflow = _locked_workflow(actor, project)
    target = state_in(workflow, state)
    audit(actor, "workflow.state_changed", project=project, target=target.name, changes=changes)
    unknown = set(changes) - STATE_FIELDS
    if unknown:
        raise Invalid.field(sorted(unknown)[0], "cannot be changed")
    if "name" in changes:
        name = _clean_name("name", changes["name"])
        _name_free(workflow, name, exclude=target)
        target.name = name
    if "color" in changes:
        target.color = _clean_color(changes["color"])
    if "category" in changes:
        _recategorise(workflow, target, _clean_category(changes["category"]))
    if "initial" in changes:
        if changes["initial"] is not True:
            raise Invalid.field("initial", "make another state initial instead")
        workflow.states.exclude(pk=target.pk).update(is_initial=False)
        target.is_initial = True
    if "wip_limit" in changes:
        target.wip_limit = _clean_wip_limit(changes["wip_limit"])
    if "waiting" in changes:
        target.waiting = _clean_waiting(changes["waiting"])
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError:
        raise Conflict(f"the workflow already has a state {target.name!r}") from None
    return target


def _clean_wip_limit(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_WIP_LIMIT:
        raise Invalid.field("wip_limit", f"must be a number from 1 to {MAX_WIP_LIMIT}, or null")
    return value


def _clean_waiting(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid.field("waiting", "must be true or false")
    return value


def _recategorise(workflow: Workflow, state: WorkflowState, category: str) -> None:
    was_done, will_be_done = state.is_done, category == DONE
    if was_done and not will_be_done:
        if not workflow.states.filter(category=DONE).exclude(pk=state.pk).exists():
            raise Invalid.field("category", "a workflow needs at least one done state")
        requiring = workflow.transitions.filter(to_state=state).values_list(
            "name", "required_fields"
        )
        names = sorted({n for n, required in requiring if "resolution" in (required or [])})
        if names:
            raise Invalid.field(
                "category",
                f"{', '.join(names)} require{'s' if len(names) == 1 else ''} a resolution, "
                "which only a done state has; change their required_fields first",
            )
    if was_done != will_be_done:
        count = _holding(state)
        if count:
            side = "out of" if was_done else "into"
            raise Conflict(
                f"{_are_in(count, state)}: moving it {side} done would "
                "change their resolution; move them to another state first",
                errors=[{"field": "category", "message": f"{_issues_text(count)} in the state"}],
                issues=count,
            )
    state.category = category


@transaction.atomic
def reorder_states(*, actor: Who, project: Project, names: list[str]) -> list[WorkflowState]:
    """Put the states in the order `names` gives; it must name every state once."""
    workflow = _locked_workflow(actor, project)
    states = {s.name.lower(): s for s in workflow.states.all()}
    wanted = [n.strip().lower() for n in names if isinstance(n, str)]
    if len(wanted) != len(names) or len(set(wanted)) != len(wanted):
        raise Invalid.field("states", "must name each state once")
    if set(wanted) != set(states):
        missing = sorted(set(states) - set(wanted))
        extra = sorted(set(wanted) - set(states))
        problem = f"no state {extra[0]!r}" if extra else f"{missing[0]!r} is missing"
        raise Invalid.field("states", f"must name every state once: {problem}")
    ordered = [states[n] for n in wanted]
    for order, state in enumerate(ordered):
        state.order = order
    WorkflowState.objects.bulk_update(ordered, ["order"])
    audit(actor, "workflow.states_reordered", project=project, order=wanted)
    return ordered


@transaction.atomic
def remove_state(
    *,
    actor: Who,
    project: Project,
    state: str,
    move_to: str | None = None,
    new_initial: str | None = None,
) -> StateRemoval:
    """Remove a state and the transitions from or to it. Issues in it need `move_to`: they are
    moved there, each with a recorded status change. The initial state needs `new_initial`."""
    workflow = _locked_workflow(actor, project)
    doomed = state_in(workflow, state)
    if doomed.is_done and not workflow.states.filter(category=DONE).exclude(pk=doomed.pk).exists():
        raise Invalid(
            f"{doomed.name.lower()} is the only done state; a workflow needs at least one",
            errors=[{"field": "state", "message": "the only done state"}],
        )
    destination = _named_state(workflow, "move_to", move_to) if move_to is not None else None
    if destination is not None and destination.pk == doomed.pk:
        raise Invalid.field("move_to", "must be another state")
    initial = _named_state(workflow, "new_initial", new_initial) if new_initial else None
    if initial is not None and initial.pk == doomed.pk:
        raise Invalid.field("new_initial", "must be another state")
    if doomed.is_initial and initial is None:
        raise Invalid.field(
            "new_initial", f"{doomed.name.lower()} is the initial state; name a new one"
        )
    count = _holding(doomed)
    if count and destination is None:
        raise Conflict(
            f"{_are_in(count, doomed)}; give move_to (another state) to move "
            f"{'it' if count == 1 else 'them'} there",
            errors=[{"field": "move_to", "message": f"required: {_issues_text(count)} to move"}],
            issues=count,
        )
    removal = StateRemoval(state=doomed.name.lower())
    if destination is not None:
        removal.moved_to = destination.name.lower()
        removal.moved = move_issues(actor=actor, project=project, source=doomed, target=destination)
    if initial is not None:
        workflow.states.update(is_initial=False)
        workflow.states.filter(pk=initial.pk).update(is_initial=True)
    gone = workflow.transitions.filter(Q(from_state=doomed) | Q(to_state=doomed))
    removal.removed_transitions = list(gone.values_list("name", flat=True))
    try:
        with transaction.atomic():
            gone.delete()
            doomed.delete()
    except (ProtectedError, IntegrityError):
        # An issue moved into the state while we were moving the others out.
        raise Conflict(f"issues entered {removal.state} meanwhile; try again") from None
    audit(
        actor, "workflow.state_removed", project=project, target=removal.state,
        moved_to=removal.moved_to, moved=removal.moved,
    )  # fmt: skip
    return removal


# --- transitions ------------------------------------------------------------------------------


@transaction.atomic
def add_transition(
    *,
    actor: Who,
    project: Project,
    name: str,
    to: str,
    source: str | None = None,
    allowed_roles: list[str] | None = None,
    required_fields: list[str] | None = None,
    effects: list[str] | None = None,
) -> WorkflowTransition:
    """Add a named move from `source` (None: from any state) to `to`, with its rules."""
    workflow = _locked_workflow(actor, project)
    name = _clean_name("name", name)
    from_state = _named_state(workflow, "from", source) if source is not None else None
    to_state = _named_state(workflow, "to", to)
    if from_state is not None and from_state.pk == to_state.pk:
        raise Invalid.field("to", "a transition must lead to another state")
    _transition_name_free(workflow, name, from_state)
    if workflow.transitions.count() >= MAX_TRANSITIONS:
        raise Invalid(f"a workflow has at most {MAX_TRANSITIONS} transitions")
    created = WorkflowTransition.objects.create(
        workflow=workflow,
        name=name,
        from_state=from_state,
        to_state=to_state,
        allowed_roles=clean_roles(allowed_roles or []),
        required_fields=clean_required(required_fields or [], target_is_done=to_state.is_done),
        effects=clean_effects(effects or []),
    )
    audit(
        actor, "workflow.transition_added", project=project, target=name, to=to_state.name,
        allowed_roles=created.allowed_roles, required_fields=created.required_fields,
        effects=created.effects,
    )  # fmt: skip
    return created


@transaction.atomic
def change_transition(
    *, actor: Who, project: Project, transition_id: int, changes: dict[str, Any]
) -> WorkflowTransition:
    """Rename a transition or replace its rules (each list is replaced as a whole)."""
    workflow = _locked_workflow(actor, project)
    found = transition_in(workflow, transition_id)
    unknown = set(changes) - RULE_FIELDS
    if unknown:
        raise Invalid.field(
            sorted(unknown)[0], "cannot be changed; remove the transition and add a new one"
        )
    if "name" in changes:
        found.name = _clean_name("name", changes["name"])
        _transition_name_free(workflow, found.name, found.from_state, exclude=found)
    if "allowed_roles" in changes:
        found.allowed_roles = clean_roles(changes["allowed_roles"])
    if "required_fields" in changes:
        found.required_fields = clean_required(
            changes["required_fields"], target_is_done=found.to_state.is_done
        )
    if "effects" in changes:
        found.effects = clean_effects(changes["effects"])
    found.save()
    audit(actor, "workflow.transition_changed", project=project, target=found.name, changes=changes)
    return found


@transaction.atomic
def remove_transition(*, actor: Who, project: Project, transition_id: int) -> None:
    workflow = _locked_workflow(actor, project)
    doomed = transition_in(workflow, transition_id)
    doomed.delete()
    audit(actor, "workflow.transition_removed", project=project, target=doomed.name)
