"""Automation rules' settings page: a project's rules (its admins) or the global ones (site
admins), in order, each with its latest runs; add a rule, turn one on or off, remove one. The
changes go through docket.automation.actions (audited), as the API's do."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from docket.accounts.middleware import actor_of
from docket.automation import actions
from docket.automation.models import Rule, RuleRun
from docket.core.errors import DocketError, Invalid, NotFound
from docket.projects.access import get_project_for
from docket.projects.models import Project
from docket.web.views.common import page, web_view

RUNS_SHOWN = 10


@web_view()
@require_http_methods(["GET", "POST"])
def project_rules(request: HttpRequest, project_key: str) -> HttpResponse:
    project = get_project_for(actor_of(request), project_key)
    return _rules_page(request, project)


@web_view()
@require_http_methods(["GET", "POST"])
def global_rules(request: HttpRequest) -> HttpResponse:
    return _rules_page(request, None)


def _here(project: Project | None) -> str:
    return reverse("web:project_rules", args=[project.key]) if project else reverse("web:rules")


def _rules_page(request: HttpRequest, project: Project | None) -> HttpResponse:
    actor = actor_of(request)
    actions.may_manage(actor, project)
    error, status = "", 200
    draft: Any = {}
    if request.method == "POST":
        try:
            _change(request, project)
        except DocketError as problem:
            error, status = problem.detail, problem.status
            draft = request.POST
        else:
            return HttpResponseRedirect(_here(project))
    rules = list(Rule.objects.filter(project=project).select_related("owner"))
    runs: dict[int, list[RuleRun]] = {}
    for rule in rules:
        runs[rule.id] = list(
            RuleRun.objects.filter(rule=rule).select_related("issue", "issue__project")[:RUNS_SHOWN]
        )
    context: dict[str, Any] = {
        "project": project, "rules": rules, "runs": runs, "error": error, "draft": draft,
        "json": lambda value: json.dumps(value, ensure_ascii=False),
    }  # fmt: skip
    return page(request, "web/rules/list.html", context, status)


def _json(name: str, text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as wrong:
        raise Invalid.field(name, f"is not JSON: {wrong}") from wrong


def _change(request: HttpRequest, project: Project | None) -> None:
    actor = actor_of(request)
    form = request.POST
    if "rule" in form:
        rule = Rule.objects.filter(project=project, pk=form.get("rule", "").strip() or 0).first()
        if rule is None:
            raise NotFound("no such rule")
        if form.get("remove"):
            actions.delete_rule(actor=actor, rule=rule)
            messages.success(request, f"Removed rule {rule.name}.")
        else:
            actions.update_rule(actor=actor, rule=rule, data={"enabled": not rule.enabled})
            messages.success(request, f"Rule {rule.name} is {'on' if rule.enabled else 'off'}.")
        return
    data = {
        "name": form.get("name", ""),
        "trigger": _json("trigger", form.get("trigger", "")),
        "condition": form.get("condition", ""),
        "actions": _json("actions", form.get("actions", "")),
    }
    rule = actions.create_rule(actor=actor, project=project, data=data)
    messages.success(request, f"Added rule {rule.name}.")
