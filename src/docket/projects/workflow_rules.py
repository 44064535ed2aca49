"""The workflow rule engine: which transition a status move takes, who may take it, what it needs.

One engine for every way an issue changes status (PATCH of `status`, POST of a transition, the
list of transitions offered to a caller). It works on `Rule`s, plain copies of a workflow's
transition rows, so it is pure and tests without a database. The issue actions feed it and
apply what it decides; the automatic changes tied to state categories (resolution and
`resolved_at`) live with them, in issues/actions.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from docket.accounts.actor import Who
from docket.core.errors import Forbidden, Invalid
from docket.core.prepared import Prepared, columns, instance
from docket.projects.access import ROLE_PERMISSIONS, Perm, role_in
from docket.projects.models import ROLE_RANK, Project, Role, WorkflowState, WorkflowTransition

# Fields a transition may require. `comment` must come with the move; the others must have a
# value once the move is done (given with it, already set, or set by an effect).
REQUIRABLE_FIELDS = ("resolution", "assignee", "comment", "due_date", "milestone")
# Automatic changes a transition may make (besides those of the state categories).
EFFECTS = {
    "assign_if_unassigned": "assign the caller if nobody is assigned (and the caller can be)",
    "unassign": "clear the assignee",
}
# Roles a transition may be limited to; viewers never change issues.
RULE_ROLES = (Role.ADMIN, Role.MEMBER, Role.REPORTER)
# Who may take a transition with no `allowed_roles`: every role that may edit any issue.
EDITOR_ROLES = tuple(r.value for r in RULE_ROLES if Perm.EDIT_ISSUE in ROLE_PERMISSIONS[r])


@dataclass(frozen=True)
class Rule:
    """One transition and its rules. `source` None means "from any state"."""

    id: int
    name: str
    source: int | None
    target: int
    allowed_roles: tuple[str, ...] = ()
    required_fields: tuple[str, ...] = ()
    effects: tuple[str, ...] = ()

    @classmethod
    def of(cls, row: WorkflowTransition) -> Rule:
        return cls.of_values({f: getattr(row, f) for f in RULE_FIELDS})

    @classmethod
    def of_values(cls, row: Mapping[str, Any]) -> Rule:
        """From a `.values(*RULE_FIELDS)` row."""
        return cls(
            id=row["id"],
            name=row["name"],
            source=row["from_state_id"],
            target=row["to_state_id"],
            allowed_roles=tuple(row["allowed_roles"] or ()),
            required_fields=tuple(row["required_fields"] or ()),
            effects=tuple(row["effects"] or ()),
        )

    @property
    def roles(self) -> tuple[str, ...]:
        return self.allowed_roles or EDITOR_ROLES


@dataclass(frozen=True)
class Mover:
    """Who is moving the issue: their role in the project (None: none) and whether they
    reported it (a reporter may only move issues they reported)."""

    role: str | None
    reported: bool = False

    @classmethod
    def of(cls, actor: Who, project: Project, reporter_id: int | None) -> Mover:
        signed_in = getattr(actor, "is_authenticated", False)
        return cls(role=role_in(actor, project), reported=signed_in and actor.id == reporter_id)


RULE_FIELDS = (
    "id", "name", "from_state_id", "to_state_id", "allowed_roles", "required_fields", "effects",
)  # fmt: skip
_TARGET_FIELDS = columns(WorkflowState, "to_state__")

# Read on every issue page, board and transition: compiled once (core/prepared.py).
_STATES = Prepared(
    lambda workflow_id: (
        WorkflowState.objects.filter(workflow_id=workflow_id)
        .order_by("order", "id")
        .values(*columns(WorkflowState))
    ),
    arguments=1,
)
_RULES = Prepared(
    lambda workflow_id: (
        WorkflowTransition.objects.filter(workflow_id=workflow_id)
        .order_by("id")
        .values(*RULE_FIELDS)
    ),
    arguments=1,
)
_RULES_WITH_TARGETS = Prepared(
    lambda workflow_id: (
        WorkflowTransition.objects.filter(workflow_id=workflow_id)
        .order_by("id")
        .values(*RULE_FIELDS, *_TARGET_FIELDS)
    ),
    arguments=1,
)


def states_of(workflow_id: int) -> list[WorkflowState]:
    """The workflow's states in their order (the board's columns)."""
    return [cast(WorkflowState, instance(WorkflowState, row)) for row in _STATES.rows(workflow_id)]


def rules_of(workflow_id: int) -> list[Rule]:
    return [Rule.of_values(row) for row in _RULES.rows(workflow_id)]


def rules_with_targets(workflow_id: int) -> tuple[list[Rule], dict[int, WorkflowState]]:
    """The workflow's rules and the states they lead to, in one query."""
    rules: list[Rule] = []
    targets: dict[int, WorkflowState] = {}
    for row in _RULES_WITH_TARGETS.rows(workflow_id):
        rules.append(Rule.of_values(row))
        if row["to_state_id"] not in targets:  # a transition always has a target
            targets[row["to_state_id"]] = cast(
                WorkflowState, instance(WorkflowState, row, "to_state__")
            )
    return rules, targets


def may_take(rule: Rule, mover: Mover) -> bool:
    if mover.role is None or mover.role not in rule.roles:
        return False
    return mover.role != Role.REPORTER or mover.reported


