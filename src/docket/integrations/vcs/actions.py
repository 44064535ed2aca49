"""Connecting repositories to a project (its admins), each change in the audit log. The secret
is never written to the log or returned after creation: the log says only that it changed."""

from __future__ import annotations

import re
import secrets
from typing import Any

from django.db import IntegrityError, transaction

from docket.accounts.actor import Who, account_of
from docket.audit.log import record as audit
from docket.core.clock import now
from docket.core.errors import Conflict, Invalid
from docket.integrations.vcs.models import Provider, Repository
from docket.projects.access import Perm, require
from docket.projects.models import Project

FIELDS = ("provider", "full_name", "default_branch", "web_url", "secret")
FULL_NAME = re.compile(r"[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+")
BRANCH = re.compile(r"[^\s~^:?*\[\\\x00-\x1f\x7f]+")
MIN_SECRET, MAX_SECRET = 8, 200


def _text(data: dict[str, Any], name: str, limit: int) -> str:
    value = data.get(name)
    if not isinstance(value, str):
        raise Invalid.field(name, "must be text")
    value = value.strip()
    if len(value) > limit:
        raise Invalid.field(name, f"must be at most {limit} characters")
    return value


def _clean(data: dict[str, Any], partial: bool) -> dict[str, Any]:
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise Invalid.field(unknown[0], "is not a field of a repository connection")
    out: dict[str, Any] = {}
    if "provider" in data or not partial:
        if data.get("provider") not in Provider.values:
            raise Invalid.field("provider", "must be github, gitlab or gitea (also Forgejo, Gogs)")
        out["provider"] = data["provider"]
    if "full_name" in data or not partial:
        name = _text(data, "full_name", 200).strip("/")
        if not FULL_NAME.fullmatch(name):
            raise Invalid.field("full_name", "must be owner/name as the forge shows it")
        out["full_name"] = name
    if "default_branch" in data:
        branch = _text(data, "default_branch", 200)
        if not BRANCH.fullmatch(branch):
            raise Invalid.field("default_branch", "must be a branch name (e.g. main)")
        out["default_branch"] = branch
    if "web_url" in data:
        url = _text(data, "web_url", 500)
        if url and not re.fullmatch(r"https?://[^\s<>\"']+", url):
            raise Invalid.field("web_url", "must be an http(s) address, or empty")
        out["web_url"] = url.rstrip("/")
    if data.get("secret") is not None:
        secret = data["secret"]
        if not isinstance(secret, str) or not MIN_SECRET <= len(secret) <= MAX_SECRET:
            raise Invalid.field("secret", f"must be {MIN_SECRET}-{MAX_SECRET} characters")
        if not secret.isprintable() or secret != secret.strip():
            # Forges and proxies trim header values: a secret with outer spaces never matches.
            raise Invalid.field("secret", "must be printable, without spaces at either end")
        out["secret"] = secret
    return out


def _described(repository: Repository) -> dict[str, Any]:
    return {
        "provider": repository.provider, "full_name": repository.full_name,
        "default_branch": repository.default_branch, "web_url": repository.web_url,
    }  # fmt: skip


def may_manage(actor: Who, project: Project) -> None:
    require(actor, project, Perm.MANAGE_PROJECT)


def _saved(repository: Repository) -> None:
    try:
        with transaction.atomic():
            repository.save()
    except IntegrityError:
        raise Conflict(
            f"{repository.full_name} is already connected to {repository.project.key}"
        ) from None


@transaction.atomic
def connect(*, actor: Who, project: Project, data: dict[str, Any]) -> tuple[Repository, str]:
    """Connect a repository; the secret (given, or made here) is returned this once."""
    may_manage(actor, project)
    values = _clean(data, partial=False)
    values.setdefault("secret", secrets.token_urlsafe(32))
    moment = now()
    repository = Repository(
        project=project, hook_id=secrets.token_urlsafe(24), created_by=account_of(actor),
        created_at=moment, updated_at=moment, **values,
    )  # fmt: skip
    _saved(repository)
    audit(actor, "repository.connected", project=project, target=f"repository {repository.id}",
          **_described(repository))  # fmt: skip
    return repository, values["secret"]


@transaction.atomic
def change(*, actor: Who, repository: Repository, data: dict[str, Any]) -> Repository:
    may_manage(actor, repository.project)
    values = _clean(data, partial=True)
    before = _described(repository)
    for name, value in values.items():
        setattr(repository, name, value)
    repository.updated_at = now()
    _saved(repository)
    after = _described(repository)
    changed: dict[str, Any] = {
        k: {"old": before[k], "new": after[k]} for k in after if before[k] != after[k]
    }
    if "secret" in values:
        changed["secret"] = "changed"  # noqa: S105 - never its value
    audit(actor, "repository.changed", project=repository.project,
          target=f"repository {repository.id}", full_name=repository.full_name,
          changes=changed)  # fmt: skip
    return repository


def new_secret(*, actor: Who, repository: Repository) -> str:
    """Replace the secret with a fresh one; returned this once (audited as changed)."""
    secret = secrets.token_urlsafe(32)
    change(actor=actor, repository=repository, data={"secret": secret})
    return secret


@transaction.atomic
def disconnect(*, actor: Who, repository: Repository) -> None:
    """Forget the connection, its deliveries and its links (issues keep their history)."""
    may_manage(actor, repository.project)
    audit(actor, "repository.disconnected", project=repository.project,
          target=f"repository {repository.id}", **_described(repository))  # fmt: skip
    repository.delete()
