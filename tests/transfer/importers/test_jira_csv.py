"""Jira's own CSV export repeats a column once per value (Labels, Comment, Watchers…); the
GitBugs Hadoop file is a real column subset of it. The repeated columns are built here on the
Hadoop file's first rows (the header names as Jira writes them, docs in shared/data)."""

from __future__ import annotations

import csv
import io

from docket.issues.models import Comment, Issue
from tests.transfer.importers.conftest import HADOOP, docket_import, sample

HEADER = [
    "Summary", "Issue key", "Issue id", "Issue Type", "Status", "Priority", "Resolution",
    "Assignee", "Reporter", "Created", "Updated", "Labels", "Labels", "Description",
    "Custom field (Story Points)", "Comment", "Comment",
]  # fmt: skip


def _jira_export(tmp_path):
    with sample(HADOOP).open(encoding="utf-8", newline="") as handle:
        hadoop = list(csv.DictReader(handle))[:3]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for n, row in enumerate(hadoop, start=1):
        writer.writerow([
            row["Summary"], f"HADOOP-{n}", row["Issue id"], "Bug", row["Status"], row["Priority"],
            row["Resolution"], "", "Jane Doe", row["Created"], row["Created"],
            "ipc", "security" if n == 1 else "", row["Description"], "3",
            "01/Oct/21 09:15;Jane Doe;Seen on trunk too",
            "02/Oct/21 10:00;Raj;Patch attached" if n == 1 else "",
        ])  # fmt: skip
    path = tmp_path / "jira.csv"
    path.write_text(out.getvalue(), "utf-8")
    return path, hadoop


def test_repeated_columns_give_all_their_values(cast, tmp_path):
    path, hadoop = _jira_export(tmp_path)
    result = docket_import("--format", "jira-csv", str(path), "--project", "HJ")
    assert result.exit_code == 0, result.output
    assert Issue.objects.filter(project__key="HJ").count() == len(hadoop) == 3
    first = Issue.objects.get(project__key="HJ", number=1)
    assert sorted(lb.name for lb in first.labels.all()) == ["ipc", "security"]
    said = list(Comment.objects.filter(issue=first).order_by("created_at"))
    assert [(c.author.username, c.body) for c in said] == [
        ("Jane-Doe", "Seen on trunk too"),
        ("Raj", "Patch attached"),
    ]
    assert said[0].created_at.isoformat() == "2021-10-01T09:15:00+00:00"
    assert first.reporter.username == "Jane-Doe" and not first.reporter.is_active
    assert "**Custom field (Story Points):** 3" in first.description
    assert "**Issue id:**" in first.description  # the key is the id; the number is kept


def test_a_mapping_file(cast, tmp_path):
    path, hadoop = _jira_export(tmp_path)
    mapping = tmp_path / "mapping.txt"
    mapping.write_text("# Jira columns\ntitle=Summary\nid=Issue key\nlabels=Labels\n", "utf-8")
    result = docket_import(
        "--format", "csv", "--map-file", str(mapping), str(path), "--project", "MF"
    )
    assert result.exit_code == 0, result.output
    assert Issue.objects.filter(project__key="MF").count() == 3
    assert not Comment.objects.filter(issue__project__key="MF").exists()  # not mapped
    assert "Seen on trunk too" in Issue.objects.get(project__key="MF", number=1).description
