from __future__ import annotations

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Reports: dashboards (widgets.py), "as of" reconstruction (as_of.py) and their SVG
    charts (charts.py). No tables of its own: every figure is a GROUP BY over the issues the
    viewer may see, so no roll-up can count what the gate hides (docs/reports.md)."""

    name = "docket.reports"
    label = "reports"
