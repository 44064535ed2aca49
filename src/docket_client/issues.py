"""`docket issue ...`: list, view, create, edit, comment, move, assign, close, reopen,
watch, unwatch, open."""

from __future__ import annotations

import re
import sys
from typing import Any
from urllib.parse import quote

from docket_client import output
from docket_client.app import Context
from docket_client.errors import USAGE, ClientError

KEY = re.compile(r"^[A-Za-z][A-Za-z0-9]{1,9}-[1-9][0-9]{0,9}$")
LIST_COLUMNS = ["key", "status", "priority", "assignee", "title", "updated_at"]
PAGE_MAX = 200  # the API's largest page


def _editor() -> Any:
    from docket_client import editor  # tempfile, subprocess: only for commands that write

    return editor


def issue_key(text: str) -> str:
    if not KEY.match(text):
        raise ClientError(f"not an issue key: {text!r} (like WEB-12)", USAGE)
    return text.upper()


def issue_path(key: str, tail: str = "") -> str:
    return f"/issues/{quote(issue_key(key))}{tail}"


def list_issues(ctx: Context) -> None:
    args = ctx.args
    query = " ".join(args.query)
    if args.limit < 1:
        raise ClientError("--limit must be at least 1", USAGE)
    params = {
        "q": query,
        "project": args.project,
        "state": args.state or ("open" if not query else None),
    }
    page = fetch_pages(ctx, "/issues", params, args.limit, args.cursor)
    show_issues(ctx, page)


def fetch_pages(
    ctx: Context, path: str, params: dict[str, Any], limit: int, cursor: str | None = None
) -> dict[str, Any]:
    """Up to `limit` rows, following `next_cursor`; the API's page shape, merged."""
    items: list[dict[str, Any]] = []
    while True:
        size = min(limit - len(items), PAGE_MAX)
        page = ctx.api.get(path, **params, limit=size, cursor=cursor)
        items += page["items"]
        cursor = page.get("next_cursor")
        if not cursor or len(items) >= limit:
            return {"items": items, "next_cursor": cursor}


def show_issues(ctx: Context, page: dict[str, Any]) -> None:
    fields = output.parse_fields(ctx.args.fields)
    if ctx.args.json:
        output.print_json({**page, "items": output.pick(page["items"], fields)})
        return
    output.table(page["items"], fields or LIST_COLUMNS, empty="no issues match")
    if page.get("next_cursor") and output.is_tty():
        output.say(f"more: add --cursor {page['next_cursor']}")


def view(ctx: Context) -> None:
    path = issue_path(ctx.args.key)
    issue = ctx.api.get(path)
    if ctx.args.json:
        output.print_json(output.pick([issue], output.parse_fields(ctx.args.fields))[0])
        return
    comments = ctx.api.get(path + "/comments", limit=PAGE_MAX)["items"]
    history = ctx.api.get(path + "/history", limit=PAGE_MAX)["items"]
    from docket_client import render

    render.issue(ctx.api, issue, comments[-ctx.args.comments :] if ctx.args.comments else [],
                 len(comments), history[-8:])  # fmt: skip


def _me(ctx: Context) -> str:
    return str(ctx.api.get("/me")["username"])


def _user(ctx: Context, name: str | None) -> str | None:
    if name in (None, "none", ""):
        return None
    return _me(ctx) if name == "@me" else name


def _fields(ctx: Context) -> dict[str, Any]:
    """The fields the flags set, as the API names them."""
    args = ctx.args
    body: dict[str, Any] = {}
    for flag, field in (("type", "type"), ("priority", "priority"), ("severity", "severity"),
                        ("milestone", "milestone"), ("due", "due_date")):  # fmt: skip
        if getattr(args, flag) is not None:
            body[field] = getattr(args, flag) or None
    if args.assignee is not None:
        body["assignee"] = _user(ctx, args.assignee)
    if args.label is not None:
        body["labels"] = args.label
    if args.component is not None:
        body["components"] = args.component
    text = _editor().body_from(args.body, args.body_file)
    if text is not None:
        body["description"] = text
    return body


TEMPLATE = """{title}

{body}
# The first line is the title, the rest the description (Markdown).
# Lines starting with '# ' are left out. Save an empty file to cancel.
"""


def create(ctx: Context) -> None:
    args = ctx.args
    body = _fields(ctx)
    title = args.title
    if args.editor or (title is None and _editor().interactive()):
        text = _editor().edit(TEMPLATE.format(title=title or "", body=body.get("description", "")))
        title, description = _editor().split_title(text)
        body["description"] = description
    if not title:
        raise ClientError("an issue needs a title: --title, or run it in a terminal", USAGE)
    body["title"] = title
    written = ctx.api.post(f"/projects/{quote(args.project.upper())}/issues", body).json()
    _written(ctx, written, f"Created {written['key']}")
    if not ctx.args.json:
        sys.stdout.write(ctx.api.web_url(written["key"]) + "\n")


