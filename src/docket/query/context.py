"""What a query is evaluated against besides the data: who "@me" is and what time it is."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Context:
    """`now` must be timezone-aware: its timezone decides where days start ("today",
    `created:2026-01-01`), so pass it in the reader's zone. `me` is the value `@me` stands for
    in people fields (a username); None (anonymous) makes `@me` match nothing."""

    now: dt.datetime
    me: str | None = None
    # Who is asking, for fields whose answer depends on what they may see (an issue's links:
    # a link to an issue the viewer cannot see does not count). None: a trusted caller.
    viewer: Any = None
    # The query's own top-level requirements (CheckedQuery.requirements), filled in by
    # compile_query: what a multi-valued field's subquery may be confined by (Field.narrow).
    required: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("Context.now must be timezone-aware")

    @property
    def today(self) -> dt.date:
        return self.now.date()

    @property
    def tz(self) -> dt.tzinfo:
        assert self.now.tzinfo is not None
        return self.now.tzinfo
