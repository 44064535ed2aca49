"""A rule's form (new and edit): plain fields with indexed action rows (`actions-0-type`, …),
turned into the same dict the API takes; docket.automation.actions and spec.py decide what is
valid, and their 422 is shown next to the field it names with the admin's input kept.

Adding or removing an action row without JavaScript is a submit that re-renders the form and
saves nothing; rules.js does the same in the page."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.views.decorators.http import require_http_methods

from docket.accounts.middleware import actor_of
from docket.accounts.models import Team, User
from docket.automation import actions
from docket.automation.models import Rule
from docket.automation.spec import ACTIONS, ASSIGN_STRATEGIES, MAX_ACTIONS, SETTABLE, TRIGGERS
from docket.core.errors import Invalid
from docket.issues.fields import EDITABLE_FIELDS, FIELDS
from docket.projects.access import visible_people
from docket.projects.models import Project, Role, WorkflowState
from docket.web.views.common import page, web_view
from docket.web.views.rules import find_rule, managed_project, rules_url

ROW_TYPE = re.compile(r"actions-(\d{1,3})-type")
ROW_TEXT = ("type", "strategy", "to", "team", "field", "value", "labels", "state", "tname",
            "body", "people", "notify_team", "message", "hook")  # fmt: skip
TRIGGER_TEXT = ("name", "condition", "on", "t_field", "c_from", "c_to", "s_from", "s_to", "cron")
TRIGGER_LABELS = {
    "created": "An issue is created", "changed": "A field changes",
    "transitioned": "The status changes (a transition)", "commented": "Someone comments",
    "due_soon": "An issue is due tomorrow", "overdue": "An issue is overdue",
    "sla_warning": "An SLA warning", "sla_breached": "An SLA breach",
    "schedule": "On a schedule (cron)",
}  # fmt: skip
ACTION_LABELS = {
    "assign": "Assign", "set": "Set a field", "add_labels": "Add labels",
    "remove_labels": "Remove labels", "transition": "Transition to", "comment": "Comment",
    "notify": "Notify", "webhook": "Call a webhook",
}  # fmt: skip
STRATEGY_LABELS = {
    "person": "A person (empty: unassign)", "component_lead": "The component's lead",
    "round_robin": "Round robin in a team", "fewest_open": "Fewest open issues in a team",
}  # fmt: skip


@web_view()
@require_http_methods(["GET", "POST"])
def rule_form(
    request: HttpRequest, project_key: str | None = None, rule_id: int | None = None
) -> HttpResponse:
    project = managed_project(request, project_key)
    rule = find_rule(request, project_key, rule_id) if rule_id is not None else None
    draft = draft_from_rule(rule) if rule else blank_draft()
    errors: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        draft = draft_from_post(request.POST)
        if not _rearranged(request.POST, draft):
            try:
                saved = _save(request, project, rule, draft)
            except Invalid as wrong:
                errors, status = errors_by_place(wrong), wrong.status
            else:
                messages.success(request, f"Saved rule {saved.name}.")
                return HttpResponseRedirect(rules_url(project))
    context = _context(request, project, rule, draft, errors)
    return page(request, "web/rules/form.html", context, status)


def _save(request: HttpRequest, project: Project | None, rule: Rule | None, draft: dict) -> Rule:
    data = spec_from_draft(draft)
    actor = actor_of(request)
    if rule is None:
        return actions.create_rule(actor=actor, project=project, data=data)
    return actions.update_rule(actor=actor, rule=rule, data=data)


def _rearranged(form: QueryDict, draft: dict[str, Any]) -> bool:
    """The no-JavaScript row buttons: add a blank row or drop one, and show the form again."""
    if form.get("add_action") and len(draft["actions"]) < MAX_ACTIONS:
        draft["actions"].append(blank_row())
        return True
    removed = form.get("remove_action")
    if removed:  # the row's number in the submitted form
        draft["actions"] = [r for r in draft["actions"] if r["slot"] != removed]
        return True
    return False


# --- the draft: what the form shows, as strings ---------------------------------------------


def blank_row(kind: str = "") -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(ROW_TEXT, "")
    row.update(type=kind, strategy="person", roles=[], watchers=False, slot="")
    return row


def blank_draft() -> dict[str, Any]:
    draft: dict[str, Any] = dict.fromkeys(TRIGGER_TEXT, "")
    draft.update(on="created", actions=[blank_row("add_labels")])
    return draft


def draft_from_post(form: QueryDict) -> dict[str, Any]:
    draft: dict[str, Any] = {key: form.get(key, "").strip() for key in TRIGGER_TEXT}
    indices = sorted({int(m.group(1)) for k in form if (m := ROW_TYPE.fullmatch(k))})
    rows = []
    for i in indices[: MAX_ACTIONS + 1]:  # one more than allowed, so spec.py says too many
        row: dict[str, Any] = {k: form.get(f"actions-{i}-{k}", "").strip() for k in ROW_TEXT}
        row.update(
            slot=str(i),
            roles=form.getlist(f"actions-{i}-roles"),
            watchers=form.get(f"actions-{i}-watchers") == "on",
        )
        rows.append(row)
    draft["actions"] = rows
    return draft


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def draft_from_rule(rule: Rule) -> dict[str, Any]:
    trigger = rule.trigger
    on = trigger.get("on", "created")
    ends = "c" if on == "changed" else "s"
    draft: dict[str, Any] = dict.fromkeys(TRIGGER_TEXT, "")
    draft.update(
        name=rule.name, condition=rule.condition, on=on, t_field=trigger.get("field", ""),
        cron=trigger.get("cron", ""),
        **{f"{ends}_from": _shown(trigger.get("from")), f"{ends}_to": _shown(trigger.get("to"))},
    )  # fmt: skip
    draft["actions"] = [_row_from_action(a) for a in rule.actions]
    return draft


def _row_from_action(action: dict[str, Any]) -> dict[str, Any]:
    row = blank_row(action.get("type", ""))
    row.update(
        strategy=action.get("strategy", "person"), to=_shown(action.get("to")),
        team=action.get("team", "") if action.get("type") == "assign" else "",
        field=action.get("field", ""), value=_shown(action.get("value")),
        labels=_shown(action.get("labels")), state=_shown(action.get("to")),
        tname=action.get("name", ""), body=action.get("body", ""),
        people=_shown(action.get("people")), roles=action.get("roles", []),
        notify_team=action.get("team", "") if action.get("type") == "notify" else "",
        watchers=bool(action.get("watchers")), message=action.get("message", ""),
        hook=action.get("hook", ""),
    )  # fmt: skip
    return row


# --- draft -> the API's dict ----------------------------------------------------------------


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _value_of(field: str, text: str) -> Any:
    """A field's value as the API takes it: names as a list, a checkbox as true/false, an
    empty value as null (clears the field)."""
    widget = FIELDS[field].widget if field in FIELDS else "text"
    if widget == "names":
        return _names(text)
    if widget == "checkbox":
        return text.lower() in ("true", "yes", "on", "1")
    return text or None


def _trigger_value(field: str, text: str) -> Any:
    """One value a changed field moved from or to: true/false for a checkbox field, else the
    text (for labels and components, one of the names)."""
    if field in FIELDS and FIELDS[field].widget == "checkbox":
        return _value_of(field, text)
    return text


def spec_from_draft(draft: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": draft["name"],
        "trigger": trigger_from_draft(draft),
        "condition": draft["condition"],
        "actions": [action_from_row(row) for row in draft["actions"]],
    }


def trigger_from_draft(draft: dict[str, Any]) -> dict[str, Any]:
    on = draft["on"]
    trigger: dict[str, Any] = {"on": on}
    if on == "changed":
        field = draft["t_field"]
        if field:
            trigger["field"] = field
        for end in ("from", "to"):
            if draft[f"c_{end}"]:
                trigger[end] = _trigger_value(field, draft[f"c_{end}"])
    elif on == "transitioned":
        for end in ("from", "to"):
            if draft[f"s_{end}"]:
                trigger[end] = draft[f"s_{end}"]
    elif on == "schedule":
        trigger["cron"] = draft["cron"]
    return trigger


def action_from_row(row: dict[str, Any]) -> dict[str, Any]:
    kind = row["type"]
    action: dict[str, Any] = {"type": kind}
    if kind == "assign":
        action["strategy"] = row["strategy"]
        if row["strategy"] == "person":
            action["to"] = row["to"] or None
        elif row["strategy"] in ("round_robin", "fewest_open"):
            action["team"] = row["team"]
    elif kind == "set":
        action.update(field=row["field"], value=_value_of(row["field"], row["value"]))
    elif kind in ("add_labels", "remove_labels"):
        action["labels"] = _names(row["labels"])
    elif kind == "transition":
        if row["state"]:
            action["to"] = row["state"]
        if row["tname"]:
            action["name"] = row["tname"]
    elif kind == "comment":
        action["body"] = row["body"]
    elif kind == "notify":
        _notify_from_row(row, action)
    elif kind == "webhook":
        action["hook"] = row["hook"]
    return action


def _notify_from_row(row: dict[str, Any], action: dict[str, Any]) -> None:
    if _names(row["people"]):
        action["people"] = _names(row["people"])
    if row["roles"]:
        action["roles"] = row["roles"]
    if row["notify_team"]:
        action["team"] = row["notify_team"]
    action["watchers"] = row["watchers"]
    if row["message"]:
        action["message"] = row["message"]


# --- errors next to their fields ------------------------------------------------------------

ACTION_FIELD = re.compile(r"actions\[(\d+)\](?:\.(\w+))?")


def errors_by_place(wrong: Invalid) -> dict[str, Any]:
    """{"name"|"trigger"|"condition"|"actions"|"form": message, "rows": {index: message}}."""
    errors: dict[str, Any] = {"rows": {}}
    for problem in wrong.errors or [{"field": "", "message": wrong.detail}]:
        field, message = str(problem.get("field", "")), str(problem.get("message", ""))
        row = ACTION_FIELD.fullmatch(field)
        if row:
            part = row.group(2)
            errors["rows"][int(row.group(1))] = f"{part}: {message}" if part else message
        elif field.startswith("trigger"):
            part = field.partition(".")[2]
            errors["trigger"] = f"{part}: {message}" if part and part != "on" else message
        elif field in ("name", "condition", "actions"):
            errors[field] = message
        else:
            errors["form"] = wrong.detail
    return errors


# --- the choices the form offers ------------------------------------------------------------


def _states(project: Project | None) -> list[str]:
    states = WorkflowState.objects.all()
    if project is not None:
        states = states.filter(workflow_id=project.workflow_id)
    return list(dict.fromkeys(s.name.lower() for s in states.order_by("order", "id")))


def _people(request: HttpRequest, project: Project | None) -> list[str]:
    if project is None:
        return []
    people = User.objects.filter(visible_people(actor_of(request), project), is_active=True)
    return list(people.order_by("username").values_list("username", flat=True).distinct()[:500])


def _context(
    request: HttpRequest, project: Project | None, rule: Rule | None, draft: dict, errors: dict
) -> dict[str, Any]:
    return {
        "project": project, "rule": rule, "draft": draft, "errors": errors,
        "rules_url": rules_url(project),
        "triggers": [(t, TRIGGER_LABELS[t]) for t in TRIGGERS],
        "action_types": [(a, ACTION_LABELS[a]) for a in ACTIONS],
        "strategies": [(s, STRATEGY_LABELS[s]) for s in ASSIGN_STRATEGIES],
        "trigger_fields": [(f, FIELDS[f].label) for f in EDITABLE_FIELDS],
        "settable": [(f, FIELDS[f].label) for f in SETTABLE],
        "state_pairs": [(s, s) for s in _states(project)], "people": _people(request, project),
        "teams": list(Team.objects.order_by("slug").values_list("slug", "name")),
        "roles": list(Role.values), "blank_row": blank_row(),
    }  # fmt: skip
