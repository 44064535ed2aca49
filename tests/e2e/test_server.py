"""A real `docket serve` process, spoken to over HTTP by several clients at once."""

from __future__ import annotations

import http.client
import itertools
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.servers import Server, running_server, scratch_environment

# One server for the module (each start is seconds of CI), on one xdist worker; each test
# works in a project of its own.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e_server")]

_keys = (f"RACE{n}" for n in itertools.count())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    base = tmp_path_factory.mktemp("server")
    with (
        scratch_environment(base / "data", ready=True) as env,
        running_server(env, base / "server.log", workers=2) as running,
    ):
        yield running


def _setup_project(server) -> tuple[str, str]:
    """A new project's key, and an admin token."""
    token, key = server.token(), next(_keys)
    with server.client(token) as api:
        created = api.post("/projects", json={"key": key, "name": "Race track"})
        assert created.status_code == 201, created.text
    return token, key


def test_the_server_serves_health_docs_openapi_and_admin(server):
    assert httpx.get(server.url + "/healthz").json()["status"] == "ok"
    spec = httpx.get(server.url + "/api/v1/openapi.json").json()
    assert "/api/v1/issues/{key}" in spec["paths"]
    docs = httpx.get(server.url + "/api/v1/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert httpx.get(server.url + "/admin/login/").status_code == 200


def test_the_first_admin_can_sign_in_to_the_admin_site(server):
    with httpx.Client(base_url=server.url) as browser:
        page = browser.get("/admin/login/")
        csrf = browser.cookies["csrftoken"]
        signed_in = browser.post(
            "/admin/login/?next=/admin/",
            data={
                "username": "admin",
                "password": "e2e-admin-password-123",
                "csrfmiddlewaretoken": csrf,
            },
            headers={"Referer": server.url + "/admin/login/"},
        )
        assert page.status_code == 200
        assert signed_in.status_code == 302 and signed_in.headers["location"] == "/admin/"


def test_fifty_concurrent_creates_get_fifty_distinct_consecutive_numbers(server):
    token, key = _setup_project(server)
    start = threading.Barrier(50)

    def create(n: int) -> httpx.Response:
        with server.client(token) as api:
            start.wait()
            return api.post(f"/projects/{key}/issues", json={"title": f"Racer {n}"})

    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(create, range(50)))

    assert [r.status_code for r in responses] == [201] * 50, {r.text for r in responses}
    numbers = sorted(r.json()["number"] for r in responses)
    assert numbers == list(range(1, 51))
    with server.client(token) as api:
        listed = api.get("/issues", params={"project": key, "limit": 200}).json()["items"]
    assert len(listed) == 50


def _race(server, token: str, key: str, bodies: list[dict], version: int) -> list[httpx.Response]:
    start = threading.Barrier(len(bodies))

    def write(body: dict) -> httpx.Response:
        with server.client(token) as api:
            start.wait()
            return api.patch(f"/issues/{key}", json=body, headers={"If-Match": f'"{version}"'})

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(write, bodies))


def test_two_writers_of_the_same_field_from_the_same_version_never_both_win(server):
    token, key = _setup_project(server)
    with server.client(token) as api:
        for round_ in range(10):
            issue = api.post(
                f"/projects/{key}/issues", json={"title": f"Contested {round_}"}
            ).json()
            bodies = [{"priority": "high"}, {"priority": "low"}]
            results = _race(server, token, issue["key"], bodies, issue["version"])
            codes = sorted(r.status_code for r in results)
            assert codes == [200, 409], [r.text for r in results]
            loser = next(r for r in results if r.status_code == 409).json()
            winner = next(r for r in results if r.status_code == 200).json()
            assert loser["current"]["priority"] == winner["priority"]
            final = api.get(f"/issues/{issue['key']}").json()
            assert final["priority"] == winner["priority"] and final["version"] == 2
            history = api.get(f"/issues/{issue['key']}/history").json()["items"]
            assert [e["field"] for e in history if e["kind"] == "changed"] == ["priority"]


def test_two_writers_of_different_fields_from_the_same_version_both_land(server):
    token, key = _setup_project(server)
    with server.client(token) as api:
        for round_ in range(10):
            issue = api.post(f"/projects/{key}/issues", json={"title": f"Shared {round_}"}).json()
            bodies = [{"priority": "high"}, {"severity": "critical"}]
            results = _race(server, token, issue["key"], bodies, issue["version"])
            assert [r.status_code for r in results] == [200, 200], [r.text for r in results]
            final = api.get(f"/issues/{issue['key']}").json()
            assert (final["priority"], final["severity"], final["version"]) == (
                "high",
                "critical",
                3,
            )


def test_pages_and_static_files_travel_compressed_and_static_files_are_cached(server):
    import re

    gzip_ok = {"Accept-Encoding": "gzip"}
    page = httpx.get(server.url + "/login", headers=gzip_ok)
    assert page.headers["content-encoding"] == "gzip"
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', page.text)
    assert len(assets) >= 3
    for asset in assets:
        # `docket serve` collected them: a content-hashed name, a gzip copy, cached for a year
        assert re.search(r"\.[0-9a-f]{12}\.(?:css|js|svg)$", asset), asset
        served = httpx.get(server.url + asset, headers=gzip_ok)
        assert served.status_code == 200
        assert served.headers["content-encoding"] == "gzip"
        assert "immutable" in served.headers["cache-control"]


def test_an_idle_connection_outlives_a_short_pause(server):
    # Uvicorn's default closes a connection idle for 5 s; a client (or a proxy) reusing it at
    # that moment loses its request. `docket serve` keeps idle connections for 75 s.
    host, port = server.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("GET", "/healthz")
        assert connection.getresponse().read() and connection.sock is not None
        socket = connection.sock
        time.sleep(6)
        connection.request("GET", "/healthz")  # the same socket: http.client never reconnects
        answer = connection.getresponse()
        assert answer.status == 200 and connection.sock is socket
    finally:
        connection.close()
