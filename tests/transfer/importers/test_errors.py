"""Bad rows are reported by line and skipped; --strict stops at the first and keeps nothing."""

from __future__ import annotations

import csv
import io

from docket.issues.models import Issue
from docket.projects.models import Project
from docket.transfer.importers.models import Placeholder
from tests.transfer.importers.conftest import JIRA_XML, SEAMONKEY, docket_import, sample


def _damaged_sample(tmp_path):
    """The SeaMonkey CSV's first ten bugs, two of them damaged: (path, lines of the damaged
    rows as a reader counts them — descriptions span several lines)."""
    with sample(SEAMONKEY).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))[:11]
    rows[3][0] = ""  # no summary
    rows[6][5] = "next Tuesday"  # Created
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path = tmp_path / "damaged.csv"
    path.write_text(out.getvalue(), "utf-8")
    reader, starts, line = csv.reader(io.StringIO(out.getvalue())), [], 1
    for _ in reader:
        starts.append(line)
        line = reader.line_num + 1
    return path, starts[3], starts[6]


def test_bad_rows_are_reported_with_their_lines_and_skipped(cast, tmp_path):
    path, no_title, bad_date = _damaged_sample(tmp_path)
    result = docket_import(
        "--format", "csv", "--preset", "gitbugs-bugzilla", str(path), "--project", "BAD"
    )
    assert result.exit_code == 0, result.output
    assert "8 created, 0 updated, 0 unchanged (skipped), 2 failed, of 10 rows" in result.output
    assert f"line {no_title}: title: is empty" in result.output
    assert f"line {bad_date}: unknown date format 'next Tuesday'" in result.output
    assert Issue.objects.filter(project__key="BAD").count() == 8


def test_strict_stops_at_the_first_bad_row_and_keeps_nothing(cast, tmp_path):
    path, no_title, _ = _damaged_sample(tmp_path)
    result = docket_import(
        "--format",
        "csv",
        "--preset",
        "gitbugs-bugzilla",
        "--strict",
        str(path),
        "--project",
        "STRICT",
    )
    assert result.exit_code == 1
    assert f"nothing was imported: line {no_title}: title: is empty" in result.output
    assert not Project.objects.filter(key="STRICT").exists()
    assert not Issue.objects.filter(title__contains="").exclude(project=cast.web).exists()


def test_strict_keeps_no_placeholders_either(cast, tmp_path):
    broken = (
        sample(JIRA_XML).read_text("utf-8").replace("<summary>Investigate feature</summary>", "")
    )
    path = tmp_path / "broken.xml"
    path.write_text(broken, "utf-8")
    result = docket_import("--format", "jira-xml", "--strict", str(path), "--project", "AR")
    assert result.exit_code == 1 and "item 2: an item needs a key and a summary" in result.output
    assert not Placeholder.objects.exists() and not Issue.objects.exclude(project=cast.web).exists()


def test_a_file_of_another_format_is_refused_whole(cast):
    result = docket_import("--format", "jira-xml", str(sample(SEAMONKEY)), "--project", "AR")
    assert result.exit_code == 1 and "not a Jira XML export" in result.output
    no_map = docket_import("--format", "csv", str(SEAMONKEY), "--project", "AR")
    assert no_map.exit_code == 1 and "needs a mapping" in no_map.output
    wrong = docket_import(
        "--format", "csv", "--map", "title=Headline", str(SEAMONKEY), "--project", "AR"
    )
    assert wrong.exit_code == 1 and "no column 'Headline'" in wrong.output
