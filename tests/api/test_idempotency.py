"""`Idempotency-Key` on API writes: a retried write gets the first answer again, never a
second issue; another request under the same key is a 422; keys are per user; 5xx answers
are not kept; the write and its kept answer commit together (core/idempotency.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection

from docket.accounts.idempotency import UserKeys
from docket.accounts.models import IdempotencyKey
from docket.attachments.models import Attachment
from docket.core.clock import now
from docket.issues.models import Issue
from tests.api.test_attachments import files_dir, multipart, send  # noqa: F401 - fixture
from tests.conftest import Api


def keyed(key: str) -> dict[str, str]:
    return {"HTTP_IDEMPOTENCY_KEY": key}


def create(api: Api, key: str | None, title: str = "Login fails", **kw: Any) -> Any:
    headers = keyed(key) if key is not None else {}
    return api.post("/projects/WEB/issues", {"title": title, **kw}, headers=headers)


def test_a_retried_create_is_answered_by_the_first_and_creates_nothing(cast):
    alice = cast.api(cast.alice)
    first = create(alice, "retry-1")
    again = create(alice, "retry-1")
    assert first.status_code == again.status_code == 201
    assert again.content == first.content and again.json()["key"] == "WEB-1"
    assert again["Idempotency-Replayed"] == "true" and "Idempotency-Replayed" not in first
    assert again["Content-Type"] == first["Content-Type"]
    assert again.get("ETag") == first.get("ETag")
    assert Issue.objects.count() == 1
    assert create(alice, "retry-2").json()["key"] == "WEB-2"  # a new key is a new request


def test_the_same_key_for_another_request_is_a_422(cast):
    alice = cast.api(cast.alice)
    assert create(alice, "k").status_code == 201
    other = create(alice, "k", title="Something else")
    assert other.status_code == 422 and other["Content-Type"] == "application/problem+json"
    assert "used for a different request" in other.json()["detail"]
    elsewhere = alice.patch("/issues/WEB-1", {"title": "Login fails"}, headers=keyed("k"))
    assert elsewhere.status_code == 422  # another method and path
    assert Issue.objects.count() == 1


def test_keys_belong_to_their_user(cast):
    first = create(cast.api(cast.alice), "shared-key")
    second = create(cast.api(cast.bob), "shared-key")
    assert (first.json()["key"], second.json()["key"]) == ("WEB-1", "WEB-2")
    assert "Idempotency-Replayed" not in second
    # Two tokens of one user share their keys: the key is the user's.
    assert create(cast.api(cast.alice), "shared-key")["Idempotency-Replayed"] == "true"


def test_without_a_key_nothing_changes(cast):
    alice = cast.api(cast.alice)
    answers = [create(alice, None), create(alice, None)]
    assert [a.json()["key"] for a in answers] == ["WEB-1", "WEB-2"]
    assert all("Idempotency-Replayed" not in a for a in answers)
    assert not IdempotencyKey.objects.exists()


def test_a_5xx_is_not_kept_and_rolls_the_write_back(cast, monkeypatch):
    alice = cast.api(cast.alice)
    alice.client.raise_request_exception = False

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the disk is full")

    with monkeypatch.context() as patch:
        patch.setattr("docket.issues.actions.record", broken)  # after the issue row is written
        assert create(alice, "five-hundred").status_code == 500
    assert not Issue.objects.exists() and not IdempotencyKey.objects.exists()
    retried = create(alice, "five-hundred")  # the retry runs, once
    assert retried.status_code == 201 and "Idempotency-Replayed" not in retried
    assert Issue.objects.count() == 1


def test_the_write_and_its_kept_answer_commit_together(cast, monkeypatch):
    alice = cast.api(cast.alice)
    alice.client.raise_request_exception = False

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("killed while storing the answer")

    monkeypatch.setattr(UserKeys, "keep", crash)
    assert create(alice, "together").status_code == 500
    assert not Issue.objects.exists()  # no issue without the answer its retry would get


@pytest.mark.parametrize(
    "key, why",
    [("", "1–255 characters"), ("x" * 256, "1–255 characters"), ("clé", "printable ASCII")],
)
def test_a_malformed_key_is_a_400(cast, key, why):
    answer = create(cast.api(cast.alice), key)
    assert answer.status_code == 400 and why in answer.json()["detail"]
    assert answer.json()["errors"][0]["field"] == "Idempotency-Key"
    assert not Issue.objects.exists()


def test_a_quoted_key_as_the_draft_writes_it_works(cast):
    alice = cast.api(cast.alice)
    create(alice, '"8e03978e-40d5-43e8-bc93-6894a57f9324"')
    replayed = create(alice, '"8e03978e-40d5-43e8-bc93-6894a57f9324"')
    assert replayed["Idempotency-Replayed"] == "true" and Issue.objects.count() == 1


def test_a_client_error_is_kept_but_a_conflict_is_not(cast):
    alice = cast.api(cast.alice)
    refused = create(alice, "bad", assignee="nobody")
    assert refused.status_code == 422
    again = create(alice, "bad", assignee="nobody")
    assert again.status_code == 422 and again["Idempotency-Replayed"] == "true"
    assert again.content == refused.content

    create(alice, None)
    alice.patch("/issues/WEB-1", {"title": "v2"})
    stale = {"title": "mine", "version": 1}
    conflict = alice.patch("/issues/WEB-1", stale, headers=keyed("c"))
    assert conflict.status_code == 409
    retried = alice.patch("/issues/WEB-1", stale, headers=keyed("c"))
    assert retried.status_code == 409 and "Idempotency-Replayed" not in retried  # run again


def test_patch_and_delete_replay_their_answer(cast):
    alice = cast.api(cast.alice)
    create(alice, None)
    first = alice.patch("/issues/WEB-1", {"priority": "high"}, headers=keyed("p"))
    again = alice.patch("/issues/WEB-1", {"priority": "high"}, headers=keyed("p"))
    assert again.content == first.content and again["ETag"] == first["ETag"]
    assert again["Idempotency-Replayed"] == "true"
    gone = alice.delete("/issues/WEB-1", headers=keyed("d"))
    gone_again = alice.delete("/issues/WEB-1", headers=keyed("d"))
    assert gone.status_code == gone_again.status_code == 204  # not the 404 a rerun would give
    assert gone_again["Idempotency-Replayed"] == "true"


def test_an_expired_key_is_forgotten_and_pruned(cast):
    alice = cast.api(cast.alice)
    create(alice, "old")
    IdempotencyKey.objects.update(expires_at=now() - dt.timedelta(seconds=1))
    assert create(alice, "old").json()["key"] == "WEB-2"  # a day later it is a new request
    assert IdempotencyKey.objects.filter(expires_at__gt=now()).count() == 1
    create(alice, "other")
    IdempotencyKey.objects.update(expires_at=now() - dt.timedelta(seconds=1))
    assert UserKeys().prune(now()) == 2 and not IdempotencyKey.objects.exists()


def test_an_anonymous_request_ignores_the_key(anon, cast):
    for _ in range(2):
        answer = anon.post("/auth/password-reset", {"email": "x@example.com"}, headers=keyed("a"))
        assert answer.status_code == 202 and "Idempotency-Replayed" not in answer
    assert not IdempotencyKey.objects.exists()


def test_a_retried_upload_is_replayed_and_stored_once(cast):
    alice = cast.api(cast.alice)
    create(alice, None)
    body = multipart("trace.log", b"line one\n")
    alice.headers.update(keyed("upload-1"))
    first, again = send(alice, "WEB-1", body), send(alice, "WEB-1", body)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content and again["Idempotency-Replayed"] == "true"
    assert Attachment.objects.count() == 1
    other = send(alice, "WEB-1", multipart("trace.log", b"line two\n"))
    assert other.status_code == 422


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite runs writes one at a time")
def test_a_key_whose_request_is_still_running_is_a_409(cast):
    import hashlib

    import psycopg

    alice = cast.api(cast.alice)
    name = hashlib.sha256(f"docket.idempotency:{cast.alice.pk}:busy".encode()).digest()
    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=False) as other:  # the first request, running
        other.execute("SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(name[:8], signed=True)])
        busy = create(alice, "busy")
        assert busy.status_code == 409 and "still being processed" in busy.json()["detail"]
    assert create(alice, "busy").status_code == 201  # once it is over, the key is free
