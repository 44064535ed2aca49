"""Markdown → safe HTML for issue descriptions and comments.

Two layers, either of which alone should be enough:

1. markdown-it-py in CommonMark mode (+ tables, strikethrough) with raw HTML **off**: any
   `<tag>` a user types comes out as escaped text, and markdown-it refuses `javascript:`,
   `vbscript:`, `file:` and most `data:` link targets.
2. nh3 (ammonia) cleans the result against an explicit allowlist of tags and attributes, URL
   schemes http/https/mailto (and relative URLs), and adds `rel="nofollow noopener noreferrer"`
   to every link. Images may only point at https:// or this site (a relative path); the
   server never fetches them.

Cost is bounded: input beyond `MAX_CHARS` is cut off (the API already refuses longer text at
write time), markdown-it stops nesting at `MAX_NESTING` levels, and a parse that runs past
`BUDGET_SECONDS` of CPU time (pathological input, e.g. 100k `![`) is abandoned in favour of
the text as escaped plain paragraphs, so one request never burns much more CPU than that here.
CPU time, not wall time: on a busy server, ordinary text must not turn plain just because the
thread waited for a core.
"""

from __future__ import annotations

import re
import time
from collections.abc import MutableMapping
from typing import Any
from urllib.parse import unquote

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock, table
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline

MAX_CHARS = 100_000  # = the longest description/comment the API and the importer accept
MAX_NESTING = 20  # blockquote/list/emphasis levels; deeper content is dropped
MAX_TABLE_COLUMNS = 100  # wider "tables" stay text (a table is built in one uninterruptible step)
BUDGET_SECONDS = 0.1  # CPU time for parsing before falling back to plain text
CHECK_EVERY = 32  # rule calls between two looks at the clock
TRUNCATED = "<p>…</p>"

TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "code",
    "pre", "blockquote", "ul", "ol", "li", "a", "img",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "code": {"class"},  # language-xxx on fenced code, checked in _attribute
}
ATTRIBUTE_VALUES = {"th": {"align": {"left", "center", "right"}}}
ATTRIBUTE_VALUES["td"] = ATTRIBUTE_VALUES["th"]
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow noopener noreferrer"

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_LANGUAGE = re.compile(r"^language-[A-Za-z0-9_+#.-]{1,40}$")
_ALIGN = re.compile(r"^text-align:(left|center|right)$")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f]+")
_BAD_SCHEME = re.compile(r"^[^/?#]*(javascript|vbscript|data|file):")


class _OverBudget(Exception):
    pass


def _image_src(url: str) -> str | None:
    """https:// anywhere, or a path on this site; nothing else (no http, data:, //host)."""
    if url.lower().startswith("https://"):
        return url
    if _SCHEME.match(url) or url.startswith("//") or any(c <= " " or c == "\\" for c in url):
        return None
    return url


def _disguised_script(url: str) -> bool:
    """A target that only is not `javascript:` thanks to percent-encoding or control
    characters (`java%09script:`, `%01javascript:`). Browsers read these as harmless relative
    paths, but no link needs one: drop it rather than rely on that."""
    compact = _INVISIBLE.sub("", unquote(url)).lower()
    return _BAD_SCHEME.match(compact) is not None


def _attribute(tag: str, name: str, value: str) -> str | None:
    if name in ("href", "src") and _disguised_script(value):
        return None
    if tag == "img" and name == "src":
        return _image_src(value)
    if tag == "code" and name == "class":
        return value if _LANGUAGE.match(value) else None
    return value


_cleaner = nh3.Cleaner(
    tags=TAGS,
    attributes=ATTRIBUTES,
    attribute_filter=_attribute,
    tag_attribute_values=ATTRIBUTE_VALUES,
    url_schemes=URL_SCHEMES,
    link_rel=LINK_REL,
    strip_comments=True,
)


def _check_budget(env: MutableMapping[str, Any]) -> None:
    # Reading the CPU clock costs ~1 µs, more than most rule calls: look every CHECK_EVERY.
    env["ticks"] -= 1
    if env["ticks"] <= 0:
        env["ticks"] = CHECK_EVERY
        if time.thread_time() > env["deadline"]:
            raise _OverBudget


def _deadline_block(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    _check_budget(state.env)
    return False


def _deadline_inline(state: StateInline, silent: bool) -> bool:
    _check_budget(state.env)
    return False


def _narrow_table(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    delimiter_row = start + 1
    if delimiter_row < end:
        row = state.src[state.bMarks[delimiter_row] : state.eMarks[delimiter_row]]
        if row.count("|") > MAX_TABLE_COLUMNS + 1:
            return False
    return table(state, start, end, silent)


def _tidy_tokens(state: StateCore) -> None:
    """Strikethrough as <del>; table alignment as `align` (CSP forbids inline styles)."""
    for block in state.tokens:
        if block.type in ("th_open", "td_open"):
            style = block.attrs.pop("style", None)
            found = _ALIGN.match(str(style or ""))
            if found:
                block.attrs["align"] = found.group(1)
        for token in block.children or ():
            if token.type in ("s_open", "s_close"):
                token.tag = "del"


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.block.ruler.at("table", _narrow_table, {"alt": ["paragraph", "reference"]})
    md.options["maxNesting"] = MAX_NESTING
    # First in each chain, so they run at every block start, on every line of a paragraph,
    # list, quote or table, and at every inline position (including the look-aheads that
    # make some inputs slow).
    md.block.ruler.before(
        "table",
        "docket_deadline",
        _deadline_block,
        {"alt": ["paragraph", "reference", "blockquote", "list"]},  # the per-line checks
    )
    md.inline.ruler.before("text", "docket_deadline", _deadline_inline)
    md.core.ruler.push("docket_tidy", _tidy_tokens)
    return md


_md = _parser()


def plain(text: str) -> str:
    """`text` as escaped paragraphs with line breaks: the fallback, already in the exact form
    the cleaner would produce (so `clean(plain(t)) == plain(t)`)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd")
    paragraphs = [p.strip("\n") for p in re.split(r"\n[ \t]*\n", text) if p.strip()]
    return "".join("<p>" + _escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs)


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\xa0", "&nbsp;")
    )


def clean(html: str) -> str:
    """Sanitize HTML with Docket's allowlist (what `render` applies to markdown-it's output)."""
    return _cleaner.clean(html)


def deadline(seconds: float) -> float:
    """A shared limit for several renders in this thread (e.g. a page of comments), in CPU
    seconds from now: pass it to `render`; once it has passed, the rest come out plain."""
    return time.thread_time() + seconds


def render(text: str, *, until: float | None = None) -> str:
    """Markdown source → sanitized HTML, safe to put into a page as is. Parsing that takes
    more than `BUDGET_SECONDS` of CPU time (or runs past `until`, from `deadline`) is given up
    and the text is shown as plain paragraphs."""
    truncated = len(text) > MAX_CHARS
    if truncated:
        text = text[:MAX_CHARS]
    limit = time.thread_time() + BUDGET_SECONDS
    env: dict[str, Any] = {"deadline": limit if until is None else min(limit, until), "ticks": 0}
    try:
        html = _cleaner.clean(_md.render(text, env))
    except (_OverBudget, RecursionError):
        html = plain(text)
    return html + TRUNCATED if truncated else html
