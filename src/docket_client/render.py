"""`docket issue view` for people: fields, the description as terminal Markdown, recent
history and comments. Through a pipe the Markdown stays as written and nothing is coloured."""

from __future__ import annotations

import os
import sys
from typing import Any

from docket_client.output import clean, console, is_tty

FIELDS = [
    ("type", "type"), ("priority", "priority"), ("severity", "severity"),
    ("assignee", "assignee"), ("reporter", "reporter"), ("labels", "labels"),
    ("components", "components"), ("milestone", "milestone"), ("team", "team"),
    ("due", "due_date"), ("resolution", "resolution"), ("parent", "parent"),
    ("sla", "sla_state"),
]  # fmt: skip


def issue(
    api: Any,
    data: dict[str, Any],
    comments: list[dict[str, Any]],
    comment_count: int,
    history: list[dict[str, Any]],
) -> None:
    if not is_tty():
        sys.stdout.write(_plain(api, data, comments, comment_count, history))
        return
    from rich.markdown import Markdown
    from rich.text import Text

    out = console()
    head = Text()
    head.append(clean(data["key"]), style="bold cyan")
    head.append("  " + clean(data["title"]), style="bold")
    head.append(f"  [{clean(data['status'])}]", style=_status_style(data["status_category"]))
    parts = [Text(clean(api.web_url(data["key"])), style="dim"), Text()]
    for label, name in FIELDS:
        if data.get(name) not in (None, [], ""):
            line = Text(f"{label:>11}  ", style="dim")
            line.append(clean(data[name]))
            parts.append(line)
    stamp = f"created {_when(data['created_at'])}, updated {_when(data['updated_at'])}"
    parts.append(Text(f"{'':>11}  {stamp}, version {data['version']}", style="dim"))
    with _maybe_pager(out):
        out.print(head)
        for part in parts:
            out.print(part)
        out.print()
        out.print(Markdown(clean_block(data["description"]) or "*No description.*"))
        if history:
            out.print()
            out.print(Text("Recent history", style="bold"))
            for event in history:
                out.print(Text("  " + _event(event), style="dim"))
        if comments:
            out.print()
            shown = (
                f" ({len(comments)} of {comment_count})" if comment_count > len(comments) else ""
            )
            out.print(Text(f"Comments{shown}", style="bold"))
            for item in comments:
                note = " · internal" if item.get("internal") else ""
                out.print(Text(f"{clean(item['author'])} · {_when(item['created_at'])}{note}",
                               style="bold"))  # fmt: skip
                out.print(Markdown(clean_block(item["body"])))


def clean_block(text: str) -> str:
    """Like clean(), keeping line breaks and tabs for Markdown."""
    return "\n".join(clean(line) for line in (text or "").split("\n"))


def _plain(
    api: Any,
    data: dict[str, Any],
    comments: list[dict[str, Any]],
    comment_count: int,
    history: list[dict[str, Any]],
) -> str:
    lines = [f"{data['key']}  {data['title']}  [{data['status']}]", api.web_url(data["key"])]
    for label, name in FIELDS:
        if data.get(name) not in (None, [], ""):
            lines.append(f"{label}: {clean(data[name])}")
    lines.append(f"created: {data['created_at']}")
    lines.append(f"updated: {data['updated_at']}")
    lines.append(f"version: {data['version']}")
    lines += ["", clean_block(data["description"]).rstrip()]
    if history:
        lines += ["", "Recent history"] + ["  " + _event(event) for event in history]
    if comments:
        lines += ["", f"Comments ({len(comments)} of {comment_count})"]
        for item in comments:
            lines += [f"{item['author']} · {item['created_at']}", clean_block(item["body"]), ""]
    return "\n".join(clean_block(line) for line in lines).rstrip() + "\n"


def _when(stamp: str | None) -> str:
    return clean(stamp)[:16].replace("T", " ") if stamp else ""


def _status_style(category: str) -> str:
    return {"done": "green", "in_progress": "yellow"}.get(category, "blue")


def _event(event: dict[str, Any]) -> str:
    who = event.get("actor") or "someone"
    when = _when(event.get("at"))
    if event.get("field"):
        old, new = _short(event.get("old")), _short(event.get("new"))
        return clean(f"{when}  {who} changed {event['field']}: {old} → {new}")
    return clean(f"{when}  {who} {event['kind'].replace('_', ' ')}")


def _short(value: Any) -> str:
    if value in (None, "", []):
        return "—"
    text = clean(value).replace("\n", " ")
    return text if len(text) <= 40 else text[:39] + "…"


class _maybe_pager:  # noqa: N801 - used as a context manager, like rich's own
    """Page through $PAGER (less -R) when the text is taller than the terminal."""

    def __init__(self, out: Any) -> None:
        self.out = out
        self.capture: Any = None

    def __enter__(self) -> None:
        self.capture = self.out.capture()
        self.capture.__enter__()

    def __exit__(self, *exc: object) -> None:
        self.capture.__exit__(*exc)
        text = self.capture.get()
        if text.count("\n") < self.out.size.height or os.environ.get("DOCKET_PAGER") == "":
            sys.stdout.write(text)
            return
        import pydoc

        os.environ.setdefault("LESS", "-FRX")
        pydoc.pager(text)
