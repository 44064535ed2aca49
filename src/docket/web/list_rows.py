"""The issue list's rows (jinja2/web/partials/issue_table.html, when the list passes
`list_rows`): dense one-line rows whose status, priority, assignee and labels are links that
narrow the query (web/views/list_query.py), labels as coloured chips, relative times and
marked overdue dates. Built in Python as web/markup.py's rows are (a Jinja macro was ~3x
slower for 50 rows). Presentation only, every value escaped.

`work_rows`: My work's tables (`work_rows`): web/markup.py's plain rows, the labels as the
list's chips.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from docket.core import clock
from docket.web.look import ago, avatar, due_date
from docket.web.markup import sla_badge, status_class
from docket.web.views.common import issue_base

Link = Callable[[str, str], str]  # (field, value) -> href narrowing the query, or ""


class _Escaped(dict[str, str]):
    """Text that repeats down the page (statuses, people, labels), escaped once."""

    def __missing__(self, text: str) -> str:
        self[text] = escape(text)
        return self[text]


def _filter(
    link: Link, field: str, value: str, text: str, classes: str = "", attrs: str = ""
) -> str:
    """`text` as a link adding `field:value` to the query (plain text when it would not
    change the query)."""
    href = link(field, value)
    if not href:
        return f'<span class="{classes}"{attrs}>{text}</span>'
    return f'<a class="qf {classes}"{attrs} href="{escape(href)}">{text}</a>'


def _custom_text(value: Any) -> str:
    if value is None or value == []:
        return ""
    return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)


class _Links(dict[tuple[str, ...], str]):
    """A page's narrowing links by (field, value, text, classes, attrs): a column's values
    repeat down the page, each link is built once (~200 links, ~40 distinct)."""

    def __init__(self, link: Link):
        super().__init__()
        self.link = link

    def __missing__(self, args: tuple[str, ...]) -> str:
        self[args] = _filter(self.link, *args)
        return self[args]


def list_row(issue: dict[str, Any], ctx: dict[str, Any]) -> str:
    seen: _Escaped = ctx["seen"]
    links: _Links = ctx["links"]
    key = escape(issue["key"])
    select = ""
    if ctx["selectable"]:
        select = (
            f'<td class="sel"><input id="sel-{key}" type="checkbox" name="selected" '
            f'value="{key}" form="bulk-form" aria-label="Select {key}"></td>'
        )
    badges = ""
    if issue.get("blocked"):  # set by issues/links.mark_blocked
        badges += ' <span class="badge blocked">Blocked</span>'
    if issue["confidential"]:
        badges += ' <span class="confidential" title="Confidential">● confidential</span>'
    chips = "".join(
        links["label", name, seen[name], "chip", f' data-chip="{_color(ctx, issue, name)}"']
        for name in issue["labels"]
    )
    if chips:
        chips = f'<span class="chips">{chips}</span>'
    status = issue["status"]
    pill = f"pill {status_class(issue['status_category'])}".strip()
    priority = issue["priority"]
    who = issue["assignee"]
    person = (
        links["assignee", who, f"{avatar(who)}<span>{seen[who]}</span>", "person", ""]
        if who
        else links["assignee", "none", "—", "muted", ""]
    )
    sla = ""
    if ctx["sla_now"] is not None:
        badge = sla_badge(issue["sla_state"], issue["sla_due_at"], ctx["sla_now"], ctx["zone"])
        sla = f'<td class="sla">{badge}</td>'
    custom = "".join(
        f'<td class="cf">{escape(_custom_text((issue.get("custom_fields") or {}).get(n)))}</td>'
        for n in ctx["custom"]
    )
    done = issue["status_category"] == "done"
    title = escape(issue["title"])
    return (
        f'<tr data-nav-item data-key="{key}">{select}<td class="key">{key}</td>'
        f'<td class="title"><div class="line"><a class="t" data-open href="{ctx["base"]}{key}">'
        f"{title}</a>{badges}"
        f"{chips}</div></td>"
        f'<td class="st">{links["status", status, seen[status], pill, ""]}</td>'
        f'<td class="pr">{links["priority", priority, seen[priority], f"prio-{priority}", ""]}'
        f"</td>{sla}"
        f'<td class="opt who">{person}</td>'
        f'<td class="opt due">{due_date(issue["due_date"], ctx["today"], done)}</td>'
        f'<td class="opt upd">{ago(issue["updated_at"], ctx["now"], ctx["zone"])}</td>'
        f"{custom}</tr>\n"
    )


def _color(ctx: dict[str, Any], issue: dict[str, Any], name: str) -> str:
    color: str = ctx["colors"].get((issue["project"], name), "")
    return color if len(color) == 7 and color.startswith("#") else ""


def list_rows(
    issues: list[dict[str, Any]],
    *,
    issue_base: str,
    link: Link,
    colors: dict[tuple[str, str], str],
    selectable: bool = True,
    sla: bool = False,
    custom: list[str] | None = None,
) -> SafeString:
    """The rows for `issues`; `link` makes the narrowing links, `colors` holds the labels'
    colours by (project key, name) (issues/facets.py `label_colors`)."""
    now = clock.now()
    zone = timezone.get_current_timezone()
    ctx = {
        "seen": _Escaped(),
        "links": _Links(link),
        "colors": colors,
        "selectable": selectable,
        "sla_now": now if sla else None,
        "zone": zone,
        "now": now,
        "today": now.astimezone(zone).date(),
        "base": escape(issue_base),
        "custom": custom or [],
    }
    html = "".join(list_row(issue, ctx) for issue in issues)
    return mark_safe(html)  # noqa: S308 - every value above is escaped


def work_rows(issues: list[dict[str, Any]], colors: dict[tuple[str, str], str]) -> SafeString:
    """My work's rows: the markup of web/markup.py `issue_row` (no selection, no SLA column)
    with the labels as chips in their colour (`colors` as for `list_rows`). Text repeated down
    the page (statuses, people, labels) is escaped once, the clock and zone read once."""
    now, zone = clock.now(), timezone.get_current_timezone()
    today = now.astimezone(zone).date()
    base, seen = escape(issue_base()), _Escaped()
    ctx = {"colors": colors}
    html = []
    for issue in issues:
        key = escape(issue["key"])
        extra = ' <span class="badge blocked">Blocked</span>' if issue.get("blocked") else ""
        if issue["confidential"]:
            extra = ' <span class="confidential" title="Confidential">● confidential</span>' + extra
        extra += "".join(
            f' <span class="chip" data-chip="{_color(ctx, issue, name)}">{seen[name]}</span>'
            for name in issue["labels"]
        )
        category, priority = issue["status_category"], seen[issue["priority"]]
        html.append(
            f'<tr data-nav-item data-key="{key}"><td class="key">{key}</td>'
            f'<td><a data-open href="{base}{key}">{escape(issue["title"])}</a>{extra}</td>'
            f'<td><span class="pill {status_class(category)}">{seen[issue["status"]]}</span></td>'
            f'<td class="prio-{priority}">{priority}</td>'
            f'<td class="opt">{seen[issue["assignee"] or "—"]}</td>'
            f'<td class="opt">{due_date(issue["due_date"], today, category == "done")}</td>'
            f'<td class="opt small muted">{ago(issue["updated_at"], now, zone)}</td></tr>\n'
        )
    return mark_safe("".join(html))  # noqa: S308 - every value above is escaped
