"""`docket manage rebuild_reports`: recount the dashboards' roll-ups from the issues."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from docket.reports.rollup import rebuild


class Command(BaseCommand):
    help = "Rebuild the dashboards' roll-ups from the issues and their event log."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        count = rebuild()
        seconds = time.perf_counter() - started
        self.stdout.write(f"Counted {count} issues in {seconds:.1f}s")
