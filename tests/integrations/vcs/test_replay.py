"""Every payload file in ../shared/data/webhooks/{github,gitlab,gitea,gogs} through the real
endpoint, byte for byte, signed over the file's exact bytes: each gets its documented answer.
(They mention no Docket keys, so nothing is linked: test_linking.py edits them for that.)"""

from __future__ import annotations

import json

import pytest

from docket.integrations.vcs.models import CommitLink, Delivery
from docket.issues.models import IssueEvent
from tests.integrations.vcs.conftest import (
    EVENT_HEADER,
    FOLDERS,
    WEBHOOKS,
    connect,
    deliver,
    event_of,
    payload_bytes,
    repository_named,
    signed,
)

FILES = sorted(
    f"{folder}/{path.name}"
    for folder in FOLDERS
    if (WEBHOOKS / folder).is_dir()
    for path in (WEBHOOKS / folder).glob("*.json")
)


def expected(folder: str, name: str, body: bytes) -> str:
    event = event_of(folder, name)
    if event == "ping":
        return "ok"
    if event in ("push", "Push Hook"):
        ref = json.loads(body)["ref"]
        return "processed" if ref.startswith("refs/heads/") else "ignored"
    if event in ("pull_request", "Merge Request Hook"):
        return "processed"
    return "ignored"


def test_the_shared_payloads_are_there() -> None:
    assert len(FILES) >= 38 or not WEBHOOKS.is_dir(), FILES


@pytest.mark.parametrize("relative", FILES)
def test_each_payload_file_is_answered_as_documented(cast, relative: str) -> None:
    folder, name = relative.split("/")
    provider = FOLDERS[folder]
    body = payload_bytes(relative)
    repository = connect(cast, provider, repository_named(provider, body))
    event = event_of(folder, name)
    headers = signed(provider, body, **{EVENT_HEADER[provider]: event})

    response = deliver(repository, body, headers)

    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["status"] == expected(folder, name, body), answer
    if answer["status"] == "ignored" and "Push" not in event and event != "push":
        assert answer["detail"] == f"ignored: {event}"
    logged = Delivery.objects.get(repository=repository)
    assert logged.event == event
    assert {"ok": "ping"}.get(answer["status"], answer["status"]) == logged.outcome
    assert not CommitLink.objects.exists()  # no Docket key in any of them
    assert not IssueEvent.objects.filter(kind__in=["commit_linked", "pr_linked"]).exists()

    again = deliver(repository, body, headers)  # the same delivery again: nothing new
    assert again.status_code == 200 and again.json()["status"] == "already processed"
    assert Delivery.objects.filter(repository=repository).count() == 1