def _written(ctx: Context, answer: dict[str, Any], message: str) -> None:
    if ctx.args.json:
        output.print_json(answer)
        return
    output.say(message)
    if answer.get("not_notified"):
        output.say(f"not notified (cannot see it): {', '.join(answer['not_notified'])}")


def edit(ctx: Context) -> None:
    args = ctx.args
    path = issue_path(args.key)
    issue = ctx.api.get(path)
    body = _fields(ctx)
    if args.title is not None:
        body["title"] = args.title
    if args.add_label or args.remove_label:
        labels = body.get("labels", issue["labels"])
        body["labels"] = [x for x in labels if x not in args.remove_label] + [
            x for x in args.add_label if x not in labels
        ]
    if args.editor or (not body and _editor().interactive()):
        body["description"] = _editor().edit(issue["description"]).rstrip("\n")
        if body["description"] == issue["description"].rstrip("\n"):
            output.say("description unchanged; nothing sent")
            return
    if not body:
        raise ClientError("nothing to change: give fields (--title, --priority, ...)", USAGE)
    # If-Match: a field someone else changed since we read it is a 409 (exit 5), not lost.
    answer = ctx.api.request(
        "PATCH", path, body=body, headers={"If-Match": f'"{issue["version"]}"'}
    )
    written = answer.json()
    _written(ctx, written, f"Updated {written['key']} (version {written['version']})")


def comment(ctx: Context) -> None:
    args = ctx.args
    text = _editor().body_from(args.body, args.body_file)
    if text is None and _editor().interactive():
        text = _editor().edit(f"\n# Your comment on {issue_key(args.key)} (Markdown).\n")
    if not text or not text.strip():
        raise ClientError("an empty comment: give --body or --body-file", USAGE)
    body: dict[str, Any] = {"body": text}
    if args.internal:
        body["internal"] = True
    written = ctx.api.post(issue_path(args.key, "/comments"), body).json()
    _written(ctx, written, f"Commented on {written['issue']} (comment {written['id']})")


def _transition(ctx: Context, key: str, body: dict[str, Any]) -> None:
    body = {name: value for name, value in body.items() if value is not None}
    issue = ctx.api.post(issue_path(key, "/transitions"), body).json()
    _written(ctx, issue, f"{issue['key']} is now {issue['status']}")


def move(ctx: Context) -> None:
    args = ctx.args
    body = {"to": args.state, "resolution": args.resolution, "comment": args.comment}
    _transition(ctx, args.key, body)


def _pick_transition(ctx: Context, key: str, closing: bool) -> dict[str, Any]:
    available = ctx.api.get(issue_path(key, "/transitions"))
    done = available["transitions"]
    fitting = [t for t in done if (t["to_category"] == "done") == closing]
    if not fitting:
        names = ", ".join(f"{t['name']} → {t['to']}" for t in done) or "none"
        what = "closes" if closing else "reopens"
        raise ClientError(
            f"no transition you may take from {available['status']!r} {what} {key}",
            details=[f"available: {names}"],
        )
    return dict(fitting[0])


def close(ctx: Context) -> None:
    args = ctx.args
    chosen = _pick_transition(ctx, args.key, closing=True)
    body = {"transition": chosen["name"], "resolution": args.resolution, "comment": args.comment}
    _transition(ctx, args.key, body)


def reopen(ctx: Context) -> None:
    args = ctx.args
    issue = ctx.api.get(issue_path(args.key))
    if issue["status_category"] != "done":
        raise ClientError(f"{issue['key']} is not closed (it is {issue['status']})")
    chosen = _pick_transition(ctx, args.key, closing=False)
    _transition(ctx, args.key, {"transition": chosen["name"], "comment": args.comment})


def assign(ctx: Context) -> None:
    args = ctx.args
    body = {"assignee": _user(ctx, args.user)}
    written = ctx.api.request("PATCH", issue_path(args.key), body=body).json()
    who = written["assignee"] or "nobody"
    _written(ctx, written, f"{written['key']} is assigned to {who}")


def watch(ctx: Context) -> None:
    ctx.api.post(issue_path(ctx.args.key, "/watchers"))
    output.say(f"watching {issue_key(ctx.args.key)}")


def unwatch(ctx: Context) -> None:
    ctx.api.request("DELETE", issue_path(ctx.args.key, "/watchers"))
    output.say(f"not watching {issue_key(ctx.args.key)}")


def open_in_browser(ctx: Context) -> None:
    key = issue_key(ctx.args.key)
    ctx.api.get(issue_path(key))  # a clear 404 rather than a browser on an error page
    url = ctx.api.web_url(key)
    sys.stdout.write(url + "\n")
    if output.is_tty():
        import webbrowser

        webbrowser.open(url)
