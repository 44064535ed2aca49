"""My work: what needs the signed-in person's attention."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from docket.accounts.middleware import actor_of
from docket.web.views.common import page, web_view
from docket.web.views.tables import run_query, table

SECTIONS = [
    ("overdue", "Overdue", "assignee:@me is:open due:<today sort:due"),
    ("assigned", "Assigned to me", "assignee:@me is:open sort:priority-desc,updated-desc"),
    ("reported", "Reported by me", "reporter:@me is:open sort:updated-desc"),
    ("watching", "Watching", "watcher:@me is:open sort:updated-desc"),
]
PER_SECTION = 25


@web_view()
def my_work(request: HttpRequest) -> HttpResponse:
    sections = []
    for slug, title, query in SECTIONS:
        issues, more = run_query(actor_of(request), query, limit=PER_SECTION)
        sections.append(
            {"slug": slug, "title": title, "query": query, "more": more, **table(issues)}
        )
    return page(request, "web/home.html", {"nav": "home", "sections": sections})
