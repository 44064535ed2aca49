"""Background work of the reports app: recounting the roll-ups whole (rollup.rebuild).

Queued by the reports consumer when the workflow the roll-ups were counted for has changed,
and before the first build. Running it twice is harmless: each run recounts from the issues."""

from __future__ import annotations

from django_tasks import task

from docket.reports import rollup


@task()
def rebuild_reports() -> int:
    """How many issues were counted."""
    return rollup.rebuild()
