"""Connected repositories (project admins) under /projects/{key}/repositories, their delivery
log, and the address forges deliver to, POST /hooks/vcs/{hook_id}: no session or token there —
the signature over the body is the credential (receive.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from docket.accounts.actor import Who
from docket.accounts.api_auth import ApiRequest
from docket.core.errors import NotFound
from docket.core.http import PayloadTooLarge
from docket.integrations.vcs import actions, receive
from docket.integrations.vcs.models import Delivery, Repository
from docket.projects.access import get_project_for

router = Router(tags=["vcs"])
MAX_ID = 2**63 - 1
HOOK_PATH = "/api/v1/hooks/vcs/{}"


class RepositoryIn(Schema):
    """A repository connection's fields; on PATCH only those sent change."""

    model_config = ConfigDict(extra="forbid", strict=True)
    provider: str | None = Field(None, description="github, gitlab or gitea (Forgejo, Gogs)")
    full_name: str | None = Field(None, max_length=200, examples=["acme/web"])
    default_branch: str | None = Field(None, max_length=200, examples=["main"])
    web_url: str | None = Field(
        None, max_length=500, description="Base for links, e.g. https://github.com/acme/web"
    )
    secret: str | None = Field(
        None, description="8-200 characters; made for you if left out (shown once)"
    )


class RepositoryOut(Schema):
    id: int
    project: str
    provider: str
    full_name: str
    default_branch: str
    web_url: str
    delivery_url: str = Field(description="Where the forge delivers (keep it to admins)")
    created_at: dt.datetime
    updated_at: dt.datetime


class ConnectedOut(RepositoryOut):
    secret: str = Field(description="Shown this once: give it to the forge's webhook settings")


class DeliveryOut(Schema):
    id: int
    delivery_id: str
    event: str
    outcome: str = Field(description="processed, ignored or ping")
    detail: str
    linked: int
    closed: int
    received_at: dt.datetime


class DeliveryAnswer(Schema):
    status: str = Field(description="processed, ok (ping), ignored or already processed")
    detail: str | None = None
    event: str | None = None
    linked: int | None = Field(None, description="Links made or updated")
    closed: int | None = Field(None, description="Issues moved to a done state")
    delivery: str | None = Field(None, description="The delivery's id (a redelivery)")


# The body is the forge's payload, read raw (the signature covers its exact bytes).
RAW_JSON_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


class Limit(Schema):
    limit: int = Field(50, ge=1, le=500)


def repository_out(request: HttpRequest, repository: Repository) -> dict[str, Any]:
    return {
        "id": repository.id, "project": repository.project.key,
        "provider": repository.provider, "full_name": repository.full_name,
        "default_branch": repository.default_branch, "web_url": repository.web_url,
        "delivery_url": request.build_absolute_uri(HOOK_PATH.format(repository.hook_id)),
        "created_at": repository.created_at, "updated_at": repository.updated_at,
    }  # fmt: skip


def _repository(actor: Who, key: str, repository_id: int) -> Repository:
    project = get_project_for(actor, key)
    actions.may_manage(actor, project)
    found = (
        Repository.objects.filter(project=project, pk=repository_id)
        .select_related("project")
        .first()
        if 0 < repository_id <= MAX_ID
        else None
    )
    if found is None:
        raise NotFound(f"no repository connection {repository_id}")
    return found


@router.get(
    "/projects/{key}/repositories",
    response=list[RepositoryOut],
    summary="The project's connected repositories (project admins)",
)
def list_repositories(request: ApiRequest, key: str) -> Any:
    project = get_project_for(request.auth, key)
    actions.may_manage(request.auth, project)
    found = Repository.objects.filter(project=project).select_related("project").order_by("id")
    return [repository_out(request, r) for r in found]


@router.post(
    "/projects/{key}/repositories",
    response={201: ConnectedOut},
    summary="Connect a repository (project admins); the secret is shown this once",
)
def connect_repository(request: ApiRequest, key: str, payload: RepositoryIn) -> Any:
    project = get_project_for(request.auth, key)
    data = payload.dict(exclude_unset=True)
    repository, secret = actions.connect(actor=request.auth, project=project, data=data)
    return Status(201, {**repository_out(request, repository), "secret": secret})


@router.get(
    "/projects/{key}/repositories/{repository_id}",
    response=RepositoryOut,
    summary="One connected repository",
)
def get_repository(request: ApiRequest, key: str, repository_id: int) -> Any:
    return repository_out(request, _repository(request.auth, key, repository_id))


@router.patch(
    "/projects/{key}/repositories/{repository_id}",
    response=RepositoryOut,
    summary="Change a connection (a new secret is taken, never shown back)",
)
def change_repository(
    request: ApiRequest, key: str, repository_id: int, payload: RepositoryIn
) -> Any:
    repository = _repository(request.auth, key, repository_id)
    data = payload.dict(exclude_unset=True)
    return repository_out(
        request, actions.change(actor=request.auth, repository=repository, data=data)
    )


@router.delete(
    "/projects/{key}/repositories/{repository_id}",
    response={204: None},
    summary="Disconnect a repository (its links go; the issues' history stays)",
)
def disconnect_repository(request: ApiRequest, key: str, repository_id: int) -> Any:
    actions.disconnect(actor=request.auth, repository=_repository(request.auth, key, repository_id))
    return Status(204, None)


@router.get(
    "/projects/{key}/repositories/{repository_id}/deliveries",
    response=list[DeliveryOut],
    summary="The repository's delivery log, newest first",
)
def list_deliveries(request: ApiRequest, key: str, repository_id: int, q: Query[Limit]) -> Any:
    repository = _repository(request.auth, key, repository_id)
    return list(Delivery.objects.filter(repository=repository).order_by("-id")[: q.limit])


@router.post(
    "/hooks/vcs/{hook_id}",
    auth=None,
    response=DeliveryAnswer,
    openapi_extra=RAW_JSON_BODY,
    summary="A forge's delivery (push, pull/merge request, ping), verified by its signature",
)
def deliver(request: HttpRequest, hook_id: str) -> Any:
    try:
        body = request.body
    except RequestDataTooBig:
        raise PayloadTooLarge("the delivery is larger than this server accepts") from None
    answer = receive.receive(hook_id, request.headers, body, request.content_type or "")
    return JsonResponse(answer.body, status=answer.status)
