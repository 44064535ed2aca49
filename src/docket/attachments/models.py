from __future__ import annotations

from django.conf import settings
from django.db import models

from docket.issues.models import Issue


class Attachment(models.Model):
    """A file attached to an issue. The bytes live on disk under `stored_name` (see
    storage.py), a name the server generates; `filename` is only what people see.
    `content_type` is what downloads are served as, decided from the bytes (content.py)."""

    issue = models.ForeignKey(  # attachment_issue
        Issue, on_delete=models.CASCADE, related_name="attachments", db_index=False
    )
    uploaded_by = models.ForeignKey(  # attachment_uploader
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="attachments",
        db_index=False,
    )
    filename = models.CharField(max_length=255)
    stored_name = models.CharField(max_length=32, unique=True)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["issue", "id"], name="attachment_issue"),
            models.Index(fields=["uploaded_by", "deleted_at"], name="attachment_uploader"),
        ]

    def __str__(self) -> str:
        return f"{self.filename} on issue {self.issue_id}"