def from_here(rules: Iterable[Rule], current: int) -> list[Rule]:
    """The transitions that leave `current`: from it, or from any state; never to itself.
    One that names `current` hides a "from any" one of the same name."""
    specific = [r for r in rules if r.source == current and r.target != current]
    names = {r.name.lower() for r in specific}
    general = [
        r for r in rules if r.source is None and r.target != current and r.name.lower() not in names
    ]
    return specific + general


def available(rules: Iterable[Rule], current: int, mover: Mover) -> list[Rule]:
    """What `mover` may do from `current`, in workflow order."""
    return sorted((r for r in from_here(rules, current) if may_take(r, mover)), key=lambda r: r.id)


def missing(rule: Rule, present: Iterable[str]) -> list[str]:
    have = set(present)
    return [f for f in rule.required_fields if f not in have]


def require_fields(rule: Rule, present: Iterable[str]) -> None:
    """422 naming the rule, e.g. "Resolve requires resolution", if a required field is empty."""
    lacking = missing(rule, present)
    if lacking:
        message = f"{rule.name} requires {', '.join(lacking)}"
        raise Invalid(message, errors=[{"field": f, "message": message} for f in lacking])


def _roles_text(rule: Rule) -> str:
    return ", ".join(rule.roles)


def choose(
    rules: list[Rule],
    *,
    current: int,
    mover: Mover,
    names: Mapping[int, str],
    target: int | None = None,
    name: str | None = None,
    field: str = "status",
) -> Rule:
    """The transition a move takes: to `target`, or by `name`, or both (they must agree).

    422 if no such transition leaves the current state, 403 if there is one but not for the
    mover's role. Among several that fit, one leaving this very state wins over a "from any"
    one, then the oldest. `names` maps state ids to the names issues show; `field` is the input
    field that chose the target (for the error).
    """
    here = from_here(rules, current)
    where = names[current]
    if name is not None:
        named = [r for r in rules if r.name.lower() == name.strip().lower()]
        if not named:
            raise Invalid.field(
                "transition", f"no transition {name!r} in this workflow; {_offer(here, mover)}"
            )
        offer = _offer(here, mover)
        here = [r for r in here if r.name.lower() == name.strip().lower()]
        if not here:
            raise Invalid.field(
                "transition", f"{named[0].name} is not available from {where}; {offer}"
            )
        if target is not None and all(r.target != target for r in here):
            raise Invalid.field(
                field, f"{here[0].name} goes to {names[here[0].target]}, not {names[target]}"
            )
    if target is not None:
        if target == current:
            raise Invalid.field(field, f"the issue is already {where}")
        here = [r for r in here if r.target == target]
        if not here:
            allowed = sorted({names[r.target] for r in available(rules, current, mover)})
            raise Invalid.field(
                field,
                f"cannot move from {where} to {names[target]}; allowed: "
                f"{', '.join(allowed) or 'none'}",
            )
    permitted = [r for r in here if may_take(r, mover)]
    if not permitted:
        rule = here[0]
        if mover.role == Role.REPORTER and Role.REPORTER in rule.roles:
            raise Forbidden(f"{rule.name}: reporters may only move issues they reported")
        role = mover.role or "none"
        raise Forbidden(f"{rule.name} is allowed only for {_roles_text(rule)}; your role is {role}")
    return min(permitted, key=lambda r: (r.source is None, r.id))


def _offer(here: list[Rule], mover: Mover) -> str:
    names = sorted({r.name for r in here if may_take(r, mover)})
    return f"available: {', '.join(names) or 'none'}"


# --- checking rules when an admin writes them ------------------------------------------------


def clean_roles(value: Any) -> list[str]:
    items = _strings("allowed_roles", value)
    bad = [r for r in items if r not in RULE_ROLES]
    if bad:
        choices, editors = ", ".join(RULE_ROLES), ", ".join(EDITOR_ROLES)
        raise Invalid.field(
            "allowed_roles", f"unknown role {bad[0]!r}; choose from {choices} (empty: {editors})"
        )
    return sorted(set(items), key=lambda r: -ROLE_RANK[Role(r)])


def clean_required(value: Any, *, target_is_done: bool) -> list[str]:
    items = _strings("required_fields", value)
    bad = [f for f in items if f not in REQUIRABLE_FIELDS]
    if bad:
        raise Invalid.field(
            "required_fields",
            f"{bad[0]!r} cannot be required; choose from {', '.join(REQUIRABLE_FIELDS)}",
        )
    if "resolution" in items and not target_is_done:
        raise Invalid.field(
            "required_fields", "only a transition into a done state can require a resolution"
        )
    return [f for f in REQUIRABLE_FIELDS if f in items]


def clean_effects(value: Any) -> list[str]:
    items = _strings("effects", value)
    bad = [e for e in items if e not in EFFECTS]
    if bad:
        raise Invalid.field(
            "effects", f"unknown effect {bad[0]!r}; choose from {', '.join(EFFECTS)}"
        )
    if {"assign_if_unassigned", "unassign"} <= set(items):
        raise Invalid.field("effects", "assign_if_unassigned and unassign contradict each other")
    return [e for e in EFFECTS if e in items]


def _strings(field: str, value: Any) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise Invalid.field(field, "must be a list of strings")
    return list(value)
