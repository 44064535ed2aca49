"""The pages' shared look in Python: relative times, avatars, icons and the colour theme.
Presentation only, every value escaped. Templates reach these through web/jinja.py (the
`ago` filter; the `avatar`, `icon`, `type_icon` and `theme_class` globals); Python-built HTML
(web/markup.py) may call them directly. docs/web.md, "The look", lists them.
"""

from __future__ import annotations

import functools
import zlib
from datetime import date, datetime, tzinfo
from html import escape
from typing import Any

from django.core.signals import setting_changed
from django.http import HttpRequest
from django.templatetags.static import static as static_url
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from docket.core import clock

# --- relative times ------------------------------------------------------------------------

MINUTE, HOUR, DAY = 60, 3600, 86400
RELATIVE_UP_TO = 30 * DAY  # older or further off: the date itself reads better


def relative_words(at: datetime, now: datetime) -> str:
    """ "just now", "5 min ago", "3 h ago", "in 2 d"; beyond 30 days "" (show a date)."""
    seconds = (at - now).total_seconds()
    span = abs(seconds)
    if span >= RELATIVE_UP_TO:
        return ""
    if span < 45:
        return "just now"
    if span < 90 * MINUTE:
        amount = f"{max(1, round(span / MINUTE))} min"
    elif span < 36 * HOUR:
        amount = f"{round(span / HOUR)} h"
    else:
        amount = f"{round(span / DAY)} d"
    return f"in {amount}" if seconds > 0 else f"{amount} ago"


DAY_WORDS = {0: "today", 1: "tomorrow", -1: "yesterday"}


def relative_days(day: date, today: date) -> str:
    """A calendar date against today: "today", "in 3 d", "2 d ago"; beyond 30 days ""."""
    days = (day - today).days
    if days in DAY_WORDS:
        return DAY_WORDS[days]
    if abs(days) >= RELATIVE_UP_TO // DAY:
        return ""
    return f"in {days} d" if days > 0 else f"{-days} d ago"


# The C locale's month abbreviations, as strftime's %b gives them (Python never sets LC_TIME):
# formatting by hand is a third of strftime's cost, and a list page formats ~100 times.
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def exact_time(at: datetime, zone: tzinfo) -> str:
    """ "2026-03-03 14:05 CET": the moment in `zone`, to the minute."""
    local = at.astimezone(zone)
    day = f"{local.year:04d}-{local.month:02d}-{local.day:02d}"
    return f"{day} {local.hour:02d}:{local.minute:02d} {local.tzname() or ''}".rstrip()


def short_date(at: datetime | date, now: datetime | date) -> str:
    """ "Mar 3" this year, "2025-03-03" another."""
    if at.year == now.year:
        return f"{MONTHS[at.month - 1]} {at.day}"
    return f"{at.year:04d}-{at.month:02d}-{at.day:02d}"


def due_date(value: Any, today: date, done: bool) -> str:
    """A due date for a table cell: "Nov 29" (never wrapping), the ISO date on hover; past
    due on an unfinished issue, red with a ⚠ and "(overdue)" for screen readers."""
    if not value:
        return ""
    due = date.fromisoformat(value) if isinstance(value, str) else value
    iso = due.isoformat()
    shown = f'<time datetime="{iso}" title="{iso}">{short_date(due, today)}</time>'
    if due < today and not done:
        return (
            f'<span class="overdue"><span aria-hidden="true">⚠ </span>{shown}'
            '<span class="visually-hidden"> (overdue)</span></span>'
        )
    return shown


def ago(
    value: datetime | date | str | None, now: datetime | None = None, zone: tzinfo | None = None
) -> SafeString:
    """A <time> with the moment relative to now ("3 h ago", "in 2 d") and the exact time in
    its title (and datetime attribute); a plain date (a due date) counts calendar days in the
    current zone ("tomorrow", "in 3 d"). ISO text is read as either; None or "" gives "".
    Rows of a list pass `now` and `zone` (the current zone), read once for the page."""
    if value is None or value == "":
        return mark_safe("")
    if isinstance(value, str):  # an API-shaped dict's ISO text ("2026-12-08", a timestamp)
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    zone = zone or timezone.get_current_timezone()
    now = now or clock.now()
    if isinstance(value, datetime):
        at = value if timezone.is_aware(value) else timezone.make_aware(value, zone)
        # to the second: the microseconds were ~300 bytes of a list page's gzip, seen by no one
        exact, machine = exact_time(at, zone), at.isoformat(timespec="seconds")
        words = relative_words(at, now) or short_date(at.astimezone(zone), now.astimezone(zone))
    else:
        exact = machine = value.isoformat()
        words = relative_days(value, now.astimezone(zone).date()) or short_date(value, now)
    html = f'<time class="ago" datetime="{escape(machine)}" title="{escape(exact)}">{words}</time>'
    return mark_safe(html)  # noqa: S308 - every value above is escaped


