"""Notifications: what each person was told (inbox and mail), what they want to be told
(preferences, mutes), the due-date reminders waiting for their moment, and the mail thread
each person has per issue. See docs/notifications.md."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from docket.issues.models import Issue, IssueEvent
from docket.projects.models import Project


class Kind(models.TextChoices):
    """What a notification is about, as preferences name it (strongest first: one event
    tells one person one thing, the strongest that applies)."""

    ASSIGNED = "assigned", "Assigned to me"
    MENTIONED = "mentioned", "Mentioned me, or shared an issue with me"
    STATUS = "status", "Status changed"
    COMMENTED = "commented", "New comments"
    CHANGED = "changed", "Other changes"
    DUE = "due", "Due soon or overdue"


class Channel(models.TextChoices):
    INBOX = "inbox"
    EMAIL = "email"


class Reminder(models.Model):
    """A stored deadline: remind about `issue` due on `due_date` at `fire_at` (a day before,
    or once it has passed). One per (issue, kind, due date), so each fires once, and a new due
    date arms new ones. `fired_at` is set when the sweep handled it (sent or not)."""

    class Moment(models.TextChoices):
        SOON = "soon", "due tomorrow"
        OVERDUE = "overdue", "overdue"

    issue = models.ForeignKey(  # notify_reminder_unique
        Issue, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=10, choices=Moment.choices)
    due_date = models.DateField()
    fire_at = models.DateTimeField()
    fired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "kind", "due_date"], name="notify_reminder_unique"
            )
        ]
        indexes = [  # the sweep's walk: what is due and not yet handled
            models.Index(
                fields=["fire_at"], condition=Q(fired_at__isnull=True), name="notify_reminder_due"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} reminder for issue {self.issue_id} due {self.due_date}"


class Notification(models.Model):
    """One thing told to one person: an event (unique per recipient and event, so reading
    events again never tells twice) or a reminder. `in_inbox` when their preferences want it
    in the inbox; `email` says whether a mail about it is wanted, waiting or sent."""

    class Email(models.IntegerChoices):
        NONE = 0, "none"
        PENDING = 1, "pending"
        SENT = 2, "sent"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(
        IssueEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    reminder = models.ForeignKey(
        Reminder, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    created_at = models.DateTimeField()
    in_inbox = models.BooleanField(default=True)
    read_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    email = models.PositiveSmallIntegerField(choices=Email.choices, default=Email.NONE)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "event"],
                condition=Q(event__isnull=False),
                name="notify_once_per_event",
            ),
            models.UniqueConstraint(
                fields=["recipient", "reminder"],
                condition=Q(reminder__isnull=False),
                name="notify_once_per_reminder",
            ),
        ]
        indexes = [
            # The inbox: a person's open notifications, grouped by issue, newest first.
            models.Index(
                fields=["recipient", "issue", "id"],
                condition=Q(in_inbox=True, done_at__isnull=True),
                name="notify_inbox",
            ),
            # The unread count, on every page.
            models.Index(
                fields=["recipient"],
                condition=Q(in_inbox=True, done_at__isnull=True, read_at__isnull=True),
                name="notify_unread",
            ),
            # The mail sweep: what waits to be mailed, oldest first.
            models.Index(
                fields=["created_at"],
                condition=Q(email=1),
                name="notify_mail_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for user {self.recipient_id} on issue {self.issue_id}"


class Preference(models.Model):
    """A person's choice for one kind of notification; without a row, the default
    (preferences.DEFAULTS)."""

    user = models.ForeignKey(  # notify_preference_unique
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    inbox = models.BooleanField()
    email = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notify_preference_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: inbox={self.inbox} email={self.email}"


class Mute(models.Model):
    """A person silencing a project or one issue (exactly one of the two)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    issue = models.ForeignKey(
        Issue, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(project__isnull=True, issue__isnull=False)
                | Q(project__isnull=False, issue__isnull=True),
                name="notify_mute_one_target",
            ),
            models.UniqueConstraint(
                fields=["user", "project"],
                condition=Q(project__isnull=False),
                name="notify_mute_project_unique",
            ),
            models.UniqueConstraint(
                fields=["user", "issue"],
                condition=Q(issue__isnull=False),
                name="notify_mute_issue_unique",
            ),
        ]

    def __str__(self) -> str:
        target = f"project {self.project_id}" if self.project_id else f"issue {self.issue_id}"
        return f"{self.user_id} mutes {target}"


class MailThread(models.Model):
    """The first mail a person got about an issue: later mails answer it (In-Reply-To,
    References), so their mail client shows one thread per issue."""

    user = models.ForeignKey(  # notify_thread_unique
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="+")
    message_id = models.CharField(max_length=255)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "issue"], name="notify_thread_unique")
        ]

    def __str__(self) -> str:
        return f"mail thread of {self.user_id} on issue {self.issue_id}"


class ChatChannel(models.Model):
    """A person's notifications also posted to a chat webhook (Slack or Mattermost): what
    their inbox gets, after `sent_through` (the last Notification id handled). Sending is the
    `notifications.chat` sweep's (chat.py), through core.outbound (SSRF guard)."""

    class Format(models.TextChoices):
        SLACK = "slack", "Slack"
        MATTERMOST = "mattermost", "Mattermost"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    format = models.CharField(max_length=12, choices=Format.choices)
    url = models.URLField(max_length=2000)
    enabled = models.BooleanField(default=True)
    sent_through = models.BigIntegerField(default=0)
    retry_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    last_sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.format} channel of user {self.user_id}"
