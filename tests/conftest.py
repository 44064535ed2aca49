"""Shared fixtures: a cast of users with known roles, and an API client that speaks JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from docket.accounts.models import User
from docket.projects.models import Project
from tests.factories import UserFactory, make_project, token_for
from tests.mail import smtp_server  # noqa: F401 - fixture: a real SMTP server (tests/mail.py)


class Api:
    """A JSON client for /api/v1 acting as one user (by API token) or anonymously."""

    def __init__(self, token: str | None = None):
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def _send(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict | None = None,
        raw: bytes | str | None = None,
        content_type: str = "application/json",
        **params: Any,
    ):
        url = "/api/v1" + path
        extra = {**self.headers, **(headers or {})}
        call = getattr(self.client, method)
        if method in ("get", "delete") and body is None and raw is None:
            return (
                call(url, params or None, **extra)
                if method == "get"
                else call(url + _query(params), **extra)
            )
        data = raw if raw is not None else json.dumps(body)
        return call(url + _query(params), data=data, content_type=content_type, **extra)

    def get(self, path: str, **kw: Any):
        return self._send("get", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any):
        return self._send("post", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any):
        return self._send("patch", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any):
        return self._send("put", path, body, **kw)

    def delete(self, path: str, **kw: Any):
        return self._send("delete", path, **kw)


def _query(params: dict[str, Any]) -> str:
    from urllib.parse import urlencode

    return "?" + urlencode(params) if params else ""


@dataclass
class Cast:
    """root: site admin. In project WEB (private): alice admin, bob member, carol reporter,
    dave viewer. eve is signed in but belongs to nothing."""

    root: User
    alice: User
    bob: User
    carol: User
    dave: User
    eve: User
    web: Project

    def api(self, user: User | None, scopes: list[str] | None = None) -> Api:
        return Api(token_for(user, scopes) if user else None)


@pytest.fixture
def cast(db) -> Cast:
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    alice, bob, carol, dave, eve = (
        UserFactory(username=n) for n in ("alice", "bob", "carol", "dave", "eve")
    )
    web = make_project(alice, "WEB", members={bob: "member", carol: "reporter", dave: "viewer"})
    return Cast(root, alice, bob, carol, dave, eve, web)


@pytest.fixture
def anon() -> Api:
    return Api()


@pytest.hookimpl(trylast=True)  # after pytest-xdist's worker has named each item's group
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Fail the grouped tests when `--dist loadgroup` is not grouping: with pytest 9.2 and
    pytest-xdist 3.8 it silently did not, and every module with its own server built it on
    each worker. (Raising here instead would crash xdist and lose the message.)"""
    if not config.getoption("loadgroup", False):  # set on xdist's workers under loadgroup
        return
    for item in items:
        if item.get_closest_marker("xdist_group") and "@" not in item.nodeid:
            item.runtest = _loadgroup_broken  # type: ignore[method-assign]


def _loadgroup_broken() -> None:
    pytest.fail(
        "--dist loadgroup did not put this test in its xdist_group: this pytest and "
        "pytest-xdist do not work together (docs/dependencies.md)",
        pytrace=False,
    )
