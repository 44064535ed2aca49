"""A rule as one sentence for people ("When priority changes to high, if type:bug, assign round
robin in team sre; add label hot"), from the same trigger and actions spec.py checks."""

from __future__ import annotations

from typing import Any

TRIGGER_NAMES = {
    "created": "an issue is created",
    "changed": "a field changes",
    "transitioned": "the status changes",
    "commented": "someone comments",
    "due_soon": "an issue is due tomorrow",
    "overdue": "an issue is overdue",
    "sla_warning": "an SLA warns",
    "sla_breached": "an SLA is breached",
    "schedule": "on a schedule",
}


def _quoted(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "nothing"
    return str(value)


def describe_trigger(trigger: dict[str, Any]) -> str:
    on = trigger.get("on", "")
    ends = "".join(
        f" {word} {_quoted(trigger[end])}"
        for end, word in (("from", "from"), ("to", "to"))
        if end in trigger
    )
    if on == "changed":
        subject = str(trigger.get("field", "a field")).replace("_", " ")
        return f"{subject} changes{ends}"
    if on == "transitioned":
        return f"the status changes{ends}"
    if on == "schedule":
        return f"on schedule {trigger.get('cron', '')} (UTC)"
    return TRIGGER_NAMES.get(on, str(on))


def _assign(action: dict[str, Any]) -> str:
    strategy = action.get("strategy", "person")
    if strategy == "person":
        return f"assign {action['to']}" if action.get("to") else "unassign"
    if strategy == "component_lead":
        return "assign the component lead"
    how = "round robin" if strategy == "round_robin" else "the one with fewest open issues"
    return f"assign {how} in team {action.get('team', '?')}"


def _notify(action: dict[str, Any]) -> str:
    whom = [*action.get("people", []), *(f"role {r}" for r in action.get("roles", []))]
    if action.get("team"):
        whom.append(f"team {action['team']}")
    if action.get("watchers"):
        whom.append("the watchers")
    return "notify " + ", ".join(whom)


def _labels(verb: str, action: dict[str, Any]) -> str:
    labels = action.get("labels", [])
    return f"{verb} label{'s' if len(labels) != 1 else ''} {', '.join(labels)}"


def describe_action(action: dict[str, Any]) -> str:
    kind = action.get("type")
    if kind == "assign":
        return _assign(action)
    if kind == "set":
        field = str(action.get("field", "")).replace("_", " ")
        value = action.get("value")
        return f"clear {field}" if value is None else f"set {field} to {_quoted(value)}"
    if kind == "add_labels":
        return _labels("add", action)
    if kind == "remove_labels":
        return _labels("remove", action)
    if kind == "transition":
        if action.get("to"):
            return f"move to {action['to']}"
        return f"transition {action.get('name', '')}"
    if kind == "comment":
        body = str(action.get("body", ""))
        return f"comment “{body[:40]}{'…' if len(body) > 40 else ''}”"
    if kind == "notify":
        return _notify(action)
    if kind == "webhook":
        return f"call webhook {action.get('hook', '')}"
    return str(kind)


def describe_rule(trigger: dict[str, Any], condition: str, actions: list[dict[str, Any]]) -> str:
    when = describe_trigger(trigger)
    sentence = when[0].upper() + when[1:] if when.startswith("on ") else f"When {when}"
    if condition.strip():
        sentence += f", if {condition.strip()}"
    return f"{sentence}, {'; '.join(describe_action(a) for a in actions)}"
