"""Mail in's answers for the replies to contacts (issues/mail_links.py, given in apps.py)."""

from __future__ import annotations

from docket.accounts.models import User
from docket.issues.mail_links import MailLinks
from docket.issues.models import Issue
from docket.mailin.models import Inbound, Mailbox
from docket.projects.models import Project


def inbound_address(project: Project) -> str | None:
    return Mailbox.objects.filter(project=project).values_list("address", flat=True).first()


def received_ids(issue: Issue, user: User) -> list[str]:
    """The Message-IDs of the mail `user` sent that became `issue` or its comments."""
    rows = Inbound.objects.filter(
        issue=issue, author=user, outcome__in=[Inbound.Outcome.OPENED, Inbound.Outcome.COMMENTED]
    ).exclude(message_id="")
    return list(rows.order_by("received_at", "id").values_list("message_id", flat=True))


LINKS = MailLinks(inbound_address, received_ids)
