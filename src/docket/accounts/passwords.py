"""Password reset by e-mail: the link, the mail, and setting the new password.

Links carry Django's `default_token_generator` token: an HMAC over the user's id, password
hash, last sign-in, e-mail and a timestamp, so a link dies when it is used (the password
changes), when the user signs in, when the address changes, or after
`PASSWORD_RESET_TIMEOUT` seconds. Nothing about it is stored.
"""

from __future__ import annotations

import logging
import unicodedata

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django_tasks import task

from docket.accounts import throttle
from docket.accounts.models import User
from docket.core.errors import DocketError, Invalid
from docket.core.mail import send_later

logger = logging.getLogger(__name__)

SUBJECT = "Reset your Docket password"
BODY = """\
Someone (hopefully you) asked to reset the password of the Docket account "{username}".

To choose a new password, open this link within {lifetime}:

{link}

The link works once. If you did not ask for this, ignore this mail: your password stays
as it is.
"""


class BadResetLink(DocketError):
    status = 400
    title = "Invalid reset link"


BAD_LINK = "this password reset link is invalid, expired or already used"


def _same_address(a: str, b: str) -> bool:
    # As Django's PasswordResetForm does (Unicode TR 36): the database's case-insensitive
    # match is looser, e.g. PostgreSQL's UPPER() turns a dotless 'ı' into 'I'.
    return _folded(a) == _folded(b)


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def users_for_email(email: str) -> list[User]:
    """Active users whose address is `email`. A user without a password yet (imported) may
    use the link to set one: Docket has no other way to sign in that this would bypass."""
    candidates = User.objects.filter(email__iexact=email, is_active=True).order_by("pk")
    return [user for user in candidates if _same_address(email, user.email)]


def reset_link(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return f"{settings.BASE_URL.rstrip('/')}/reset/{uid}/{token}/"


def _lifetime() -> str:
    """How long a link lives, for the mail: '24 hours', '90 minutes'."""
    seconds = settings.PASSWORD_RESET_TIMEOUT
    if seconds >= 7200:
        return f"{seconds // 3600} hours"
    minutes = max(1, seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def send_reset_links(email: str) -> None:
    """Mail a reset link to each active account with this address — to the address as the
    account stores it, never as it was typed. The request does the same work whether the
    address has an account or not (the time must not tell): it queues one job, and the worker
    looks the address up and mails each account, or nobody."""
    mail_reset_links.enqueue(email)


@task()
def mail_reset_links(email: str) -> int:
    """The job behind `send_reset_links`: how many accounts were mailed. A stored address
    that cannot be put in a header (CR/LF) is logged and skipped, never sent."""
    mailed = 0
    for user in users_for_email(email):
        body = BODY.format(username=user.username, lifetime=_lifetime(), link=reset_link(user))
        try:
            send_later(EmailMessage(SUBJECT, body, settings.DEFAULT_FROM_EMAIL, [user.email]))
        except ValueError:  # BadHeaderError is a ValueError too
            logger.warning("not mailing a reset link to user %s: unusable address", user.pk)
            continue
        mailed += 1
    return mailed


def _user_for_uid(uid: str) -> User | None:
    try:
        pk = int(urlsafe_base64_decode(uid).decode())
        return User.objects.get(pk=pk)
    except (ValueError, TypeError, OverflowError, User.DoesNotExist, ValidationError):
        return None


def confirm_reset(*, uid: str, token: str, new_password: str) -> User:
    """Set the password of the user a valid link names. The new password hash changes the
    session auth hash, so every session of that user ends (API tokens are not touched).
    Callers count a BadResetLink against the client's address (throttle.reset_ip)."""
    user = _user_for_uid(uid)
    if user is None or not user.is_active or not default_token_generator.check_token(user, token):
        raise BadResetLink(BAD_LINK)
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise Invalid.field("new_password", " ".join(exc.messages)) from None
    with transaction.atomic():
        # Re-check under a row lock: two requests racing with one link must not both win.
        user = User.objects.select_for_update().get(pk=user.pk)
        if not default_token_generator.check_token(user, token):
            raise BadResetLink(BAD_LINK)
        user.set_password(new_password)
        user.save(update_fields=["password"])
    # They proved they own the mailbox: lift a sign-in lock on the account.
    throttle.reset([throttle.login_account(user.username)])
    return user
