"""The dashboards' roll-ups (docs/reports.md, "Roll-ups"): kept by the reports consumer of
the event log (rollup.py) for viewers who see whole projects and unscoped dashboards.

Each live issue has a `RollupIssue`: what it adds to the tallies now (`adds`), and the few
columns the list-like widgets read (the overdue list, ageing's edge days, cycle time). The
consumer recomputes an issue's row from the issue itself whenever one of its events is read,
and moves the tallies by the difference, so reading an event twice changes nothing."""

from __future__ import annotations

from django.db import models


class RollupState(models.Model):
    """One row: the workflow the roll-ups were built for. Open/done and the state names are
    decided when an issue is counted, so an edit of any workflow state makes the roll-ups
    unusable (dashboards read the issues directly) until a rebuild job has recounted them."""

    signature = models.CharField(max_length=64)  # "" until the first build
    built_at = models.DateTimeField()
    # The workflow a rebuild job was queued for (rollup.handle): one job per workflow edit.
    requested = models.CharField(max_length=64, blank=True, default="")

    def __str__(self) -> str:
        return f"roll-ups built {self.built_at:%Y-%m-%d %H:%M}"


class RollupIssue(models.Model):
    # Plain ids: the consumer removes the row (and its tallies) with the issue's last event.
    issue_id = models.BigIntegerField(primary_key=True)
    project_id = models.BigIntegerField()
    # "open" or "done" (in a done state): a string, since SQLite's index is not used for a
    # bare boolean column in a WHERE clause
    state = models.CharField(max_length=4)
    created_at = models.DateTimeField()
    due_date = models.DateField(null=True)
    resolved_at = models.DateTimeField(null=True)
    started_at = models.DateTimeField(null=True)  # first move into an in-progress state
    # lead and cycle time in microseconds (exact: the widget divides as timedelta would)
    lead_us = models.BigIntegerField(null=True)
    cycle_us = models.BigIntegerField(null=True)
    adds = models.JSONField(default=list)  # [[dim, key, day, n, minutes], …] (rollup.py)
    # A viewer who sees only a project's non-confidential issues is counted from the tallies
    # of the project less those of its confidential part (stored under -project_id).
    confidential = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["project_id", "state", "created_at"], name="rollup_open_created"),
            models.Index(fields=["project_id", "state", "due_date"], name="rollup_open_due"),
            models.Index(fields=["project_id", "state", "resolved_at"], name="rollup_resolved"),
        ]

    def __str__(self) -> str:
        return f"issue {self.issue_id} in the roll-ups"


class RollupTally(models.Model):
    """Issues (and their estimates, in minutes) per project, dimension, key and day. A
    negative project id holds the same tallies for that project's confidential issues only."""

    project_id = models.BigIntegerField()
    dim = models.CharField(max_length=16)
    key = models.CharField(max_length=400)
    day = models.DateField()
    n = models.IntegerField(default=0)
    minutes = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project_id", "dim", "day", "key"], name="rollup_tally_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.dim} {self.key} {self.day}: {self.n}"
