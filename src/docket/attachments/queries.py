"""Reads of attachments. Visibility is the issue gate's: an attachment is there for whoever
may see its issue, and a missing, deleted or hidden one is the same 404."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, F, QuerySet
from django.db.models.expressions import Combinable, OrderBy
from django.urls import reverse

from docket.accounts.actor import Who
from docket.attachments.models import Attachment
from docket.core.errors import NotFound
from docket.core.pagination import keyset_page
from docket.core.rows import one_or_none
from docket.issues.access import visible_issues
from docket.issues.models import Issue

OLDEST_FIRST = [OrderBy(F("pk"))]


def _live(attachments: QuerySet[Attachment]) -> QuerySet[Attachment]:
    return attachments.filter(deleted_at__isnull=True).select_related(
        "issue__project", "uploaded_by"
    )


def any_attachment(issue_id: Combinable) -> Exists:
    """Whether the issue (an OuterRef) has a live attachment: a page skips an empty section."""
    return Exists(Attachment.objects.filter(issue_id=issue_id, deleted_at__isnull=True))


def get_attachment_for(user: Who, attachment_id: int) -> Attachment:
    """The attachment if `user` may see its issue and it is not deleted; 404 otherwise."""
    attachment = one_or_none(
        _live(Attachment.objects.filter(pk=attachment_id)).filter(issue__in=visible_issues(user))
    )
    if attachment is None:
        raise NotFound(f"no attachment {attachment_id}")
    return attachment


def attachments_page(
    issue: Issue, *, cursor: str | None = None, limit: int = 50
) -> tuple[list[Attachment], str | None]:
    """An issue's attachments, oldest first (the caller has checked it may see `issue`)."""
    return keyset_page(
        _live(Attachment.objects.filter(issue=issue)), OLDEST_FIRST, "attachments", cursor, limit
    )


def download_url(attachment_id: int) -> str:
    """The one download path (the API's, with its safe headers), for the API and the pages."""
    return reverse("api-v1:attachment_download", kwargs={"attachment_id": attachment_id})


def live_names(issue: Issue) -> dict[str, int]:
    """The issue's attachments that are not deleted, by filename (the newest of a name), so
    the timeline can link the files its events name while they still exist."""
    rows = Attachment.objects.filter(issue=issue, deleted_at__isnull=True).order_by("pk")
    return dict(rows.values_list("filename", "pk"))


def attachment_out(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "issue": attachment.issue.key,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "uploaded_by": attachment.uploaded_by.username,
        "created_at": attachment.created_at,
        "download_url": download_url(attachment.pk),
    }
