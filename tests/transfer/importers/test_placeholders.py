"""People a source names who have no account become inactive placeholders: no sign-in, no
mail, listed for site admins, who can hand one over (claim)."""

from __future__ import annotations

from django.test import Client

from docket.accounts.passwords import users_for_email
from docket.transfer.importers.models import Placeholder
from tests.factories import PASSWORD, UserFactory
from tests.transfer.importers.conftest import BUGZILLA, docket_import, sample


def test_placeholders_cannot_sign_in_and_an_admin_claims_them(cast):
    existing = UserFactory(username="gijs", email="gijskruitbosch+bugs@gmail.com")
    result = docket_import("--format", "bugzilla", str(sample(BUGZILLA)), "--project", "BZ")
    assert result.exit_code == 0, result.output
    # someone with an account already (same address) is that account, not a placeholder
    assert not Placeholder.objects.filter(email__iexact=existing.email).exists()
    holder = Placeholder.objects.select_related("user").order_by("pk").first()
    user = holder.user
    assert not user.is_active and not user.has_usable_password() and user.email == ""
    assert users_for_email(holder.email) == []  # no reset link goes out for it

    visitor = Client()
    answer = visitor.post("/login", {"username": user.username, "password": PASSWORD})
    assert answer.status_code == 401

    admin = Client()
    admin.force_login(cast.root)
    listed = admin.get("/settings/import")
    assert user.username in listed.content.decode() and holder.identity in listed.content.decode()

    bob = Client()
    bob.force_login(cast.bob)
    refused = bob.post(
        "/settings/import/claim", {"username": user.username, "email": "x@example.com"}
    )
    user.refresh_from_db()
    assert refused.status_code == 302 and not user.is_active

    admin.post("/settings/import/claim", {"username": user.username, "email": "new@example.com"})
    user.refresh_from_db()
    assert user.is_active and user.email == "new@example.com"
    assert users_for_email("new@example.com") == [user]  # they set a password by reset link
    assert not Placeholder.objects.filter(user=user).exists()
    assert f'value="{user.username}"' not in admin.get("/settings/import").content.decode()
