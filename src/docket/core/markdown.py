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

Besides CommonMark: GitHub-style task lists (`- [ ] todo`, `- [x] done`) as disabled
checkboxes, and references: `@username` and issue keys (`WEB-12`) in text, not in code or
links. Whether a reference is a link depends on who reads (a key only for someone who may see
the issue), and core knows no users or issues, so rendering is two steps:

- `prepare(text)`: the reader-independent part, cached per process (`CACHE_CHARS`): the
  sanitised HTML with a placeholder for each reference, and the names and keys it refers to;
- `finish(prepared, references)`: each placeholder becomes the link the caller resolved for
  it (`References`, built by the issues app for one reader, one lookup per page) or its plain
  text. The links are Docket's own markup around validated names and escaped titles; nothing
  the user wrote bypasses nh3.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from html import escape as escape_attribute
from typing import Any
from urllib.parse import unquote

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock, table
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

MAX_CHARS = 100_000  # = the longest description/comment the API and the importer accept
MAX_NESTING = 20  # blockquote/list/emphasis levels; deeper content is dropped
MAX_TABLE_COLUMNS = 100  # wider "tables" stay text (a table is built in one uninterruptible step)
BUDGET_SECONDS = 0.1  # CPU time for parsing before falling back to plain text
CHECK_EVERY = 32  # rule calls between two looks at the clock
TRUNCATED = "<p>…</p>"
MAX_REFERENCES = 50  # distinct @names, and distinct issue keys, linked in one text
CACHE_CHARS = 4_000_000  # text + prepared HTML kept per process (see `prepare`)

TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "code",
    "pre", "blockquote", "ul", "ol", "li", "a", "img",
    "table", "thead", "tbody", "tr", "th", "td", "input",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "li": {"class"},  # "task", checked in _attribute
    "input": {"checked", "disabled"},  # a task list's checkbox (type: ATTRIBUTE_VALUES)
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "code": {"class"},  # language-xxx on fenced code, checked in _attribute
}
ATTRIBUTE_VALUES = {"th": {"align": {"left", "center", "right"}}}
ATTRIBUTE_VALUES["td"] = ATTRIBUTE_VALUES["th"]
ATTRIBUTE_VALUES["input"] = {"type": {"checkbox"}}
TASK_CLASS = "task"
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
    if tag == "li" and name == "class":
        return value if value == TASK_CLASS else None
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


# --- task lists -----------------------------------------------------------------------------

_TASK = re.compile(r"\[([ xX])\][ \t]")


def _task_lists(state: StateCore) -> None:
    """`- [ ] todo` / `- [x] done`: a list item whose text starts with a box becomes a task
    with a disabled checkbox (GitHub's task lists; readers cannot tick it here)."""
    tokens = state.tokens
    for i in range(len(tokens) - 2):
        item, para, inline = tokens[i], tokens[i + 1], tokens[i + 2]
        if item.type != "list_item_open" or para.type != "paragraph_open":
            continue
        children = inline.children or []
        first = children[0] if children and children[0].type == "text" else None
        found = _TASK.match(first.content) if first is not None else None
        if first is None or found is None:
            continue
        first.content = first.content[found.end() :]
        children.insert(
            0, Token("docket_task", "input", 0, meta={"checked": found.group(1) != " "})
        )
        item.attrs["class"] = TASK_CLASS


