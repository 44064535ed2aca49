"""Workflow templates. A project gets its own copy, so editing it never touches another project."""

from __future__ import annotations

from dataclasses import dataclass

from docket.projects.models import Role, Workflow, WorkflowState, WorkflowTransition

TODO = WorkflowState.Category.TODO
DOING = WorkflowState.Category.IN_PROGRESS
DONE = WorkflowState.Category.DONE
ANYONE_INVOLVED = (Role.ADMIN, Role.MEMBER, Role.REPORTER)  # reporters: on their own issues


@dataclass(frozen=True)
class Move:
    """A transition of a template: name, from (None = any state), to, and its rules."""

    name: str
    source: str | None
    target: str
    roles: tuple[str, ...] = ()  # empty: every role that may edit issues
    requires: tuple[str, ...] = ()
    effects: tuple[str, ...] = ()


@dataclass(frozen=True)
class Template:
    name: str
    description: str
    states: list[tuple[str, str, str]]  # name, category, colour; the first is initial
    transitions: list[Move]
    waiting: tuple[str, ...] = ()  # states where the ball is outside the team: SLA clocks pause


def _from(sources: tuple[str, ...], name: str, target: str, **rules: tuple[str, ...]) -> list[Move]:
    return [Move(name, source, target, **rules) for source in sources]


TEMPLATES = {
    "default": Template(
        name="Default",
        description="Software work: New, Open, In Progress, Resolved, Closed, with Reopen",
        states=[
            ("New", TODO, "#6b7280"),
            ("Open", TODO, "#2563eb"),
            ("In Progress", DOING, "#d97706"),
            ("Resolved", DONE, "#16a34a"),
            ("Closed", DONE, "#374151"),
        ],
        transitions=[
            Move("Open", "New", "Open"),
            Move("Start progress", "Open", "In Progress"),
            Move("Start progress", "New", "In Progress"),
            Move("Stop progress", "In Progress", "Open"),
            *_from(("New", "Open", "In Progress"), "Resolve", "Resolved"),
            Move("Close", None, "Closed"),
            *_from(("Resolved", "Closed"), "Reopen", "Open"),
        ],
    ),
    "support": Template(
        name="Support",
        description="Support requests: the ball is with the customer or with us until solved",
        states=[
            ("New", TODO, "#6b7280"),
            ("Waiting on customer", DOING, "#9333ea"),
            ("Waiting on us", DOING, "#d97706"),
            ("Solved", DONE, "#16a34a"),
            ("Closed", DONE, "#374151"),
        ],
        transitions=[
            Move("Take", "New", "Waiting on us", effects=("assign_if_unassigned",)),
            *_from(("New", "Waiting on us"), "Ask customer", "Waiting on customer"),
            Move("Customer replied", "Waiting on customer", "Waiting on us", roles=ANYONE_INVOLVED),
            *_from(
                ("New", "Waiting on customer", "Waiting on us"),
                "Solve",
                "Solved",
                requires=("resolution",),
            ),
            Move("Close", "Solved", "Closed"),
            Move("Reopen", "Solved", "Waiting on us", roles=ANYONE_INVOLVED),
        ],
        waiting=("Waiting on customer",),
    ),
    "incident": Template(
        name="Incident",
        description="Incidents: Triggered, Acknowledged, Mitigated, Resolved, Post-mortem done",
        states=[
            ("Triggered", TODO, "#dc2626"),
            ("Acknowledged", DOING, "#d97706"),
            ("Mitigated", DOING, "#2563eb"),
            ("Resolved", DONE, "#16a34a"),
            ("Post-mortem done", DONE, "#374151"),
        ],
        transitions=[
            Move(
                "Acknowledge",
                "Triggered",
                "Acknowledged",
                requires=("assignee",),
                effects=("assign_if_unassigned",),
            ),
            Move("Mitigate", "Acknowledged", "Mitigated", requires=("comment",)),
            *_from(("Acknowledged", "Mitigated"), "Resolve", "Resolved"),
            Move("Complete post-mortem", "Resolved", "Post-mortem done", requires=("comment",)),
            *_from(("Acknowledged", "Mitigated", "Resolved"), "Retrigger", "Triggered"),
        ],
    ),
}


def create_workflow(template_name: str = "default") -> Workflow:
    template = TEMPLATES[template_name]
    workflow = Workflow.objects.create(name=template.name, template=template_name)
    states = {}
    for order, (name, category, color) in enumerate(template.states):
        states[name] = WorkflowState.objects.create(
            workflow=workflow,
            name=name,
            category=category,
            color=color,
            order=order,
            is_initial=order == 0,
            waiting=name in template.waiting,
        )
    WorkflowTransition.objects.bulk_create(
        WorkflowTransition(
            workflow=workflow,
            name=move.name,
            from_state=states[move.source] if move.source else None,
            to_state=states[move.target],
            allowed_roles=[str(role) for role in move.roles],
            required_fields=list(move.requires),
            effects=list(move.effects),
        )
        for move in template.transitions
    )
    return workflow
