"""What an uploaded file is called and what it is, decided by the server alone.

- `clean_filename`: the display name, from whatever the client sent (never used on disk).
- `Inspector`: counts, hashes and classifies the bytes as they stream to disk.
- `served_type`: the Content-Type a download gets. Only a short allowlist is served as its
  real type, and only when the bytes prove it; everything else is application/octet-stream.
  The client's declared type is never consulted; the name can only make the answer stricter.
- `content_disposition`: an RFC 6266 header with an ASCII fallback and the RFC 5987 UTF-8 name.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator
from urllib.parse import quote

MAX_FILENAME = 200
MAX_EXTENSION = 16  # a longer ".suffix" is part of the name, not an extension
FALLBACK_NAME = "attachment"
OCTET_STREAM = "application/octet-stream"
TEXT_PLAIN = "text/plain"
HEAD_BYTES = 512  # what the type checks look at

# Bidi embeddings/overrides/isolates (U+202A–U+202E, U+2066–U+2069) and the invisible marks
# (LRM, RLM, ALM): they make "evil\u202egnp.exe" display as "evilexe.png".
_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_REMOVED_CATEGORIES = {"Cc", "Cs", "Co", "Cn"}  # controls (NUL too), surrogates, unassigned
_PATH_SEPARATORS = re.compile(r"[/\\]")
_WHITESPACE = re.compile(r"\s+")
# Characters a plain text file may hold besides printable ones: tab, newline, form feed, CR.
_TEXT_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
# Names a browser or OS would treat as markup, script or active content: never text/plain.
ACTIVE_EXTENSIONS = {
    ".htm",
    ".html",
    ".xhtml",
    ".shtml",
    ".mht",
    ".mhtml",
    ".svg",
    ".svgz",
    ".xml",
    ".xsl",
    ".xslt",
    ".rss",
    ".atom",
    ".js",
    ".mjs",
    ".cjs",
    ".jsx",
    ".css",
    ".hta",
    ".vbs",
    ".wasm",
    ".swf",
    ".php",
}
# Magic numbers of the types served as themselves (WebP: "RIFF", size, "WEBP").
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)


def _split_extension(name: str) -> tuple[str, str]:
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or not ext or len(ext) + 1 > MAX_EXTENSION or " " in ext:
        return name, ""
    return stem, "." + ext


def extension(name: str) -> str:
    """The lower-case extension of a (clean) name, with its dot; "" if none."""
    return _split_extension(name)[1].lower()


def clean_filename(raw: str | None) -> str:
    """A safe display name: the last path component (`/` and `\\` both separate; `%2F` is
    just three characters), without control characters, NUL or bidi overrides, whitespace
    collapsed, no leading dots, at most 200 characters keeping the extension."""
    name = unicodedata.normalize("NFC", raw or "")
    name = "".join(
        " " if char.isspace() else char
        for char in name
        if char.isspace()  # tabs and line breaks become spaces, other controls go
        or (char not in _BIDI and unicodedata.category(char) not in _REMOVED_CATEGORIES)
    )
    parts = [part for part in _PATH_SEPARATORS.split(name) if part.strip(" .")]
    name = _WHITESPACE.sub(" ", parts[-1] if parts else "").strip()
    name = name.lstrip(". ").rstrip(". ")  # no hidden files; Windows drops trailing dots
    if len(name) > MAX_FILENAME:
        stem, ext = _split_extension(name)
        name = stem[: MAX_FILENAME - len(ext)].rstrip(". ") + ext
    return name or FALLBACK_NAME


def _ascii_fallback(name: str) -> str:
    """The plain `filename=` value for old clients: ASCII letters and safe punctuation only
    (no quotes, backslashes or `%`, which some browsers decode)."""
    stem, ext = _split_extension(name)

    def plain(text: str) -> str:
        folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        return re.sub(r"[^A-Za-z0-9 !#$&'()+,\-.;=@\[\]^_`{}~]", "_", folded)

    stem, ext = plain(stem).strip().lstrip("."), plain(ext)
    if not stem.strip("_"):
        stem = FALLBACK_NAME
    return stem + ext


def content_disposition(name: str) -> str:
    """`attachment` always: Docket never renders an uploaded file in its own pages."""
    return (
        f"attachment; filename=\"{_ascii_fallback(name)}\"; filename*=UTF-8''{quote(name, safe='')}"
    )


class TooLarge(Exception):
    """Raised by `Inspector.feed` once more than `limit` bytes went past."""


class Inspector:
    """Streams chunks through (see `feed`), keeping the size, SHA-256, first bytes and
    whether all of it so far is UTF-8 text without control characters."""

    def __init__(self, limit: int):
        self.limit = limit
        self.size = 0
        self.head = b""
        self.is_text = True
        self._hash = hashlib.sha256()
        self._decoder = codecs.getincrementaldecoder("utf-8")()

    def feed(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self.size += len(chunk)
            if self.size > self.limit:
                raise TooLarge(self.limit)
            self._hash.update(chunk)
            if len(self.head) < HEAD_BYTES:
                self.head += chunk[: HEAD_BYTES - len(self.head)]
            if self.is_text:
                self._check_text(chunk)
            yield chunk
        if self.is_text:
            self._check_text(b"", final=True)

    def _check_text(self, chunk: bytes, *, final: bool = False) -> None:
        try:
            text = self._decoder.decode(chunk, final=final)
        except UnicodeDecodeError:
            self.is_text = False
            return
        if _TEXT_CONTROLS.search(text):
            self.is_text = False

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()


def _looks_like_markup(head: bytes) -> bool:
    """True when the text starts like HTML, XML or SVG would (a `<` first)."""
    text = head.removeprefix(codecs.BOM_UTF8).lstrip(b" \t\r\n\x0c")
    return text.startswith(b"<")


def served_type(head: bytes, *, is_text: bool, filename: str) -> str:
    """The Content-Type downloads of this file get. Images and PDF by their magic bytes; text
    when it is UTF-8 without controls, does not start like markup and is not named like
    markup or script; anything else (SVG, HTML, XML, JS, archives, ...) is octet-stream."""
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if is_text and not _looks_like_markup(head) and extension(filename) not in ACTIVE_EXTENSIONS:
        return TEXT_PLAIN
    return OCTET_STREAM


# The types a page may show inline as an <img> thumbnail: raster images proven by their magic
# bytes. Never SVG (it can carry script; it is stored as octet-stream anyway).
PREVIEWABLE = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

# Every Content-Type a download may have (for the OpenAPI document).
SERVED_TYPES = (
    *sorted({content_type for _, content_type in _SIGNATURES} | {"image/webp"}),
    f"{TEXT_PLAIN}; charset=utf-8",
    OCTET_STREAM,
)


def response_type(content_type: str) -> str:
    """The Content-Type header for a stored type (text always as UTF-8)."""
    return f"{TEXT_PLAIN}; charset=utf-8" if content_type == TEXT_PLAIN else content_type
