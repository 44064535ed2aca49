"""`docket` as a terminal client: every command a real process, against a real server."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import jsonschema_rs
import pytest

from docket_client.errors import AUTH, CONFLICT, ERROR, NOT_FOUND, USAGE
from tests.client.conftest import Client
from tests.servers import ADMIN_PASSWORD, free_port

pytestmark = [
    pytest.mark.slow,
    pytest.mark.xdist_group("client"),  # one worker builds its server (--dist loadgroup)
]


def _validate(openapi: dict, schema_name: str, data: object) -> None:
    """`data` against a component schema of the server's own OpenAPI document."""
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": openapi["components"]}
    errors = [e.message for e in jsonschema_rs.validator_for(schema).iter_errors(data)]
    assert errors == [], errors


def _create(client: Client, title: str, *args: str, stdin: str | None = None) -> str:
    out = client.ok("issue", "create", "--project", "WEB", "--title", title, *args, stdin=stdin)
    return out.strip().rsplit("/", 1)[-1]


def test_login_with_a_password_mints_a_token_stored_for_the_owner_only(server, project, tmp_path):
    client = Client(server, tmp_path)
    done = client.run(
        "login", "--url", server.url, "--username", "admin", "--password-stdin",
        "--profile", "work", stdin=ADMIN_PASSWORD + "\n",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    config = tmp_path / "config" / "docket" / "config.toml"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert "dkt_" in config.read_text()
    assert client.ok("whoami").startswith("admin (site admin) on " + server.url)
    tokens = client.json("token", "list")
    assert any(t["name"].startswith("docket cli on") for t in tokens)
    client.ok("logout")  # revokes the token login made, and forgets it
    assert "dkt_" not in config.read_text()
    assert not any(t["name"].startswith("docket cli on") for t in _tokens(server))
    done = client.run("whoami")
    assert done.returncode == AUTH and "docket login" in done.stderr


def _tokens(server) -> list[dict]:
    with server.client(server.token()) as api:
        return api.get("/tokens").json()


def test_wrong_password_is_an_auth_failure(server, project, tmp_path):
    done = Client(server, tmp_path).run(
        "login", "--url", server.url, "--username", "admin", "--password-stdin", stdin="nope\n"
    )
    assert done.returncode == AUTH
    assert done.stderr.startswith("error: ") and "invalid username or password" in done.stderr


def test_an_issue_from_create_to_close(client: Client, server, admin_token):
    key = _create(client, "Login fails on Safari", "--body-file", "-", "--priority", "high",
                  "--label", "safari", stdin="Steps:\n\n1. open **login**\n")  # fmt: skip
    listed = client.ok("issue", "list", "--project", "WEB")
    assert "\x1b" not in listed  # through a pipe: no colours, tab-separated
    assert f"{key}\tnew\thigh\t\tLogin fails on Safari" in listed
    view = client.ok("issue", "view", key)
    assert "Login fails on Safari" in view and "1. open **login**" in view and "\x1b" not in view
    client.ok("issue", "edit", key, "--priority", "highest", "--add-label", "ui")
    client.ok("issue", "assign", key, "@me")
    client.ok("issue", "move", key, "in progress")
    client.ok("issue", "comment", key, "--body", "Looking at it")
    client.ok("issue", "close", key, "--resolution", "fixed")
    with server.client(admin_token) as api:
        issue = api.get(f"/issues/{key}").json()
        comments = api.get(f"/issues/{key}/comments").json()["items"]
    assert (issue["priority"], issue["assignee"], issue["status_category"]) == (
        "highest", "admin", "done",
    )  # fmt: skip
    assert issue["labels"] == ["safari", "ui"] and issue["resolution"] == "fixed"
    assert [c["body"] for c in comments] == ["Looking at it"]
    assert "Looking at it" in client.ok("issue", "view", key)
    client.ok("issue", "reopen", key)
    assert client.json("issue", "view", key)["status_category"] != "done"


def test_json_output_has_the_apis_shapes(client: Client, openapi):
    key = _create(client, "Shape check")
    _validate(openapi, "IssuePage", client.json("issue", "list", "is:open"))
    _validate(openapi, "IssueDetail", client.json("issue", "view", key))
    _validate(openapi, "UserOut", client.json("whoami"))
    page = json.loads(client.ok("issue", "list", "--json", "--fields", "key,title"))
    assert set(page["items"][0]) == {"key", "title"}


def test_list_pages_through_with_limit_and_cursor(client: Client):
    for n in range(3):
        _create(client, f"Paged {n}")
    first = client.json("issue", "list", "Paged", "--limit", "2")
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = client.json("issue", "list", "Paged", "--limit", "2", "--cursor", first["next_cursor"])
    titles = {i["title"] for i in first["items"] + rest["items"]}
    assert titles == {"Paged 0", "Paged 1", "Paged 2"}


def test_a_concurrent_change_to_the_description_is_a_conflict_not_an_overwrite(
    client: Client, server, admin_token, tmp_path
):
    key = _create(client, "Edited twice", "--body", "first")
    editor = tmp_path / "editor.py"  # someone else saves while our editor is open
    editor.write_text(
        "import sys, httpx\n"
        f"httpx.patch('{server.url}/api/v1/issues/{key}', json={{'description': 'theirs'}},\n"
        f"            headers={{'Authorization': 'Bearer {admin_token}'}}).raise_for_status()\n"
        "open(sys.argv[1], 'w').write('mine')\n"
    )
    done = client.run("issue", "edit", key, "--editor", EDITOR=f"{sys.executable} {editor}")
    assert done.returncode == CONFLICT, done.stderr
    assert done.stderr.splitlines()[0].startswith("error: Conflict (HTTP 409)")
    assert "now description: 'theirs'" in done.stderr
    assert client.json("issue", "view", key)["description"] == "theirs"


def test_missing_issue_bad_key_and_bad_state(client: Client):
    done = client.run("issue", "view", "WEB-9999")
    assert (
        done.returncode == NOT_FOUND
        and done.stderr == "error: Not found (HTTP 404): no issue WEB-9999\n"
    )
    assert client.run("issue", "view", "not-a-key").returncode == USAGE
    assert client.run("issue", "frobnicate").returncode == USAGE
    key = _create(client, "Going nowhere")
    done = client.run("issue", "move", key, "limbo")
    assert done.returncode == ERROR and "HTTP 422" in done.stderr


def test_revoked_and_unknown_tokens_exit_6(client: Client):
    minted = client.json("token", "create", "--name", "short-lived")
    other = {"DOCKET_URL": client.server.url, "DOCKET_TOKEN": minted["token"]}
    assert client.ok("whoami", **other).startswith("admin")
    client.ok("token", "revoke", str(minted["id"]))
    for token in (minted["token"], "dkt_not-a-real-token"):
        done = client.run("issue", "list", DOCKET_URL=client.server.url, DOCKET_TOKEN=token)
        assert done.returncode == AUTH
        assert "HTTP 401" in done.stderr and "docket login" in done.stderr


def test_server_down_is_one_clear_line(client: Client):
    gone = f"http://127.0.0.1:{free_port()}"
    done = client.run("issue", "list", DOCKET_URL=gone)
    assert done.returncode == ERROR
    assert (
        done.stderr == f"error: cannot reach {gone}: connection refused (is the server running?)\n"
    )


def test_board_search_project_and_filters(client: Client, server, admin_token):
    key = _create(client, "Searchable zebra")
    board = client.ok("board", "WEB")
    assert board.startswith("New (") and f"  {key}  Searchable zebra" in board
    assert key in client.ok("search", "zebra")
    assert "WEB\tWebsite" in client.ok("project", "list")
    with server.client(admin_token) as api:
        api.post("/filters", json={"name": "Zebras", "query": "zebra"}).raise_for_status()
    assert key in client.ok("filter", "run", "Zebras")
    assert client.run("filter", "run", "No such").returncode == NOT_FOUND


def test_completion_scripts_and_dynamic_keys(client: Client):
    key = _create(client, "Complete me")
    bash = client.ok("completion", "bash")
    assert subprocess.run(["bash", "-n"], input=bash, text=True).returncode == 0
    assert "compdef _docket docket" in client.ok("completion", "zsh")
    assert "complete -c docket" in client.ok("completion", "fish")
    assert client.ok("__complete", "is").split() == ["issue"]
    assert {"view", "edit", "move"} <= set(client.ok("__complete", "issue", "").split())
    assert key in client.ok("__complete", "issue", "view", "WEB-").split()
    assert client.ok("__complete", "board", "w").split() == ["WEB"]
    assert "--priority" in client.ok("__complete", "issue", "create", "--pr").split()


def test_git_hooks_suggest_the_branch_key_and_warn_about_unknown_keys(client: Client, tmp_path):
    key = _create(client, "Hooked")
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {**client.env(), "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}  # fmt: skip

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True)

    git("init", "-q", "-b", "main")
    assert client.run("git", "hook", "install", cwd=repo).returncode == 0
    git("checkout", "-q", "-b", f"{key.lower()}-fix-login")
    assert git("commit", "-q", "--allow-empty", "-m", "fix login").returncode == 0
    assert git("log", "-1", "--format=%s").stdout.strip() == f"{key}: fix login"
    done = git("commit", "-q", "--allow-empty", "-m", "see WEB-9999 too")
    assert done.returncode == 0  # a warning, never a refusal
    assert "WEB-9999 does not exist" in done.stderr
    assert not re.search(rf"\b{key}\b", done.stderr)  # the branch's key exists: no warning
    assert client.run("git", "hook", "install", cwd=tmp_path).returncode == ERROR


def test_the_server_side_token_create_still_mints_for_a_named_user(server):
    token = server.token("admin", "read")  # `docket token create admin` with the local data dir
    assert token.startswith("dkt_")


def test_version_and_help(client: Client):
    from importlib.metadata import version

    assert client.ok("--version") == f"docket {version('docket')}\n"
    assert "issue" in client.ok("--help") and "serve" in client.ok("--help")
    assert client.run().returncode == USAGE


def test_the_client_package_starts_without_django(tmp_path):
    code = (
        "import sys; from docket_client.app import run; run(['completion', 'bash']);"
        "assert not any(m == 'django' or m.startswith(('django.', 'docket.')) for m in sys.modules)"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          cwd=Path(__file__).parent)  # fmt: skip
    assert done.returncode == 0, done.stderr
