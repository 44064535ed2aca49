from __future__ import annotations

from django.conf import settings
from django.db import models

from docket.projects.models import Component, Milestone, Project, WorkflowState


class Priority(models.IntegerChoices):
    """Stored as a number so that sorting by priority is an index walk."""

    LOWEST = 1, "lowest"
    LOW = 2, "low"
    MEDIUM = 3, "medium"
    HIGH = 4, "high"
    HIGHEST = 5, "highest"


class Severity(models.IntegerChoices):
    TRIVIAL = 1, "trivial"
    MINOR = 2, "minor"
    MAJOR = 3, "major"
    CRITICAL = 4, "critical"


class IssueType(models.TextChoices):
    BUG = "bug"
    TASK = "task"
    FEATURE = "feature"
    IMPROVEMENT = "improvement"
    INCIDENT = "incident"
    SUPPORT = "support"


class Resolution(models.TextChoices):
    FIXED = "fixed"
    WONT_FIX = "won't fix"
    DUPLICATE = "duplicate"
    CANNOT_REPRODUCE = "cannot reproduce"
    DONE = "done"


class Label(models.Model):
    project = models.ForeignKey(  # label_unique
        Project, on_delete=models.CASCADE, related_name="labels", db_index=False
    )
    name = models.CharField(max_length=50)
    color = models.CharField(max_length=7, default="#64748b")

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="label_unique")]

    def __str__(self) -> str:
        return self.name


