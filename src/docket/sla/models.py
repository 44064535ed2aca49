"""SLA policies, the clocks they run on issues, and the escalation steps that fired.

Thin: fields, constraints, indexes. What the fields mean is in docs/sla.md; the arithmetic is
calendar.py (business time) and clocks.py (replaying an issue's events)."""

from __future__ import annotations

from django.db import models

from docket.issues.models import Issue
from docket.projects.models import Project


class Metric(models.TextChoices):
    FIRST_RESPONSE = "first_response", "time to first response"
    RESOLUTION = "resolution", "time to resolution"


class Policy(models.Model):
    """Targets for the issues of a project that match `query` (empty: all of them). An issue
    is held to the first active policy of its project that matches it (by `order`, then id)."""

    project = models.ForeignKey(  # sla_policy_name_unique
        Project, on_delete=models.CASCADE, related_name="sla_policies", db_index=False
    )
    name = models.CharField(max_length=100)
    query = models.TextField(max_length=2000, blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)
    # Targets in minutes of business time, per priority name: {"highest": 60, ...}. A
    # priority missing from a metric's table has no clock for that metric.
    first_response = models.JSONField(default=dict, blank=True)
    resolution = models.JSONField(default=dict, blank=True)
    # The calendar: zone, weekly hours ({"mon": ["09:00-17:00"]}; null: around the clock),
    # public holidays of a country (ISO code, optional subdivision) and custom closed dates.
    zone = models.CharField(max_length=64, default="UTC")
    hours = models.JSONField(null=True, blank=True)
    country = models.CharField(max_length=10, blank=True)
    subdivision = models.CharField(max_length=10, blank=True)
    closed_dates = models.JSONField(default=list, blank=True)
    # Workflow states (names, any case) in which clocks pause: "Waiting on customer".
    pause_states = models.JSONField(default=list, blank=True)
    # Escalation steps: [{"at": 75, "do": ["notify_assignee"]}, ...] (percent of target).
    steps = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["project", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="sla_policy_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Clock(models.Model):
    """One metric's clock on one issue, as the issue's events leave it (clocks.py).

    A checkpoint rather than a result: `elapsed_seconds` of business time had run before
    `running_since`; while running (not paused, not stopped) the clock's business time at any
    moment is that plus the calendar's business time since `running_since`. `deadline` is
    when it reaches its target while running; `next_fire_at` is the next moment the sweep
    must look at it (an escalation threshold, at-risk or the deadline), indexed."""

    class State(models.TextChoices):
        RUNNING = "running"
        PAUSED = "paused"
        MET = "met"
        BREACHED = "breached"

    issue = models.ForeignKey(  # sla_clock_unique
        Issue, on_delete=models.CASCADE, related_name="sla_clocks", db_index=False
    )
    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="clocks")
    metric = models.CharField(max_length=20, choices=Metric.choices)
    target_seconds = models.PositiveIntegerField()
    elapsed_seconds = models.FloatField(default=0)
    running_since = models.DateTimeField(null=True, blank=True)  # None: paused or stopped
    paused = models.BooleanField(default=False)
    stopped_at = models.DateTimeField(null=True, blank=True)  # met or resolved
    breached_at = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)
    next_fire_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["issue", "metric"]
        constraints = [
            models.UniqueConstraint(fields=["issue", "metric"], name="sla_clock_unique"),
        ]
        indexes = [
            models.Index(
                fields=["next_fire_at"],
                condition=models.Q(next_fire_at__isnull=False),
                name="sla_clock_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric} on issue {self.issue_id}"


class Escalation(models.Model):
    """A step that fired: at most one per issue, metric and step (the unique key is what makes
    it fire exactly once across worker crashes, replays and clock jumps). Written in the
    transaction that records its issue event and performs its actions."""

    issue = models.ForeignKey(  # sla_escalation_once
        Issue, on_delete=models.CASCADE, related_name="sla_escalations", db_index=False
    )
    metric = models.CharField(max_length=20, choices=Metric.choices)
    step = models.PositiveSmallIntegerField()  # the step's percent threshold
    policy_name = models.CharField(max_length=100)
    fired_at = models.DateTimeField()
    outcome = models.JSONField(default=dict, blank=True)  # what each action did

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["issue", "metric", "step"], name="sla_escalation_once"),
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.step}% on issue {self.issue_id}"
