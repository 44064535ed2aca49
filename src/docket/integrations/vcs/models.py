"""Repositories connected to a project, the deliveries they sent, and the commits and pull
requests those linked to issues (docs/integrations.md, "Version control")."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from docket.issues.models import Issue
from docket.projects.models import Project


class Provider(models.TextChoices):
    GITHUB = "github", "GitHub"
    GITLAB = "gitlab", "GitLab"
    # Forgejo and Gogs too: the same payloads, their own header names.
    GITEA = "gitea", "Gitea, Forgejo or Gogs"


class Repository(models.Model):
    """One forge repository connected to one project.

    `secret` is kept as given (not hashed): every delivery is checked with an HMAC keyed by it
    (GitLab sends it verbatim), so Docket must be able to use it, as the forge does. Someone
    who can read the database can therefore forge deliveries for this repository; the API
    never returns it after creation, and nothing logs it (docs/integrations.md).
    `hook_id` is the delivery URL's random part: deliveries never name a numeric id."""

    project = models.ForeignKey(  # vcs_repo_once_per_project
        Project, on_delete=models.CASCADE, related_name="repositories", db_index=False
    )
    provider = models.CharField(max_length=10, choices=Provider.choices)
    full_name = models.CharField(max_length=200)  # "acme/web", "group/sub/project"
    default_branch = models.CharField(max_length=200, default="main")
    web_url = models.CharField(max_length=500, blank=True)  # https://github.com/acme/web
    secret = models.CharField(max_length=200)
    hook_id = models.CharField(max_length=40, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "full_name"], name="vcs_repo_once_per_project"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.full_name}"


class Delivery(models.Model):
    """One delivery accepted from a repository's forge (signature verified). The forge's id
    with the body's sha256 is unique: a redelivery (GitHub repeats `X-GitHub-Delivery`) finds
    its row and changes nothing. Refused deliveries (bad signature, malformed JSON) leave no
    row: they changed nothing."""

    class Outcome(models.TextChoices):
        PROCESSED = "processed"
        IGNORED = "ignored"
        PING = "ping"

    repository = models.ForeignKey(  # vcs_delivery_once
        Repository, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    delivery_id = models.CharField(max_length=100)  # the forge's, or "sha256:<body hash>"
    body_sha256 = models.CharField(max_length=64)
    event = models.CharField(max_length=100)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    detail = models.CharField(max_length=500, blank=True)
    linked = models.PositiveIntegerField(default=0)  # links made or updated
    closed = models.PositiveIntegerField(default=0)  # issues moved to a done state
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["repository", "delivery_id", "body_sha256"], name="vcs_delivery_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.delivery_id}"


class CommitLink(models.Model):
    """A commit that mentions an issue, as first seen, updated when it reaches the default
    branch. `closed_issue`: its closing keyword has acted (an issue is closed once per commit,
    whatever happens to it later)."""

    issue = models.ForeignKey(  # vcs_commit_once_per_issue
        Issue, on_delete=models.CASCADE, related_name="commit_links", db_index=False
    )
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="+")
    sha = models.CharField(max_length=64)
    title = models.CharField(max_length=500)  # the message's first line
    message = models.TextField()
    author_name = models.CharField(max_length=200, blank=True)
    author_email = models.CharField(max_length=254, blank=True)
    url = models.CharField(max_length=500, blank=True)
    branch = models.CharField(max_length=200)
    on_default_branch = models.BooleanField(default=False)
    closes = models.BooleanField(default=False)  # it says "fixes KEY-n" for this issue
    closed_issue = models.BooleanField(default=False)
    committed_at = models.DateTimeField(null=True)
    linked_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issue", "sha"], name="vcs_commit_once_per_issue")
        ]

    def __str__(self) -> str:
        return self.sha[:12]


class PullRequestLink(models.Model):
    """A pull/merge request that mentions an issue: one row per issue and request, its state
    kept up to date by later deliveries."""

    class State(models.TextChoices):
        OPEN = "open"
        CLOSED = "closed"
        MERGED = "merged"

    issue = models.ForeignKey(  # vcs_pr_once_per_issue
        Issue, on_delete=models.CASCADE, related_name="pull_request_links", db_index=False
    )
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="+")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=500)
    url = models.CharField(max_length=500, blank=True)
    branch = models.CharField(max_length=200, blank=True)
    author = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=10, choices=State.choices)
    closed_issue = models.BooleanField(default=False)
    linked_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "repository", "number"], name="vcs_pr_once_per_issue"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.number}"
