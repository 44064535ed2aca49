"""project list/view, filter list/run, search, board and inbox."""

from __future__ import annotations

import sys
from typing import Any
from urllib.parse import quote

from docket_client import output
from docket_client.app import Context
from docket_client.errors import NOT_FOUND, ClientError
from docket_client.issues import PAGE_MAX, fetch_pages, show_issues


def _rows(ctx: Context, rows: list[dict[str, Any]], columns: list[str], empty: str) -> None:
    fields = output.parse_fields(ctx.args.fields)
    if ctx.args.json:
        output.print_json(output.pick(rows, fields))
        return
    output.table(rows, fields or columns, empty=empty)


def projects(ctx: Context) -> None:
    rows = ctx.api.get("/projects")
    _rows(ctx, rows, ["key", "name", "visibility", "lead", "your_role"], "no projects")


def project(ctx: Context) -> None:
    data = ctx.api.get(f"/projects/{quote(ctx.args.key.upper())}")
    if ctx.args.json:
        output.print_json(output.pick([data], output.parse_fields(ctx.args.fields))[0])
        return
    lines = [f"{data['key']}  {data['name']}", ctx.api.web_url(f"p/{data['key']}")]
    for name in ("visibility", "lead", "your_role"):
        lines.append(f"{name}: {output.clean(data.get(name)) or '—'}")
    lines.append("states: " + ", ".join(s.get("name", "") if isinstance(s, dict) else str(s)
                                        for s in data.get("statuses", [])))  # fmt: skip
    if data.get("description"):
        lines += ["", data["description"]]
    sys.stdout.write("\n".join(output.clean(line) for line in lines) + "\n")


def filters(ctx: Context) -> None:
    rows = ctx.api.get("/filters")
    _rows(ctx, rows, ["id", "name", "project", "owner", "query"], "no saved filters")


def run_filter(ctx: Context) -> None:
    wanted = ctx.args.filter
    if wanted.isdigit():
        filter_id = int(wanted)
    else:
        matching = [f for f in ctx.api.get("/filters") if f["name"].lower() == wanted.lower()]
        if not matching:
            raise ClientError(f"no saved filter named {wanted!r}", NOT_FOUND)
        filter_id = matching[0]["id"]
    show_issues(ctx, fetch_pages(ctx, f"/filters/{filter_id}/issues", {}, ctx.args.limit))


def search(ctx: Context) -> None:
    text = " ".join(ctx.args.text)
    answer = ctx.api.get("/search", q=text, limit=min(ctx.args.limit, PAGE_MAX))
    if ctx.args.json:
        output.print_json(answer)
        return
    rows = [hit["issue"] for hit in answer["items"]]
    output.table(rows, output.parse_fields(ctx.args.fields) or ["key", "status", "title"],
                 empty="nothing found")  # fmt: skip


def board(ctx: Context) -> None:
    key = ctx.args.project.upper()
    workflow = ctx.api.get(f"/projects/{quote(key)}/workflow")
    query = f"project:{key} {ctx.args.query}".strip()
    page = fetch_pages(ctx, "/issues", {"q": query, "sort": "priority-desc"}, 1000)
    columns: dict[str, list[dict[str, Any]]] = {s["status"]: [] for s in workflow["states"]}
    for item in page["items"]:
        columns.setdefault(item["status"], []).append(item)
    if ctx.args.json:
        output.print_json({"project": key, "columns": [
            {"status": status, "items": items} for status, items in columns.items()]})  # fmt: skip
        return
    names = {s["status"]: s["name"] for s in workflow["states"]}
    if not output.is_tty():
        for status, items in columns.items():
            sys.stdout.write(f"{output.clean(names.get(status, status))} ({len(items)})\n")
            for item in items:
                sys.stdout.write(f"  {item['key']}  {output.clean(item['title'])}\n")
        return
    _board_table(columns, names)


def _board_table(columns: dict[str, list[dict[str, Any]]], names: dict[str, str]) -> None:
    from rich.table import Table
    from rich.text import Text

    grid = Table(show_lines=False, expand=True)
    for status, items in columns.items():
        grid.add_column(f"{output.clean(names.get(status, status))} ({len(items)})", ratio=1)
    cells = []
    for items in columns.values():
        cell = Text()
        for item in items[:30]:
            cell.append(item["key"], style="cyan")
            cell.append(" " + output.clean(item["title"]) + "\n")
        if len(items) > 30:
            cell.append(f"… {len(items) - 30} more", style="dim")
        cells.append(cell)
    grid.add_row(*cells)
    output.console().print(grid)


def inbox(ctx: Context) -> None:
    answer = ctx.api.get("/notifications", unread="true" if ctx.args.unread else None,
                         limit=min(ctx.args.limit, 100))  # fmt: skip
    if ctx.args.json:
        output.print_json(answer)
        return
    rows = [{**item, "unread": item["unread"] or ""} for item in answer["items"]]
    columns = output.parse_fields(ctx.args.fields) or ["key", "unread", "count", "title", "last_at"]
    output.table(rows, columns, empty="inbox is empty")
    if output.is_tty():
        output.say(f"{answer['unread_count']} unread")
