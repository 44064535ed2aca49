"""Saved filters: actions (create, change, delete) and the reads that respect who may see them.

A personal filter belongs to its owner alone. A shared filter belongs to a project: everyone
who can see the project can see and run it; members create them; the owner or a project
admin may change or delete them. Running a filter always goes through the permission gate.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet

from docket.accounts.actor import Who, account_of
from docket.core.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from docket.core.rows import one_or_none
from docket.issues.models import SavedFilter
from docket.issues.queries import IssueFilter, list_issues
from docket.issues.query_fields import check_issue_query
from docket.projects.access import Perm, get_project_for, permissions_in, visible_projects
from docket.projects.models import Project


def _signed_in(actor: Who) -> None:
    if not actor.is_authenticated:
        raise Unauthenticated("sign in to use saved filters")


def visible_filters(user: Who) -> QuerySet[SavedFilter]:
    if not user.is_authenticated:
        return SavedFilter.objects.none()
    return SavedFilter.objects.select_related("project", "owner").filter(
        Q(project__isnull=True, owner_id=user.id) | Q(project__in=visible_projects(user))
    )


SIDEBAR_SCAN = 500  # filters read for a sidebar; each group then shows up to `per_group`


def sidebar_filters(
    user: Who, project: Project | None, per_group: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(personal, shared) filters for a list page's sidebar, as plain rows (id, name, query,
    owner_id, project__key), in one query: the caller's own, and the shared ones of
    `project` (which the caller can see) or, without one, of every project they can see."""
    if not user.is_authenticated:
        return [], []
    shared = Q(project=project) if project else Q(project__in=visible_projects(user))
    rows = (
        SavedFilter.objects.filter(Q(project__isnull=True, owner_id=user.id) | shared)
        .order_by(F("project__key").asc(nulls_first=True), "name", "id")
        .values("id", "name", "query", "owner_id", "project__key")[:SIDEBAR_SCAN]
    )
    personal: list[dict[str, Any]] = []
    shared_rows: list[dict[str, Any]] = []
    for row in rows:
        (shared_rows if row["project__key"] else personal).append(dict(row))
    return personal[:per_group], shared_rows[:per_group]


def get_filter_for(user: Who, filter_id: int) -> SavedFilter:
    found = one_or_none(visible_filters(user).filter(id=filter_id))
    if found is None:
        raise NotFound(f"no saved filter {filter_id}")
    return found


def _check_query(query: str, actor: Who) -> str:
    check_issue_query(query, actor)  # raises QueryError (400, with position) for a bad query
    return query


def _save(saved: SavedFilter) -> SavedFilter:
    try:
        with transaction.atomic():
            saved.save()
    except IntegrityError:
        raise Conflict(
            f"a filter named {saved.name!r} already exists there",
            errors=[{"field": "name", "message": "already taken"}],
        ) from None
    return saved


@transaction.atomic
def create_filter(
    *, actor: Who, name: str, query: str, project_key: str | None = None
) -> SavedFilter:
    _signed_in(actor)
    project = None
    if project_key:
        project = get_project_for(actor, project_key, Perm.EDIT_ISSUE)
    name = name.strip()
    if not name:
        raise Invalid.field("name", "must not be empty")
    return _save(
        SavedFilter(
            owner=account_of(actor), project=project, name=name, query=_check_query(query, actor)
        )
    )


def _may_change(actor: Who, saved: SavedFilter) -> None:
    if saved.owner_id == actor.id:
        return
    if saved.project is None or Perm.MANAGE_PROJECT not in permissions_in(actor, saved.project):
        raise Forbidden("only its owner or a project admin can change this filter")


@transaction.atomic
def update_filter(*, actor: Who, saved: SavedFilter, changes: dict[str, Any]) -> SavedFilter:
    _signed_in(actor)
    _may_change(actor, saved)
    if "name" in changes:
        saved.name = changes["name"].strip()
        if not saved.name:
            raise Invalid.field("name", "must not be empty")
    if "query" in changes:
        saved.query = _check_query(changes["query"], actor)
    return _save(saved)


@transaction.atomic
def delete_filter(*, actor: Who, saved: SavedFilter) -> None:
    _signed_in(actor)
    _may_change(actor, saved)
    saved.delete()


def run_filter(
    user: Who, saved: SavedFilter, *, cursor: str | None = None, limit: int = 50
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the filter's issues (API-shaped), with the caller's own permissions; a
    shared filter only ever looks inside its project."""
    scope = IssueFilter(projects=[saved.project.key] if saved.project else [])
    return list_issues(user, scope, query=saved.query, cursor=cursor, limit=limit)
