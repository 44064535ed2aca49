"""A widget's table as CSV: what the chart shows, for a spreadsheet."""

from __future__ import annotations

import csv
import io
from typing import Any

from docket.reports.widgets import Widget

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading quote (titles, names are
    user input); numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def widget_csv(widget: Widget) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(widget.columns)
    writer.writerows([_cell(v) for v in row] for row in widget.rows)
    return out.getvalue()
