"""Every write to attachments: upload and delete. Each checks permission, changes the rows and
records the change as an IssueEvent (`changed`, field `attachments`: `new` = the filename on
upload, `old` = the filename on delete) in one transaction. The issue's version and
`updated_at` stay as they are, as for comments: an attachment is not an edit of the issue.

Files and rows are kept in step: an upload writes the file first (atomically, see
storage.py) and removes it again if its transaction fails; a delete removes the file only
once its transaction has committed.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.conf import settings
from django.core.files.base import File
from django.db import transaction
from django.db.models import Sum

from docket.accounts.actor import Who, account_of
from docket.accounts.models import User
from docket.attachments import storage
from docket.attachments.content import Inspector, TooLarge, clean_filename, served_type
from docket.attachments.models import Attachment
from docket.core.clock import now
from docket.core.errors import Forbidden, Invalid, NotFound
from docket.core.http import PayloadTooLarge
from docket.issues.access import can_see, require_on_issue
from docket.issues.events import record
from docket.issues.models import EventKind, Issue
from docket.projects.access import Perm, permissions_in

EVENT_FIELD = "attachments"


def _signed_in(actor: Who) -> User:
    return account_of(actor, "sign in or send an API token to manage attachments")


def _visible(actor: Who, issue: Issue) -> None:
    if issue.deleted_at is not None or not can_see(actor, issue):
        raise NotFound(f"no issue {issue.key}")


# --- uploading ----------------------------------------------------------------------------


def quota_used(user: User) -> int:
    """Bytes in `user`'s attachments that are not deleted (deleted ones leave the disk)."""
    used = Attachment.objects.filter(uploaded_by=user, deleted_at__isnull=True).aggregate(
        total=Sum("size")
    )["total"]
    return int(used or 0)


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"the file is larger than the {limit}-byte attachment limit", limit=limit
    )


def _check_quota(user: User, size: int) -> None:
    quota = settings.DOCKET_ATTACHMENT_QUOTA_BYTES
    used = quota_used(user)
    if used + size > quota:
        raise PayloadTooLarge(
            f"attachment quota exceeded: your attachments take {used} of your {quota} bytes "
            f"and this file needs {size} more; delete some of your attachments first",
            quota=quota,
            used=used,
        )


def upload_attachment(*, actor: Who, issue: Issue, upload: File[bytes]) -> Attachment:
    """Attach `upload` to `issue` (needs the comment permission). The display name is
    cleaned, the stored name is random, the served type comes from the bytes."""
    user = _signed_in(actor)  # the uploader; every permission check asks the actor (scopes)
    _visible(actor, issue)
    require_on_issue(actor, issue, Perm.COMMENT)
    limit = settings.DOCKET_MAX_ATTACHMENT_BYTES
    if upload.size == 0:
        raise Invalid.field("file", "is empty")
    if upload.size is not None:  # the size Django counted while receiving it: refuse early
        if upload.size > limit:
            raise _too_large(limit)
        _check_quota(user, upload.size)
    filename = clean_filename(upload.name)
    inspector = Inspector(limit)
    stored_name = storage.new_name()
    try:
        storage.write(stored_name, inspector.feed(upload.chunks()))
    except TooLarge:
        raise _too_large(limit) from None
    try:
        if inspector.size == 0:
            raise Invalid.field("file", "is empty")
        content_type = served_type(inspector.head, is_text=inspector.is_text, filename=filename)
        return _save(
            actor,
            user,
            issue,
            filename=filename,
            stored_name=stored_name,
            content_type=content_type,
            size=inspector.size,
            sha256=inspector.sha256,
        )
    except BaseException:
        storage.remove(stored_name)
        raise


def attach_bytes(*, actor: Who, issue: Issue, filename: str, data: bytes) -> Attachment:
    """Attach bytes already in memory (a mail's attachment) inside the caller's transaction,
    with the checks and limits of `upload_attachment` (PayloadTooLarge, Invalid). The file
    is written first and removed if this fails; if the caller's transaction rolls back
    after this returned, the caller removes `stored_name` (storage.remove)."""
    user = _signed_in(actor)
    _visible(actor, issue)
    require_on_issue(actor, issue, Perm.COMMENT)
    limit = settings.DOCKET_MAX_ATTACHMENT_BYTES
    if not data:
        raise Invalid.field("file", "is empty")
    if len(data) > limit:
        raise _too_large(limit)
    name = clean_filename(filename)
    inspector = Inspector(limit)
    stored_name = storage.new_name()
    storage.write(stored_name, inspector.feed([data]))
    try:
        content_type = served_type(inspector.head, is_text=inspector.is_text, filename=name)
        with transaction.atomic():  # a savepoint: a refusal leaves the caller's work intact
            return _save_rows(
                actor, user, issue, filename=name, stored_name=stored_name,
                content_type=content_type, size=inspector.size, sha256=inspector.sha256,
            )  # fmt: skip
    except BaseException:
        storage.remove(stored_name)
        raise


# durable: this must be the outermost transaction, so that returning from it means the row
# is committed and failing means it is not (and the caller removes the file).
@transaction.atomic(durable=True)
def _save(actor: Who, user: User, issue: Issue, **fields: Any) -> Attachment:
    return _save_rows(actor, user, issue, **fields)


def _save_rows(actor: Who, user: User, issue: Issue, **fields: Any) -> Attachment:
    # Lock the uploader, so that their concurrent uploads take turns at the quota check,
    # and the issue, so the event carries its current version (and it is still there).
    User.objects.select_for_update().filter(pk=user.pk).exists()
    locked = (
        Issue.objects.select_for_update(of=("self",)).select_related("project").get(pk=issue.pk)
    )
    _visible(actor, locked)
    _check_quota(user, fields["size"])
    moment = now()
    attachment = Attachment.objects.create(
        issue=locked, uploaded_by=user, created_at=moment, **fields
    )
    record(locked, user, EventKind.CHANGED, moment, field=EVENT_FIELD, new=attachment.filename)
    return attachment


# --- deleting -----------------------------------------------------------------------------


@transaction.atomic
def delete_attachment(*, actor: Who, attachment: Attachment) -> None:
    """Hide an attachment (its uploader, or a project admin) and remove its file once the
    transaction commits. The row stays, so history and the checksum stay explainable."""
    user = _signed_in(actor)  # the uploader test; permission checks ask the actor (scopes)
    locked = (
        Attachment.objects.select_for_update(of=("self", "issue"))
        .select_related("issue__project")
        .get(pk=attachment.pk)
    )
    _visible(actor, locked.issue)
    if locked.deleted_at is not None:
        raise NotFound(f"no attachment {locked.pk}")
    perms = permissions_in(actor, locked.issue.project)
    own = locked.uploaded_by_id == user.pk
    if not (Perm.MODERATE in perms or (own and Perm.COMMENT in perms)):
        raise Forbidden("only the uploader or a project admin may delete this attachment")
    moment = now()
    locked.deleted_at = moment
    locked.save(update_fields=["deleted_at"])
    record(locked.issue, user, EventKind.CHANGED, moment, field=EVENT_FIELD, old=locked.filename)
    transaction.on_commit(partial(storage.remove, locked.stored_name))
