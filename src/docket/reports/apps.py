from __future__ import annotations

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Reports: dashboards (widgets.py), "as of" reconstruction (as_of.py), their SVG charts
    (charts.py), and the roll-ups that make them fast for viewers who see whole projects:
    a consumer of the event log keeps them (rollup.py), tallies.py reads them exactly up to
    the moment (docs/reports.md, "Roll-ups")."""

    name = "docket.reports"
    label = "reports"

    def ready(self) -> None:
        from docket.reports import rollup
        from docket.worker import consumers

        consumers.register(consumers.Consumer(rollup.NAME, rollup.handle, related=rollup.RELATED))
