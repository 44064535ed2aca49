"""Imports started from the page: `start` stores the upload as an `ImportRun` and queues
`run_import`, which the worker runs; it writes its progress on the run's row after each
batch (the page polls it) and its summary and error lines at the end."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django_tasks import task

from docket.accounts.access import is_site_admin
from docket.accounts.actor import Who, account_of
from docket.core.clock import now
from docket.core.errors import DocketError, Forbidden, Invalid, NotFound
from docket.projects.models import Project
from docket.transfer.importers import csv_mapping
from docket.transfer.importers.formats import FORMATS, PRESETS, convert, default_source
from docket.transfer.importers.loader import Summary, load
from docket.transfer.importers.models import ImportRun

log = logging.getLogger(__name__)
ERRORS_KEPT = 200


def _require_admin(actor: Who) -> None:
    if not is_site_admin(actor):
        raise Forbidden("only site admins can import")


@transaction.atomic
def start(
    *,
    actor: Who,
    project_key: str,
    format_name: str,
    filename: str,
    content: bytes,
    mapping_text: str = "",
    preset: str = "",
) -> ImportRun:
    """Check what can be checked now (who, where, which format, the mapping) and queue the
    import; the file itself is read by the job."""
    _require_admin(actor)
    if format_name not in FORMATS:
        raise Invalid.field("format", f"choose one of {', '.join(FORMATS)}")
    project = Project.objects.filter(key=project_key).first()
    if project is None:
        raise Invalid.field("project", f"no project {project_key!r}")
    if not content:
        raise Invalid.field("file", "choose a file to import")
    if len(content) > settings.DOCKET_MAX_IMPORT_BYTES:
        limit = settings.DOCKET_MAX_IMPORT_BYTES // (1024 * 1024)
        raise Invalid.field("file", f"larger than {limit} MiB (DOCKET_MAX_IMPORT_BYTES)")
    if preset and preset not in PRESETS:
        raise Invalid.field("preset", f"choose one of {', '.join(PRESETS)}")
    mapping = csv_mapping.mapping_file(mapping_text) if mapping_text.strip() else {}
    if format_name == "csv" and not mapping and not preset:
        raise Invalid.field("mapping", "a CSV import needs a mapping or a preset")
    run = ImportRun.objects.create(
        by=account_of(actor),
        project=project,
        format=format_name,
        filename=filename[:255],
        content=content,
        mapping=mapping,
        preset=preset,
    )
    run_import.enqueue(run.pk)  # a database job commits with the run
    return run


def run_for(actor: Who, run_id: int) -> ImportRun:
    _require_admin(actor)
    run = ImportRun.objects.select_related("project", "by").filter(pk=run_id).first()
    if run is None:
        raise NotFound("no such import")
    return run


def recent_runs(actor: Who, limit: int = 20) -> list[ImportRun]:
    _require_admin(actor)
    runs = ImportRun.objects.select_related("project", "by").defer("content")
    return list(runs.order_by("-pk")[:limit])


@task()
def run_import(run_id: int) -> str:
    """The job: the run's final state."""
    run = ImportRun.objects.select_related("project", "by").filter(pk=run_id).first()
    if run is None or run.state in (ImportRun.State.DONE, ImportRun.State.FAILED):
        return "gone" if run is None else run.state  # a repeated delivery does nothing
    # Queued, or running when a worker died mid-import and the job was handed back: an
    # import is idempotent, so this one goes on where that one stopped.
    ImportRun.objects.filter(pk=run.pk).update(state=ImportRun.State.RUNNING)
    try:
        summary = _load(run)
    except DocketError as exc:
        _finish(run, ImportRun.State.FAILED, message=exc.detail)
    except Exception:
        log.exception("import run %s failed", run.pk)
        _finish(run, ImportRun.State.FAILED, message="the import failed unexpectedly; see the log")
        raise
    else:
        _finish(run, ImportRun.State.DONE, summary=summary)
    return str(ImportRun.objects.values_list("state", flat=True).get(pk=run.pk))


def _load(run: ImportRun) -> Summary:
    converted = convert(
        run.format, bytes(run.content), mapping=run.mapping or None, preset=run.preset or None
    )
    ImportRun.objects.filter(pk=run.pk).update(total=converted.rows)

    def progress(summary: Summary) -> None:
        ImportRun.objects.filter(pk=run.pk).update(**_counts(summary))

    return load(
        actor=run.by,
        project=run.project,
        converted=converted,
        source=default_source(run.format, run.project.key),
        progress=progress,
    )


def _counts(summary: Summary) -> dict[str, Any]:
    return {
        "processed": summary.processed,
        "created": summary.created,
        "updated": summary.updated,
        "unchanged": summary.unchanged,
        "failed": summary.failed,
        "seconds": summary.seconds,
    }


def _finish(
    run: ImportRun, state: str, *, summary: Summary | None = None, message: str = ""
) -> None:
    values: dict[str, Any] = {"state": state, "finished_at": now(), "content": b""}
    if summary is not None:
        values |= _counts(summary)
        values["errors"] = summary.errors[:ERRORS_KEPT]
        values["message"] = (
            f"{summary.comments} comments, {summary.events} history events, "
            f"{summary.placeholders} placeholder accounts"
        )
    else:
        values["message"] = message
    ImportRun.objects.filter(pk=run.pk).update(**values)
