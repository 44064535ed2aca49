"""What a rule may say: its trigger and its actions, checked when a rule is saved (422 with
the field that is wrong), so the engine only ever meets well-formed rules."""

from __future__ import annotations

from typing import Any

from croniter import croniter

from docket.core.errors import Invalid
from docket.issues.fields import EDITABLE_FIELDS
from docket.projects.models import Role

# Triggers read from the event log, by the consumer.
EVENT_TRIGGERS = ("created", "changed", "transitioned", "commented", "sla_warning", "sla_breached")
# Triggers found by the automation sweep (automation/sweep.py).
SWEEP_TRIGGERS = ("due_soon", "overdue", "schedule")
TRIGGERS = EVENT_TRIGGERS + SWEEP_TRIGGERS

ACTIONS = ("assign", "set", "add_labels", "remove_labels", "transition", "comment", "notify",
           "webhook")  # fmt: skip
ASSIGN_STRATEGIES = ("person", "component_lead", "round_robin", "fewest_open")
# Fields "set" may change: every editable field but the status (that is a transition) and the
# labels (add_labels / remove_labels say what they mean).
SETTABLE = tuple(f for f in EDITABLE_FIELDS if f not in ("status", "labels"))
MAX_ACTIONS = 20


def _text(where: str, value: Any, *, required: bool = True, max_length: int = 200) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise Invalid.field(where, "must be a non-empty string")
    if len(value) > max_length:
        raise Invalid.field(where, f"must be at most {max_length} characters")
    return value.strip()


def _names(where: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise Invalid.field(where, "must be a non-empty list of names")
    return [v.strip() for v in value]


def check_trigger(trigger: Any) -> dict[str, Any]:
    if not isinstance(trigger, dict):
        raise Invalid.field("trigger", 'must be an object like {"on": "created"}')
    on = trigger.get("on")
    if on not in TRIGGERS:
        raise Invalid.field("trigger.on", f"must be one of {', '.join(TRIGGERS)}")
    allowed = {"on"}
    out: dict[str, Any] = {"on": on}
    if on in ("changed", "transitioned"):
        allowed |= {"field", "from", "to"} if on == "changed" else {"from", "to"}
        if on == "changed" and trigger.get("field") is not None:
            field = trigger["field"]
            if field not in EDITABLE_FIELDS:
                raise Invalid.field("trigger.field", f"must be one of {', '.join(EDITABLE_FIELDS)}")
            out["field"] = field
        for end in ("from", "to"):
            if trigger.get(end) is not None:
                value = trigger[end]
                if not isinstance(value, str | int | bool):
                    raise Invalid.field(f"trigger.{end}", "must be a value as the API shows it")
                out[end] = value
    if on == "schedule":
        allowed.add("cron")
        cron = _text("trigger.cron", trigger.get("cron"), max_length=100)
        if not croniter.is_valid(cron):
            raise Invalid.field("trigger.cron", f"{cron!r} is not a cron expression")
        out["cron"] = cron
    unknown = sorted(set(trigger) - allowed)
    if unknown:
        raise Invalid.field(f"trigger.{unknown[0]}", f"is not an option of the {on} trigger")
    return out


def check_actions(actions: Any) -> list[dict[str, Any]]:
    if not isinstance(actions, list) or not actions:
        raise Invalid.field("actions", "must be a non-empty list")
    if len(actions) > MAX_ACTIONS:
        raise Invalid.field("actions", f"at most {MAX_ACTIONS} actions")
    return [check_action(f"actions[{i}]", a) for i, a in enumerate(actions)]


def check_action(where: str, action: Any) -> dict[str, Any]:
    if not isinstance(action, dict) or action.get("type") not in ACTIONS:
        raise Invalid.field(f"{where}.type", f"must be one of {', '.join(ACTIONS)}")
    kind = action["type"]
    out: dict[str, Any] = {"type": kind}
    if kind == "assign":
        strategy = action.get("strategy", "person")
        if strategy not in ASSIGN_STRATEGIES:
            raise Invalid.field(
                f"{where}.strategy", f"must be one of {', '.join(ASSIGN_STRATEGIES)}"
            )
        out["strategy"] = strategy
        if strategy == "person":
            to = action.get("to")
            out["to"] = None if to is None else _text(f"{where}.to", to, max_length=150)
        elif strategy in ("round_robin", "fewest_open"):
            out["team"] = _text(f"{where}.team", action.get("team"), max_length=64)  # a slug
    elif kind == "set":
        field = action.get("field")
        if field not in SETTABLE:
            raise Invalid.field(f"{where}.field", f"must be one of {', '.join(SETTABLE)}")
        if "value" not in action:
            raise Invalid.field(f"{where}.value", "is required (null clears the field)")
        out.update(field=field, value=action["value"])
    elif kind in ("add_labels", "remove_labels"):
        out["labels"] = _names(f"{where}.labels", action.get("labels"))
    elif kind == "transition":
        to, name = action.get("to"), action.get("name")
        if to is None and name is None:
            raise Invalid.field(f"{where}.to", "give the target state (to) or a transition name")
        if to is not None:
            out["to"] = _text(f"{where}.to", to, max_length=50)
        if name is not None:
            out["name"] = _text(f"{where}.name", name, max_length=50)
    elif kind == "comment":
        out["body"] = _text(f"{where}.body", action.get("body"), max_length=10_000)
    elif kind == "notify":
        for part in ("people", "roles"):
            if action.get(part) is not None:
                out[part] = _names(f"{where}.{part}", action[part])
        if action.get("team") is not None:
            out["team"] = _text(f"{where}.team", action["team"])
        out["watchers"] = bool(action.get("watchers", False))
        unknown = [r for r in out.get("roles", []) if r not in Role.values]
        if unknown:
            raise Invalid.field(
                f"{where}.roles", f"no role {unknown[0]!r}; roles: {', '.join(Role.values)}"
            )
        if not any(out.get(part) for part in ("people", "roles", "team", "watchers")):
            raise Invalid.field(where, "name people, roles, a team or watchers to notify")
        if action.get("message") is not None:
            out["message"] = _text(f"{where}.message", action["message"], max_length=2000)
    elif kind == "webhook":  # a project webhook by name (integrations: docs/integrations.md)
        out["hook"] = _text(f"{where}.hook", action.get("hook"), max_length=100)
        if action.get("message") is not None:
            out["message"] = _text(f"{where}.message", action["message"], max_length=2000)
    return out
