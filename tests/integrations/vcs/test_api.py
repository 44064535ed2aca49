"""Connecting repositories over the API: project admins only, the secret shown once and never
again (not in reads, not in the audit log), changes audited, the delivery log; and one
delivery through a real `docket serve` over HTTP."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from docket.audit.models import AuditEntry
from docket.integrations.vcs.models import Repository
from tests.integrations.vcs.conftest import payload_bytes, signed
from tests.servers import running_server, scratch_environment

BASE = "/projects/WEB/repositories"


def test_admins_connect_and_see_the_secret_once(cast) -> None:
    api = cast.api(cast.alice)

    made = api.post(BASE, {"provider": "github", "full_name": "acme/web", "default_branch": "main"})

    assert made.status_code == 201, made.content
    body = made.json()
    assert len(body["secret"]) >= 32
    assert body["delivery_url"].startswith("http://testserver/api/v1/hooks/vcs/")
    read = api.get(f"{BASE}/{body['id']}").json()
    listed = api.get(BASE).json()
    assert "secret" not in read and all("secret" not in r for r in listed)
    assert body["secret"] not in json.dumps(list(AuditEntry.objects.values("data")))
    assert AuditEntry.objects.filter(action="repository.connected").count() == 1


def test_a_given_secret_is_kept_and_a_change_is_audited_without_it(cast) -> None:
    api = cast.api(cast.alice)
    made = api.post(BASE, {"provider": "gitea", "full_name": "acme/web", "secret": "first-secret"})
    assert made.json()["secret"] == "first-secret"

    changed = api.patch(
        f"{BASE}/{made.json()['id']}", {"secret": "second-secret", "default_branch": "trunk"}
    )

    assert changed.status_code == 200 and changed.json()["default_branch"] == "trunk"
    assert Repository.objects.get().secret == "second-secret"
    entry = AuditEntry.objects.get(action="repository.changed")
    assert entry.data["changes"]["secret"] == "changed"
    assert "second-secret" not in json.dumps(entry.data)


def test_bad_input_is_refused_precisely(cast) -> None:
    api = cast.api(cast.alice)
    cases = {
        "provider": {"provider": "bitbucket", "full_name": "acme/web"},
        "full_name": {"provider": "github", "full_name": "no slash"},
        "secret": {"provider": "github", "full_name": "acme/web", "secret": "short"},
        "web_url": {"provider": "github", "full_name": "acme/web", "web_url": "javascript:x"},
    }
    for field, body in cases.items():
        response = api.post(BASE, body)
        assert response.status_code == 422, (field, response.content)
        assert response.json()["errors"][0]["field"] == field
    api.post(BASE, {"provider": "github", "full_name": "acme/web"})
    assert api.post(BASE, {"provider": "github", "full_name": "acme/web"}).status_code == 409
    assert Repository.objects.count() == 1


def test_only_project_admins(cast) -> None:
    made = cast.api(cast.alice).post(BASE, {"provider": "github", "full_name": "acme/web"}).json()

    assert cast.api(cast.bob).get(BASE).status_code == 403
    assert (
        cast.api(cast.bob).post(BASE, {"provider": "github", "full_name": "x/y"}).status_code == 403
    )
    assert cast.api(cast.eve).get(f"{BASE}/{made['id']}").status_code == 404
    deliveries = f"{BASE}/{made['id']}/deliveries"
    assert cast.api(cast.bob).get(deliveries).status_code == 403
    assert cast.api(cast.alice).delete(f"{BASE}/{made['id']}").status_code == 204
    assert AuditEntry.objects.filter(action="repository.disconnected").count() == 1


def test_the_delivery_log(cast) -> None:
    api = cast.api(cast.alice)
    body = payload_bytes("gitea/push-event.json")
    made = api.post(BASE, {"provider": "gitea", "full_name": "example/example"}).json()
    headers = signed("gitea", body, secret=made["secret"], **{"X-Gitea-Event": "push"})
    meta = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
    from django.test import Client

    hook = made["delivery_url"].removeprefix("http://testserver")
    assert Client().post(hook, body, content_type="application/json", **meta).status_code == 200

    log = api.get(f"{BASE}/{made['id']}/deliveries").json()

    assert [(d["event"], d["outcome"]) for d in log] == [("push", "processed")]
    assert log[0]["delivery_id"].startswith("sha256:")
    assert log[0]["detail"] == "1 commit(s) to master"


def test_a_delivery_over_real_http(tmp_path: Path) -> None:
    """A running server: connect through the API, then deliver a signed GitHub push."""
    body = payload_bytes("github/push__with-new-branch.json")
    with (
        scratch_environment(tmp_path / "data", ready=True) as env,
        running_server(env, tmp_path / "server.log", workers=1) as server,
        server.client(server.token("admin")) as admin,
    ):
        assert admin.post("/projects", json={"key": "WEB", "name": "Web"}).status_code == 201
        made = admin.post(
            "/projects/WEB/repositories",
            json={"provider": "github", "full_name": "Codertocat/Hello-World"},
        ).json()
        headers = {
            **signed("github", body, secret=made["secret"]),
            "X-GitHub-Event": "push", "X-GitHub-Delivery": "d-1",
            "Content-Type": "application/json",
        }  # fmt: skip
        import httpx

        first = httpx.post(made["delivery_url"], content=body, headers=headers, timeout=30)
        again = httpx.post(made["delivery_url"], content=body, headers=headers, timeout=30)
        forged = httpx.post(
            made["delivery_url"], content=body.replace(b"master", b"main"), headers=headers,
            timeout=30,
        )  # fmt: skip
        # The same new delivery five times at once: applied once, the rest find it.
        racing = {**headers, "X-GitHub-Delivery": "d-2"}

        def send(_: int) -> httpx.Response:
            return httpx.post(made["delivery_url"], content=body, headers=racing, timeout=60)

        with ThreadPoolExecutor(5) as pool:
            answers = list(pool.map(send, range(5)))

    assert first.status_code == 200 and first.json()["status"] == "processed"
    assert again.json()["status"] == "already processed"
    assert forged.status_code == 401
    statuses = sorted(a.json()["status"] for a in answers)
    assert statuses == ["already processed"] * 4 + ["processed"], [a.text for a in answers]
