"""User text on its way to a full-text backend: cleaned so no database refuses it. Backends
still quote every term themselves (FTS5 strings, PostgreSQL `phraseto_tsquery` parameters):
nothing a user types is ever read as backend syntax."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from docket.query.search.hook import SearchTerm

WORD_CHAR = re.compile(r"[^\W_]")  # a letter or a digit


def clean(text: str) -> str:
    """No NUL (PostgreSQL refuses it in text), no lone surrogates (not encodable as UTF-8)."""
    return text.replace("\x00", " ").encode("utf-8", "replace").decode("utf-8")


def searchable(terms: Sequence[SearchTerm]) -> list[SearchTerm]:
    """The terms that can be found in an index, cleaned. A term without a letter or digit
    (`*`, `-`, `"..."`) has nothing to look up and is left out, just as the punctuation
    inside a word is (`c++` finds the word `c`)."""
    return [replace(t, text=clean(t.text)) for t in terms if WORD_CHAR.search(t.text)]


def fts5_string(text: str) -> str:
    """An FTS5 string: everything inside is literal, `"` is written twice."""
    return '"' + clean(text).replace('"', '""') + '"'
