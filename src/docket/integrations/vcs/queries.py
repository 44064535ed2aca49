"""Reads for pages: an issue's linked commits and pull requests (the issue page's
"Development" section), in one query (the page has a fixed query budget). The caller has
passed the issue gate."""

from __future__ import annotations

from typing import Any

from django.db.models import BooleanField, CharField, Exists, F, Q, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Cast

from docket.accounts.actor import Who
from docket.core.errors import NotFound
from docket.integrations.vcs.actions import may_manage
from docket.integrations.vcs.models import CommitLink, Delivery, PullRequestLink, Repository
from docket.issues.models import Issue
from docket.projects.access import get_project_for
from docket.projects.models import Project

MAX_SHOWN = 100
COLUMNS = ("kind", "ref", "title", "url", "branch", "who", "repo", "landed", "state", "at")


def any_development(issue_id: Combinable) -> Q:
    """Whether a commit or pull request is linked to the issue (an OuterRef)."""
    return Exists(CommitLink.objects.filter(issue_id=issue_id)) | Exists(
        PullRequestLink.objects.filter(issue_id=issue_id)
    )


def development_of(issue: Issue) -> dict[str, list[dict[str, Any]]]:
    """Newest first, at most MAX_SHOWN in all."""
    commits = (
        CommitLink.objects.filter(issue=issue)
        .annotate(
            kind=Value("commit", CharField()), ref=F("sha"), who=F("author_name"),
            repo=F("repository__full_name"), landed=F("on_default_branch"),
            state=Value("", CharField()), at=F("linked_at"),
        )
        .values_list(*COLUMNS)
    )  # fmt: skip
    pulls = (
        PullRequestLink.objects.filter(issue=issue)
        .annotate(
            kind=Value("pull", CharField()), ref=Cast("number", CharField()), who=F("author"),
            repo=F("repository__full_name"), landed=Value(False, BooleanField()),
            at=F("updated_at"),
        )
        .values_list(*COLUMNS)
    )  # fmt: skip
    rows = commits.union(pulls, all=True).order_by("-at")[:MAX_SHOWN]
    shown: dict[str, list[dict[str, Any]]] = {"commits": [], "pull_requests": []}
    for row in rows:
        item = dict(zip(COLUMNS, row, strict=True))
        if item["kind"] == "commit":
            sha = str(item["ref"])
            shown["commits"].append({**item, "sha": sha, "short": sha[:7], "author": item["who"]})
        else:
            shown["pull_requests"].append(
                {**item, "number": int(item["ref"]), "author": item["who"]}
            )
    return shown


__all__ = ["any_development", "development_of"]


def managed_project(actor: Who, key: str) -> Project:
    """The project whose repositories these are: its admins (403/404 by the project gate)."""
    project = get_project_for(actor, key)
    may_manage(actor, project)
    return project


def repositories_of(project: Project) -> list[Repository]:
    return list(Repository.objects.filter(project=project).order_by("full_name"))


def repository_for(actor: Who, key: str, repository_id: int) -> Repository:
    project = managed_project(actor, key)
    found = Repository.objects.filter(project=project, pk=repository_id).first()
    if found is None:
        raise NotFound(f"no repository connection {repository_id}")
    found.project = project
    return found


def deliveries_of(repository: Repository, limit: int = 50) -> list[Delivery]:
    return list(Delivery.objects.filter(repository=repository).order_by("-id")[:limit])
