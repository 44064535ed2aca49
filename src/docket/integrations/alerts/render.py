"""The Markdown an alert group becomes: an incident's title and description, and the comments
that follow it. Alert text is untrusted: every value is escaped as Markdown text (or put in a
code span), links take only http(s) URLs, and the result is shown through the Markdown
pipeline (core/markdown.py: raw HTML off, then an nh3 allowlist), so no alert can inject
markup."""

from __future__ import annotations

import datetime as dt
import re

from docket.integrations.alerts.payloads import Alert, AlertBatch

MAX_SHOWN = 20  # alerts detailed in one description or comment; the rest are counted
MAX_VALUE = 500  # characters of one label or annotation value shown
MAX_TEXT = 90_000  # a description or comment stays under the issue fields' 100,000
_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~&@:\"'=])")
URL_NAMES = {
    "generatorURL": "Source", "silenceURL": "Silence", "dashboardURL": "Dashboard",
    "panelURL": "Panel", "imageURL": "Image",
}  # fmt: skip


def text(value: str, limit: int = MAX_VALUE) -> str:
    """`value` as literal Markdown text on one line (a table cell, a list item)."""
    value = " ".join(value.replace("\\n", " ").split())
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    return _PUNCTUATION.sub(r"\\\1", value)


def code(value: str, limit: int = MAX_VALUE) -> str:
    """`value` as an inline code span on one line: a fence longer than any run of backticks
    inside, and | escaped so a table cell stays one cell."""
    value = " ".join(value.split())[:limit]
    fence = "`" * (max((len(run) for run in re.findall(r"`+", value)), default=0) + 1)
    value = value.replace("|", "\\|")
    return f"{fence} {value} {fence}"


def link(name: str, url: str) -> str | None:
    if not re.match(r"https?://", url, re.I) or re.search(r"[<>\s]", url):
        return None
    return f"[{name}](<{url}>)"


def when(moment: dt.datetime | None) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "unknown"


def title(batch: AlertBatch, firing: list[Alert]) -> str:
    """ "<alertname>: <summary>" from the group's common labels, else its first firing alert."""
    first = firing[0] if firing else batch.alerts[0]
    names = sorted({a.name for a in firing or batch.alerts})
    name = batch.common_labels.get("alertname") or first.name
    if len(names) > 1 and "alertname" not in batch.common_labels:
        name = f"{name} (+{len(names) - 1} more)"
    summary = batch.common_annotations.get("summary") or first.summary
    words = " ".join(f"{name}: {summary}".split()) if summary else name
    return words[:255]


def _cell(value: str, as_code: bool) -> str:
    if as_code:
        return code(value)
    return link(text(value, 200), value) or text(value)  # a runbook URL becomes a link


def _table(heading: str, values: dict[str, str], *, as_code: bool) -> list[str]:
    if not values:
        return []
    rows = [f"| {code(k, 100)} | {_cell(v, as_code)} |" for k, v in sorted(values.items())]
    return [f"| {heading} | Value |", "| --- | --- |", *rows, ""]


def _common(alerts: list[Alert]) -> dict[str, str]:
    """The labels every one of several alerts has with the same value."""
    if len(alerts) < 2:
        return {}
    first = alerts[0].labels
    return {k: v for k, v in first.items() if all(a.labels.get(k) == v for a in alerts[1:])}


def alert_section(alert: Alert, common: dict[str, str], number: int) -> list[str]:
    """One alert: its name, what sets it apart and its status; when; its links; its own
    labels (those shared by every alert are in one table above) and annotations."""
    own = {k: v for k, v in alert.labels.items() if k not in common}
    apart = ", ".join(f"{k}={v}" for k, v in own.items() if k != "alertname")
    heading = f"{number}. {alert.name}" + (f" · {apart[:120]}" if apart else "")
    lines = [f"### {text(heading, 200)} ({alert.status})", ""]
    facts = [f"Started {when(alert.starts_at)}"]
    if alert.status == "resolved" and alert.ends_at:
        facts.append(f"ended {when(alert.ends_at)}")
    links = [link(URL_NAMES[k], u) for k, u in alert.urls.items()]
    facts += [x for x in links if x]
    lines += [" · ".join(facts), ""]
    if alert.value:
        lines += [f"Value: {code(alert.value)}", ""]
    lines += _table("Label", own, as_code=True)
    lines += _table("Annotation", alert.annotations, as_code=False)
    return lines


def _sections(alerts: list[Alert]) -> list[str]:
    shown = alerts[:MAX_SHOWN]
    common = _common(shown)
    lines = _table("Label of every alert", common, as_code=True)
    for number, alert in enumerate(shown, 1):
        lines += alert_section(alert, common, number)
    if len(alerts) > MAX_SHOWN:
        lines += [f"…and {len(alerts) - MAX_SHOWN} more alerts.", ""]
    return lines


def _capped(lines: list[str]) -> str:
    """The lines as one text, cut at a line's end before MAX_TEXT (alerts with hundreds of
    long labels would otherwise be refused as an issue's description)."""
    out, size = [], 0
    for line in lines:
        size += len(line) + 1
        if size > MAX_TEXT:
            out += ["", "…cut here: the rest of the alerts is too long to show."]
            break
        out.append(line)
    return "\n".join(out).strip() + "\n"


def description(
    batch: AlertBatch, firing: list[Alert], intake_name: str, previous: str | None
) -> str:
    source = link("Alertmanager", batch.external_url) if batch.external_url else None
    since = when(min((a.starts_at for a in firing if a.starts_at), default=None))
    lines = [
        f"Opened by the alert intake **{text(intake_name, 100)}** for the alert group "
        f"{code(batch.group_key, 300)}"
        + (f" (receiver {code(batch.receiver, 100)})" if batch.receiver else "")
        + (f" · {source}" if source else "")
        + ".",
        "",
        f"**{len(firing)} firing** since {since}." if firing else "",
        "",
    ]  # fmt: skip
    if previous:
        lines += [f"The previous incident of this group was {previous}.", ""]
    if batch.truncated:
        lines += [f"The sender left out {batch.truncated} more alerts.", ""]
    return _capped(lines + _sections(firing))


def _names(alerts: list[Alert]) -> str:
    shown = [f"**{text(a.name, 100)}**" + (f" — {text(a.summary, 200)}" if a.summary else "")
             for a in alerts[:MAX_SHOWN]]  # fmt: skip
    more = [f"…and {len(alerts) - MAX_SHOWN} more"] if len(alerts) > MAX_SHOWN else []
    return "\n".join(f"- {line}" for line in shown + more)


def change_comment(
    new: list[Alert], gone: list[Alert], firing: list[Alert], *, vanished: int = 0
) -> str:
    """What changed in a still-firing group: alerts that started or stopped (`vanished`: left
    the group without a resolved notice), then everything firing now."""
    parts = []
    if new:
        parts += [f"**{len(new)} alert(s) started firing:**", "", _names(new), ""]
    if gone:
        parts += [f"**{len(gone)} alert(s) resolved:**", "", _names(gone), ""]
    if vanished:
        parts += [f"**{vanished} alert(s) no longer in the group.**", ""]
    parts += [f"**Firing now ({len(firing)}):**", "", _names(firing), ""]
    parts += _sections(new)
    return _capped(parts)


def resolved_comment(batch: AlertBatch) -> str:
    ended = max((a.ends_at for a in batch.resolved if a.ends_at), default=None)
    lines = [f"**Resolved** at {when(ended)}: no alert of the group is firing any more.", ""]
    if batch.resolved:
        lines += [_names(batch.resolved)]
    return "\n".join(lines).strip() + "\n"
