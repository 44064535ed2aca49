"""Automation rules (docs/automation.md): what starts them, what they check, what they do, and
the log of every run. Thin: the engine is in engine.py, the writes in actions.py."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Rule(models.Model):
    """A project's rule, or a global one (`project` empty: every project; site admins only).

    `trigger` is {"on": <trigger kind>, ...its options}, `actions` a list of {"type": ...}
    (both checked by automation/spec.py). `owner` is whoever last saved the rule: the bot
    acts with the role the owner holds in the issue's project when the rule runs."""

    project = models.ForeignKey(  # rule_project_order
        "projects.Project",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)
    enabled = models.BooleanField(default=True)
    trigger = models.JSONField()
    condition = models.TextField(blank=True, max_length=2000)
    actions = models.JSONField(default=list)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    next_run_at = models.DateTimeField(null=True, blank=True)  # "on a schedule" rules
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["position", "id"]
        indexes = [
            models.Index(fields=["project", "enabled", "position"], name="rule_project_order"),
            models.Index(
                fields=["next_run_at"],
                condition=Q(next_run_at__isnull=False, enabled=True),
                name="rule_schedule_due",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RuleRun(models.Model):
    """One rule run: which rule, on which event (or sweep moment) and issue, whether its
    condition matched, what its actions did. `key` is unique per rule (the event's id, or the
    due date / schedule slot), so a rule never runs twice for the same thing."""

    class Outcome(models.TextChoices):
        NO_MATCH = "no match"
        DONE = "done"
        FAILED = "failed"  # an action was refused or broke; `error` says which
        LOOP = "stopped: loop"

    rule = models.ForeignKey(  # rule_run_rule
        Rule, on_delete=models.CASCADE, related_name="runs", db_index=False
    )
    key = models.CharField(max_length=80)
    trigger = models.CharField(max_length=20)
    event = models.ForeignKey(
        "issues.IssueEvent", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    issue = models.ForeignKey(
        "issues.Issue", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    matched = models.BooleanField()
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    results = models.JSONField(default=list)  # one entry per action: {"type", "ok", "detail"}
    error = models.TextField(blank=True)
    depth = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["rule", "key"], name="rule_run_once")]
        indexes = [
            models.Index(fields=["rule", "id"], name="rule_run_rule"),
            models.Index(fields=["created_at"], name="rule_run_created"),  # pruning old runs
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.key}: {self.outcome}"


class RuleEffect(models.Model):
    """An issue event a rule's action wrote, and how deep in a chain of rules it is (1: caused
    by a person's change, 2: by a rule reacting to a rule, ...). The loop guard reads it; the
    timeline shows "Automation: <rule name>" from it. It outlives its run: the run log is
    pruned (prune.py), the history it explains is not."""

    event = models.OneToOneField(
        "issues.IssueEvent", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    run = models.ForeignKey(
        RuleRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="effects"
    )
    rule_name = models.CharField(max_length=100)
    depth = models.PositiveSmallIntegerField()

    def __str__(self) -> str:
        return f"event {self.event_id} by rule run {self.run_id}"
