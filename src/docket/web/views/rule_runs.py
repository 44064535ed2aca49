"""One rule's page: its run log (newest first, by outcome, a page at a time) and the dry run
(docket.automation.actions.dry_run: nothing is kept). A run's issue is named only to viewers
who may see that issue; for the others the row keeps its outcome and hides the rest."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from docket.accounts.middleware import actor_of
from docket.automation import actions, queries
from docket.automation.describe import describe_rule
from docket.automation.models import Rule, RuleRun
from docket.core.errors import DocketError
from docket.issues.access import get_issue_for, visible_issues
from docket.projects.models import Project
from docket.web.views.common import issue_base, page, web_view
from docket.web.views.rules import OUTCOMES, find_rule, managed_project, rules_url

PAGE_SIZE = 25


@web_view()
@require_http_methods(["GET", "POST"])
def rule_runs(request: HttpRequest, rule_id: int, project_key: str | None = None) -> HttpResponse:
    project = managed_project(request, project_key)
    rule = find_rule(request, project_key, rule_id)
    dry: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        dry, status = _dry_run(request, rule)
    context = {
        "project": project, "rule": rule, "dry": dry,
        "sentence": describe_rule(rule.trigger, rule.condition, rule.actions),
        "rules_url": rules_url(project), "edit_url": rules_url(project, "rule_edit", rule.id),
        "issue_base": issue_base(), **_log(request, project, rule),
    }  # fmt: skip
    return page(request, "web/rules/runs.html", context, status)


def _dry_run(request: HttpRequest, rule: Rule) -> tuple[dict[str, Any], int]:
    actor = actor_of(request)
    key = request.POST.get("issue", "").strip().upper()
    try:
        issue = get_issue_for(actor, key)
        return {"issue": key, **actions.dry_run(actor=actor, rule=rule, issue=issue)}, 200
    except DocketError as problem:
        return {"issue": key, "problem": problem.detail}, problem.status


def _log(request: HttpRequest, project: Project | None, rule: Rule) -> dict[str, Any]:
    outcome = request.GET.get("outcome", "")
    outcome = outcome if outcome in OUTCOMES else ""
    before = request.GET.get("before", "")
    runs = queries.runs_of(rule)
    if outcome:
        runs = runs.filter(outcome=outcome)
    if before.isdigit() and 0 < int(before) <= queries.MAX_ID:
        runs = runs.filter(id__lt=int(before))
    shown = list(runs[: PAGE_SIZE + 1])
    older = shown[PAGE_SIZE].id if len(shown) > PAGE_SIZE else None
    shown = shown[:PAGE_SIZE]
    here = rules_url(project, "rule_runs", rule.id)
    return {
        "runs": shown, "visible": _visible(request, shown), "outcome": outcome,
        "outcomes": OUTCOMES, "runs_url": here, "paged": bool(before),
        "older_url": f"{here}?{urlencode({'outcome': outcome, 'before': shown[-1].id})}"
        if older else "",
        "newest_url": f"{here}?{urlencode({'outcome': outcome})}" if outcome else here,
    }  # fmt: skip


def _visible(request: HttpRequest, runs: list[RuleRun]) -> set[int]:
    """The ids of the runs' issues this viewer may see (one query, through the issue gate)."""
    ids = {run.issue_id for run in runs if run.issue_id is not None}
    if not ids:
        return set()
    return set(visible_issues(actor_of(request)).filter(id__in=ids).values_list("id", flat=True))
