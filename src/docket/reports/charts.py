"""Server-side SVG charts: no script, so they work under the strict CSP and print. Colours
are the Okabe–Ito palette (distinguishable with the common colour-vision deficiencies), and
every series also differs in dash and marker and is named in a legend; bars carry their
numbers as text. Labels are escaped: they are user data (state names, usernames)."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from docket.reports.widgets import Widget

PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]
DASHES = ["", "6 3", "2 3", "8 3 2 3", "", "4 4"]
WIDTH = 400
LABEL_WIDTH = 120
BAR_HEIGHT = 18
ROW_HEIGHT = 24
PLOT_HEIGHT = 160
MARGIN_LEFT = 36
MARGIN_BOTTOM = 22


def _svg(height: int, title: str, body: list[str]) -> Markup:
    head = (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="system-ui, sans-serif" font-size="12"><title>{escape(title)}</title>'
    )
    # Every user-given text in `body` went through escape(); numbers are ours.
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704


def _short(text: Any, limit: int = 20) -> str:
    shown = str(text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def bars(widget: Widget) -> Markup:
    """Horizontal bars, one per row: label, bar, number."""
    top = max((row[1] for row in widget.rows), default=0) or 1
    room = WIDTH - LABEL_WIDTH - 50
    body = []
    for i, row in enumerate(widget.rows):
        y = i * ROW_HEIGHT + 4
        length = max(1, round(room * row[1] / top)) if row[1] else 0
        body.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 13}" text-anchor="end" fill="#1f2937">'
            f"{escape(_short(row[0], 16))}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{BAR_HEIGHT}" '
            f'fill="{PALETTE[0]}"/>'
            f'<text x="{LABEL_WIDTH + length + 6}" y="{y + 13}" fill="#1f2937">{row[1]}</text>'
        )
    return _svg(max(1, len(widget.rows)) * ROW_HEIGHT + 8, widget.title, body)


def _legend(names: list[str], y: int) -> list[str]:
    parts, x = [], MARGIN_LEFT
    for i, name in enumerate(names):
        colour, dash = PALETTE[i % len(PALETTE)], DASHES[i % len(DASHES)]
        parts.append(
            f'<line x1="{x}" y1="{y}" x2="{x + 22}" y2="{y}" stroke="{colour}" stroke-width="3" '
            f'stroke-dasharray="{dash}"/>'
            f'<text x="{x + 27}" y="{y + 4}" fill="#1f2937">{escape(name)}</text>'
        )
        x += 36 + 7 * len(name)
    return parts


def _axis(top: int, plot_top: int) -> list[str]:
    base = plot_top + PLOT_HEIGHT
    parts = [
        f'<line x1="{MARGIN_LEFT}" y1="{base}" x2="{WIDTH - 8}" y2="{base}" stroke="#6b7280"/>'
    ]
    for value in sorted({0, top // 2, top}):
        y = base - round(PLOT_HEIGHT * value / (top or 1))
        parts.append(
            f'<text x="{MARGIN_LEFT - 6}" y="{y + 4}" text-anchor="end" fill="#4b5563">'
            f"{value}</text>"
            f'<line x1="{MARGIN_LEFT}" y1="{y}" x2="{WIDTH - 8}" y2="{y}" stroke="#e5e7eb"/>'
        )
    return parts


def _layout(widget: Widget) -> tuple[list[str], int, int]:
    names = widget.columns[1:]
    top = max((max(row[1:]) for row in widget.rows if row[1:]), default=0)
    return names, max(top, 1), 28  # legend row above the plot


def lines(widget: Widget) -> Markup:
    """One line per value column over the first column (days or weeks)."""
    names, top, plot_top = _layout(widget)
    count = len(widget.rows)
    span = WIDTH - 8 - MARGIN_LEFT
    base = plot_top + PLOT_HEIGHT

    def point(i: int, value: int) -> str:
        x = MARGIN_LEFT + (span * i / max(count - 1, 1))
        return f"{x:.1f},{base - PLOT_HEIGHT * value / top:.1f}"

    body = _legend(names, 12) + _axis(top, plot_top)
    for s, _name in enumerate(names):
        colour, dash = PALETTE[s % len(PALETTE)], DASHES[s % len(DASHES)]
        points = " ".join(point(i, row[s + 1]) for i, row in enumerate(widget.rows))
        body.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2.5" '
            f'stroke-dasharray="{dash}"/>'
        )
    for i in sorted({0, count // 2, count - 1}) if count else []:
        x = MARGIN_LEFT + (span * i / max(count - 1, 1))
        anchor = "start" if i == 0 else "end" if i == count - 1 else "middle"
        body.append(
            f'<text x="{x:.1f}" y="{base + 16}" text-anchor="{anchor}" fill="#4b5563">'
            f"{escape(widget.rows[i][0])}</text>"
        )
    return _svg(base + MARGIN_BOTTOM, widget.title, body)


def columns(widget: Widget) -> Markup:
    """Grouped columns: one group per row (a bucket), one column per value column."""
    names, top, plot_top = _layout(widget)
    span = WIDTH - 8 - MARGIN_LEFT
    group = span / max(len(widget.rows), 1)
    width = (group - 6) / max(len(names), 1)
    base = plot_top + PLOT_HEIGHT
    body = _legend(names, 12) + _axis(top, plot_top)
    for i, row in enumerate(widget.rows):
        x0 = MARGIN_LEFT + i * group + 3
        for s, value in enumerate(row[1:]):
            height = round(PLOT_HEIGHT * value / top)
            x = x0 + s * width
            body.append(
                f'<rect x="{x:.1f}" y="{base - height}" width="{width - 1:.1f}" '
                f'height="{height}" fill="{PALETTE[s % len(PALETTE)]}"/>'
            )
            if value:
                body.append(
                    f'<text x="{x + width / 2:.1f}" y="{base - height - 3}" text-anchor="middle" '
                    f'font-size="10" fill="#1f2937">{value}</text>'
                )
        body.append(
            f'<text x="{x0 + group / 2 - 3:.1f}" y="{base + 16}" text-anchor="middle" '
            f'font-size="10" fill="#4b5563">{escape(row[0])}</text>'
        )
    return _svg(base + MARGIN_BOTTOM, widget.title, body)


DRAW = {"bars": bars, "lines": lines, "columns": columns}


def chart_of(widget: Widget) -> Markup | None:
    """The widget's chart; None without rows, or for a histogram of nothing."""
    draw = DRAW.get(widget.chart)
    empty = widget.chart == "columns" and not any(v for row in widget.rows for v in row[1:])
    return draw(widget) if draw and widget.rows and not empty else None
