"""accounts/sessions.py: Django's database sessions, read through a prepared query."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from docket.accounts.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_a_stored_session_loads_and_an_expired_or_unknown_one_does_not():
    store = SessionStore()
    store["colour"] = "blue"
    store.create()
    assert SessionStore(store.session_key).load() == {"colour": "blue"}
    Session.objects.filter(pk=store.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    expired = SessionStore(store.session_key)
    assert expired.load() == {} and expired.session_key is None
    assert SessionStore("x" * 32).load() == {}
    assert SessionStore(None).load() == {}


def test_signing_in_keeps_a_person_signed_in_until_the_session_expires(cast):
    client = Client()
    client.force_login(cast.bob)
    assert client.get("/api/v1/me").status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/v1/me").status_code == 401
