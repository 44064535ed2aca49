"""The SLA consumer of the issue event log: the issues whose events arrive get their clocks
replayed (clocks follow edits, reopenings, workflow moves and priority changes as they
happen). Its own escalation events change no clock and are skipped."""

from __future__ import annotations

from collections.abc import Sequence

from docket.core.clock import now
from docket.issues.models import IssueEvent
from docket.issues.sla_summary import SLA_KINDS
from docket.sla.engine import recompute

NAME = "sla"
RELATED: tuple[str, ...] = ()


def handle(events: Sequence[IssueEvent]) -> None:
    recompute({e.issue_id for e in events if e.kind not in SLA_KINDS}, now())
