from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower


class Workflow(models.Model):
    """A project's own set of states and transitions (copied from a template at creation)."""

    name = models.CharField(max_length=100)
    template = models.CharField(max_length=50, default="default")

    def __str__(self) -> str:
        return self.name


class WorkflowState(models.Model):
    class Category(models.TextChoices):
        TODO = "todo", "To do"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="states")
    name = models.CharField(max_length=50)
    category = models.CharField(max_length=20, choices=Category.choices)
    order = models.PositiveSmallIntegerField(default=0)
    color = models.CharField(max_length=7, default="#888888")
    is_initial = models.BooleanField(default=False)
    # Work-in-progress limit shown on the board (None: no limit). Advisory: moves are not refused.
    wip_limit = models.PositiveIntegerField(null=True, blank=True)
    # The ball is with someone outside the team ("Waiting on customer"): SLA clocks pause here.
    waiting = models.BooleanField(default=False)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            # Issues show a state's name in lower case, so names must differ in more than case.
            models.UniqueConstraint("workflow", Lower("name"), name="state_name_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_done(self) -> bool:
        return self.category == self.Category.DONE


class WorkflowTransition(models.Model):
    """A named move between states; `from_state` empty means 'from any state'.

    Its rules (checked by projects/workflow_rules.py): `allowed_roles` (empty: any role that
    may edit issues), `required_fields` (must have a value after the move, `comment` must come
    with it) and `effects` (automatic changes, e.g. assign the caller).
    """

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="transitions")
    name = models.CharField(max_length=50)
    from_state = models.ForeignKey(
        WorkflowState, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    to_state = models.ForeignKey(WorkflowState, on_delete=models.CASCADE, related_name="+")
    allowed_roles = models.JSONField(default=list, blank=True)
    required_fields = models.JSONField(default=list, blank=True)
    effects = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Project(models.Model):
    class Visibility(models.TextChoices):
        PRIVATE = "private"
        INTERNAL = "internal"
        PUBLIC = "public"

    key = models.CharField(max_length=10, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    workflow = models.ForeignKey(Workflow, on_delete=models.PROTECT, related_name="projects")
    next_number = models.PositiveIntegerField(default=1)
    # Support desks: reporters and non-members see only the issues they reported, are
    # assigned or were explicitly given (projects/access.py and issues/access.py).
    reporters_see_own_only = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class Role(models.TextChoices):
    """Per-project roles, strongest first. What each may do lives in projects/access.py."""

    ADMIN = "admin"
    MEMBER = "member"
    REPORTER = "reporter"
    VIEWER = "viewer"


ROLE_RANK = {Role.VIEWER: 1, Role.REPORTER: 2, Role.MEMBER: 3, Role.ADMIN: 4}


class Membership(models.Model):
    """A role on a project for one user or for a whole team (exactly one of the two)."""

    project = models.ForeignKey(  # membership_user_unique
        Project, on_delete=models.CASCADE, related_name="memberships", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(user__isnull=False, team__isnull=True)
                    | Q(user__isnull=True, team__isnull=False)
                ),
                name="membership_user_xor_team",
            ),
            models.UniqueConstraint(fields=["project", "user"], name="membership_user_unique"),
            models.UniqueConstraint(fields=["project", "team"], name="membership_team_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user or self.team} as {self.role} in project {self.project_id}"


class Component(models.Model):
    project = models.ForeignKey(  # component_name_unique
        Project, on_delete=models.CASCADE, related_name="components", db_index=False
    )
    name = models.CharField(max_length=100)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="component_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Milestone(models.Model):
    project = models.ForeignKey(  # milestone_name_unique
        Project, on_delete=models.CASCADE, related_name="milestones", db_index=False
    )
    name = models.CharField(max_length=100)
    start_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    closed = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="milestone_name_unique")
        ]

    def __str__(self) -> str:
        return self.name
