"""A job for the tests of jobs on Redis, importable by the `docket worker` processes they start
(with the repository root on PYTHONPATH)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from django_tasks import task


@task()
def stall(marker: str) -> str:
    """The first run writes `marker` and stalls (its worker gets killed); a later run returns."""
    path = Path(marker)
    if path.exists():
        return "ran again"
    path.write_text(str(os.getpid()))
    time.sleep(60)
    return "woke"
