"""Forge deliveries for the VCS tests: the real payload files in ../shared/data/webhooks (read
in place, byte for byte), signed the way each forge signs them, sent to the real endpoint."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from docket.integrations.vcs import actions
from docket.integrations.vcs.models import Repository
from tests.conftest import Cast

WEBHOOKS = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "webhooks"
SECRET = "a-test-secret-of-some-length"
EVENT_HEADER = {"github": "X-GitHub-Event", "gitlab": "X-Gitlab-Event", "gitea": "X-Gitea-Event"}
# Where each forge's folder of payloads is delivered from: its provider kind.
FOLDERS = {"github": "github", "gitlab": "gitlab", "gitea": "gitea", "gogs": "gitea"}
GITLAB_EVENTS = {
    "push-event.json": "Push Hook", "tag-event.json": "Tag Push Hook",
    "issue-event.json": "Issue Hook", "confidential-issue-event.json": "Confidential Issue Hook",
    "comment-issue-event.json": "Note Hook", "comment-merge-request-event.json": "Note Hook",
    "merge-request-event.json": "Merge Request Hook",
}  # fmt: skip


def need_data() -> Path:
    if not WEBHOOKS.is_dir():
        pytest.skip(f"the shared webhook payloads are not at {WEBHOOKS} (../shared/data)")
    return WEBHOOKS


def payload_bytes(relative: str) -> bytes:
    return (need_data() / relative).read_bytes()


def event_of(folder: str, name: str) -> str:
    """The event header a forge sends with this file (README: names and go-playground's tests)."""
    if folder == "gitlab":
        return GITLAB_EVENTS[name]
    if folder == "github":
        return name.split("__", 1)[0]
    return {"pull-request-event.json": "pull_request"}.get(
        name, re.sub(r"-event\.json$", "", name).replace("-", "_")
    )


def signed(provider: str, body: bytes, secret: str = SECRET, **extra: str) -> dict[str, str]:
    """The headers a forge sends: signature (or token) over exactly `body`."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    proof = {
        "github": {"X-Hub-Signature-256": f"sha256={digest}"},
        "gitlab": {"X-Gitlab-Token": secret},
        "gitea": {"X-Gitea-Signature": digest},
    }[provider]
    return {**proof, **extra}


def repository_named(provider: str, body: bytes) -> str:
    data = json.loads(body)
    if provider == "gitlab":
        return data.get("project", {}).get("path_with_namespace") or "group/none"
    return (data.get("repository") or {}).get("full_name") or "owner/none"


def as_meta(headers: dict[str, str]) -> dict[str, str]:
    return {"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()}


def deliver(repository: Repository, body: bytes, headers: dict[str, str], **kw: Any) -> Any:
    """POST a delivery to the repository's address through Django's test client."""
    return Client().post(
        f"/api/v1/hooks/vcs/{repository.hook_id}",
        data=body,
        content_type=kw.pop("content_type", "application/json"),
        **as_meta(headers),
    )


def connect(
    cast: Cast, provider: str, full_name: str, *, secret: str = SECRET, **data: Any
) -> Repository:
    repository, _ = actions.connect(
        actor=cast.alice,
        project=cast.web,
        data={"provider": provider, "full_name": full_name, "secret": secret, **data},
    )
    return repository


def with_messages(relative: str, messages: list[str], **changes: Any) -> bytes:
    """A real payload file with its commits' messages replaced (and top-level fields such as
    `ref` changed): the bytes to sign and send."""
    data = json.loads(payload_bytes(relative))
    for commit, message in zip(data["commits"], messages, strict=False):
        commit["message"] = message
    data.update(changes)
    return json.dumps(data, indent=2).encode()
