"""Telling a project's admins that a webhook was turned off. There is no project-level notice
in the notifications app (its notices are about issues), and integrations may not import
notifications; so: an audit entry (`webhook.disabled`), a mail to each admin through the mail
job queue (core/mail.py), and the reason shown as a banner on the webhooks page. All in the
transaction that turns the hook off."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import Q

from docket.accounts.models import User
from docket.audit.log import record as audit
from docket.core.mail import send_later
from docket.integrations.hooks.models import Webhook
from docket.projects.models import Role


class DeliveryWorker:
    """Who the audit log names for what the worker decides itself (no person, no account):
    otherwise an entry without an actor reads "(command line)"."""

    is_authenticated = True
    pk = None
    username = "(webhook delivery)"


def project_admins(hook: Webhook) -> list[User]:
    direct = Q(memberships__project=hook.project_id, memberships__role=Role.ADMIN)
    by_team = Q(teams__memberships__project=hook.project_id, teams__memberships__role=Role.ADMIN)
    return list(User.objects.filter(direct | by_team, is_active=True).distinct().order_by("id"))


def tell_admins_disabled(hook: Webhook) -> None:
    audit(DeliveryWorker(), "webhook.disabled", project=hook.project, target=f"webhook {hook.id}",
          name=hook.name, reason=hook.disabled_reason)  # fmt: skip
    page = f"{settings.BASE_URL.rstrip('/')}/p/{hook.project.key}/webhooks/{hook.id}"
    subject = f"[{hook.project.key}] Webhook “{hook.name}” was turned off"
    body = (
        f"The webhook “{hook.name}” of project {hook.project.key} was {hook.disabled_reason}.\n\n"
        f"Nothing more is sent to it until it is turned on again: {page}\n"
        "Deliveries still waiting are kept and go out when it is.\n"
    )
    for admin in project_admins(hook):
        if admin.email:  # one mail each: admins do not see one another's addresses
            send_later(EmailMessage(subject=subject, body=body, to=[admin.email]))
