"""A real `docket serve` for the fuzzer, on a prepared database with a little real data.

Why a live server rather than schemathesis's in-process WSGI/ASGI loaders: the fuzzer is meant
to find what a client can break, and most of that lives outside the view functions (uvicorn's
HTTP parsing, the Host check, the middleware, Django's error pages). In-process, every request
would also run inside the test's transaction: the first database error on PostgreSQL (say a
NUL byte reaching a query) would abort that transaction and turn every later request into a
misleading 500. A server process commits like production and keeps each failure to itself.

The server starts from a copy of the suite's prepared site (tests/servers.scratch_environment):
migrated, with its first admin, on the run's kind of database.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers import running_server, scratch_environment


@dataclass
class FuzzServer:
    url: str
    token: str  # the site admin's, with read, write and admin scopes
    token_id: int
    seeded: dict[str, Any]  # real identifiers, to aim path parameters at existing things
    log: Path  # the server's output: the tracebacks of any 500

    def log_tail(self, size: int = 6000) -> str:
        return self.log.read_text(errors="replace")[-size:]


@pytest.fixture(scope="module")
def fuzz_env(tmp_path_factory) -> Iterator[dict[str, str]]:
    with scratch_environment(tmp_path_factory.mktemp("fuzz") / "data", ready=True) as env:
        # The fuzzer sends thousands of bad tokens from one address: past the rate limits, so
        # it reaches the code behind them (429 is still a declared answer, checked all the same).
        env["DOCKET_THROTTLE_IP_FAILURES"] = env["DOCKET_THROTTLE_TOKENS_PER_HOUR"] = "1000000"
        yield env


def _seed(url: str, token: str) -> dict[str, Any]:
    """A public and a private project, issues with every kind of field set, a comment, a
    member, saved filters, a spare token the fuzzer may revoke, and one of each thing the
    integrations and automation address by id (rule, SLA policy, webhook, repository, alert
    intake), so the fuzzer gets past their 404s."""
    with httpx.Client(
        base_url=url + "/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as api:

        def send(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
            response = api.request(method, path, json=body)
            assert response.status_code < 300, (method, path, response.text)
            return response.json()

        send("POST", "/users", {"username": "bob", "password": "bob-fuzz-password-42"})
        send("POST", "/projects", {"key": "WEB", "name": "Web app", "visibility": "public"})
        send("POST", "/projects", {"key": "OPS", "name": "Operations", "workflow": "incident"})
        send("POST", "/projects/WEB/members", {"user": "bob", "role": "member"})
        send("POST", "/projects/WEB/components", {"name": "backend"})
        send("POST", "/projects/WEB/milestones", {"name": "1.0", "due_date": "2026-12-31"})
        issues = [
            send(
                "POST",
                "/projects/WEB/issues",
                {
                    "title": f"Seeded issue {n}",
                    "description": "Crash on *login* with `<script>` in the name",
                    "priority": "high",
                    "labels": ["ux", "login"],
                    "components": ["backend"],
                    "milestone": "1.0",
                    "assignee": "bob",
                    "due_date": "2026-12-01",
                },
            )["key"]
            for n in range(1, 5)
        ]
        send("POST", "/projects/OPS/issues", {"title": "Disk full on db-1"})
        comment = send("POST", f"/issues/{issues[0]}/comments", {"body": "Seen on staging too"})
        mine = send("POST", "/filters", {"name": "Mine", "query": "assignee:@me is:open"})
        send("POST", "/filters", {"name": "Team", "query": "is:open", "project": "WEB"})
        spare = send("POST", "/tokens", {"name": "spare", "scopes": ["read"]})
        workflow = send("GET", "/projects/WEB/workflow")
        rule = send("POST", "/projects/WEB/rules", {
            "name": "Label new", "trigger": {"on": "created"},
            "actions": [{"type": "add_labels", "labels": ["new"]}],
        })  # fmt: skip
        policy = send("POST", "/projects/WEB/sla/policies", {
            "name": "Urgent", "first_response": {"high": 60},
        })  # fmt: skip
        hook = send("POST", "/projects/WEB/webhooks", {
            "name": "Chat", "url": "https://chat.example.com/hook",
        })  # fmt: skip
        repository = send("POST", "/projects/WEB/repositories", {
            "provider": "github", "full_name": "acme/web",
        })  # fmt: skip
        intake = send("POST", "/projects/OPS/alert-intakes", {
            "name": "Prometheus", "source": "alertmanager",
        })  # fmt: skip
    return {
        "project_keys": ["WEB", "OPS"],
        "issue_keys": issues,
        "comment_id": comment["id"],
        "filter_id": mine["id"],
        "spare_token_id": spare["id"],
        "states": [s["status"] for s in workflow["states"]],
        "transition_ids": [t["id"] for t in workflow["transitions"]],
        "rule_id": rule["id"],
        "policy_id": policy["id"],
        "hook_id": hook["id"],
        "repository_id": repository["id"],
        "intake_id": intake["id"],
    }


@pytest.fixture(scope="module")
def fuzz_server(fuzz_env: dict[str, str]) -> Iterator[FuzzServer]:
    log = Path(fuzz_env["DOCKET_DATA_DIR"]).parent / "server.log"
    with running_server(fuzz_env, log, workers=1) as server:
        token = server.token("admin")
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}) as api:
            token_id = api.get(server.url + "/api/v1/tokens").json()[0]["id"]
        yield FuzzServer(server.url, token, token_id, _seed(server.url, token), log)
