from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class AppendOnly(Exception):
    pass


class AuditEntry(models.Model):
    """One administrative action. Append-only: the model refuses updates and deletes, and so
    does the database itself (triggers in migration 0001), so not even a bulk query can edit
    the record.

    Names are copied (`actor_name`, `project_key`) so the entry reads the same after renames.
    """

    at = models.DateTimeField()
    actor = models.ForeignKey(  # audit_actor
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    actor_name = models.CharField(max_length=150)
    action = models.CharField(max_length=50)
    project = models.ForeignKey(  # audit_project
        "projects.Project", null=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    project_key = models.CharField(max_length=10, blank=True)
    target = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict)
    ip = models.GenericIPAddressField(null=True)
    via = models.CharField(max_length=20, blank=True, help_text="session, token prefix or cli")

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["project", "id"], name="audit_project"),
            models.Index(fields=["actor", "id"], name="audit_actor"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.target}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnly("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnly("audit entries cannot be deleted")
