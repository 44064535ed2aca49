"""My work: what needs the signed-in person's attention."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from docket.accounts.middleware import actor_of
from docket.issues.facets import label_colors
from docket.issues.links import mark_blocked
from docket.issues.queries import IssueFilter, list_issues
from docket.web.list_rows import work_rows
from docket.web.views.common import page, web_view
from docket.web.views.tables import table

SECTIONS = [
    ("overdue", "Overdue", "assignee:@me is:open due:<today sort:due"),
    ("assigned", "Assigned to me", "assignee:@me is:open sort:priority-desc,updated-desc"),
    ("reported", "Reported by me", "reporter:@me is:open sort:updated-desc"),
    ("watching", "Watching", "watcher:@me is:open sort:updated-desc"),
]
PER_SECTION = 25


@web_view()
def my_work(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    found = [
        list_issues(actor, IssueFilter(projects=[]), query=query, limit=PER_SECTION)
        for _, _, query in SECTIONS
    ]
    shown = [issue for issues, _ in found for issue in issues]
    mark_blocked(actor, shown)  # the Blocked badges of all four tables in one lookup
    colors = label_colors({(i["project"], name) for i in shown for name in i["labels"]})
    sections = [
        {
            "slug": slug,
            "title": title,
            "query": query,
            "more": more,
            "rows": work_rows(issues, colors),
            **table(issues),
        }
        for (slug, title, query), (issues, more) in zip(SECTIONS, found, strict=True)
    ]
    return page(request, "web/home.html", {"nav": "home", "sections": sections})
