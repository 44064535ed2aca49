"""What a monitoring system sent, in one shape: an alert group and its alerts.

Alertmanager (webhook `version: "4"`) and Grafana's unified alerting (`version: "1"`, the
same body plus `orgId`, `title`, `state`, per-alert URLs) post a whole group per notification:
every alert still in the group, firing or just resolved. Grafana's legacy alerting (before
Grafana 8: `ruleId`, `ruleName`, `state`, `evalMatches`) posts one rule and becomes a group of
one alert. Anything else (Sentry, Zabbix, a custom Alertmanager `payload` template) is refused
with a 422 that names the first missing field. Pure: no database."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from docket.core.errors import Invalid

FIRING, RESOLVED = "firing", "resolved"
NOT_SUPPORTED = (
    "this intake takes Prometheus Alertmanager and Grafana alerting webhooks "
    "(Sentry, Zabbix and custom payload templates are not supported)"
)
LEGACY_STATES = {"alerting": FIRING, "no_data": FIRING, "ok": RESOLVED}
URL_FIELDS = ("generatorURL", "silenceURL", "dashboardURL", "panelURL", "imageURL")


@dataclass
class Alert:
    id: str  # Alertmanager's fingerprint, or a hash of the labels when it sends none
    status: str
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    urls: dict[str, str] = field(default_factory=dict)
    value: str = ""

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "") or "alert"

    @property
    def summary(self) -> str:
        for key in ("summary", "message", "title", "description"):
            if self.annotations.get(key):
                return self.annotations[key]
        return ""


@dataclass
class AlertBatch:
    group_key: str
    alerts: list[Alert]
    receiver: str = ""
    external_url: str = ""
    common_labels: dict[str, str] = field(default_factory=dict)
    common_annotations: dict[str, str] = field(default_factory=dict)
    truncated: int = 0  # alerts the sender left out (`max_alerts`)

    @property
    def firing(self) -> list[Alert]:
        return [a for a in self.alerts if a.status == FIRING]

    @property
    def resolved(self) -> list[Alert]:
        return [a for a in self.alerts if a.status == RESOLVED]


def _missing(name: str, what: str = "is required") -> Invalid:
    return Invalid.field(name, f"{what}; {NOT_SUPPORTED}")


def _strings(value: Any, name: str) -> dict[str, str]:
    """A label or annotation map; values are shown as text whatever their JSON type."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Invalid.field(name, "must be an object of names to values")
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}


_FRACTION = re.compile(r"(\.\d{6})\d+")


def moment(value: Any) -> dt.datetime | None:
    """An RFC 3339 time (Go's nanoseconds cut to micro); Go's zero time and junk are None."""
    if not isinstance(value, str) or value.startswith("0001-01-01"):
        return None
    try:
        parsed = dt.datetime.fromisoformat(_FRACTION.sub(r"\1", value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _alert(raw: Any, where: str) -> Alert:
    if not isinstance(raw, dict):
        raise Invalid.field(where, "must be an object")
    status = raw.get("status")
    if status not in (FIRING, RESOLVED):
        raise Invalid.field(f"{where}.status", 'is required: "firing" or "resolved"')
    if "labels" not in raw:
        raise Invalid.field(f"{where}.labels", "is required")
    labels = _strings(raw["labels"], f"{where}.labels")
    fingerprint = raw.get("fingerprint")
    if not isinstance(fingerprint, str) or not fingerprint:
        # Older Alertmanagers send none: an alert is its label set.
        canonical = json.dumps(sorted(labels.items()))
        fingerprint = hashlib.sha256(canonical.encode()).hexdigest()[:16]
    urls = {k: raw[k] for k in URL_FIELDS if isinstance(raw.get(k), str) and raw[k]}
    return Alert(
        id=fingerprint,
        status=status,
        labels=labels,
        annotations=_strings(raw.get("annotations"), f"{where}.annotations"),
        starts_at=moment(raw.get("startsAt")),
        ends_at=moment(raw.get("endsAt")),
        urls=urls,
        value=raw["valueString"] if isinstance(raw.get("valueString"), str) else "",
    )


def _group(body: dict[str, Any]) -> AlertBatch:
    """Alertmanager's body, which Grafana's unified alerting also sends."""
    raw_alerts = body.get("alerts")
    if not isinstance(raw_alerts, list):
        raise _missing("alerts", "is required (a list)")
    alerts = [_alert(raw, f"alerts.{i}") for i, raw in enumerate(raw_alerts)]
    group_key = body.get("groupKey")
    if not isinstance(group_key, str) or not group_key:
        if not alerts:
            raise _missing("groupKey")
        # Grafana before 9 may leave it out: the group is its alerts.
        group_key = "fingerprints:" + ",".join(sorted(a.id for a in alerts))
    truncated = body.get("truncatedAlerts")
    return AlertBatch(
        group_key=group_key,
        alerts=alerts,
        receiver=str(body.get("receiver") or ""),
        external_url=body["externalURL"] if isinstance(body.get("externalURL"), str) else "",
        common_labels=_strings(body.get("commonLabels"), "commonLabels"),
        common_annotations=_strings(body.get("commonAnnotations"), "commonAnnotations"),
        truncated=truncated if isinstance(truncated, int) and truncated > 0 else 0,
    )


def _legacy_grafana(body: dict[str, Any]) -> AlertBatch:
    """Grafana's legacy (pre-8) alert notification: one rule, one alert."""
    rule_id = body.get("ruleId")
    if not isinstance(rule_id, int | str) or isinstance(rule_id, bool):
        raise _missing("ruleId")
    status = LEGACY_STATES.get(body.get("state"))  # type: ignore[arg-type]
    if status is None:
        raise Invalid.field("state", 'must be "alerting", "no_data" or "ok"')
    tags = _strings(body.get("tags"), "tags")
    name = str(body.get("ruleName") or body.get("title") or f"rule {rule_id}")
    matches = body.get("evalMatches")
    matches = matches if isinstance(matches, list) else []
    value = ", ".join(f"{m.get('metric')}={m.get('value')}" for m in matches if isinstance(m, dict))
    annotations = {"message": body["message"]} if isinstance(body.get("message"), str) else {}
    url = body.get("ruleUrl")
    alert = Alert(
        id=f"rule-{rule_id}", status=status, labels={"alertname": name, **tags},
        annotations=annotations, starts_at=None, ends_at=None,
        urls={"generatorURL": url} if isinstance(url, str) and url else {}, value=value,
    )  # fmt: skip
    return AlertBatch(group_key=f"grafana-legacy:rule:{rule_id}", alerts=[alert])


def parse(source: str, body: dict[str, Any]) -> AlertBatch:
    """The group a delivery describes (422 naming the field when it is not one we know)."""
    if source == "grafana" and "alerts" not in body and ("ruleId" in body or "evalMatches" in body):
        return _legacy_grafana(body)
    return _group(body)
