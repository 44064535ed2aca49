"""The one exception the query language raises, and the "did you mean" helper."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

from docket.core.errors import DocketError


class QueryError(DocketError):
    """A query that cannot be understood. Rendered as "message at position — did you mean x?".

    `message` says what is wrong, `position` is the 0-based character offset in the query text,
    `expected` lists what would have been accepted there (may be empty) and `suggestion` is the
    closest known spelling (or None). As a DocketError it answers HTTP 400 with those extras.
    """

    status = 400
    title = "Invalid query"

    def __init__(
        self,
        message: str,
        position: int = 0,
        *,
        expected: Sequence[str] = (),
        suggestion: str | None = None,
    ):
        detail = f"{message} at {position}"
        if suggestion is not None:
            detail += f" — did you mean '{suggestion}'?"
        super().__init__(detail, position=position, expected=list(expected), suggestion=suggestion)
        self.message = message
        self.position = position
        self.expected = list(expected)
        self.suggestion = suggestion


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The known name nearest to a misspelt `word`, if any is near enough."""
    matches = difflib.get_close_matches(word.lower(), list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None
