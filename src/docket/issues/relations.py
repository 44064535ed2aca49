"""Names in outside values resolved to a project's rows, as the issue actions need them:
workflow states, assignable people, labels (created on first use), components, milestones,
teams.
The importer resolves the same names from rows it preloads per batch (imports.py)."""

from __future__ import annotations

from typing import Any, TypeVar, cast

from django.db.models import Model, QuerySet

from docket.accounts.models import Team, User
from docket.core.errors import Invalid
from docket.core.prepared import Prepared, columns, instance
from docket.core.rows import one_or_none
from docket.issues.models import Issue, Label
from docket.projects.access import ASSIGNABLE_ROLES, role_in
from docket.projects.models import Component, Milestone, Project, WorkflowState
from docket.projects.workflow_rules import states_of as workflow_states

M = TypeVar("M", bound=Model)

# Read by every create (API, web form, mail, rules): compiled once (core/prepared.py). An
# `IN (names)` query's SQL varies with the number of names, so labels are looked up one
# name at a time (anyone filing an issue can make new ones: a project may have thousands)
# and components, which only project admins add, all at once.
_ACTIVE_USER = Prepared(
    lambda name: User.objects.filter(username=name, is_active=True).values(*columns(User))[:1],
    arguments=1,
)
_LABEL = Prepared(  # one name at a time: anyone who files an issue can add labels
    lambda project_id, name: Label.objects.filter(project_id=project_id, name=name).values(
        *columns(Label)
    )[:1],
    arguments=2,
)
_COMPONENTS = Prepared(
    lambda project_id: Component.objects.filter(project_id=project_id).values(*columns(Component)),
    arguments=1,
)
_MILESTONE = Prepared(
    lambda project_id, name: (
        Milestone.objects.filter(project_id=project_id, name=name)
        .order_by("id")
        .values(*columns(Milestone))[:1]
    ),
    arguments=2,
)


def _loaded(model: type[M], rows: list[dict[str, Any]]) -> list[M]:
    return [cast(M, instance(model, row)) for row in rows]


def states_of(project: Project) -> QuerySet[WorkflowState]:
    return WorkflowState.objects.filter(workflow_id=project.workflow_id)


def initial_state(project: Project) -> WorkflowState:
    """Where a new issue starts: the state marked initial, else the first one."""
    states = workflow_states(project.workflow_id)  # a handful, in order: one prepared query
    return next((s for s in states if s.is_initial), None) or states[0]


def unknown_state(field: str, names: list[str]) -> Invalid:
    return Invalid.field(field, f"must be one of: {', '.join(n.lower() for n in names)}")


def not_assignable(username: str, project: Project) -> Invalid:
    return Invalid.field("assignee", f"'{username}' is not a member of {project.key}")


def no_such(field: str, name: str, project: Project) -> Invalid:
    noun = field[:-1] if field.endswith("s") else field
    return Invalid.field(field, f"no {noun} {name!r} in {project.key}")


class ProjectRelations:
    """Looks each name up when asked (one issue at a time)."""

    def __init__(self, project: Project):
        self.project = project

    def state(self, name: str, field: str) -> WorkflowState:
        state = states_of(self.project).filter(name__iexact=name).first()
        if state is None:
            raise unknown_state(field, list(states_of(self.project).values_list("name", flat=True)))
        return state

    def assignee(self, username: str) -> User:
        user = next(iter(_loaded(User, _ACTIVE_USER.rows(username))), None)
        if user is None or role_in(user, self.project) not in ASSIGNABLE_ROLES:
            raise not_assignable(username, self.project)
        return user

    def labels(self, names: list[str]) -> list[Label]:
        existing = {  # at most MAX_NAMES lookups, each a prepared query
            label.name: label
            for name in dict.fromkeys(names)
            for label in _loaded(Label, _LABEL.rows(self.project.pk, name))
        }
        for name in names:
            if name not in existing:  # labels are created on first use, like tags
                existing[name] = Label.objects.create(project=self.project, name=name)
        return [existing[name] for name in names]

    def components(self, names: list[str]) -> list[Component]:
        found = {c.name: c for c in _loaded(Component, _COMPONENTS.rows(self.project.pk))}
        missing = [name for name in names if name not in found]
        if missing:
            raise no_such("components", missing[0], self.project)
        return [found[name] for name in names]

    def milestone(self, name: str) -> Milestone:
        milestone = next(iter(_loaded(Milestone, _MILESTONE.rows(self.project.pk, name))), None)
        if milestone is None:
            raise no_such("milestone", name, self.project)
        return milestone

    def team(self, slug: str) -> Team:
        return team_named(slug)

    def parent(self, key: str) -> Issue:
        return parent_named(self.project, key)


def parent_named(project: Project, key: str) -> Issue:
    """A sub-task's parent: an issue of the same project (not deleted), by key."""
    project_key, _, number = key.rpartition("-")
    if project_key.upper() != project.key.upper():
        raise Invalid.field("parent", f"must be an issue of {project.key} (got {key})")
    parent = (
        Issue.objects.select_related("project")
        .filter(project=project, number=int(number), deleted_at__isnull=True)
        .first()
    )
    if parent is None:
        raise Invalid.field("parent", f"no issue {key} in {project.key}")
    return parent


def team_named(slug: str) -> Team:
    """Any site-wide team, by slug (an issue's team need not hold a role in its project:
    the queue is the team's, the issue's readers are the project's)."""
    team = one_or_none(Team.objects.filter(slug=slug))
    if team is None:
        raise Invalid.field("team", f"no team {slug!r}")
    return team
