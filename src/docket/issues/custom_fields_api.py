"""A project's custom field definitions (docs/api.md, "Custom fields"): anyone who can see the
project lists them; project admins add, change and delete them (audited)."""

from __future__ import annotations

from typing import Any

from ninja import Router, Schema, Status
from pydantic import Field

from docket.accounts.api_auth import ApiRequest
from docket.issues import custom_fields
from docket.issues.models import CustomField
from docket.issues.schemas import StrictIn
from docket.projects.access import Perm, get_project_for

router = Router(tags=["custom fields"])


class FieldOut(Schema):
    name: str
    label: str
    type: str
    options: list[str]
    required: bool
    position: int


class FieldIn(StrictIn):
    name: str = Field(max_length=27, description="lower-case letters, digits, _; `cf.<name>`")
    type: str = Field(description=f"One of: {', '.join(custom_fields.TYPES)}")
    label: str = Field(default=None, max_length=100)  # type: ignore[assignment]
    options: list[str] = Field(default=None, max_length=100)  # type: ignore[arg-type]
    required: bool = False
    position: int = 0


class FieldChange(StrictIn):
    label: str = Field(default=None, max_length=100)  # type: ignore[assignment]
    options: list[str] = Field(default=None, max_length=100)  # type: ignore[arg-type]
    required: bool = None  # type: ignore[assignment]
    position: int = None  # type: ignore[assignment]


def _out(field: CustomField) -> dict[str, Any]:
    return custom_fields.definition_out(field)


@router.get("/projects/{key}/fields", response=list[FieldOut], summary="List custom fields")
def list_fields(request: ApiRequest, key: str) -> Any:
    project = get_project_for(request.auth, key, Perm.VIEW)
    return [_out(f) for f in custom_fields.project_fields(project)]


@router.post("/projects/{key}/fields", response={201: FieldOut}, summary="Add a custom field")
def add_field(request: ApiRequest, key: str, payload: FieldIn) -> Any:
    project = get_project_for(request.auth, key, Perm.VIEW)
    values = payload.model_dump(exclude_none=True)
    field = custom_fields.define(actor=request.auth, project=project, values=values)
    return Status(201, _out(field))


@router.patch("/projects/{key}/fields/{name}", response=FieldOut, summary="Change a custom field")
def change_field(request: ApiRequest, key: str, name: str, payload: FieldChange) -> Any:
    project = get_project_for(request.auth, key, Perm.VIEW)
    values = payload.model_dump(exclude_unset=True)
    field = custom_fields.redefine(actor=request.auth, project=project, name=name, values=values)
    return _out(field)


@router.delete(
    "/projects/{key}/fields/{name}", response={204: None}, summary="Delete a custom field"
)
def delete_field(request: ApiRequest, key: str, name: str) -> Any:
    project = get_project_for(request.auth, key, Perm.VIEW)
    custom_fields.remove(actor=request.auth, project=project, name=name)
    return Status(204, None)
