"""What a forge's delivery says, in one shape whatever the forge: which event, and for a push
its branch and commits, for a pull/merge request its number, text, branches and state. The
three payload dialects (GitHub; GitLab; Gitea, Forgejo and Gogs) are read here and nowhere
else. Missing or odd fields read as empty rather than failing: a forge adds and drops fields
between versions, and a commit without an e-mail is still a commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# The header naming the event, per provider, in the order they are looked for.
EVENT_HEADERS = {
    "github": ("X-GitHub-Event",),
    "gitlab": ("X-Gitlab-Event",),
    "gitea": ("X-Forgejo-Event", "X-Gitea-Event", "X-Gogs-Event", "X-GitHub-Event"),
}
# The header carrying the forge's id for the delivery (a redelivery repeats it).
DELIVERY_HEADERS = {
    "github": ("X-GitHub-Delivery",),
    "gitlab": ("X-Gitlab-Event-UUID", "X-Gitlab-Webhook-UUID"),
    "gitea": ("X-Forgejo-Delivery", "X-Gitea-Delivery", "X-Gogs-Delivery", "X-GitHub-Delivery"),
}
PUSH = "push"
PULL_REQUEST = "pull_request"
PING = "ping"
# Each provider's event names for what Docket reads.
KINDS = {
    "github": {"push": PUSH, "pull_request": PULL_REQUEST, "ping": PING},
    "gitlab": {"Push Hook": PUSH, "Merge Request Hook": PULL_REQUEST},
    "gitea": {"push": PUSH, "pull_request": PULL_REQUEST},
}


def first_header(headers: Mapping[str, str], names: tuple[str, ...]) -> str:
    return next((headers[n] for n in names if headers.get(n)), "")


@dataclass(frozen=True)
class Commit:
    sha: str
    message: str
    author_name: str
    author_email: str
    url: str
    timestamp: dt.datetime | None


@dataclass(frozen=True)
class Push:
    repository: str
    ref: str
    commits: list[Commit]

    @property
    def branch(self) -> str | None:
        """The branch pushed to; None for a tag."""
        return self.ref.removeprefix("refs/heads/") if self.ref.startswith("refs/heads/") else None


@dataclass(frozen=True)
class PullRequest:
    repository: str
    number: int
    title: str
    body: str
    url: str
    source_branch: str
    target_branch: str
    state: str  # open, closed, merged
    author: str
    author_email: str


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    """A string field as Docket can store it: NUL characters dropped and unpaired surrogates
    replaced (JSON allows both; PostgreSQL refuses them), anything else empty."""
    if not isinstance(value, str):
        return ""
    return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _moment(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def repository_name(provider: str, payload: dict[str, Any]) -> str:
    if provider == "gitlab":
        return _text(_dict(payload.get("project")).get("path_with_namespace"))
    return _text(_dict(payload.get("repository")).get("full_name"))


def read_push(provider: str, payload: dict[str, Any]) -> Push:
    commits = []
    for raw in payload.get("commits") or []:
        item, author = _dict(raw), _dict(_dict(raw).get("author"))
        sha = _text(item.get("id"))
        if sha:
            commits.append(
                Commit(
                    sha=sha,
                    message=_text(item.get("message")),
                    author_name=_text(author.get("name")),
                    author_email=_text(author.get("email")),
                    url=_text(item.get("url")),
                    timestamp=_moment(item.get("timestamp")),
                )
            )
    return Push(repository_name(provider, payload), _text(payload.get("ref")), commits)


def read_pull_request(provider: str, payload: dict[str, Any]) -> PullRequest:
    if provider == "gitlab":
        return _gitlab_merge_request(payload)
    pr = _dict(payload.get("pull_request"))
    user = _dict(pr.get("user"))
    state = (
        "merged"
        if pr.get("merged") is True
        else ("open" if pr.get("state") == "open" else "closed")
    )
    number = pr.get("number", payload.get("number"))
    return PullRequest(
        repository=repository_name(provider, payload),
        number=number if isinstance(number, int) else 0,
        title=_text(pr.get("title")),
        body=_text(pr.get("body")),
        url=_text(pr.get("html_url")),
        source_branch=_text(_dict(pr.get("head")).get("ref")),
        target_branch=_text(_dict(pr.get("base")).get("ref")),
        state=state,
        author=_text(user.get("login")),
        author_email=_text(user.get("email")),
    )


GITLAB_STATES = {"opened": "open", "merged": "merged"}  # closed, locked: closed


def _gitlab_merge_request(payload: dict[str, Any]) -> PullRequest:
    attrs, user = _dict(payload.get("object_attributes")), _dict(payload.get("user"))
    number = attrs.get("iid")
    return PullRequest(
        repository=repository_name("gitlab", payload),
        number=number if isinstance(number, int) else 0,
        title=_text(attrs.get("title")),
        body=_text(attrs.get("description")),
        url=_text(attrs.get("url")),
        source_branch=_text(attrs.get("source_branch")),
        target_branch=_text(attrs.get("target_branch")),
        state=GITLAB_STATES.get(_text(attrs.get("state")), "closed"),
        author=_text(user.get("username")),
        author_email=_text(user.get("email")),
    )
