"""A project's inbound address (and optional IMAP mailbox), and the log of every message
that arrived: what became of it, and for the quarantine its raw bytes."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Mailbox(models.Model):
    """Where a project's mail arrives. `address` is kept lower-case, so it is unique
    case-insensitively. IMAP is optional: without a host, mail comes through the listener."""

    project = models.OneToOneField(
        "projects.Project", on_delete=models.CASCADE, related_name="mailbox"
    )
    address = models.CharField(max_length=254, unique=True)
    imap_host = models.CharField(max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(default=993)
    imap_user = models.CharField(max_length=255, blank=True)
    imap_password = models.CharField(max_length=255, blank=True)  # write-only in the API
    imap_folder = models.CharField(max_length=255, default="INBOX")
    imap_tls = models.BooleanField(default=True)
    # Where polled messages go once handled; empty: they are only flagged \Seen.
    imap_done_folder = models.CharField(max_length=255, blank=True)
    imap_last_error = models.CharField(max_length=500, blank=True)
    imap_polled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.address


class Inbound(models.Model):
    """One message as it arrived (per project it was addressed to), and its outcome."""

    class Outcome(models.TextChoices):
        OPENED = "opened"  # a new issue
        COMMENTED = "commented"  # a comment on an issue
        IGNORED = "ignored"  # auto-reply, bounce, read receipt, loop: logged, nothing done
        QUARANTINED = "quarantined"  # kept for an admin to look at
        ASSIGNED = "assigned"  # a quarantined message an admin turned into a comment/issue
        DISCARDED = "discarded"  # a quarantined message an admin threw away

    project = models.ForeignKey(  # mailin_proj_at
        "projects.Project",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    reason = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField()
    via = models.CharField(max_length=8)  # lmtp, smtp, imap
    recipient = models.CharField(max_length=254, blank=True)
    sender = models.CharField(max_length=254, blank=True)
    sender_name = models.CharField(max_length=200, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    # Threading data kept for replies going out: the message's own Message-ID and references.
    message_id = models.CharField(max_length=300, blank=True, db_index=True)
    in_reply_to = models.CharField(max_length=300, blank=True)
    references = models.TextField(blank=True)
    issue = models.ForeignKey(
        "issues.Issue", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.ForeignKey(
        "issues.Comment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    size = models.PositiveIntegerField(default=0)
    # The message as received (quarantined and ignored ones), up to DOCKET_MAIL_KEEP_BYTES.
    raw = models.BinaryField(blank=True, default=b"")
    raw_truncated = models.BooleanField(default=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["outcome", "received_at"], name="mailin_outcome_at"),
            models.Index(fields=["project", "outcome", "received_at"], name="mailin_proj_at"),
        ]

    def __str__(self) -> str:
        return f"{self.outcome}: {self.subject[:40]}"
