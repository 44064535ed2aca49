"""The accounts a source's people become: an existing account with the same address, the
account this source made before, or a new placeholder — inactive and without a password, so
it cannot sign in until a site admin claims it (`claim`)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models.functions import Lower

from docket.accounts.access import is_site_admin
from docket.accounts.actor import Who
from docket.accounts.models import User
from docket.audit.log import record as audit
from docket.core.errors import Forbidden, Invalid
from docket.issues.imports import known_ids, remember
from docket.issues.models import ImportedRecord
from docket.transfer.importers.models import Placeholder
from docket.transfer.importers.records import Person

NOT_IN_USERNAME = re.compile(r"[^A-Za-z0-9_.-]+")
USERNAME_MAX = 140  # leaves room for a "-2" suffix within the 150 characters


def _base_name(person: Person) -> str:
    """A username from the person's login (or the part of their address before @)."""
    base = person.login or person.identity.split("@")[0] or "someone"
    return NOT_IN_USERNAME.sub("-", base).strip("-._")[:USERNAME_MAX] or "someone"


def _address(person: Person) -> str:
    return person.email or (person.identity if "@" in person.identity else "")


class People:
    """Identity → account for one import run, looked up and made a batch at a time (a few
    queries per batch, whatever the number of people)."""

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
            accounts = User.objects.in_bulk(set(remembered.values()))
            for identity, pk in remembered.items():
                if pk in accounts:
                    self.users[identity] = accounts[pk]
            self._find_or_make(sorted(wanted - set(self.users)))
        return {i: self.users[i] for i in identities if i in self.users}

    def _find_or_make(self, identities: list[str]) -> None:
        if not identities:
            return
        persons = [self.people.get(i, Person(i)) for i in identities]
        by_address = _accounts_by_address({_address(p).lower() for p in persons} - {""})
        missing = [p for p in persons if _address(p).lower() not in by_address]
        made = self._placeholders(missing)
        for person in persons:
            found = by_address.get(_address(person).lower()) or made[person.identity]
            self.users[person.identity] = found
        pairs = [(i, self.users[i].pk) for i in identities]
        remember(self.source, ImportedRecord.Kind.USER, pairs)

    def _placeholders(self, persons: list[Person]) -> dict[str, User]:
        """New inactive accounts for `persons`, with free usernames."""
        names = _free_usernames([_base_name(p) for p in persons])
        users = []
        for person, name in zip(persons, names, strict=True):
            user = User(username=name, is_active=False, first_name=person.name[:150])
            user.set_unusable_password()
            users.append(user)
        User.objects.bulk_create(users)
        if connection.vendor != "postgresql" and users and users[0].pk is None:
            users = list(User.objects.filter(username__in=names).order_by("pk"))  # no RETURNING
        Placeholder.objects.bulk_create(
            Placeholder(
                user=user,
                source=self.source,
                identity=person.identity[:255],
                email=_address(person)[:254],
            )
            for person, user in zip(persons, users, strict=True)
        )
        self.made += len(users)
        return {p.identity: u for p, u in zip(persons, users, strict=True)}


def _free_usernames(bases: list[str]) -> list[str]:
    """Each base, or base-2, base-3… where taken (case-insensitively, here or in the list)."""
    taken = {
        name.lower()
        for name in User.objects.annotate(low=Lower("username"))
        .filter(
            low__in=[b.lower() for b in bases] + [f"{b.lower()}-{n}" for b in bases for n in (2, 3)]
        )
        .values_list("username", flat=True)
    }
    free = []
    for base in bases:
        candidate, n = base, 1
        while candidate.lower() in taken or (
            n > 3 and User.objects.filter(username__iexact=candidate).exists()
        ):
            n += 1
            candidate = f"{base}-{n}"
        taken.add(candidate.lower())
        free.append(candidate)
    return free


def _accounts_by_address(addresses: set[str]) -> dict[str, User]:
    """Lower-cased address → an account with it, else the placeholder an import made for it:
    one person, one account, whichever source names them."""
    if not addresses:
        return {}
    found: dict[str, User] = {}
    holders = Placeholder.objects.annotate(low=Lower("email")).filter(low__in=addresses)
    for holder in holders.select_related("user").order_by("-pk"):
        found[holder.email.lower()] = holder.user
    accounts = User.objects.annotate(low=Lower("email")).filter(low__in=addresses)
    for user in accounts.order_by("-pk"):  # the oldest account wins
        found[user.email.lower()] = user
    return found


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
    audit(actor, "user.claimed", target=user.username, source=found.source)
    return user
