"""N `docket serve` processes behind a load balancer share their state (docs/scaling.md):
here a rate limit counted through one server process holds on another."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.servers import running_server, scratch_environment

pytestmark = pytest.mark.slow


def _bad_token(url: str) -> int:
    headers = {"Authorization": "Bearer docket_not-a-real-token"}
    return httpx.get(url + "/api/v1/issues", headers=headers, timeout=30).status_code


def test_failed_sign_ins_through_one_server_count_on_another(tmp_path: Path):
    with scratch_environment(tmp_path / "data", ready=True) as env:
        env["DOCKET_THROTTLE_IP_FAILURES"] = "4"
        with (
            running_server(env, tmp_path / "a.log", workers=1) as a,
            running_server(env, tmp_path / "b.log", workers=1) as b,
        ):
            assert [_bad_token(a.url), _bad_token(a.url)] == [401, 401]
            assert [_bad_token(b.url), _bad_token(b.url)] == [401, 401]
            assert _bad_token(a.url) == 429  # four failures from this address, on two servers
            assert _bad_token(b.url) == 429
