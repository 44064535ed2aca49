"""Automation rules' list page: a project's rules (its admins) or the global ones (site
admins), in order, each as a sentence with its latest run and outcome counts; turn one on or
off, move it up or down, delete it. The form is rule_form.py, the run log rule_runs.py. Every
change goes through docket.automation.actions (audited), as the API's do."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count, Max
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from docket.accounts.access import is_site_admin
from docket.accounts.middleware import actor_of
from docket.automation import actions, queries
from docket.automation.describe import describe_rule
from docket.automation.models import Rule, RuleRun
from docket.core.errors import DocketError, NotFound
from docket.projects.models import Project
from docket.web.views.common import page, web_view

OUTCOMES = [str(o) for o in RuleRun.Outcome.values]


def managed_project(request: HttpRequest, project_key: str | None) -> Project | None:
    """The project whose rules these are (None: the global ones): its admins (403/404 by the
    project gate), site admins for the global ones."""
    return queries.managed_project(actor_of(request), project_key)


def find_rule(request: HttpRequest, project_key: str | None, rule_id: int | None) -> Rule:
    if rule_id is None:
        raise NotFound("no such rule")
    return queries.rule_for(actor_of(request), project_key, rule_id)


def rules_url(project: Project | None, name: str = "rules", *args: Any) -> str:
    """web:rules / web:project_rules and their siblings (web:rule_runs, web:project_rule_runs …)."""
    if project is None:
        return reverse(f"web:{name}", args=args)
    return reverse(f"web:project_{name}", args=[project.key, *args])


@web_view()
@require_http_methods(["GET", "POST"])
def rules_page(request: HttpRequest, project_key: str | None = None) -> HttpResponse:
    project = managed_project(request, project_key)
    error, status = "", 200
    if request.method == "POST":
        try:
            _change(request, project, project_key)
        except DocketError as problem:
            error, status = problem.detail, problem.status
        else:
            return HttpResponseRedirect(rules_url(project))
    rules = list(Rule.objects.filter(project=project).select_related("owner"))
    context = {
        "project": project, "rules": rules, "error": error, "stats": _run_stats(rules),
        "sentence": lambda r: describe_rule(r.trigger, r.condition, r.actions),
        "rule_url": lambda name, *args: rules_url(project, name, *args),
        "global_rules": project is not None and is_site_admin(actor_of(request)),
    }  # fmt: skip
    return page(request, "web/rules/list.html", context, status)


def _run_stats(rules: list[Rule]) -> dict[int, dict[str, Any]]:
    """Per rule: its last run's time and how many runs ended each way (one query)."""
    stats: dict[int, dict[str, Any]] = {r.id: {"last": None, "counts": {}} for r in rules}
    rows = (
        RuleRun.objects.filter(rule__in=rules)
        .values("rule_id", "outcome")
        .annotate(n=Count("id"), last=Max("created_at"))
        .order_by()
    )
    for row in rows:
        entry = stats[row["rule_id"]]
        entry["counts"][row["outcome"]] = row["n"]
        if entry["last"] is None or row["last"] > entry["last"]:
            entry["last"] = row["last"]
    return stats


def _change(request: HttpRequest, project: Project | None, project_key: str | None) -> None:
    actor = actor_of(request)
    form = request.POST
    rule_id = form.get("rule", "")
    rule = find_rule(request, project_key, int(rule_id) if rule_id.isdigit() else None)
    op = form.get("op", "")
    if op == "delete":
        actions.delete_rule(actor=actor, rule=rule)
        messages.success(request, f"Deleted rule {rule.name}.")
    elif op in ("up", "down"):
        actions.move_rule(actor=actor, rule=rule, by=-1 if op == "up" else 1)
        messages.success(request, f"Moved rule {rule.name} {op}.")
    elif op == "toggle":
        actions.update_rule(actor=actor, rule=rule, data={"enabled": not rule.enabled})
        messages.success(request, f"Rule {rule.name} is {'on' if rule.enabled else 'off'}.")
    else:
        raise NotFound("no such change")