def _render_task(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    checked = " checked" if tokens[idx].meta["checked"] else ""
    return f'<input type="checkbox" disabled{checked}> '


# --- references: @mentions and issue keys ---------------------------------------------------

# `@name` not preceded by a word character or . @ / + - (so not a@b.com, nor a path or URL);
# trailing dots and hyphens are punctuation, and `@a@b` (an address) is not a mention.
MENTION = re.compile(r"(?<![\w.@/+-])@([\w][\w.-]*)")
# An issue key (ISSUE_KEY in issues/access.py, capitals only, as keys are written) standing
# alone as a word: not inside `x/WEB-1`, `WEB-1-2` or `a.WEB-1`.
ISSUE_REFERENCE = re.compile(r"(?<![\w/.-])([A-Z][A-Z0-9]{1,9}-[1-9][0-9]{0,9})(?![\w-])")
# Placeholders in prepared HTML. Unicode noncharacters: free for internal use, and removed from
# the input before parsing, so no text can forge one (a forged one would only be a reference).
_OPEN, _CLOSE = "\ufdd0", "\ufdd1"
_NONCHARACTERS = re.compile("[\ufdd0\ufdd1]")
_PLACEHOLDER = re.compile(f"{_OPEN}([mk])([^{_CLOSE}]*){_CLOSE}")


def _mentions_in(scan: str, offset: int) -> Iterable[tuple[int, int, str]]:
    for found in MENTION.finditer(scan):
        name = found.group(1).rstrip(".-")
        end = found.start(1) + len(name)
        if found.start() >= offset and name and not scan.startswith("@", end):
            yield found.start(), end, "m"


def _keys_in(scan: str, offset: int) -> Iterable[tuple[int, int, str]]:
    for found in ISSUE_REFERENCE.finditer(scan):
        if found.start() >= offset:
            yield found.start(), found.end(), "k"


def _split_text(token: Token, before: str, env: MutableMapping[str, Any]) -> list[Token]:
    """A text token as text and reference tokens (`before`: the character ahead of it)."""
    scan = before + token.content
    spans = sorted([*_mentions_in(scan, len(before)), *_keys_in(scan, len(before))])
    if not spans:
        return [token]
    pieces: list[Token] = []
    at = len(before)
    for start, end, kind in spans:
        if start < at:
            continue  # overlapping (`@WEB-1`): the first one wins
        found = env["mentions"] if kind == "m" else env["keys"]
        ref = scan[start + 1 : end] if kind == "m" else scan[start:end]
        if ref not in found and len(found) >= MAX_REFERENCES:
            continue
        found.setdefault(ref, None)
        if start > at:
            pieces.append(_text(scan[at:start]))
        pieces.append(Token("docket_ref", "", 0, content=scan[start:end], info=kind))
        at = end
    if at < len(scan):
        pieces.append(_text(scan[at:]))
    return pieces


def _text(content: str) -> Token:
    return Token("text", "", 0, content=content)


def _find_references(state: StateCore) -> None:
    """Mark @names and issue keys in text outside links (code is never text). Runs before
    text_join, so an escaped `\\@` stays a separate token and mentions nobody."""
    state.env.setdefault("mentions", {})
    state.env.setdefault("keys", {})
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        in_link, before = 0, ""
        for token in block.children:
            in_link += {"link_open": 1, "link_close": -1}.get(token.type, 0)
            if token.type == "text" and not in_link:
                children.extend(_split_text(token, before, state.env))
            else:
                children.append(token)
            before = token.content[-1:] if token.type in ("text", "text_special") else ""
        block.children = children


def _render_reference(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    return f"{_OPEN}{token.info}{_escape(token.content)}{_CLOSE}"


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
    md.core.ruler.before("text_join", "docket_tasks", _task_lists)
    md.core.ruler.before("text_join", "docket_references", _find_references)
    md.core.ruler.push("docket_tidy", _tidy_tokens)
    md.add_render_rule("docket_task", _render_task)
    md.add_render_rule("docket_ref", _render_reference)
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


@dataclass(frozen=True)
class Prepared:
    """What a text renders to for anyone: sanitised HTML with a placeholder per reference,
    and the @names and issue keys referred to (in order, at most MAX_REFERENCES each)."""

    html: str
    mentions: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class Link:
    href: str
    title: str = ""


@dataclass(frozen=True)
class References:
    """How to show references for one reader: links by username and by issue key (upper
    case). A reference missing here is shown as its text."""

    people: Mapping[str, Link] = field(default_factory=dict)
    issues: Mapping[str, Link] = field(default_factory=dict)


NO_REFERENCES = References()
# Given every username and issue key of a page, the links for its reader (one lookup each).
Resolver = Callable[[set[str], set[str]], References]


class PreparedCache:
    """Prepared texts by their source, least recently used dropped past `limit` characters
    (source + HTML). Only complete renders are kept: a text that fell back to plain because
    the CPU budget ran out is tried again next time."""

    def __init__(self, limit: int):
        self.limit = limit
        self.size = 0
        self._items: OrderedDict[str, Prepared] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str) -> Prepared | None:
        with self._lock:
            found = self._items.get(text)
            if found is not None:
                self._items.move_to_end(text)
            return found

    def put(self, text: str, prepared: Prepared) -> None:
        cost = len(text) + len(prepared.html)
        if cost > self.limit:
            return
        with self._lock:
            if text in self._items:
                return
            self._items[text] = prepared
            self.size += cost
            while self.size > self.limit:
                old_text, old = self._items.popitem(last=False)
                self.size -= len(old_text) + len(old.html)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.size = 0


_cache = PreparedCache(CACHE_CHARS)


def forget() -> None:
    """Empty this process's cache of prepared texts (tests of the budget need fresh parses)."""
    _cache.clear()


def prepare(text: str, *, until: float | None = None) -> Prepared:
    """The reader-independent rendering of `text` (cached). Parsing that takes more than
    `BUDGET_SECONDS` of CPU time (or runs past `until`, from `deadline`) is given up and the
    text is shown as plain paragraphs, without references."""
    found = _cache.get(text)
    if found is not None:
        return found
    source = text[:MAX_CHARS]
    limit = time.thread_time() + BUDGET_SECONDS
    env: dict[str, Any] = {"deadline": limit if until is None else min(limit, until), "ticks": 0}
    try:
        html = _cleaner.clean(_md.render(_NONCHARACTERS.sub("\ufffd", source), env))
    except (_OverBudget, RecursionError):
        return Prepared(_truncated(plain(source), text))
    prepared = Prepared(_truncated(html, text), tuple(env["mentions"]), tuple(env["keys"]))
    _cache.put(text, prepared)
    return prepared


def _truncated(html: str, text: str) -> str:
    return html + TRUNCATED if len(text) > MAX_CHARS else html


def finish(prepared: Prepared, references: References = NO_REFERENCES) -> str:
    """The prepared HTML with each reference as its link in `references`, or as text."""
    if not prepared.mentions and not prepared.keys:
        return prepared.html

    def shown(found: re.Match[str]) -> str:
        kind, text = found.group(1), found.group(2)
        links = references.people if kind == "m" else references.issues
        link = links.get(text[1:] if kind == "m" else text)
        if link is None:
            return text
        css = "mention" if kind == "m" else "issue-ref"
        title = f' title="{escape_attribute(link.title)}"' if link.title else ""
        return f'<a href="{escape_attribute(link.href)}" class="{css}"{title}>{text}</a>'

    return _PLACEHOLDER.sub(shown, prepared.html)


def render(text: str, *, until: float | None = None, resolve: Resolver | None = None) -> str:
    """Markdown source → sanitized HTML, safe to put into a page as is; references become
    links as `resolve` says (none without it)."""
    return render_many([text], until=until, resolve=resolve)[0]


def render_many(
    texts: Sequence[str], *, until: float | None = None, resolve: Resolver | None = None
) -> list[str]:
    """Several texts for one reader (a page of comments): their references are resolved in
    one call to `resolve`, whatever their number."""
    prepared = [prepare(text, until=until) for text in texts]
    references = NO_REFERENCES
    if resolve is not None:
        names = {name for p in prepared for name in p.mentions}
        keys = {key for p in prepared for key in p.keys}
        if names or keys:
            references = resolve(names, keys)
    return [finish(p, references) for p in prepared]
