"""The board's cards, rendered in Python: a board shows up to 250 of them and the template
engine spent ~100 µs on each (most of a 100,000-issue board's server time). Presentation
only, every value escaped; the markup is the one templates/web/board/card.html documents."""

from __future__ import annotations

from html import escape  # what django.utils.html.escape does, without its lazy wrapper

from django import template
from django.utils.safestring import SafeString, mark_safe

from docket.issues.board import Card

register = template.Library()


def card_html(card: Card, issue_base: str, move_url: str) -> str:
    key = escape(card.key)
    labels = "".join(
        f' <span class="label" data-color="{escape(color)}">{escape(name)}</span>'
        for name, color in card.labels
    )
    who = f"@{escape(card.assignee)}" if card.assignee else "Unassigned"
    secret = ' <span class="confidential">confidential</span>' if card.confidential else ""
    move = ""
    if card.moves:
        move = (
            f' <a class="button small kanban-move" id="move-{key}" href="{escape(move_url)}'
            f'?key={key}" data-moves="{escape("|".join(card.moves))}" aria-haspopup="dialog">'
            f'Move to…<span class="visually-hidden"> ({key})</span></a>'
        )
    return (
        f'<li class="kanban-card{" movable" if card.moves else ""}" id="card-{key}" '
        f'data-key="{key}" data-version="{card.version}" data-nav-item>'
        f'<div class="kanban-card-top"><span class="key">{key}</span> '
        f'<span class="prio-{escape(card.priority)} small">{escape(card.priority)}</span></div>'
        f'<a class="kanban-card-title" data-open href="{escape(issue_base)}{key}">'
        f"{escape(card.title)}</a>"
        f'<div class="kanban-card-meta small"><span class="muted">{who}</span>'
        f"{secret}{labels}{move}</div></li>\n"
    )


@register.simple_tag
def kanban_cards(cards: list[Card], issue_base: str, move_url: str) -> SafeString:
    html = "".join(card_html(card, issue_base, move_url) for card in cards)
    return mark_safe(html)  # noqa: S308 - every value above is escaped
