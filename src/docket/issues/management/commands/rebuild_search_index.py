"""`docket manage rebuild_search_index`: rebuild the issue full-text index from the database."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import DEFAULT_DB_ALIAS, transaction

from docket.issues.search_index import REBUILD_BATCH, rebuild_search_index


class Command(BaseCommand):
    help = "Drop and rebuild the full-text index of issues (titles, descriptions, comments)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=REBUILD_BATCH)
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        with transaction.atomic(using=options["database"]):  # searches see old or new, whole
            count = rebuild_search_index(
                using=options["database"], batch_size=options["batch_size"]
            )
        seconds = time.perf_counter() - started
        self.stdout.write(f"Indexed {count} issues in {seconds:.1f}s")
