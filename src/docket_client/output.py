"""Printing: rich tables on a terminal (plain, colourless text through a pipe), `--json` as
the API sent it, `--fields` to choose columns or keys. Text from the server is stripped of
control characters first, so a title cannot move the cursor or retitle the terminal."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from docket_client.errors import USAGE, ClientError

if TYPE_CHECKING:
    from rich.console import Console

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(value: Any) -> str:
    """A server string made safe to show: no escape sequences, no control characters."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = ", ".join(str(item) for item in value)
    return _CONTROL.sub("", str(value))


def is_tty() -> bool:
    return sys.stdout.isatty()


def console(stderr: bool = False) -> Console:
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    colour = stream.isatty() and "NO_COLOR" not in os.environ
    return Console(
        file=stream,
        force_terminal=colour,
        no_color=not colour,
        highlight=False,
        soft_wrap=not stream.isatty(),
        emoji=False,
        markup=False,
    )


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def pick(rows: Iterable[dict[str, Any]], fields: Sequence[str] | None) -> list[dict[str, Any]]:
    """Rows keeping only `fields` (in that order); an unknown field is a usage error."""
    rows = list(rows)
    if not fields:
        return rows
    known = set().union(*(row.keys() for row in rows)) if rows else set(fields)
    unknown = [name for name in fields if name not in known]
    if unknown:
        raise ClientError(
            f"unknown field(s): {', '.join(unknown)}", USAGE, [f"known: {', '.join(sorted(known))}"]
        )
    return [{name: row.get(name) for name in fields} for row in rows]


def parse_fields(text: str | None) -> list[str] | None:
    return [name.strip() for name in text.split(",") if name.strip()] if text else None


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str], empty: str = "nothing") -> None:
    """A table on a terminal; through a pipe, tab-separated lines (header first) for tools."""
    if not is_tty():
        sys.stdout.write("\t".join(columns) + "\n")
        for row in rows:
            sys.stdout.write("\t".join(clean(row.get(c)).replace("\t", " ") for c in columns))
            sys.stdout.write("\n")
        return
    if not rows:
        console(stderr=True).print(empty)
        return
    from rich.table import Table

    grid = Table(box=None, header_style="bold", pad_edge=False)
    for column in columns:
        grid.add_column(column.upper(), overflow="fold" if column == "title" else "ellipsis")
    for row in rows:
        grid.add_row(*(_cell(column, row.get(column)) for column in columns))
    console().print(grid)


_STYLE = {"highest": "bold red", "high": "red", "low": "dim", "lowest": "dim"}


def _cell(column: str, value: Any) -> Any:
    from rich.text import Text

    text = clean(value)
    if column == "key":
        return Text(text, style="cyan")
    if column == "priority":
        return Text(text, style=_STYLE.get(text, ""))
    if column in ("updated_at", "created_at", "resolved_at"):
        return Text(text[:16].replace("T", " "), style="dim")
    return Text(text)


def say(message: str) -> None:
    """A progress or result line for people: stderr, so stdout stays for data."""
    sys.stderr.write(clean(message) + "\n")
