"""A project's webhooks page (its admins): the hooks, adding one (its secret shown once), and
each hook's page with its settings, its delivery log and a Redeliver button. Changes go
through docket.integrations.hooks.actions (audited), as the API's do."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from docket.accounts.middleware import actor_of
from docket.core.errors import DocketError
from docket.integrations.hooks import actions, queries
from docket.integrations.hooks.models import Format, Webhook
from docket.issues.models import EventKind
from docket.web.views.common import page, web_view

DELIVERIES_SHOWN = 50
NEW_SECRET = "webhook_secret"  # noqa: S105 - the session key of a new hook's secret, shown once


@web_view()
@require_http_methods(["GET", "POST"])
def project_webhooks(request: HttpRequest, project_key: str) -> HttpResponse:
    actor = actor_of(request)
    project = queries.managed_project(actor, project_key)
    error, status = "", 200
    draft: Any = {}
    if request.method == "POST":
        try:
            hook = actions.create_hook(actor=actor, project=project, data=_form(request))
        except DocketError as problem:
            error, status = problem.detail, problem.status
            draft = _form(request)
        else:
            request.session[NEW_SECRET] = {"hook": hook.id, "secret": hook.secret}
            messages.success(request, f"Added webhook {hook.name}.")
            return HttpResponseRedirect(_hook_url(hook))
    context = {
        "project": project, "hooks": queries.hooks_of(actor, project), "error": error,
        "draft": draft, "formats": Format.choices, "kinds": EventKind.values,
    }  # fmt: skip
    return page(request, "web/webhooks/list.html", context, status)


@web_view()
@require_http_methods(["GET", "POST"])
def webhook_detail(request: HttpRequest, project_key: str, hook_id: int) -> HttpResponse:
    actor = actor_of(request)
    hook = queries.hook_for(actor, project_key, hook_id)
    error, status = "", 200
    if request.method == "POST":
        try:
            done = _change(request, hook)
        except DocketError as problem:
            error, status = problem.detail, problem.status
        else:
            if done is None:
                return HttpResponseRedirect(reverse("web:webhooks", args=[project_key]))
            messages.success(request, done)
            return HttpResponseRedirect(_hook_url(hook))
    shown = request.session.pop(NEW_SECRET, None)
    context: dict[str, Any] = {
        "project": hook.project, "hook": hook, "error": error,
        "secret": shown["secret"] if shown and shown.get("hook") == hook.id else None,
        "deliveries": list(queries.deliveries_of(hook)[:DELIVERIES_SHOWN]),
        "formats": Format.choices, "kinds": EventKind.values,
    }  # fmt: skip
    return page(request, "web/webhooks/detail.html", context, status)


def _hook_url(hook: Webhook) -> str:
    return reverse("web:webhook", args=[hook.project.key, hook.id])


def _form(request: HttpRequest) -> dict[str, Any]:
    form = request.POST
    data: dict[str, Any] = {
        "name": form.get("name", ""), "url": form.get("url", ""),
        "format": form.get("format", Format.STANDARD), "kinds": form.getlist("kinds"),
        "query": form.get("query", ""),
    }  # fmt: skip
    if "public_channel" in form or "public_channel_shown" in form:
        data["public_channel"] = form.get("public_channel") == "on"
    return data


def _change(request: HttpRequest, hook: Webhook) -> str | None:
    """Carry out the button pressed; what to tell (None: the hook is gone)."""
    actor, form = actor_of(request), request.POST
    if "redeliver" in form:
        chosen = form.get("redeliver", "")
        delivery = queries.delivery_for(hook, int(chosen) if chosen.isdigit() else 0)
        actions.redeliver(actor=actor, delivery=delivery)
        return f"Delivery {delivery.message_id} will be sent again in a moment."
    if "remove" in form:
        actions.delete_hook(actor=actor, hook=hook)
        messages.success(request, f"Removed webhook {hook.name}.")
        return None
    if "rotate" in form:
        actions.rotate_secret(actor=actor, hook=hook)
        request.session[NEW_SECRET] = {"hook": hook.id, "secret": hook.secret}
        return "A new secret: the old one no longer signs."
    if "toggle" in form:
        actions.update_hook(actor=actor, hook=hook, data={"enabled": not hook.enabled})
        return f"Webhook {hook.name} is {'on' if hook.enabled else 'off'}."
    actions.update_hook(actor=actor, hook=hook, data=_form(request))
    return f"Saved webhook {hook.name}."
