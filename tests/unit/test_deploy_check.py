"""Production settings pass Django's deployment checklist (`check --deploy`) without a warning."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "docket.config.settings",
    "DOCKET_HTTPS": "1",
    "DOCKET_DEBUG": "0",
    "DOCKET_ALLOWED_HOSTS": "docket.example.com",
}


def _check_deploy(data_dir, **overrides: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCKET_", "DJANGO_"))}
    env.update(PRODUCTION, DOCKET_DATA_DIR=str(data_dir), **overrides)
    return subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy(tmp_path):
    result = _check_deploy(tmp_path)  # the secret key is generated into the data dir
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert (tmp_path / "secret_key").exists()


def test_a_redirect_left_to_the_proxy_is_a_decision_not_a_warning(tmp_path):
    result = _check_deploy(tmp_path, DOCKET_SSL_REDIRECT="0", DOCKET_HSTS_PRELOAD="0")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues (2 silenced)" in result.stdout


def test_without_https_the_checklist_warns(tmp_path):
    # Plain HTTP is for local use only; the checklist says so, and nothing silences it.
    result = _check_deploy(tmp_path, DOCKET_HTTPS="0")
    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in result.stderr + result.stdout
