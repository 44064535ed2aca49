"""What a chat service's incoming webhook takes: one neutral `Note` (what happened, on which
issue, a link) shaped for Slack, Mattermost, Microsoft Teams (an Adaptive Card in a message)
and Discord, after each service's documentation. Text from users is escaped for each service
so it cannot ping a whole channel or forge a link."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

SLACK, MATTERMOST, TEAMS, DISCORD = "slack", "mattermost", "teams", "discord"
TEAMS_MESSAGECARD = "teams_messagecard"
FORMATS = (SLACK, MATTERMOST, TEAMS, TEAMS_MESSAGECARD, DISCORD)
DETAIL_CHARS = 1000  # of a comment or description quoted in a message
DISCORD_CONTENT_MAX = 2000
DISCORD_TITLE_MAX = 256


@dataclass(frozen=True)
class Note:
    title: str  # "WEB-12 Login fails on Safari"
    url: str
    summary: str  # "alice moved it to Done"
    detail: str = ""  # a comment's text, when there is one
    facts: list[tuple[str, str]] = field(default_factory=list)  # [("Status", "Done"), …]


def shaped(format_: str, note: Note) -> dict[str, Any]:
    """The JSON body for `format_` (one of FORMATS)."""
    shapes = {
        SLACK: slack, MATTERMOST: mattermost, TEAMS: teams,
        TEAMS_MESSAGECARD: teams_messagecard, DISCORD: discord,
    }  # fmt: skip
    return shapes[format_](note)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def slack_escape(text: str) -> str:
    """Slack's three control characters (docs: "Escaping text"): with < and > escaped, user
    text can make no link, no <!channel> ping."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack(note: Note) -> dict[str, Any]:
    title = slack_escape(note.title)
    head = f"*<{note.url}|{title}>*\n{slack_escape(note.summary)}"
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": head}}]
    if note.detail:
        quoted = slack_escape(_clip(note.detail, DETAIL_CHARS))
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": quoted}})
    if note.facts:
        blocks.append({
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": f"*{slack_escape(k)}:* {slack_escape(v)}"}
                for k, v in note.facts[:10]  # a context block holds at most 10 elements
            ],
        })  # fmt: skip
    return {"text": f"{title}: {slack_escape(note.summary)}", "blocks": blocks}


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+!|<>~])")


def markdown_escape(text: str) -> str:
    """Markdown's punctuation escaped, and @ kept from forming a mention (@channel, @all)."""
    return _MARKDOWN.sub(r"\\\1", text).replace("@", "@\u200b")


def mattermost(note: Note) -> dict[str, Any]:
    lines = [f"**[{markdown_escape(note.title)}]({note.url})**", markdown_escape(note.summary)]
    if note.detail:
        quoted = markdown_escape(_clip(note.detail, DETAIL_CHARS))
        lines.append("\n".join("> " + line for line in quoted.splitlines()))
    if note.facts:
        lines.append(" · ".join(f"**{markdown_escape(k)}:** {markdown_escape(v)}"
                                for k, v in note.facts))  # fmt: skip
    return {"text": "\n".join(lines)}


def teams(note: Note) -> dict[str, Any]:
    """An Adaptive Card in the message envelope that Teams' Workflows webhooks take (the
    Office 365 connectors' MessageCard is deprecated)."""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": note.title, "weight": "Bolder", "size": "Medium",
         "wrap": True},
        {"type": "TextBlock", "text": note.summary, "wrap": True},
    ]  # fmt: skip
    if note.detail:
        body.append({"type": "TextBlock", "text": _clip(note.detail, DETAIL_CHARS), "wrap": True,
                     "isSubtle": True})  # fmt: skip
    if note.facts:
        body.append({"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in note.facts]})
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": [{"type": "Action.OpenUrl", "title": "Open in Docket", "url": note.url}],
    }
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


def teams_messagecard(note: Note) -> dict[str, Any]:
    """The legacy Office 365 connector card, for tenants whose old connector takes only this;
    `summary` and `text` both set (Teams refuses a card with neither)."""
    section: dict[str, Any] = {"activityTitle": note.summary}
    if note.facts:
        section["facts"] = [{"name": k, "value": v} for k, v in note.facts]
    return {
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": _clip(f"{note.title}: {note.summary}", 200),
        "themeColor": "0076D7",
        "title": note.title,
        "text": _clip(note.detail, DETAIL_CHARS) if note.detail else note.summary,
        "sections": [section],
        "potentialAction": [
            {
                "@type": "OpenUri",
                "name": "Open in Docket",
                "targets": [{"os": "default", "uri": note.url}],
            }
        ],
    }


def discord(note: Note) -> dict[str, Any]:
    """An embed; `allowed_mentions` with nothing to parse, so no @everyone or role ping
    from user text."""
    embed: dict[str, Any] = {
        "title": _clip(note.title, DISCORD_TITLE_MAX),
        "url": note.url,
        "description": _clip(note.summary + ("\n\n" + note.detail if note.detail else ""), 4096),
    }
    if note.facts:
        embed["fields"] = [
            {"name": _clip(k, 256), "value": _clip(v or "–", 1024), "inline": True}
            for k, v in note.facts[:25]
        ]
    content = _clip(f"{note.title}: {note.summary}", DISCORD_CONTENT_MAX)
    return {"content": content, "embeds": [embed], "allowed_mentions": {"parse": []}}
