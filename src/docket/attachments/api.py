"""Attachment endpoints: parse, call an action or a query, shape the output.

Downloads are always `Content-Disposition: attachment` with the type decided at upload from
the bytes (content.py), `nosniff`, and a sandboxing CSP, so an uploaded file can never run
as a page of Docket's origin: see docs/api.md, "Attachments"."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from asgiref.sync import sync_to_async
from django.http import FileResponse
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from docket.accounts.api_auth import ApiRequest
from docket.attachments import actions, storage
from docket.attachments.content import SERVED_TYPES, content_disposition, response_type
from docket.attachments.queries import attachment_out, attachments_page, get_attachment_for
from docket.core.errors import Invalid, NotFound
from docket.issues.access import get_issue_for
from docket.projects.access import Perm

router = Router(tags=["attachments"])
log = logging.getLogger(__name__)


class AttachmentOut(Schema):
    id: int
    issue: str
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    created_at: datetime
    download_url: str


class AttachmentPage(Schema):
    items: list[AttachmentOut]
    next_cursor: str | None


class PageParams(Schema):
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=200)


class AttachmentResponse(FileResponse):
    """A FileResponse that streams under ASGI too: Django's own reads a synchronous file
    into one list in memory before sending any of it there."""

    block_size = 64 * 1024

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self.file_to_stream is None:  # content replaced (a middleware): Django's own way
            async for part in super().__aiter__():
                yield part
            return
        read = sync_to_async(self.file_to_stream.read, thread_sensitive=False)
        while chunk := await read(self.block_size):
            yield chunk


@router.post(
    "/issues/{key}/attachments",
    response={201: AttachmentOut},
    summary="Attach a file (multipart/form-data, field `file`)",
)
def upload(request: ApiRequest, key: str, file: File[UploadedFile]) -> Any:
    issue = get_issue_for(request.auth, key, Perm.COMMENT)
    if len(request.FILES) != 1 or len(request.FILES.getlist("file")) != 1:
        raise Invalid.field("file", "send exactly one file, in the form field 'file'")
    attachment = actions.upload_attachment(actor=request.auth, issue=issue, upload=file)
    return Status(201, attachment_out(attachment))


@router.get("/issues/{key}/attachments", response=AttachmentPage, summary="List attachments")
def list_attachments(request: ApiRequest, key: str, params: Query[PageParams]) -> Any:
    issue = get_issue_for(request.auth, key)
    page, next_cursor = attachments_page(issue, cursor=params.cursor, limit=params.limit)
    return {"items": [attachment_out(a) for a in page], "next_cursor": next_cursor}


@router.get("/attachments/{attachment_id}", response=AttachmentOut, summary="An attachment")
def get_attachment(request: ApiRequest, attachment_id: int) -> Any:
    return attachment_out(get_attachment_for(request.auth, attachment_id))


@router.get(
    "/attachments/{attachment_id}/download",
    summary="Download an attachment's bytes",
    url_name="attachment_download",
    openapi_extra={
        "responses": {
            200: {
                "description": "The file, always as a download (Content-Disposition: "
                "attachment), typed as decided at upload from its bytes",
                "content": {
                    served: {"schema": {"type": "string", "format": "binary"}}
                    for served in SERVED_TYPES
                },
            }
        }
    },
)
def download(request: ApiRequest, attachment_id: int) -> Any:
    attachment = get_attachment_for(request.auth, attachment_id)
    try:
        handle = storage.open_file(attachment.stored_name)
    except FileNotFoundError:
        log.error("attachment %s: its file %s is missing", attachment.pk, attachment.stored_name)
        raise NotFound(f"no attachment {attachment_id}") from None
    response = AttachmentResponse(handle, content_type=response_type(attachment.content_type))
    if not response.has_header("Content-Length"):  # streamed from S3: the row knows the size
        response["Content-Length"] = str(attachment.size)
    response["Content-Disposition"] = content_disposition(attachment.filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@router.delete("/attachments/{attachment_id}", response={204: None}, summary="Delete an attachment")
def delete_attachment(request: ApiRequest, attachment_id: int) -> Any:
    attachment = get_attachment_for(request.auth, attachment_id)
    actions.delete_attachment(actor=request.auth, attachment=attachment)
    return Status(204, None)
