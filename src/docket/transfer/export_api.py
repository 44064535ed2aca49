"""Exports over the API: a project, or any query's result, as CSV or JSON Lines, streamed.

`GET /projects/{key}/export` and `GET /export/issues` (every visible project, or `project=`);
both take `format=csv|json`, `q=` (the query language, as `GET /issues`) and, for CSV,
`columns=`. What the caller cannot see is never in it (transfer/export.py).
"""

from __future__ import annotations

from typing import Any

from ninja import Query, Router, Schema
from pydantic import Field

from docket.accounts.api_auth import ApiRequest
from docket.query import MAX_LENGTH
from docket.transfer.export import asked, select, streaming_response

router = Router(tags=["export"])

FORMAT_HELP = "csv (default) or json (JSON Lines that `docket import` reads)"
COLUMNS_HELP = "CSV columns, comma-separated, in order (default: the usual fields)"


class ExportParams(Schema):
    format: str | None = Field(None, max_length=10, description=FORMAT_HELP)
    q: str = Field("", max_length=MAX_LENGTH, description="A query, as on GET /issues")
    sort: str | None = Field(None, max_length=40, description="As on GET /issues (CSV rows)")
    columns: str | None = Field(None, max_length=1000, description=COLUMNS_HELP)


class IssuesExportParams(ExportParams):
    project: str | None = Field(None, max_length=10, description="One project's key")


@router.get(
    "/projects/{key}/export",
    summary="Export a project's issues you can see (CSV or JSON Lines, streamed)",
    response={200: None},
)
def export_project(request: ApiRequest, key: str, params: Query[ExportParams]) -> Any:
    export = asked(params.format, params.columns, key)
    selection = select(request.auth, project=key, query=params.q, sort=params.sort)
    return streaming_response(request, request.auth, selection, export)


@router.get(
    "/export/issues",
    summary="Export the issues a query finds (CSV or JSON Lines, streamed)",
    response={200: None},
)
def export_issues(request: ApiRequest, params: Query[IssuesExportParams]) -> Any:
    export = asked(params.format, params.columns, params.project)
    selection = select(request.auth, project=params.project, query=params.q, sort=params.sort)
    return streaming_response(request, request.auth, selection, export)
