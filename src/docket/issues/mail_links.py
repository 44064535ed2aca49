"""What mail in tells the replies to external contacts (docs/mail.md, "Replies by mail"):
a project's inbound address, and the Message-IDs of the mail someone sent about an issue.

The mail-in app knows both and the notifications app sends the replies, but the two are
siblings that may not import each other (pyproject.toml's layers): mail in hands its two
answers to this module when it starts (mailin/apps.py), and notifications asks here. Without
mail in installed, there is no address and nothing is mailed to contacts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from docket.accounts.models import User
from docket.issues.models import Issue
from docket.projects.models import Project


@dataclass(frozen=True)
class MailLinks:
    address: Callable[[Project], str | None]  # the project's inbound address, if it has one
    received: Callable[[Issue, User], list[str]]  # Message-IDs of their mail on it, oldest first


_provided: list[MailLinks] = []


def provide(links: MailLinks) -> None:
    _provided[:] = [links]


def inbound_address(project: Project) -> str | None:
    return _provided[0].address(project) if _provided else None


def received_ids(issue: Issue, user: User) -> list[str]:
    return _provided[0].received(issue, user) if _provided else []
