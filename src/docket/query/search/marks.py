"""Match marks in snippets. Backends wrap matches in two private-use characters; `highlight`
turns a snippet into one line of safe HTML with <mark> elements (the text is escaped)."""

from __future__ import annotations

import html
import re

START, END = "\ue000", "\ue001"
MARKED = re.compile(f"{START}([^{START}{END}]*){END}")
STRAY = re.compile(f"[{START}{END}]")
SPACE = re.compile(r"\s+")


def highlight(snippet: str) -> str:
    text = SPACE.sub(" ", html.escape(snippet, quote=True)).strip()
    return STRAY.sub("", MARKED.sub(r"<mark>\1</mark>", text))


def is_marked(snippet: str) -> bool:
    return MARKED.search(snippet) is not None
