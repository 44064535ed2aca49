"""The importers' tests read the real samples in ../shared/data in place (never copies) and
run `docket import`'s logic (docket.cli.foreign_import) in this process and this test's
database — the real command, in its own process, is test_command.py's — then check what the
API and pages show."""

from __future__ import annotations

import argparse
import io
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.console import Console

from docket.accounts.models import User
from docket.cli import foreign_import
from docket.core.errors import DocketError

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
HADOOP = DATA / "issues" / "gitbugs" / "hadoop_jira_bugs.csv"
SEAMONKEY = DATA / "issues" / "gitbugs" / "seamonkey_bugzilla_bugs.csv"
BUGZILLA = DATA / "issues" / "mozilla-bugbug" / "bugzilla_bugs_with_comments_history.jsonl"
GITHUB = DATA / "issues" / "mozilla-bugbug" / "github_webcompat_issues_with_events.jsonl"
JIRA_XML = DATA / "import-formats" / "jira" / "focalboard__jira-export.xml"
TRELLO = DATA / "import-formats" / "trello" / "nextcloud-deck__data-trelloJson.json"


def sample(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"sample {path.name} is absent (../shared/data, see its README.md)")
    return path


@dataclass
class Result:
    exit_code: int
    output: str


def docket_import(*args: str) -> Result:
    """`docket import ARGS` (the options of other formats) as the first site admin."""
    parser = argparse.ArgumentParser()
    parser.add_argument("path", type=Path)
    parser.add_argument("--format", required=True)
    parser.add_argument("--project", required=True)
    parser.add_argument("--map", action="append", default=[])
    parser.add_argument("--map-file", type=Path)
    parser.add_argument("--preset")
    parser.add_argument("--source")
    parser.add_argument("--strict", action="store_true")
    given = parser.parse_args(args)
    out = io.StringIO()
    console = Console(file=out, width=300)
    actor = User.objects.filter(is_superuser=True).order_by("pk").first()
    assert actor is not None
    try:
        summary = foreign_import.run(
            actor=actor, path=given.path, format_name=given.format, project_key=given.project,
            pairs=given.map, mapping_path=given.map_file, preset=given.preset, source=given.source,
            strict=given.strict, batch_size=1000, console=console,
        )  # fmt: skip
    except DocketError as exc:
        message = foreign_import.strict_failure(exc.detail) if given.strict else exc.detail
        return Result(1, message)
    foreign_import.report(summary, console)
    return Result(0, out.getvalue())
