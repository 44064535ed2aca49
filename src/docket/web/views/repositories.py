"""A project's connected repositories (its admins): the list, connecting one (its delivery
address and secret shown once), and each one's page with its settings, a new secret, its
delivery log and Disconnect. Changes go through docket.integrations.vcs.actions (audited), as
the API's do; setup per forge is in docs/integrations.md."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from docket.accounts.middleware import actor_of
from docket.core.errors import DocketError
from docket.integrations.vcs import actions, queries
from docket.integrations.vcs.api import HOOK_PATH
from docket.integrations.vcs.models import Provider, Repository
from docket.web.views.common import page, web_view

NEW_SECRET = "repository_secret"  # noqa: S105 - the session key of a secret shown once
FIELDS = ("provider", "full_name", "default_branch", "web_url")


def _url(repository: Repository) -> str:
    return reverse("web:repository", args=[repository.project.key, repository.id])


def _form(request: HttpRequest, fields: tuple[str, ...] = FIELDS) -> dict[str, Any]:
    data = {name: request.POST.get(name, "").strip() for name in fields}
    if not data.get("default_branch"):
        data.pop("default_branch", None)
    return data


@web_view()
@require_http_methods(["GET", "POST"])
def project_repositories(request: HttpRequest, project_key: str) -> HttpResponse:
    actor = actor_of(request)
    project = queries.managed_project(actor, project_key)
    error, status, draft = "", 200, {}
    if request.method == "POST":
        try:
            made, secret = actions.connect(actor=actor, project=project, data=_form(request))
        except DocketError as problem:
            error, status, draft = problem.detail, problem.status, _form(request)
        else:
            request.session[NEW_SECRET] = {"repository": made.id, "secret": secret}
            messages.success(request, f"Connected {made.full_name}.")
            return HttpResponseRedirect(_url(made))
    context = {
        "project": project, "repositories": queries.repositories_of(project),
        "providers": Provider.choices, "error": error, "draft": draft,
    }  # fmt: skip
    return page(request, "web/repositories/list.html", context, status)


@web_view()
@require_http_methods(["GET", "POST"])
def repository_detail(request: HttpRequest, project_key: str, repository_id: int) -> HttpResponse:
    actor = actor_of(request)
    repository = queries.repository_for(actor, project_key, repository_id)
    error, status = "", 200
    if request.method == "POST":
        try:
            gone = _change(request, repository)
        except DocketError as problem:
            error, status = problem.detail, problem.status
        else:
            if gone:
                return HttpResponseRedirect(reverse("web:repositories", args=[project_key]))
            return HttpResponseRedirect(_url(repository))
    shown = request.session.pop(NEW_SECRET, None)
    context = {
        "project": repository.project, "repository": repository, "error": error,
        "providers": Provider.choices,
        "secret": shown["secret"] if shown and shown.get("repository") == repository.id else None,
        "delivery_url": request.build_absolute_uri(HOOK_PATH.format(repository.hook_id)),
        "deliveries": queries.deliveries_of(repository),
    }  # fmt: skip
    return page(request, "web/repositories/detail.html", context, status)


def _change(request: HttpRequest, repository: Repository) -> bool:
    """Carry out the button pressed; True when the connection is gone."""
    actor = actor_of(request)
    if "disconnect" in request.POST:
        actions.disconnect(actor=actor, repository=repository)
        messages.success(request, f"Disconnected {repository.full_name}.")
        return True
    if "rotate" in request.POST:
        secret = actions.new_secret(actor=actor, repository=repository)
        request.session[NEW_SECRET] = {"repository": repository.id, "secret": secret}
        messages.success(
            request, "A new secret: give it to the forge; the old one no longer verifies."
        )
        return False
    actions.change(actor=actor, repository=repository, data=_form(request, FIELDS[1:]))
    messages.success(request, f"Saved {repository.full_name}.")
    return False
