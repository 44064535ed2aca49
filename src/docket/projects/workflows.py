"""Workflow templates. A project gets its own copy, so editing it never touches another project."""

from __future__ import annotations

from dataclasses import dataclass

from docket.projects.models import Workflow, WorkflowState, WorkflowTransition

TODO = WorkflowState.Category.TODO
DOING = WorkflowState.Category.IN_PROGRESS
DONE = WorkflowState.Category.DONE


@dataclass(frozen=True)
class Template:
    name: str
    states: list[tuple[str, str, str]]  # name, category, colour; the first is initial
    transitions: list[tuple[str, str | None, str]]  # name, from (None = any), to


TEMPLATES = {
    "default": Template(
        name="Default",
        states=[
            ("New", TODO, "#6b7280"),
            ("Open", TODO, "#2563eb"),
            ("In Progress", DOING, "#d97706"),
            ("Resolved", DONE, "#16a34a"),
            ("Closed", DONE, "#374151"),
        ],
        transitions=[
            ("Open", "New", "Open"),
            ("Start progress", "Open", "In Progress"),
            ("Start progress", "New", "In Progress"),
            ("Stop progress", "In Progress", "Open"),
            ("Resolve", "New", "Resolved"),
            ("Resolve", "Open", "Resolved"),
            ("Resolve", "In Progress", "Resolved"),
            ("Close", None, "Closed"),
            ("Reopen", "Resolved", "Open"),
            ("Reopen", "Closed", "Open"),
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
        )
    WorkflowTransition.objects.bulk_create(
        WorkflowTransition(
            workflow=workflow,
            name=name,
            from_state=states[source] if source else None,
            to_state=states[target],
        )
        for name, source, target in template.transitions
    )
    return workflow
