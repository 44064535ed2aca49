"""The signature test vectors in ../shared/data/webhooks/signature-test-vectors.json, sent with
their own secrets and headers to the real endpoint: each verifies. The same bodies
re-serialised (json.dumps(json.loads(body))) are refused with 401 and change nothing, as are
missing and wrong signatures. GitLab's token covers no body, so there a wrong token is the
negative case."""

from __future__ import annotations

import json
from typing import Any

import pytest

from docket.integrations.vcs.models import Delivery
from tests.integrations.vcs.conftest import (
    WEBHOOKS,
    connect,
    deliver,
    payload_bytes,
    repository_named,
    signed,
)

FORGES = {"github": "github", "gitlab": "gitlab", "gitea": "gitea", "gogs": "gitea"}


def _vectors() -> list[dict[str, Any]]:
    path = WEBHOOKS / "signature-test-vectors.json"
    if not path.is_file():
        return []
    return [v for v in json.loads(path.read_bytes())["vectors"] if v["provider"] in FORGES]


VECTORS = _vectors()
FILE_VECTORS = [v for v in VECTORS if v.get("file")]
HMAC_VECTORS = [v for v in FILE_VECTORS if v["provider"] != "gitlab"]


def _headers(vector: dict[str, Any]) -> dict[str, str]:
    headers = dict(vector["request_headers"])
    headers.setdefault(vector["header"], vector["expected"])
    return headers


def _body(vector: dict[str, Any]) -> bytes:
    return payload_bytes(vector["file"].removeprefix("webhooks/"))


def _ids(vectors: list[dict[str, Any]]) -> list[str]:
    return [v["file"].removeprefix("webhooks/") for v in vectors]


def test_the_vectors_are_there() -> None:
    if not WEBHOOKS.is_dir():
        pytest.skip(f"the shared webhook payloads are not at {WEBHOOKS}")
    assert {v["provider"] for v in VECTORS} == set(FORGES)
    assert len(FILE_VECTORS) == 16  # 6 Gitea, 7 GitLab, 3 Gogs


@pytest.mark.parametrize("vector", FILE_VECTORS, ids=_ids(FILE_VECTORS))
def test_each_vector_verifies_with_its_own_secret(cast, vector: dict[str, Any]) -> None:
    provider, body = FORGES[vector["provider"]], _body(vector)
    repository = connect(cast, provider, repository_named(provider, body), secret=vector["secret"])

    response = deliver(repository, body, _headers(vector))

    assert response.status_code == 200, response.content
    assert response.json()["status"] in ("processed", "ignored")
    assert Delivery.objects.filter(repository=repository).count() == 1


@pytest.mark.parametrize("vector", HMAC_VECTORS, ids=_ids(HMAC_VECTORS))
def test_a_reserialised_body_fails(cast, vector: dict[str, Any]) -> None:
    provider, body = FORGES[vector["provider"]], _body(vector)
    repository = connect(cast, provider, repository_named(provider, body), secret=vector["secret"])
    reserialised = json.dumps(json.loads(body)).encode()
    assert reserialised != body

    response = deliver(repository, reserialised, _headers(vector))

    assert response.status_code == 401, response.content
    assert "does not match this repository's secret" in response.json()["detail"]
    assert not Delivery.objects.exists()


def test_githubs_documented_example_verifies(cast) -> None:
    """The GitHub docs' pair ("Hello, World!" is not JSON): past the signature, the parser
    refuses it with 400 — a wrong secret would have been 401."""
    if not VECTORS:
        pytest.skip(f"the shared webhook payloads are not at {WEBHOOKS}")
    vector = next(v for v in VECTORS if v["provider"] == "github")
    repository = connect(cast, "github", "acme/web", secret=vector["secret"])
    body = vector["body_literal"].encode()
    headers = {vector["header"]: vector["expected"], "X-GitHub-Event": "push"}

    assert deliver(repository, body, headers).status_code == 400
    other = connect(cast, "github", "acme/other", secret="some other secret")
    refused = deliver(other, body, headers)
    assert refused.status_code == 401
    assert not Delivery.objects.exists()


@pytest.mark.parametrize("provider", ["github", "gitea"])
def test_missing_and_wrong_signatures_get_401_and_change_nothing(cast, provider: str) -> None:
    body = payload_bytes(
        f"{provider}/{'push__with-new-branch.json' if provider == 'github' else 'push-event.json'}"
    )
    repository = connect(cast, provider, repository_named(provider, body))
    event = {"X-GitHub-Event" if provider == "github" else "X-Gitea-Event": "push"}

    missing = deliver(repository, body, event)
    wrong = deliver(repository, body, {**signed(provider, body, secret="not the secret"), **event})
    tampered = deliver(repository, body + b" ", {**signed(provider, body), **event})

    assert missing.status_code == 401
    name = (
        "X-Hub-Signature-256"
        if provider == "github"
        else "X-Forgejo-Signature or X-Gitea-Signature"
    )
    assert f"missing signature: send the {name}" in missing.json()["detail"]
    assert wrong.status_code == tampered.status_code == 401
    assert not Delivery.objects.exists()


def test_forgejo_and_gogs_headers_are_accepted(cast) -> None:
    body = payload_bytes("gitea/push-event.json")
    repository = connect(cast, "gitea", repository_named("gitea", body))
    digest = signed("gitea", body)["X-Gitea-Signature"]

    forgejo = deliver(repository, body, {"X-Forgejo-Signature": digest, "X-Forgejo-Event": "push",
                                          "X-Forgejo-Delivery": "f-1"})  # fmt: skip
    gogs = deliver(repository, body, {"X-Gogs-Signature": digest, "X-Gogs-Event": "push",
                                       "X-Gogs-Delivery": "g-1"})  # fmt: skip

    assert forgejo.json()["status"] == gogs.json()["status"] == "processed"
    ids = set(Delivery.objects.values_list("delivery_id", flat=True))
    assert ids == {"f-1", "g-1"}


def test_a_wrong_gitlab_token_fails(cast) -> None:
    body = payload_bytes("gitlab/push-event.json")
    repository = connect(cast, "gitlab", "mike/diaspora", secret="sampleToken!")
    headers = {"X-Gitlab-Event": "Push Hook"}

    assert (
        deliver(repository, body, {**headers, "X-Gitlab-Token": "sampleToken?"}).status_code == 401
    )
    assert deliver(repository, body, headers).status_code == 401
    assert not Delivery.objects.exists()


def test_an_unknown_address_is_404(cast) -> None:
    from django.test import Client

    response = Client().post("/api/v1/hooks/vcs/nope", data=b"{}", content_type="application/json")
    assert response.status_code == 404