# --- avatars -------------------------------------------------------------------------------

# Okabe and Ito's colour-blind-safe palette; app.css's .av-0 … .av-7 (each with a text colour
# that passes AA on it). The index comes from the user's id, or their name when that is all
# a page has.
AVATAR_COLOURS = 8


def initials(name: str) -> str:
    words = [w for w in name.replace(".", " ").replace("_", " ").split() if w]
    if len(words) >= 2:
        return (words[0][0] + words[-1][0]).upper()
    return (words[0][:2] if words else "?").upper()


def avatar_colour(user_id: int | None, name: str) -> int:
    if user_id is not None:
        return user_id % AVATAR_COLOURS
    return zlib.crc32(name.encode()) % AVATAR_COLOURS


def avatar(person: Any, size: str = "", labelled: bool = False) -> SafeString:
    """Initials in a coloured circle for a user (or a username). Decorative beside the name
    (aria-hidden), or `labelled` (role=img named after the person) where it stands alone.
    `size`: "" (1.25rem) or "lg" (2rem)."""
    if person is None or person == "":
        return mark_safe("")
    if isinstance(person, str):
        user_id, username, full = None, person, ""
    else:
        user_id, username = getattr(person, "pk", None), person.get_username()
        full = (person.get_full_name() or "").strip()
    name = full or username
    classes = f"avatar av-{avatar_colour(user_id, username)}" + (f" avatar-{size}" if size else "")
    who = escape(name)
    a11y = f'role="img" aria-label="{who}"' if labelled else 'aria-hidden="true"'
    html = f'<span class="{classes}" {a11y} title="{who}">{escape(initials(name))}</span>'
    return mark_safe(html)  # noqa: S308 - escaped above


# --- icons ---------------------------------------------------------------------------------

ICON_SPRITE = "web/icons.svg"
ISSUE_TYPES = frozenset({"bug", "task", "feature", "improvement", "incident", "support"})


@functools.lru_cache(maxsize=512)
def static(path: str) -> str:
    """A static file's URL (hashed by the manifest storage), looked up once per process: an
    issue page asks for ~20 (most of them the icon sprite), ~5% of its time each time."""
    return static_url(path)


def _forget_static_urls(*, setting: str, **kwargs: Any) -> None:
    if setting in ("STATIC_URL", "STORAGES"):
        static.cache_clear()  # a test changed where static files are served from


setting_changed.connect(_forget_static_urls)


def icon(name: str, label: str = "", classes: str = "") -> SafeString:
    """An inline SVG using a symbol of static/web/icons.svg (`#i-<name>`). Decorative unless
    `label` is given (then role=img with that name)."""
    href = f"{static(ICON_SPRITE)}#i-{name}"
    a11y = f'role="img" aria-label="{escape(label)}"' if label else 'aria-hidden="true"'
    css = escape(f"icon {classes}".strip())
    html = f'<svg class="{css}" {a11y} focusable="false"><use href="{escape(href)}"></use></svg>'
    return mark_safe(html)  # noqa: S308 - escaped above


def type_icon(issue_type: str, labelled: bool = True) -> SafeString:
    """An issue type's icon (bug, task, feature, improvement, incident, support), coloured by
    `.type-<type>`; named after the type unless `labelled` is False (the type is written
    next to it)."""
    known = issue_type if issue_type in ISSUE_TYPES else "task"
    label = issue_type.capitalize() if labelled else ""
    return icon(f"type-{known}", label, f"type-icon type-{known}")


# --- colour theme --------------------------------------------------------------------------

THEME_COOKIE = "docket_theme"
THEMES = ("light", "dark", "system")


def theme_of(request: Any) -> str:
    """The reader's chosen theme (app.js keeps it in a cookie and localStorage)."""
    if not isinstance(request, HttpRequest):  # a page rendered without one (error pages)
        return "system"
    chosen = request.COOKIES.get(THEME_COOKIE, "system")
    return chosen if chosen in THEMES else "system"


def theme_class(request: Any) -> str:
    """The <html> element's class: "theme-light" or "theme-dark" when chosen, "" for the
    system's own (app.css follows prefers-color-scheme). Rendered by the server: no flash."""
    chosen = theme_of(request)
    return "" if chosen == "system" else f"theme-{chosen}"
