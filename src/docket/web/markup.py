"""HTML built in Python where a template was too slow: the issue table's rows (a list page
shows 50) and the board's cards (up to 250). Presentation only, every value escaped.

Measured against Jinja2 macros with the same markup (same process): a row ~3x, a card ~4.8x
this code (17 µs against 3.6 µs; 250 cards 4.3 ms against 0.9 ms): escape() builds a Markup
for each of the ~20 values, plus the macro call. Django's template language was slower still
(~0.25 ms a row, ~100 µs a card). Escaping a column's repeated text once took 250 cards from
1.09 to 0.83 ms. jinja2/web/partials/issue_table.html and
jinja2/web/board/board_region.html call `issue_rows` and `kanban_cards` (globals set in
web/jinja.py); jinja2/web/board/card.html keeps the card's markup as a macro, and
tests/web/test_board.py checks the two agree.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from html import escape  # what django.utils.html.escape does, without its lazy wrapper
from typing import Any

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from docket.issues.board import Card
from docket.web.views.common import issue_base

STATUS_CLASSES = frozenset({"todo", "in_progress", "done"})


def status_class(category: str) -> str:
    """The CSS class of a status pill: its workflow category, if it is one."""
    return category if category in STATUS_CLASSES else ""


# --- issue table rows ---------------------------------------------------------------------


def _updated(at: datetime, zone: tzinfo) -> str:
    local = at.astimezone(zone)  # as the `date` filter shows it ("Y-m-d H:i")
    shown = f"{local.year:04}-{local.month:02}-{local.day:02} {local.hour:02}:{local.minute:02}"
    return f'<time datetime="{at.isoformat()}">{shown}</time>'


def issue_row(issue: dict[str, Any], issue_base: str, zone: tzinfo, *, selectable: bool) -> str:
    """One <tr> for an API-shaped issue dict (issues/queries.issue_out)."""
    key = escape(issue["key"])
    select = ""
    if selectable:
        select = (
            f'<td><label class="visually-hidden" for="sel-{key}">Select {key}</label>'
            f'<input id="sel-{key}" type="checkbox" name="selected" value="{key}" '
            'form="bulk-form"></td>'
        )
    secret = (
        ' <span class="confidential" title="Confidential">● confidential</span>'
        if issue["confidential"]
        else ""
    )
    labels = "".join(f' <span class="label">{escape(name)}</span>' for name in issue["labels"])
    status = escape(issue["status"])
    pill = escape(status_class(issue["status_category"]))
    priority = escape(issue["priority"])
    return (
        f'<tr data-nav-item data-key="{key}">{select}'
        f'<td class="key">{key}</td>'
        f'<td><a data-open href="{escape(issue_base)}{key}">{escape(issue["title"])}</a>'
        f"{secret}{labels}</td>"
        f'<td><span class="pill {pill}">{status}</span></td>'
        f'<td class="prio-{priority}">{priority}</td>'
        f'<td class="opt">{escape(issue["assignee"] or "—")}</td>'
        f'<td class="opt">{escape(issue["due_date"] or "")}</td>'
        f'<td class="opt small muted">{_updated(issue["updated_at"], zone)}</td></tr>\n'
    )


def issue_rows(issues: list[dict[str, Any]], selectable: bool = False) -> SafeString:
    base, zone = issue_base(), timezone.get_current_timezone()
    html = "".join(issue_row(i, base, zone, selectable=selectable) for i in issues)
    return mark_safe(html)  # noqa: S308 - every value above is escaped


# --- board cards -------------------------------------------------------------------------------


class _Repeated(dict[str, str]):
    """Escaped text that repeats across a column's cards (priorities, people, labels, the
    states one may move to), escaped once: ~10 escapes a card cost ~0.7 ms a board."""

    def __missing__(self, text: str) -> str:
        self[text] = escape(text)
        return self[text]


def _card(card: Card, base: str, move_url: str, seen: _Repeated) -> str:
    key = escape(card.key)
    labels = "".join(
        f' <span class="label" data-color="{seen[color]}">{seen[name]}</span>'
        for name, color in card.labels
    )
    who = f"@{seen[card.assignee]}" if card.assignee else "Unassigned"
    secret = ' <span class="confidential">confidential</span>' if card.confidential else ""
    move = ""
    if card.moves:
        move = (
            f' <a class="button small kanban-move" id="move-{key}" href="{move_url}'
            f'?key={key}" data-moves="{seen["|".join(card.moves)]}" aria-haspopup="dialog">'
            f'Move to…<span class="visually-hidden"> ({key})</span></a>'
        )
    priority = seen[card.priority]
    return (
        f'<li class="kanban-card{" movable" if card.moves else ""}" id="card-{key}" '
        f'data-key="{key}" data-version="{card.version}" data-nav-item>'
        f'<div class="kanban-card-top"><span class="key">{key}</span> '
        f'<span class="prio-{priority} small">{priority}</span></div>'
        f'<a class="kanban-card-title" data-open href="{base}{key}">'
        f"{escape(card.title)}</a>"
        f'<div class="kanban-card-meta small"><span class="muted">{who}</span>'
        f"{secret}{labels}{move}</div></li>\n"
    )


def kanban_cards(cards: list[Card], issue_base: str, move_url: str) -> SafeString:
    base, url, seen = escape(issue_base), escape(move_url), _Repeated()
    html = "".join(_card(card, base, url, seen) for card in cards)
    return mark_safe(html)  # noqa: S308 - every value above is escaped
