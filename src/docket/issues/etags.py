"""ETags and If-Match for issue resources, shared by every endpoint that returns an issue.

An ETag is "<version>-<updated_at in µs>": the version is what If-Match compares (fields),
the time also changes when a comment arrives, so If-None-Match never serves a stale body.
An issue with an SLA summary (which changes without an edit: issues/sla_summary.py) has a
third part, a checksum of that summary, for the same reason.
"""

from __future__ import annotations

import re
import zlib

from django.http import HttpRequest, HttpResponse

from docket.core.errors import BadParameter
from docket.issues.models import Issue

ETAG = re.compile(r'^(?:W/)?"(\d+)(?:-\d+){0,2}"$')


def etag(issue: Issue) -> str:
    tag = f"{issue.version}-{int(issue.updated_at.timestamp() * 1_000_000)}"
    if issue.sla_state or issue.sla_due_at:
        due = issue.sla_due_at.isoformat() if issue.sla_due_at else ""
        tag += f"-{zlib.crc32(f'{issue.sla_state}|{due}'.encode())}"
    return f'"{tag}"'


def with_etag(response: HttpResponse, issue: Issue) -> HttpResponse:
    response["ETag"] = etag(issue)
    return response


def matches_none(request: HttpRequest, issue: Issue) -> bool:
    """True when If-None-Match names the issue's current ETag (answer 304)."""
    header = request.headers.get("If-None-Match") or ""
    return etag(issue) in {tag.strip().removeprefix("W/") for tag in header.split(",")}


def based_on(request: HttpRequest, body_version: int | None) -> int | None:
    """The version an update is based on: If-Match if sent, else the body's `version`."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return body_version
    match = ETAG.match(header.strip())
    if not match:
        raise BadParameter.field(
            "If-Match",
            "must be the ETag of a previous GET (or a version number in quotes)",
            location="header",
        )
    return int(match.group(1))
