"""What the importers remember besides `issues.ImportedRecord` (which says which row a
source's record became): each record's digest, so a re-run can tell an updated record from an
unchanged one; the placeholder accounts made for people a source names; and the page
imports the worker runs."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from docket.projects.models import Project


class RecordDigest(models.Model):
    """The sha256 of a source record as last imported (its converted form)."""

    source = models.CharField(max_length=100)
    source_id = models.CharField(max_length=255)
    digest = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "source_id"], name="record_digest_unique")
        ]

    def __str__(self) -> str:
        return f"{self.source}/{self.source_id}"


class Placeholder(models.Model):
    """An inactive account made for a person a source names who has no account here. It
    cannot sign in (inactive, no password) until a site admin claims it (`claim`)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_placeholder"
    )
    source = models.CharField(max_length=100)
    identity = models.CharField(max_length=255)  # who they are in the source (login, email…)
    # The address the source gave, kept here rather than on the account, so no mail goes to
    # it before an admin claims the account and confirms the address.
    email = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.identity} ({self.source})"


class ImportRun(models.Model):
    """An import started from the page: the uploaded file, then its progress and summary,
    which the job writes as it goes and the page polls."""

    class State(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    format = models.CharField(max_length=20)
    filename = models.CharField(max_length=255)
    content = models.BinaryField()  # emptied when the run ends
    mapping = models.JSONField(default=dict)
    preset = models.CharField(max_length=30, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list)  # ["line 12: title: is required", …]
    message = models.TextField(blank=True)
    seconds = models.FloatField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.filename} → {self.project_id} ({self.state})"
