"""Development links: a commit or pull request that mentions an issue goes into its history,
so the timeline shows it and the event log carries it to every consumer. The rows that list an
issue's commits and pull requests belong to the integration that saw them
(integrations/vcs); this is the one writer of the history half."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from docket.accounts.actor import Who, user_of
from docket.core.clock import now
from docket.core.errors import Invalid
from docket.issues.access import require_on_issue
from docket.issues.events import NewEvent, record, record_bulk
from docket.issues.models import EventKind, Issue, IssueEvent
from docket.projects.access import Perm

KINDS = {"commit": EventKind.COMMIT_LINKED, "pull_request": EventKind.PR_LINKED}
MAX_TEXT = 1000  # per value kept in the event (a commit's first line, a URL, a title)


def _kept(data: dict[str, Any]) -> dict[str, Any]:
    """Plain JSON values only, strings cut to MAX_TEXT (history is not the place for a
    commit message of megabytes; the link row keeps the whole message)."""
    kept: dict[str, Any] = {}
    for name, value in data.items():
        if isinstance(value, str):
            kept[name] = value[:MAX_TEXT]
        elif value is None or isinstance(value, bool | int):
            kept[name] = value
        else:
            raise Invalid.field(name, "must be text, a number, true/false or null")
    return kept


def link_reference(
    *, issue: Issue, actor: Who, kind: Literal["commit", "pull_request"], data: dict[str, Any]
) -> IssueEvent:
    """Record that a commit or pull request (`data`: sha/number, title, url, branch, author,
    state…) refers to `issue`. The actor needs to be able to comment on it."""
    if kind not in KINDS:
        raise Invalid.field("kind", "must be commit or pull_request")
    require_on_issue(actor, issue, Perm.COMMENT)
    return record(issue, actor, KINDS[kind], now(), new=_kept(data))


def link_references(
    *,
    actor: Who,
    kind: Literal["commit", "pull_request"],
    links: Sequence[tuple[Issue, dict[str, Any]]],
) -> None:
    """`link_reference` for many (issue, data) pairs at once — a push naming 40 issues — in
    one INSERT. These events change no text the search index holds, so none is reindexed."""
    if kind not in KINDS:
        raise Invalid.field("kind", "must be commit or pull_request")
    for issue, _ in links:
        require_on_issue(actor, issue, Perm.COMMENT)
    moment, user = now(), user_of(actor)
    record_bulk(
        [
            NewEvent(
                issue.id,
                user.id if user else None,
                KINDS[kind],
                issue.version,
                moment,
                new=_kept(data),
            )  # fmt: skip
            for issue, data in links
        ]
    )
