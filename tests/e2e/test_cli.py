"""The `docket` command as provisioning scripts use it: non-interactive, quiet stdout. On a
migrated copy (`ready_env`) unless the test is about an empty database: each command would
otherwise spend seconds migrating one."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import run_docket

pytestmark = pytest.mark.slow


def _make_admin(env: dict[str, str]) -> None:
    """A site admin `ops` (the imports run as them)."""
    run_docket(
        env, "createadmin", "--username", "ops", "--password-stdin",
        stdin="a-long-enough-password-42\n",
    )  # fmt: skip


def test_createadmin_reads_the_password_from_stdin(ready_env):
    made = run_docket(
        ready_env,
        "createadmin",
        "--username",
        "ops",
        "--email",
        "ops@example.com",
        "--password-stdin",
        stdin="a-long-enough-password-42\n",
    )
    assert made.returncode == 0, made.stderr
    again = run_docket(
        ready_env,
        "createadmin",
        "--username",
        "ops",
        "--password-stdin",
        stdin="x-another-pass-99\n",
    )
    assert again.returncode == 1 and "taken" in again.stderr


def test_createadmin_refuses_a_weak_password(ready_env):
    made = run_docket(
        ready_env, "createadmin", "--username", "ops", "--password-stdin", stdin="123\n"
    )
    assert made.returncode == 1 and "password" in made.stderr.lower()


def test_token_create_prints_only_the_token(ready_env):
    _make_admin(ready_env)
    made = run_docket(ready_env, "token", "create", "ops", "--name", "deploy")
    assert made.returncode == 0, made.stderr
    lines = made.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("dkt_") and len(lines[0]) > 40
    unknown = run_docket(ready_env, "token", "create", "nobody")
    assert unknown.returncode == 1 and unknown.stdout == "" and "no active user" in unknown.stderr


def test_check_reports_pending_migrations_then_passes(scratch_env):
    fresh = run_docket(scratch_env, "check")
    assert fresh.returncode == 1 and "migration" in fresh.stderr
    assert run_docket(scratch_env, "migrate").returncode == 0
    ok = run_docket(scratch_env, "check")
    assert ok.returncode == 0 and ok.stdout.startswith("ok:")


def test_demo_loads_issues_with_comments_and_history(ready_env):
    loaded = run_docket(ready_env, "demo", "--issues", "120")
    assert loaded.returncode == 0, loaded.stderr
    assert "Loaded 120 issues" in loaded.stderr
    shell = run_docket(
        ready_env,
        "manage",
        "shell",
        "-v",
        "0",
        "-c",
        "from docket.issues.models import *; import json; print(json.dumps([Issue.objects.count(),"
        " Comment.objects.count(), IssueEvent.objects.count()]))",
    )
    issues, comments, events = json.loads(shell.stdout)
    assert issues == 120 and comments > 100
    assert events > 2 * issues + comments  # each issue's history: created, moved, resolved…
    twice = run_docket(ready_env, "demo")
    assert twice.returncode == 0 and "already loaded" in twice.stderr and "skipping" in twice.stderr


def test_import_reports_a_bad_line_and_keeps_nothing_of_that_batch(ready_env, tmp_path):
    _make_admin(ready_env)
    lines = [
        {"kind": "project", "key": "IMP", "name": "Imported"},
        {"kind": "issue", "project": "IMP", "title": "fine", "reporter": "ops"},
        {"kind": "issue", "project": "IMP", "title": "", "reporter": "ops"},
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines))
    result = run_docket(ready_env, "import", str(path))
    assert result.returncode == 1
    assert "line 3: title: must not be empty" in result.stderr
    count = run_docket(
        ready_env,
        "manage",
        "shell",
        "-v",
        "0",
        "-c",
        "from docket.issues.models import Issue; print(Issue.objects.count())",
    )
    assert count.stdout.strip() == "0"


def test_import_refuses_what_the_api_refuses_naming_the_line(ready_env, tmp_path):
    _make_admin(ready_env)
    head = [{"kind": "project", "key": "IMP", "name": "Imported"}]
    issue = {"kind": "issue", "project": "IMP", "title": "t", "reporter": "ops"}
    for bad, message in [
        ({"due_date": "31/12/2026"}, "line 2: due_date: must be a date like 2026-12-31"),
        ({"confidential": "false"}, "line 2: confidential: must be true or false"),
    ]:
        path = tmp_path / "in.jsonl"
        path.write_text("\n".join(json.dumps(line) for line in [*head, {**issue, **bad}]))
        result = run_docket(ready_env, "import", str(path))
        assert result.returncode == 1, result.stderr
        assert message in result.stderr
        assert "Traceback" not in result.stderr
