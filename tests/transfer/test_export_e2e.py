"""Real processes: `docket serve` streams an export over HTTP (the ASGI path, pulled a chunk
at a time), `docket export` writes the same file, and `docket import` of it into a fresh
database gives back the same project: exporting that one writes the same records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.servers import run_docket, running_server, scratch_environment

pytestmark = pytest.mark.slow


def records(text: str) -> list[dict[str, Any]]:
    """The records, the source line aside (it names the site the export came from)."""
    found = [json.loads(line) for line in text.splitlines() if line.strip()]
    return [r for r in found if r["kind"] != "source"]


def test_an_export_streams_over_http_and_imports_into_a_fresh_database(tmp_path: Path):
    first = tmp_path / "first.jsonl"
    with scratch_environment(tmp_path / "a", ready=True) as env_a:
        demo = run_docket(env_a, "demo", "--issues", "450")
        assert demo.returncode == 0, demo.stderr
        with running_server(env_a, tmp_path / "server.log", workers=1) as server:
            api = server.client(server.token())
            # some history besides the demo's: a change by the admin
            assert api.patch("/issues/WEB-1", json={"priority": "highest"}).status_code == 200
            with api.stream("GET", "/projects/WEB/export", params={"format": "json"}) as answer:
                assert answer.status_code == 200
                assert "content-length" not in answer.headers
                assert answer.headers["content-type"] == "application/x-ndjson"
                parts = list(answer.iter_raw())
            over_http = b"".join(parts).decode()
            csv_answer = api.get("/projects/WEB/export", params={"q": "is:open"})
            assert csv_answer.status_code == 200 and csv_answer.text.startswith("key,title,")
        done = run_docket(env_a, "export", "--project", "WEB", "--format", "json", "-o", str(first))
        assert done.returncode == 0, done.stderr
    exported = first.read_text()
    assert records(over_http) == records(exported)  # the API as the site admin, the command as one
    assert len(parts) > 1  # sent as it was written, not in one piece
    originals = records(exported)
    issues = [r for r in originals if r["kind"] == "issue"]
    assert len(issues) > 50 and any(len(r["history"]) > 1 for r in issues)
    assert any(r["comments"] for r in issues)

    with scratch_environment(tmp_path / "b", ready=True) as env_b:
        loaded = run_docket(env_b, "import", str(first))
        assert loaded.returncode == 0, loaded.stderr
        again = run_docket(env_b, "export", "--project", "WEB", "--format", "json")
        assert again.returncode == 0, again.stderr
        bad = run_docket(env_b, "export", "--project", "WEB", "--query", "priority:hgih")
        assert bad.returncode == 1 and "priority" in bad.stderr
    assert records(again.stdout) == originals
