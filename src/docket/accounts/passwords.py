"""Password reset by e-mail: the link, the mail, and setting the new password.

Links carry Django's `default_token_generator` token: an HMAC over the user's id, password
hash, last sign-in, e-mail and a timestamp, so a link dies when it is used (the password
changes), when the user signs in, when the address changes, or after
`PASSWORD_RESET_TIMEOUT` seconds. Nothing about it is stored.
"""

from __future__ import annotations

import unicodedata

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from docket.accounts import throttle
from docket.accounts.models import User
from docket.core.errors import DocketError, Invalid
from docket.core.mail import send_built_later

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
# Never saved: what a reset mail is made for when no account has the address.
STAND_IN = User(pk=0, username="nobody", email="nobody@invalid", password=make_password(None))


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
    address has an account or not: one lookup, then one job handed to the mail thread, which
    makes the links and messages. Never raises for a bad stored address: the thread logs
    and skips it, and the caller answers the same."""
    accounts = users_for_email(email)
    send_built_later(lambda: reset_mails(accounts))


def reset_mails(accounts: list[User]) -> list[EmailMessage]:
    """One mail per account; without one, the same mail for a stand-in, addressed to nobody
    (the mail thread builds and checks it and sends nothing). The thread shares the process,
    and its interpreter lock, with requests: its work must not differ either."""
    if not accounts:
        return [_reset_mail(STAND_IN, to=[])]
    return [_reset_mail(user, to=[user.email]) for user in accounts]


def _reset_mail(user: User, *, to: list[str]) -> EmailMessage:
    body = BODY.format(username=user.username, lifetime=_lifetime(), link=reset_link(user))
    return EmailMessage(SUBJECT, body, settings.DEFAULT_FROM_EMAIL, to)


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
