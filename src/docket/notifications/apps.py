from __future__ import annotations

import datetime as dt

from django.apps import AppConfig

EMAIL_SWEEP_EVERY = dt.timedelta(seconds=1)  # most of a change-to-mail delay with no window
REMINDER_SWEEP_EVERY = dt.timedelta(minutes=1)
CHAT_SWEEP_EVERY = dt.timedelta(seconds=2)


class NotificationsConfig(AppConfig):
    """Notifications: a consumer of the issue event log (inbox rows, mail waiting to go,
    reminders armed) and two sweeps (batched mail, due-date reminders). docs/notifications.md."""

    name = "docket.notifications"
    label = "notifications"

    def ready(self) -> None:
        from docket.notifications import chat, consumer, emails, reminders
        from docket.worker import consumers, sweeps

        consumers.register(
            consumers.Consumer(consumer.NAME, consumer.handle, related=consumer.RELATED)
        )
        sweeps.register(sweeps.Sweep("notifications.mail", EMAIL_SWEEP_EVERY, emails.send_due))
        sweeps.register(
            sweeps.Sweep("notifications.reminders", REMINDER_SWEEP_EVERY, reminders.fire_due)
        )
        sweeps.register(sweeps.Sweep("notifications.chat", CHAT_SWEEP_EVERY, chat.send_due))
