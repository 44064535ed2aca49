"""Closing an issue because a commit or merged pull request says it fixes it: through the
workflow, never around it.

Who acts: the Docket user whose e-mail is the author's (active, and the only account with that
address) if they may see the issue and take a transition to a done state from where it is;
otherwise the `docket-vcs` bot (member role), with a comment naming the author. If neither
may, or the transition needs something a commit cannot give, the issue stays as it is and a
comment says why. An issue already in a done state is left alone."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from docket.accounts.actor import Actor, Who
from docket.accounts.models import User
from docket.core.errors import DocketError
from docket.issues import actions as issue_actions
from docket.issues import comments, editing
from docket.issues.access import can_see
from docket.issues.models import Issue


@dataclass(frozen=True)
class Closer:
    """What closes the issue, as the comment words it: "commit abc1234", "pull request #7"."""

    what: str
    author_name: str
    author_email: str

    @property
    def author(self) -> str:
        if self.author_email and self.author_name:
            return f"{self.author_name} <{self.author_email}>"
        return self.author_name or self.author_email or "an unknown author"


def matching_user(email: str) -> User | None:
    """The one active account with this e-mail address (none if several share it)."""
    if not email or "@" not in email:
        return None
    found = list(User.objects.filter(email__iexact=email.strip(), is_active=True)[:2])
    return found[0] if len(found) == 1 else None


def _done_transition(actor: Who, issue: Issue) -> dict[str, object] | None:
    """The first transition (workflow order) `actor` may take from here to a done state."""
    return next((t for t in editing.transitions_for(actor, issue) if t["done"]), None)


def _try(actor: Who, issue: Issue, comment: str | None) -> str | None:
    """Take a done transition as `actor`; None when done, else why not."""
    move = _done_transition(actor, issue)
    if move is None:
        return "no transition to a done state is open to it from " + issue.status.name
    try:
        with transaction.atomic():
            issue_actions.transition(
                actor=actor, issue=issue, to=str(move["to"]), name=str(move["name"]),
                comment=comment,
            )  # fmt: skip
    except DocketError as refused:
        return f"{move['name']} was refused: {refused.detail}"
    return None


def close(issue: Issue, closer: Closer, bot: Actor) -> bool:
    """Move `issue` to a done state for `closer`; True if it moved."""
    issue = Issue.objects.select_related("project", "status").get(pk=issue.pk)
    if issue.status.is_done:
        return False
    person = matching_user(closer.author_email)
    if person is not None:
        actor = Actor(person)
        if can_see(actor, issue) and _try(actor, issue, None) is None:
            return True
    said = f"Closed by {closer.what} from {closer.author}"
    if person is None:
        said += " (no Docket account has that e-mail address)."
    else:
        said += f" ({person.username} may not close this issue, so Docket did)."
    why = _try(bot, issue, said)
    if why is None:
        return True
    comments.add_comment(
        actor=bot,
        issue=issue,
        body=f"{closer.what[0].upper()}{closer.what[1:]} from {closer.author} says it fixes "
        f"this issue, but it was not closed: {why}.",
    )
    return False
