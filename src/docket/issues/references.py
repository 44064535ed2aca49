"""Descriptions and comments rendered for one reader: core/markdown.py renders the text and
finds its references; this resolves them for the reader.

- `@name` is a link when an active user has that username: to the issues assigned to them
  (Docket has no page per person);
- an issue key is a link, titled with the issue's title, only when the reader may see that
  issue (`visible_issues`): otherwise it stays text, so a hidden issue's title never shows
  and a link never tells that it exists.

One query for the people and one for the issues, however many texts (a page of comments) and
references there are; none when there are no references.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from functools import reduce
from operator import or_
from urllib.parse import quote

from django.db.models import Q
from django.urls import reverse

from docket.accounts.actor import Who
from docket.accounts.models import User
from docket.core import markdown
from docket.core.markdown import Link, References, Resolver
from docket.issues.access import visible_issues
from docket.projects.access import known_people


def person_link(username: str) -> Link:
    query = quote(f'assignee:"{username}"')
    return Link(f"{reverse('web:issues')}?q={query}", f"Issues assigned to {username}")


def issue_link(key: str, title: str) -> Link:
    return Link(reverse("web:issue", args=[key]), title)


def _people(reader: Who, names: set[str]) -> dict[str, Link]:
    """Links for the named people `reader` may know of (projects.access.known_people): a
    desk's customer writing `@someone` cannot learn from the preview that another customer
    of the desk has that name."""
    if not names:
        return {}
    found = User.objects.filter(known_people(reader), username__in=names, is_active=True)
    names_found = found.values_list("username", flat=True).distinct()
    return {name: person_link(name) for name in names_found}


def _issues(reader: Who, keys: set[str]) -> dict[str, Link]:
    """Links to the issues among `keys` that `reader` may see: one query, one condition per
    project named (`project = P AND number IN (…)`), not one per key."""
    numbers: dict[str, list[int]] = defaultdict(list)
    for key in keys:
        project, number = key.rsplit("-", 1)
        numbers[project].append(int(number))
    if not numbers:
        return {}
    wanted = reduce(or_, (Q(project__key=p, number__in=n) for p, n in numbers.items()))
    rows = visible_issues(reader).filter(wanted).values_list("project__key", "number", "title")
    return {f"{p}-{n}": issue_link(f"{p}-{n}", title) for p, n, title in rows}


def resolver_for(reader: Who) -> Resolver:
    """How `reader` sees references (core/markdown.Resolver)."""

    def resolve(names: set[str], keys: set[str]) -> References:
        return References(people=_people(reader, names), issues=_issues(reader, keys))

    return resolve


def render_for(reader: Who, text: str, *, until: float | None = None) -> str:
    """One description or comment as `reader` sees it: sanitised HTML (core/markdown.py)."""
    return markdown.render(text, until=until, resolve=resolver_for(reader))


def render_all_for(reader: Who, texts: Sequence[str], *, until: float | None = None) -> list[str]:
    """Several texts for `reader`, their references resolved together (a page of comments)."""
    return markdown.render_many(texts, until=until, resolve=resolver_for(reader))
