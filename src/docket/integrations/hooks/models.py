"""Outbound webhooks: a project's hooks and their deliveries (one per hook and event, unique,
so the consumer reading events again never queues one twice). docs/integrations.md."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from docket.issues.models import IssueEvent
from docket.projects.models import Project


class Format(models.TextChoices):
    STANDARD = "standard", "Standard Webhooks (signed JSON)"
    SLACK = "slack", "Slack"
    MATTERMOST = "mattermost", "Mattermost"
    TEAMS = "teams", "Microsoft Teams"
    TEAMS_MESSAGECARD = "teams_messagecard", "Microsoft Teams (legacy MessageCard)"
    DISCORD = "discord", "Discord"


CHAT_FORMATS = {
    Format.SLACK, Format.MATTERMOST, Format.TEAMS, Format.TEAMS_MESSAGECARD, Format.DISCORD
}  # fmt: skip


class Webhook(models.Model):
    """Where a project's events go. `owner` (who last saved it) decides what it may carry:
    an event leaves only if the owner may see its issue when it is sent. A `public_channel`
    (chat formats by default) never carries a confidential issue. `kinds` empty: every kind;
    `query`: a Docket query the issue must match when the event is read."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=100)
    url = models.URLField(max_length=2000)
    secret = models.CharField(max_length=100)
    format = models.CharField(max_length=20, choices=Format.choices, default=Format.STANDARD)
    kinds = models.JSONField(default=list)
    query = models.CharField(max_length=2000, blank=True, default="")
    public_channel = models.BooleanField(default=False)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True, default="")
    disabled_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)  # no success since then
    exhausted_in_a_row = models.PositiveIntegerField(default=0)  # deliveries out of attempts
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"webhook {self.id} of project {self.project_id}"


class Delivery(models.Model):
    """One event for one hook, and how sending it went (the latest attempt). `message_id` is
    its `webhook-id`, the same for every attempt and redelivery. `lease_until`: while
    `sending`, a worker has it until then; after that (the worker died) it is due again."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SENDING = "sending"
        DELIVERED = "delivered"
        FAILED = "failed"  # out of attempts
        WITHHELD = "withheld"  # the receiver may not see it (docs/integrations.md)

    hook = models.ForeignKey(  # hooks_delivery_log
        Webhook, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    event = models.ForeignKey(IssueEvent, on_delete=models.CASCADE, related_name="+")
    message_id = models.CharField(max_length=40, unique=True)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField()
    due_at = models.DateTimeField()  # the next attempt (pending), or the lease's end (sending)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    response = models.TextField(blank=True, default="")
    error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField()
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hook", "event"], name="hooks_delivery_once")
        ]
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=models.Q(status__in=["pending", "sending"]),
                name="hooks_delivery_due",
            ),
            models.Index(fields=["hook", "-id"], name="hooks_delivery_log"),
            models.Index(fields=["created_at"], name="hooks_delivery_age"),  # pruning
        ]

    def __str__(self) -> str:
        return f"delivery {self.message_id}"
