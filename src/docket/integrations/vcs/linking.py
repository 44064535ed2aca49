"""A verified push or pull-request delivery applied to the repository's project: the commits
and pull requests that name its issues are linked (a row here, an event in the issue's
history through issues/development.py) and closing keywords close issues (closing.py).

Only the connected project's key is looked for, and only its issues (not deleted) are read:
a delivery cannot touch, or tell anything about, another project."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from docket.accounts.actor import Actor
from docket.core.clock import now
from docket.integrations.vcs import mentions
from docket.integrations.vcs.closing import Closer, close
from docket.integrations.vcs.models import CommitLink, PullRequestLink, Repository
from docket.integrations.vcs.payloads import Commit, PullRequest, Push
from docket.issues.development import link_reference, link_references
from docket.issues.models import Issue

MAX_COMMITS = 2048  # GitHub's own cap on a push's commits
SHORT_SHA = 7


@dataclass
class Tally:
    linked: int = 0
    closed: int = 0


def _issues(repository: Repository, numbers: set[int]) -> dict[int, Issue]:
    if not numbers:
        return {}
    # What linking reads of an issue (closing reads the whole row again, locked).
    found = Issue.objects.filter(
        project=repository.project, number__in=numbers, deleted_at__isnull=True
    ).only("id", "number", "project_id", "version", "reporter_id", "confidential")
    for issue in found:
        issue.project = repository.project  # one project: no join, one instance for the gates
    return {issue.number: issue for issue in found}


def _safe_url(url: str) -> str:
    """Only http(s) links reach a page."""
    return url[:500] if url.startswith(("https://", "http://")) else ""


def commit_url(repository: Repository, commit: Commit) -> str:
    base = repository.web_url.rstrip("/")
    return _safe_url(commit.url) or (f"{base}/commit/{commit.sha}" if base else "")


def _commit_event(repository: Repository, link: CommitLink) -> dict[str, Any]:
    return {
        "repository": repository.full_name, "sha": link.sha, "title": link.title,
        "url": link.url, "branch": link.branch, "author": link.author_name or link.author_email,
    }  # fmt: skip


def apply_push(repository: Repository, push: Push, bot: Actor) -> Tally:
    """Link the push's commits to the issues they name — their rows and history events in a
    few statements whatever the number of commits — then close what they say they fix."""
    branch = (push.branch or "")[:200]
    on_default = branch == repository.default_branch
    named = [
        (commit, found)
        for commit in push.commits[:MAX_COMMITS]
        if (found := mentions.find(repository.project.key, commit.message)).numbers
    ]
    issues = _issues(repository, {n for _, found in named for n in found.numbers})
    links = {
        (link.issue_id, link.sha): link
        for link in CommitLink.objects.filter(
            issue__in=list(issues.values()), sha__in=[c.sha[:64] for c, _ in named]
        )
    }
    made, landed, to_close = _commit_links(repository, issues, named, links, branch, on_default)
    CommitLink.objects.bulk_create(made)
    if landed:
        CommitLink.objects.bulk_update(landed, ["on_default_branch", "branch", "closes"])
    news = made + landed
    by_id = {issue.id: issue for issue in issues.values()}
    events = [(by_id[link.issue_id], _commit_event(repository, link)) for link in news]
    link_references(actor=bot, kind="commit", links=events)
    tally = Tally(linked=len(news))
    for link, commit in to_close:
        closer = Closer(f"commit {link.sha[:SHORT_SHA]}", commit.author_name, commit.author_email)
        tally.closed += close(by_id[link.issue_id], closer, bot)
        link.closed_issue = True
    if to_close:
        CommitLink.objects.bulk_update([link for link, _ in to_close], ["closes", "closed_issue"])
    return tally


def _commit_links(
    repository: Repository,
    issues: dict[int, Issue],
    named: list[tuple[Commit, mentions.Mentions]],
    links: dict[tuple[int, str], CommitLink],
    branch: str,
    on_default: bool,
) -> tuple[list[CommitLink], list[CommitLink], list[tuple[CommitLink, Commit]]]:
    """Links to make (first sight), links that reach the default branch now (each a line in
    the timeline) and links whose closing keyword acts now (on the default branch, once)."""
    made: list[CommitLink] = []
    landed: list[CommitLink] = []
    to_close: list[tuple[CommitLink, Commit]] = []
    moment = now()
    for commit, found in named:
        for number in sorted(found.numbers & set(issues)):
            issue = issues[number]
            link = links.get((issue.id, commit.sha[:64]))
            if link is None:
                link = CommitLink(
                    issue=issue, repository=repository, sha=commit.sha[:64],
                    title=commit.message.split("\n", 1)[0][:500], message=commit.message,
                    author_name=commit.author_name[:200], author_email=commit.author_email[:254],
                    url=commit_url(repository, commit), branch=branch,
                    on_default_branch=on_default, committed_at=commit.timestamp, linked_at=moment,
                )  # fmt: skip
                links[(issue.id, link.sha)] = link
                made.append(link)
            elif on_default and not link.on_default_branch:
                link.on_default_branch, link.branch = True, branch
                landed.append(link)
            link.closes = link.closes or number in found.closing
            closing_now = on_default and link.closes and not link.closed_issue
            if closing_now and all(done is not link for done, _ in to_close):
                to_close.append((link, commit))
    return made, landed, to_close


def apply_pull_request(repository: Repository, pr: PullRequest, bot: Actor) -> Tally:
    key = repository.project.key
    said = mentions.find(key, f"{pr.title}\n{pr.body}")
    in_branch = mentions.find(key, pr.source_branch, closing_allowed=False)
    issues = _issues(repository, said.numbers | in_branch.numbers)
    links = {
        link.issue_id: link
        for link in PullRequestLink.objects.filter(
            repository=repository, number=pr.number, issue__in=list(issues.values())
        )
    }
    merged_into_default = pr.state == "merged" and pr.target_branch == repository.default_branch
    tally = Tally()
    for number, issue in sorted(issues.items()):
        link = _link_pull_request(repository, issue, pr, links.get(issue.id), bot, tally)
        if merged_into_default and number in said.closing and not link.closed_issue:
            tally.closed += close(
                issue, Closer(f"pull request #{pr.number}", pr.author, pr.author_email), bot
            )
            link.closed_issue = True
            link.save(update_fields=["closed_issue"])
    return tally


def _link_pull_request(
    repository: Repository,
    issue: Issue,
    pr: PullRequest,
    link: PullRequestLink | None,
    bot: Actor,
    tally: Tally,
) -> PullRequestLink:
    moment = now()
    if link is None:
        link = PullRequestLink(
            issue=issue, repository=repository, number=pr.number, linked_at=moment,
            state=pr.state,
        )  # fmt: skip
        changed = True
    else:
        changed = link.state != pr.state
    link.title, link.url = pr.title[:500], _safe_url(pr.url)
    link.branch, link.author, link.state = pr.source_branch[:200], pr.author[:200], pr.state
    link.updated_at = moment
    link.save()
    if changed:  # new, or its state moved: a line in the timeline
        data = {
            "repository": repository.full_name, "number": pr.number, "title": link.title,
            "url": link.url, "state": pr.state, "branch": link.branch, "author": link.author,
        }  # fmt: skip
        link_reference(issue=issue, actor=bot, kind="pull_request", data=data)
        tally.linked += 1
    return link
