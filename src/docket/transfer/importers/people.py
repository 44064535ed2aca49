"""The accounts a source's people become: an existing account with the same address, the
account this source made before, or a new placeholder — inactive and without a password, so
it cannot sign in until a site admin claims it (`claim`)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db import transaction

from docket.accounts.access import is_site_admin
from docket.accounts.actor import Who
from docket.accounts.models import User
from docket.core.errors import Forbidden, Invalid
from docket.issues.imports import known_ids, remember
from docket.issues.models import ImportedRecord
from docket.transfer.importers.models import Placeholder
from docket.transfer.importers.records import Person

NOT_IN_USERNAME = re.compile(r"[^A-Za-z0-9_.-]+")
USERNAME_MAX = 140  # leaves room for a "-2" suffix within the 150 characters


def username_for(person: Person) -> str:
    """A free username from the person's login (or the part of their address before @)."""
    base = person.login or person.identity.split("@")[0] or "someone"
    base = NOT_IN_USERNAME.sub("-", base).strip("-._")[:USERNAME_MAX] or "someone"
    candidate, n = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


class People:
    """Identity → account for one import run, looked up and made per batch."""

    def __init__(self, source: str, known: Iterable[Person]):
        self.source = source
        self.people = {p.identity: p for p in known}
        self.users: dict[str, User] = {}
        self.made = 0

    def resolve(self, identities: set[str]) -> dict[str, User]:
        """The accounts for `identities` (placeholders made as needed, in the caller's
        transaction)."""
        wanted = {i for i in identities if i and i not in self.users}
        if wanted:
            remembered = known_ids(self.source, ImportedRecord.Kind.USER, sorted(wanted))
            for user in User.objects.filter(pk__in=remembered.values()):
                for identity, pk in remembered.items():
                    if pk == user.pk:
                        self.users[identity] = user
            for identity in sorted(wanted - set(self.users)):
                self.users[identity] = self._account(identity)
        return {i: self.users[i] for i in identities if i in self.users}

    def _account(self, identity: str) -> User:
        person = self.people.get(identity, Person(identity))
        user = _same_address(person.email or (identity if "@" in identity else ""))
        if user is None:
            user = self._placeholder(person)
        remember(self.source, ImportedRecord.Kind.USER, [(identity, user.pk)])
        return user

    def _placeholder(self, person: Person) -> User:
        user = User(username=username_for(person), is_active=False)
        user.first_name = person.name[:150]
        user.set_unusable_password()
        user.save()
        email = person.email or (person.identity if "@" in person.identity else "")
        Placeholder.objects.create(
            user=user, source=self.source, identity=person.identity[:255], email=email[:254]
        )
        self.made += 1
        return user


def _same_address(email: str) -> User | None:
    """An account (not a placeholder) with this address, or a placeholder another import
    made for it: one person, one account, whichever source names them."""
    if not email:
        return None
    account = User.objects.filter(email__iexact=email).order_by("pk").first()
    if account is not None:
        return account
    found = Placeholder.objects.filter(email__iexact=email).select_related("user").first()
    return found.user if found else None


def placeholders() -> list[Placeholder]:
    """Placeholders not yet claimed, for the admin's list (the import page)."""
    return list(Placeholder.objects.select_related("user").order_by("user__username"))


@transaction.atomic
def claim(*, actor: Who, username: str, email: str) -> User:
    """A site admin hands a placeholder to its person: sets their address and activates the
    account. The person then sets a password with "Forgot password" (a reset link to that
    address), and their imported issues, comments and history are theirs."""
    if not is_site_admin(actor):
        raise Forbidden("only site admins can claim imported accounts")
    found = Placeholder.objects.select_related("user").filter(user__username=username).first()
    if found is None:
        raise Invalid.field("username", f"{username!r} is not an unclaimed imported account")
    address = email.strip()
    if "@" not in address or any(c.isspace() or ord(c) < 32 for c in address):
        raise Invalid.field("email", "must be an email address")
    user = found.user
    user.email, user.is_active = address, True
    user.save(update_fields=["email", "is_active"])
    found.delete()
    return user
