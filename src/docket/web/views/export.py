"""Exports as downloads from the pages: the issue list's "Export" links.

The same streamed export as the API (transfer/export.py), for the signed-in session: the
list's own query (`q=`), and `format=csv|json`, `columns=`. A bad query or parameter is an
error page naming it (400); a project the viewer cannot see is a 404, as its list is.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from docket.accounts.middleware import actor_of
from docket.query import MAX_LENGTH
from docket.transfer.export import asked, select, streaming_response
from docket.web.views.common import web_view


@web_view()
@require_GET
def export_issues(request: HttpRequest) -> HttpResponse:
    return _export(request, None)


@web_view()
@require_GET
def export_project(request: HttpRequest, project_key: str) -> HttpResponse:
    return _export(request, project_key)


def _export(request: HttpRequest, project_key: str | None) -> HttpResponse:
    actor = actor_of(request)
    params = request.GET
    export = asked(params.get("format"), params.get("columns", "")[:1000], project_key)
    query, sort = params.get("q", "")[:MAX_LENGTH], params.get("sort", "").strip()[:40]
    selection = select(actor, project=project_key, query=query, sort=sort or None)
    return streaming_response(request, actor, selection, export)  # type: ignore[return-value]
