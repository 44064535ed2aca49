"""The pages' template engine: Jinja2, through Django's own Jinja2 backend.

Why not Django's template language: on the issue page it spent ~5 ms of a 13 ms request
(100,000 issues), resolving every variable through a chain of lookups and rendering each
`{% include %}` anew; Jinja2 compiles a template to Python once. Django's admin keeps Django
templates (settings.TEMPLATES lists both engines; the pages live in web/jinja2/).

What the templates get besides their context (see docs/web.md, "Templates"):
- `request`, `csrf_input`, `csrf_token` (Django's backend), `user`, `messages` (the
  context processors in settings), `url(name, *args)`, `static(path)`;
- filters `markdown` (sanitised HTML, references resolved for the signed-in reader),
  `date(format)` (Django's format characters, in the
  current time zone), `capfirst`, `pluralize`, `status_class`, `ago` (a relative <time>);
- the look (web/look.py): `avatar(user)`, `icon(name)`, `type_icon(type)`, `theme_class(request)`.
Values are escaped unless marked safe (Django's SafeString counts as safe).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import jinja2
from django.middleware.csrf import get_token
from django.template.backends.jinja2 import Jinja2, Template
from django.template.backends.utils import csrf_input
from django.test.signals import template_rendered
from django.urls import get_script_prefix, reverse
from django.utils import dateformat, timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst

from docket.accounts.middleware import actor_of
from docket.core import markdown as markdown_renderer
from docket.issues.references import render_for
from docket.live.changes import newest_event_id
from docket.notifications.queries import unread_count
from docket.projects.access import Perm, permissions_in
from docket.web.look import ago, avatar, icon, static, theme_class, theme_of, type_icon
from docket.web.markup import card_sla_now, issue_rows, kanban_cards, status_class


def url(name: str, *args: Any) -> str:
    return _reversed(name, args, get_script_prefix())


@functools.lru_cache(maxsize=4096)
def _reversed(name: str, args: tuple[Any, ...], prefix: str) -> str:
    """URLs are fixed once the process has started: an issue page asks for ~40, and reversing
    each again was ~15% of the page's time (bench/page_times.py)."""
    return reverse(name, args=args or None)


@jinja2.pass_context
def markdown(context: jinja2.runtime.Context, text: str | None) -> SafeString:
    """User text rendered by core/markdown.py, which sanitises with nh3 (no script survives),
    with @mentions and issue keys as links for the page's reader (issues/references.py)."""
    reader = getattr(context.get("request"), "actor", None)  # ActorMiddleware's
    if reader is None:  # no reader: references stay text
        return mark_safe(markdown_renderer.render(text or ""))  # noqa: S308 - sanitised by nh3
    return mark_safe(render_for(reader, text or ""))  # noqa: S308 - sanitised by nh3


def inbox_count(request: Any) -> int:
    """The top bar's unread count (base.html; signed-in pages only)."""
    return unread_count(actor_of(request))


def date_format(value: date | datetime | None, format_string: str = "Y-m-d") -> str:
    """Django's `date` filter: its format characters, an aware time in the current zone.
    The two formats the pages use are written directly (Django's formatter: ~25 µs a call)."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    if format_string == "Y-m-d":
        return f"{value.year:04}-{value.month:02}-{value.day:02}"
    if format_string == "Y-m-d H:i" and isinstance(value, datetime):
        return f"{value.year:04}-{value.month:02}-{value.day:02} {value.hour:02}:{value.minute:02}"
    return dateformat.format(value, format_string)


def manages(request: Any, project: Any) -> bool:
    """Whether the page's reader may change `project`'s settings (its admins, site admins)."""
    return Perm.MANAGE_PROJECT in permissions_in(actor_of(request), project)


def pluralize(count: Any, suffix: str = "s") -> str:
    """The suffix unless `count` (a number, or something with a length) is exactly one."""
    if not isinstance(count, int | float):
        count = len(count)
    return "" if count == 1 else suffix


def environment(**options: Any) -> jinja2.Environment:
    options.pop("autoescape", None)
    env = jinja2.Environment(autoescape=True, **options)  # always on, whatever the settings say
    env.globals.update(url=url, static=static, live_after=newest_event_id, inbox_count=inbox_count)
    env.globals["issue_rows"] = issue_rows  # web/partials/issue_table.html (Python: speed)
    env.globals["kanban_cards"] = kanban_cards  # web/board/board_region.html (Python: speed)
    env.globals["card_sla"] = card_sla_now  # web/board/card.html's SLA badge
    env.globals["manages"] = manages  # the "Settings" link of a project's pages
    # The shared look (web/look.py; docs/web.md, "The look")
    env.globals.update(
        avatar=avatar, icon=icon, type_icon=type_icon, theme_class=theme_class, theme_of=theme_of
    )
    env.filters.update(
        markdown=markdown,
        date=date_format,
        capfirst=capfirst,
        pluralize=pluralize,
        status_class=status_class,
        ago=ago,
    )
    return env


class Pages(Jinja2):
    """Django's Jinja2 backend, with two changes:
    - the CSRF token is masked once per page (Django's lazy value masks it anew on every use:
      ~40 µs each, ~20 uses on an issue page) and still only if the page uses it, so a page
      without a form sets no CSRF cookie;
    - it tells `template_rendered` listeners (the test client's `response.context`,
      debugging tools) what it rendered, as Django's own engine does."""

    def get_template(self, template_name: str) -> Any:
        return _Page(super().get_template(template_name))

    def from_string(self, template_code: str) -> Any:
        return _Page(super().from_string(template_code))


class _Page:
    def __init__(self, template: Template):
        self.template = template
        self.origin = template.origin
        self.name = template.template.name

    def render(self, context: dict[str, Any] | None = None, request: Any = None) -> str:
        context = {} if context is None else context
        if request is not None:
            context["request"] = request
            context["csrf_input"] = _Once(lambda: csrf_input(request))
            context["csrf_token"] = _Once(lambda: get_token(request))
            for processor in self.template.backend.template_context_processors:
                context.update(processor(request))
        html = self.template.template.render(context)
        if template_rendered.receivers:
            template_rendered.send(sender=self, template=self, context=context)
        return html


class _Once:
    """Text worked out the first time a page prints it, then kept (markup: not escaped)."""

    def __init__(self, make: Callable[[], str]):
        self._make = make
        self._text: str | None = None

    def __str__(self) -> str:
        if self._text is None:
            self._text = str(self._make())
        return self._text

    __html__ = __str__
