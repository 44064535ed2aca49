from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.crypto import salted_hmac

# Django's own salt for the session hash (AbstractBaseUser.get_session_auth_hash).
SESSION_HASH_SALT = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"


class User(AbstractUser):
    """A person (or a bot) who signs in. Identified in the API by `username`."""

    # Bumped to end every session the user has (deactivation): sessions carry a hash of the
    # password and this, so old cookies stay dead when the account is reactivated.
    sessions_epoch = models.PositiveIntegerField(default=0)
    # An external contact (docs/mail.md): someone who wrote to a project's mail address and
    # has no account of their own. Inactive, without a usable password, until given a portal.
    contact = models.BooleanField(default=False)

    class Meta:
        db_table = "docket_user"

    def get_session_auth_hash(self) -> str:
        return self._sessions_hash(None)

    def get_session_auth_fallback_hash(self) -> Iterator[str]:
        for secret in settings.SECRET_KEY_FALLBACKS:
            yield self._sessions_hash(secret)

    def _sessions_hash(self, secret: str | bytes | None) -> str:
        # Epoch 0 hashes exactly as Django does, so adding the field signed nobody out.
        value = (
            self.password if not self.sessions_epoch else f"{self.password}#{self.sessions_epoch}"
        )
        return salted_hmac(SESSION_HASH_SALT, value, secret=secret, algorithm="sha256").hexdigest()

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class Team(models.Model):
    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.slug


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 of the secret is stored; the secret is shown once."""

    class Scope(models.TextChoices):
        READ = "read"
        WRITE = "write"
        ADMIN = "admin"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, help_text="First characters, to recognise a token")
    digest = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user} / {self.name} ({self.prefix}…)"


class ThrottleHit(models.Model):
    """One counted attempt (a failed sign-in, a minted token, …) for a rate-limit key; see
    accounts/throttle.py. `key` is a SHA-256 of the rule and subject, so no usernames,
    addresses or IPs are stored here."""

    key = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["key", "at"], name="throttle_key_at"),
            models.Index(fields=["at"], name="throttle_at"),
        ]

    def __str__(self) -> str:
        return f"{self.key[:12]}… at {self.at:%Y-%m-%d %H:%M:%S}"


class IdempotencyKey(models.Model):
    """A write's answer kept under its caller's `Idempotency-Key`, replayed to a retry of the
    same request until `expires_at` (core/idempotency.py; accounts/idempotency.py stores it).
    Keys belong to a user: two users' equal keys are two records."""

    user = models.ForeignKey(  # idempotency_key_unique
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # sha256 of method, path, If-Match, body
    status = models.PositiveSmallIntegerField()
    headers = models.JSONField(default=dict)  # Content-Type, Location, ETag
    body = models.BinaryField()
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique")
        ]
        indexes = [models.Index(fields=["expires_at"], name="idempotency_key_expiry")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.key}"
