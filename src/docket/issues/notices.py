"""Notices: events whose only purpose is to tell someone about an issue — named people (an
automation rule's `notify` action) or a project's webhook (its `webhook` action). They go into
the issue's history like any event; the notifications consumer tells the people a notice names
(if they may see the issue when it is delivered, as for every notification), and the
integrations' hooks consumer sends a webhook request to the hook it names."""

from __future__ import annotations

from collections.abc import Iterable

from docket.accounts.actor import Who
from docket.accounts.models import User
from docket.core.clock import now
from docket.core.errors import Invalid
from docket.issues.access import require_on_issue
from docket.issues.events import record
from docket.issues.fields import clean_text
from docket.issues.models import EventKind, Issue, IssueEvent
from docket.projects.access import Perm

MAX_NAMED = 200
MAX_MESSAGE = 2000


def send_notice(
    *, actor: Who, issue: Issue, people: Iterable[User], message: str = ""
) -> IssueEvent:
    """Record a notice to `people` (active accounts; at most MAX_NAMED) on `issue`."""
    require_on_issue(actor, issue, Perm.COMMENT)
    message = clean_text("message", message, max_length=MAX_MESSAGE, required=False)
    names = sorted({user.username for user in people if user.is_active})
    if not names:
        raise Invalid("nobody to notify: the people, roles, team or watchers named are empty")
    if len(names) > MAX_NAMED:
        raise Invalid(f"a notice names at most {MAX_NAMED} people, not {len(names)}")
    return record(issue, actor, EventKind.NOTICE, now(), new={"to": names, "message": message})


def request_webhook(*, actor: Who, issue: Issue, hook: str, message: str = "") -> IssueEvent:
    """Record that the project's webhook named `hook` should be sent this issue."""
    require_on_issue(actor, issue, Perm.COMMENT)
    hook = clean_text("hook", hook, max_length=100, required=True)
    message = clean_text("message", message, max_length=MAX_MESSAGE, required=False)
    return record(
        issue, actor, EventKind.WEBHOOK_REQUESTED, now(), new={"hook": hook, "message": message}
    )
