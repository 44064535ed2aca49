"""The automation consumer of the event log (registered in apps.py; docket.worker runs it).

`handle` is given a batch inside the transaction that advances the consumer's cursor, so the
rule runs, the changes their actions make and "these events are done" commit together. A
batch read again (a gap, a crash) finds each rule's run already logged under its key
(rule + event) and runs nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence

from docket.automation.engine import handle_events
from docket.issues.models import IssueEvent

NAME = "automation"
RELATED = ("issue",)


def handle(events: Sequence[IssueEvent]) -> None:
    handle_events(list(events))