# `db_index=False` on a foreign key below: an index in Meta starts with its column already
# (named beside it), so Django's own single-column index only cost disk (migration 0020).
class Issue(models.Model):
    # issue_number_unique (project, number)
    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="issues", db_index=False
    )
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    type = models.CharField(max_length=20, choices=IssueType.choices, default=IssueType.BUG)
    severity = models.PositiveSmallIntegerField(choices=Severity.choices, default=Severity.MAJOR)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.MEDIUM)
    status = models.ForeignKey(WorkflowState, on_delete=models.PROTECT, related_name="+")
    resolution = models.CharField(max_length=20, choices=Resolution.choices, blank=True)
    reporter = models.ForeignKey(  # issue_reporter_updated
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="reported_issues",
        db_index=False,
    )
    assignee = models.ForeignKey(  # issue_assignee_updated
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_issues",
        db_index=False,
    )
    due_date = models.DateField(null=True, blank=True)
    labels = models.ManyToManyField(Label, blank=True, related_name="issues")
    components = models.ManyToManyField(Component, blank=True, related_name="issues")
    milestone = models.ForeignKey(
        Milestone, null=True, blank=True, on_delete=models.SET_NULL, related_name="issues"
    )
    confidential = models.BooleanField(default=False)
    # The team the issue is routed to (its queue: `team:<slug>`). Independent of the assignee,
    # who need not be on the team (docs/api.md, "Teams"). A deleted team leaves it empty; the
    # history keeps its slug.
    team = models.ForeignKey(  # issue_team_created
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="issues",
        db_index=False,
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # SLA summary, kept by the sla app through issues/sla_summary.py (docs/sla.md): the nearest
    # deadline of the issue's running clocks and the worst state of its clocks, so the query
    # language can offer `sla:breached`, `sla:at-risk` and `sort:sla` without importing sla.
    sla_due_at = models.DateTimeField(null=True, blank=True)
    sla_state = models.CharField(max_length=10, blank=True, default="")
    # Sub-tasks (issues/fields.py `parent`): a parent in the same project, any depth, no
    # cycles (checked by update_issue). PROTECT: issues are only ever soft-deleted.
    parent = models.ForeignKey(  # issue_subtasks (only the issues that have a parent)
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        db_index=False,
    )
    estimate = models.PositiveIntegerField(null=True, blank=True)  # minutes (fields.py)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="issue_number_unique"),
        ]
        indexes = [
            models.Index(
                fields=["project", "assignee", "priority", "id"], name="issue_proj_asg_prio"
            ),
            models.Index(
                fields=["project", "status", "priority", "id"], name="issue_proj_status_prio"
            ),
            models.Index(fields=["project", "updated_at", "id"], name="issue_proj_updated"),
            # Recently updated across projects (the Updated column on /issues/): 100k issues,
            # 110 ms sorting every row, ~8 ms walking this.
            models.Index(fields=["updated_at", "id"], name="issue_updated"),
            # The lists' default order (newest first), per project and across projects.
            models.Index(fields=["project", "created_at", "id"], name="issue_proj_created"),
            models.Index(fields=["created_at", "id"], name="issue_created"),
            # Sorted by priority (`sort:priority-desc`, the Priority column): 100k issues,
            # `is:open` in one project, 22 ms with a sort of every row, 0.2 ms walking this.
            models.Index(fields=["project", "priority", "id"], name="issue_proj_prio"),
            models.Index(fields=["priority", "id"], name="issue_prio"),
            models.Index(fields=["assignee", "updated_at"], name="issue_assignee_updated"),
            # A team's queue (`team:sre is:open`, newest first).
            models.Index(fields=["team", "created_at", "id"], name="issue_team_created"),
            models.Index(fields=["reporter", "updated_at"], name="issue_reporter_updated"),
            # `sort:sla` (nearest SLA deadline) and `sla:breached` / `sla:at-risk`.
            models.Index(fields=["sla_due_at", "id"], name="issue_sla_due"),
            models.Index(fields=["sla_state", "id"], name="issue_sla_state"),
            # Sub-tasks of an issue (the issue page, time roll-ups, `parent:`). Most issues
            # have no parent, and SQLite's statistics count all NULLs as one value, so the
            # plain foreign-key index reads as matching every row and the planner scanned
            # 100k issues instead (27 ms a query); this one holds only issues with a parent.
            models.Index(
                fields=["parent", "id"],
                name="issue_subtasks",
                condition=models.Q(parent__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def key(self) -> str:
        return f"{self.project.key}-{self.number}"


class Comment(models.Model):
    issue = models.ForeignKey(  # comment_issue (issue, id)
        Issue, on_delete=models.CASCADE, related_name="comments", db_index=False
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    deleted_at = models.DateTimeField(null=True, blank=True)
    # An internal note (docs/web.md): read by the project's staff alone (issues.access.
    # sees_internal), never by reporters, contacts or the public, never mailed out of Docket.
    internal = models.BooleanField(default=False, db_default=False)  # raw bulk inserts too

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["issue", "id"], name="comment_issue")]

    def __str__(self) -> str:
        return f"comment {self.pk} on issue {self.issue_id}"


class EventKind(models.TextChoices):
    CREATED = "created"
    CHANGED = "changed"
    COMMENTED = "commented"
    COMMENT_EDITED = "comment_edited"
    COMMENT_DELETED = "comment_deleted"
    DELETED = "deleted"
    RESTORED = "restored"
    ACCESS_GRANTED = "access_granted"
    ACCESS_REVOKED = "access_revoked"
    # Written by the sla app's escalation steps (docs/sla.md), once per issue+clock+step.
    SLA_WARNING = "sla_warning"
    SLA_BREACHED = "sla_breached"
    SLA_ESCALATED = "sla_escalated"
    # A notice naming people to tell (an automation rule's notify action): issues/notices.py.
    NOTICE = "notice"
    # A commit or pull request that mentions the issue (a connected repository's delivery):
    # issues/development.py.
    COMMIT_LINKED = "commit_linked"
    PR_LINKED = "pr_linked"
    # A project webhook asked to send this issue (an automation rule's webhook action):
    # issues/notices.py; the integrations' hooks consumer delivers it to that hook alone.
    WEBHOOK_REQUESTED = "webhook_requested"
    # A link to another issue made or removed (issues/links.py), recorded on both issues:
    # `new`/`old` hold {"kind": <as seen from this issue>, "issue": <the other issue's key>}.
    LINKED = "linked"
    UNLINKED = "unlinked"
    # Time logged or its entry removed (issues/worklog.py): `new`/`old` hold the entry.
    WORK_LOGGED = "work_logged"
    WORK_DELETED = "work_deleted"


class IssueEvent(models.Model):
    """One immutable fact in an issue's history. Written only by issue actions; never updated.

    `old`/`new` hold values as the API shows them (usernames, enum names, label names), so
    history reads the same even after the things they name are renamed or removed.
    `version` is the issue's version after the change: it tells which fields moved since a
    client's copy (used for conflict detection).
    """

    issue = models.ForeignKey(  # event_issue_version (issue, version)
        Issue, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    field = models.CharField(max_length=30, blank=True)
    old = models.JSONField(null=True, blank=True)
    new = models.JSONField(null=True, blank=True)
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    version = models.PositiveIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["issue", "version"], name="event_issue_version")]

    def __str__(self) -> str:
        return f"{self.kind} {self.field} on issue {self.issue_id}".replace("  ", " ")


class LinkKind(models.TextChoices):
    """How `source` relates to `target`; each reads the other way from the target
    (links.py INVERSE): blocks / is blocked by, duplicates / is duplicated by, relates to."""

    BLOCKS = "blocks"
    DUPLICATES = "duplicates"
    RELATES = "relates_to"


class IssueLink(models.Model):
    """One link between two issues, any projects; one row per link, its inverse derived."""

    source = models.ForeignKey(  # issue_link_unique
        Issue, on_delete=models.CASCADE, related_name="links_out", db_index=False
    )
    target = models.ForeignKey(  # issue_link_target
        Issue, on_delete=models.CASCADE, related_name="links_in", db_index=False
    )
    kind = models.CharField(max_length=20, choices=LinkKind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="issue_link_unique"),
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")), name="issue_link_not_self"
            ),
        ]
        indexes = [
            models.Index(fields=["target", "kind", "source"], name="issue_link_target"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.kind} {self.target_id}"


class IssueGrant(models.Model):
    """An explicitly added person: they may see the issue even if it is confidential or the
    project shows reporters only their own tickets. Needs the project to be visible to them."""

    issue = models.ForeignKey(  # issue_grant_unique
        Issue, on_delete=models.CASCADE, related_name="grants", db_index=False
    )
    user = models.ForeignKey(  # issue_grant_user
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="issue_grants",
        db_index=False,
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issue", "user"], name="issue_grant_unique"),
        ]
        indexes = [models.Index(fields=["user", "issue"], name="issue_grant_user")]

    def __str__(self) -> str:
        return f"{self.user_id} may see issue {self.issue_id}"


class SavedFilter(models.Model):
    """A named query. Personal (only the owner sees it) or shared with a project's readers."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters"
    )
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.CASCADE, related_name="saved_filters"
    )
    name = models.CharField(max_length=100)
    query = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "name"],
                condition=models.Q(project__isnull=True),
                name="personal_filter_name_unique",
            ),
            models.UniqueConstraint(
                fields=["project", "name"],
                condition=models.Q(project__isnull=False),
                name="shared_filter_name_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def shared(self) -> bool:
        return self.project_id is not None


class Watch(models.Model):
    """Someone following an issue (issues/watching.py). Only a list of people: seeing the
    issue still goes through the gate, so a watcher who loses access sees nothing."""

    issue = models.ForeignKey(  # watch_unique (issue, user)
        Issue, on_delete=models.CASCADE, related_name="watches", db_index=False
    )
    user = models.ForeignKey(  # watch_user_issue (user, issue)
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watches", db_index=False
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["issue", "user"], name="watch_unique")]
        indexes = [models.Index(fields=["user", "issue"], name="watch_user_issue")]

    def __str__(self) -> str:
        return f"{self.user_id} watches issue {self.issue_id}"


class ImportedRecord(models.Model):
    """A record an import brought in: its source's name, its kind and its id in that source
    → the row it became here. Written in the transaction that creates the row, so running an
    import again (after a crash, or the same file twice) skips exactly what is already here
    (issues/imports.py, cli/importfile.py). No foreign key: `local_id` names a user, project
    or issue by kind, and the memory outlives nothing it points to (issues are only ever
    soft-deleted)."""

    class Kind(models.TextChoices):
        USER = "user"
        PROJECT = "project"
        ISSUE = "issue"

    source = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    source_id = models.CharField(max_length=255)
    local_id = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "kind", "source_id"], name="imported_record_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.kind} {self.source_id} → {self.local_id}"


class Mention(models.Model):
    """Someone @mentioned by an issue's description (`comment` empty) or by one of its
    comments, as the text reads now (issues/mentions.py keeps these in step with each edit,
    in the edit's transaction). Only a name in a text: it grants nothing, and notifying the
    person, or letting them watch, goes through the gate."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="mentions")
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="mentions"
    )
    user = models.ForeignKey(  # mention_user_issue
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentions", db_index=False
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            # Two constraints because NULLs are distinct in a unique index: one for comments,
            # one for the description (comment IS NULL).
            models.UniqueConstraint(
                fields=["issue", "comment", "user"],
                condition=models.Q(comment__isnull=False),
                name="mention_in_comment_unique",
            ),
            models.UniqueConstraint(
                fields=["issue", "user"],
                condition=models.Q(comment__isnull=True),
                name="mention_in_description_unique",
            ),
        ]
        indexes = [models.Index(fields=["user", "issue"], name="mention_user_issue")]

    def __str__(self) -> str:
        return f"{self.user_id} mentioned on issue {self.issue_id}"


class RoundRobinCursor(models.Model):
    """Where round-robin assignment within a team stands (issues/routing.py): the member
    picked last, per team and `scope` (a caller's name for its rotation, e.g. a rule's id;
    "" by default). Locked (SELECT … FOR UPDATE) while the next member is chosen, so
    concurrent routers take turns instead of picking the same person."""

    team = models.ForeignKey(  # round_robin_cursor_unique
        "accounts.Team", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    scope = models.CharField(max_length=100, blank=True, default="")
    last_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    turns = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "scope"], name="round_robin_cursor_unique")
        ]

    def __str__(self) -> str:
        return f"round robin of team {self.team_id} ({self.scope or 'default'})"


