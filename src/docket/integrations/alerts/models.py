"""Alert intakes (docs/integrations.md, "Monitoring alerts"): where a monitoring system posts
its notifications, and the alert groups each has seen. Thin: the rules are in actions.py."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class AlertIntake(models.Model):
    """One webhook receiver of a project. Only a SHA-256 of its token is kept: the token is a
    random secret the sender presents, so a plain hash cannot be guessed back from."""

    class Source(models.TextChoices):
        ALERTMANAGER = "alertmanager"
        GRAFANA = "grafana"

    project = models.ForeignKey(  # alert_intake_name_unique
        "projects.Project", on_delete=models.CASCADE, related_name="alert_intakes", db_index=False
    )
    name = models.CharField(max_length=100)
    source = models.CharField(max_length=20, choices=Source.choices)
    token_hash = models.CharField(max_length=64)
    token_hint = models.CharField(max_length=12)  # the token's first characters, to tell apart
    issue_type = models.CharField(max_length=20, default="incident")
    # {"critical": {"priority": "highest", "severity": "critical"}, ..., "default": {...}}
    severity_map = models.JSONField()
    resolve_on_resolved = models.BooleanField(default=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    enabled = models.BooleanField(default=True)
    # The intake's own service account: history names it "Alerts: <intake name>".
    bot = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="alert_intake_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class AlertGroup(models.Model):
    """An alert group (Alertmanager's `groupKey`) of an intake and the incident it opened.
    At most one open row per (intake, group key): a delivery for a group with an open row
    comments on its incident; once the incident is resolved the row is closed and the next
    firing opens a new one. `firing` is what the last delivery said was firing (alert ids,
    sorted), so a repeated notification changes nothing."""

    intake = models.ForeignKey(AlertIntake, on_delete=models.CASCADE, related_name="groups")
    key_hash = models.CharField(max_length=64)  # SHA-256 of the group key (keys can be long)
    group_key = models.TextField()
    issue = models.ForeignKey(  # alert_group_issue
        "issues.Issue", null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    open = models.BooleanField(default=True)
    firing = models.JSONField(default=list)
    deliveries = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["intake", "key_hash"], condition=Q(open=True), name="alert_group_one_open"
            )
        ]
        indexes = [models.Index(fields=["issue"], name="alert_group_issue")]

    def __str__(self) -> str:
        return self.group_key
