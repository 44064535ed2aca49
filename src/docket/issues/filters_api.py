"""Saved filter endpoints: personal and shared (per project) named queries, and running them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from docket.accounts.api_auth import ApiRequest
from docket.issues import custom_fields, saved_filters
from docket.issues.api import PageParams
from docket.issues.models import SavedFilter
from docket.issues.schemas import IssuePage

router = Router(tags=["saved filters"])


class FilterIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: str = Field(min_length=1, max_length=100)
    query: str = Field(max_length=2000)
    project: str | None = Field(
        default=None, max_length=10, description="Share with this project (members may create)"
    )


class FilterUpdate(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: str = Field(default=None, min_length=1, max_length=100)  # type: ignore[assignment]
    query: str = Field(default=None, max_length=2000)  # type: ignore[assignment]


class FilterOut(Schema):
    id: int
    name: str
    query: str
    project: str | None
    owner: str
    shared: bool
    created_at: datetime
    updated_at: datetime


def filter_out(saved: SavedFilter) -> dict[str, Any]:
    return {
        "id": saved.id,
        "name": saved.name,
        "query": saved.query,
        "project": saved.project.key if saved.project else None,
        "owner": saved.owner.username,
        "shared": saved.shared,
        "created_at": saved.created_at,
        "updated_at": saved.updated_at,
    }


@router.get(
    "/filters", response=list[FilterOut], summary="Your filters and shared ones you can see"
)
def list_filters(request: ApiRequest) -> Any:
    return [filter_out(f) for f in saved_filters.visible_filters(request.auth)]


@router.post("/filters", response={201: FilterOut}, summary="Save a filter")
def create_filter(request: ApiRequest, payload: FilterIn) -> Any:
    saved = saved_filters.create_filter(
        actor=request.auth, name=payload.name, query=payload.query, project_key=payload.project
    )
    return Status(201, filter_out(saved))


@router.get("/filters/{filter_id}", response=FilterOut)
def get_filter(request: ApiRequest, filter_id: int) -> Any:
    return filter_out(saved_filters.get_filter_for(request.auth, filter_id))


@router.patch("/filters/{filter_id}", response=FilterOut)
def update_filter(request: ApiRequest, filter_id: int, payload: FilterUpdate) -> Any:
    saved = saved_filters.get_filter_for(request.auth, filter_id)
    changes = payload.model_dump(exclude_unset=True)
    return filter_out(saved_filters.update_filter(actor=request.auth, saved=saved, changes=changes))


@router.delete("/filters/{filter_id}", response={204: None})
def delete_filter(request: ApiRequest, filter_id: int) -> Any:
    saved = saved_filters.get_filter_for(request.auth, filter_id)
    saved_filters.delete_filter(actor=request.auth, saved=saved)
    return Status(204, None)


@router.get("/filters/{filter_id}/issues", response=IssuePage, summary="Run a saved filter")
def run_filter(request: ApiRequest, filter_id: int, params: Query[PageParams]) -> Any:
    saved = saved_filters.get_filter_for(request.auth, filter_id)
    page, next_cursor = saved_filters.run_filter(
        request.auth, saved, cursor=params.cursor, limit=params.limit
    )
    custom_fields.add_to_rows(request.auth, page)
    return {"items": page, "next_cursor": next_cursor}
