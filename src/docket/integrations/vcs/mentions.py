"""Which issues of a project a commit message, pull-request text or branch name names, and
which of them it says it closes ("fixes WEB-12"). Only the one project's key is looked for:
keys of other projects are not even read, so nothing about them can change or leak.

A key is the project key (any case: branch names are often lower-case), a dash and a number,
not inside a longer word: "WEB-12" in "Fix WEB-12." and "feature/web-12-login", not in
"SUBWEB-12" or "WEB-123" for 12. A closing keyword (fix, fixes, fixed, close, closes, closed,
resolve, resolves, resolved; any case; an optional colon) applies to the list of keys right
after it: "Fixes: WEB-1, WEB-2 and WEB-3"."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

KEYWORDS = r"(?:fix(?:e[sd])?|close[sd]?|resolve[sd]?)"
MAX_NUMBER = 2**31 - 1


@dataclass
class Mentions:
    numbers: set[int] = field(default_factory=set)  # every issue number named
    closing: set[int] = field(default_factory=set)  # those a closing keyword names


@lru_cache(maxsize=256)
def _patterns(project_key: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    key = rf"(?<![A-Za-z0-9]){re.escape(project_key)}-(\d+)(?![A-Za-z0-9])"
    separator = r"(?:\s*(?:,|&|\band\b)\s*|\s+)"
    closing = rf"\b{KEYWORDS}\b\s*:?\s*({key}(?:{separator}{key})*)"
    return re.compile(key, re.IGNORECASE), re.compile(closing, re.IGNORECASE)


def _numbers(pattern: re.Pattern[str], text: str) -> set[int]:
    return {int(n) for n in pattern.findall(text) if 0 < int(n) <= MAX_NUMBER}


def find(project_key: str, text: str, *, closing_allowed: bool = True) -> Mentions:
    """The issue numbers `text` names, and those it closes (never when not `closing_allowed`,
    e.g. a branch name: "fix/web-12" names WEB-12 without closing it)."""
    key, closing = _patterns(project_key)
    found = Mentions(numbers=_numbers(key, text))
    if closing_allowed and found.numbers:
        for match in closing.finditer(text):
            found.closing |= _numbers(key, match.group(1))
    return found
