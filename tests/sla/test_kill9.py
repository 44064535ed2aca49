"""An escalation step fires exactly once across a worker killed with SIGKILL in the middle of
it (inside the sweep's transaction) and a clock that then jumps past several thresholds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import scratch_environment

pytestmark = pytest.mark.slow


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.sla.kill_worker", *args],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_a_step_fires_once_across_kill_9_and_a_clock_jump(tmp_path: Path) -> None:
    with scratch_environment(tmp_path / "data", ready=True) as env:
        made = run(env, "setup")
        assert made.returncode == 0, made.stderr
        issue_id = made.stdout.strip().splitlines()[-1]
        # 31 minutes on: 75 % and 100 % of the 30-minute first response are due.
        killed = run(env, "die", "31")
        assert killed.returncode == -9, (killed.returncode, killed.stderr[-2000:])
        after_kill = json.loads(run(env, "report", issue_id).stdout)
        assert after_kill == {"steps": [], "events": [], "raises": 0}  # nothing half-done
        for minutes in ("31", "31", "600", "600"):  # again, then the clock jumps 10 hours
            swept = run(env, "sweep", minutes)
            assert swept.returncode == 0, swept.stderr[-2000:]
        final = json.loads(run(env, "report", issue_id).stdout)
    assert final["steps"] == [75, 100, 150]
    firsts = [e for e in final["events"] if e[1] == "first_response"]
    assert firsts == [
        ["sla_warning", "first_response", 75],
        ["sla_breached", "first_response", 100],
        ["sla_escalated", "first_response", 150],
    ]
    # Raised once, from high to highest, by first response's 100 % step (resolution's, after
    # the jump, finds it highest already).
    assert final["raises"] == 1
