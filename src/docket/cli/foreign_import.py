"""`docket import --format csv|jira-xml|jira-csv|github|trello|bugzilla FILE --project KEY`:
convert the file (docket.transfer.importers), load it with a progress bar, print the
summary and the rows that failed (by line or record number)."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

from django.db import transaction
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from docket.accounts.models import User
from docket.projects.actions import create_project
from docket.projects.models import Project
from docket.transfer.importers import csv_mapping
from docket.transfer.importers.formats import convert, default_source
from docket.transfer.importers.loader import Summary, load
from docket.transfer.importers.records import Converted

ERRORS_SHOWN = 50


def project_for(actor: User, key: str, name: str) -> Project:
    """The project to import into; made (default workflow, private) if there is none."""
    found = Project.objects.filter(key=key).first()
    return found or create_project(actor=actor, key=key, name=name or key)


def mapping_of(pairs: list[str], mapping_path: Path | None) -> dict[str, str]:
    mapping = csv_mapping.mapping_file(mapping_path.read_text("utf-8")) if mapping_path else {}
    return {**mapping, **csv_mapping.parse_mapping(pairs)}


def run(
    *,
    actor: User,
    path: Path,
    format_name: str,
    project_key: str,
    pairs: list[str],
    mapping_path: Path | None,
    preset: str | None,
    source: str | None,
    strict: bool,
    batch_size: int,
    console: Console,
) -> Summary:
    """Raises Invalid for a file that is not the format, and (with `strict`) for a bad row."""
    mapping = mapping_of(pairs, mapping_path)
    converted = convert(format_name, path.read_bytes(), mapping=mapping, preset=preset)
    # --strict: all or nothing, the project this run would make included
    with transaction.atomic() if strict else nullcontext():
        project = project_for(actor, project_key, converted.name)
        return _load(
            actor, project, converted, path, format_name, source, strict, batch_size, console
        )


def _load(
    actor: User,
    project: Project,
    converted: Converted,
    path: Path,
    format_name: str,
    source: str | None,
    strict: bool,
    batch_size: int,
    console: Console,
) -> Summary:
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(f"{path.name} → {project.key}", total=converted.rows)

        def progress(summary: Summary) -> None:
            bar.update(task, completed=summary.processed)

        return load(
            actor=actor,
            project=project,
            converted=converted,
            source=source or default_source(format_name, project.key),
            strict=strict,
            batch_size=batch_size,
            progress=progress,
        )


def report(summary: Summary, console: Console) -> None:
    console.print(
        f"Imported from {summary.source!r}: {summary.created} created, {summary.updated} "
        f"updated, {summary.unchanged} unchanged (skipped), {summary.failed} failed, of "
        f"{summary.total} rows; {summary.comments} comments, {summary.events} history events, "
        f"{summary.placeholders} placeholder accounts; {summary.seconds:.1f}s "
        f"({summary.rate:.0f} issues/s)"
    )
    if summary.not_issues:
        console.print(f"Not issues, left out: {summary.not_issues} (pull requests)")
    for line in summary.errors[:ERRORS_SHOWN]:
        console.print(f"[yellow]skipped[/yellow] {line}", markup=True, highlight=False)
    if summary.failed > ERRORS_SHOWN:
        console.print(f"… and {summary.failed - ERRORS_SHOWN} more")


def strict_failure(detail: str) -> str:
    return f"import stopped (--strict), nothing was imported: {detail}"