class CustomFieldType(models.TextChoices):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    SELECT = "select"  # one of `options`
    MULTI_SELECT = "multi_select"  # some of `options`
    USER = "user"  # a person who may be assigned in the project


class CustomField(models.Model):
    """A field a project's admins add to its issues (issues/custom_fields.py). Its `name` is
    what the API, history (`cf.<name>`) and the query language (`cf.<name>:`) use."""

    project = models.ForeignKey(  # custom_field_name_unique
        Project, on_delete=models.CASCADE, related_name="custom_fields", db_index=False
    )
    name = models.CharField(max_length=27)  # `cf.` + name fits IssueEvent.field
    label = models.CharField(max_length=100)
    type = models.CharField(max_length=20, choices=CustomFieldType.choices)
    options = models.JSONField(default=list, blank=True)  # select / multi_select choices
    required = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="custom_field_name_unique")
        ]

    def __str__(self) -> str:
        return f"{self.project_id}:{self.name}"


class CustomValue(models.Model):
    """One value of a custom field on an issue: one row per value (a multi select has one per
    option chosen), in the typed column of the field's type, so filters and sorts are plain
    indexed comparisons on both databases."""

    issue = models.ForeignKey(  # cfvalue_issue
        Issue, on_delete=models.CASCADE, related_name="custom_values", db_index=False
    )
    field = models.ForeignKey(  # cfvalue_text
        CustomField, on_delete=models.CASCADE, related_name="values", db_index=False
    )
    text = models.CharField(max_length=1000, null=True, blank=True)  # text, select options
    number = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    date = models.DateField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["field", "text", "issue"], name="cfvalue_text"),
            models.Index(fields=["field", "number", "issue"], name="cfvalue_number"),
            models.Index(fields=["field", "date", "issue"], name="cfvalue_date"),
            models.Index(fields=["field", "user", "issue"], name="cfvalue_user"),
            models.Index(fields=["issue", "field"], name="cfvalue_issue"),
        ]

    def __str__(self) -> str:
        return f"value of field {self.field_id} on issue {self.issue_id}"


class WorkLog(models.Model):
    """Time someone spent on an issue (issues/worklog.py): on which day, how many minutes."""

    issue = models.ForeignKey(  # worklog_issue_day
        Issue, on_delete=models.CASCADE, related_name="worklog", db_index=False
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    minutes = models.PositiveIntegerField()
    note = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["issue", "day", "id"], name="worklog_issue_day")]

    def __str__(self) -> str:
        return f"{self.minutes} min on issue {self.issue_id}"
