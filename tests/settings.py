"""Test settings: the real settings, with a throwaway data dir and a fast password hasher."""

import os
import tempfile

os.environ.setdefault("DOCKET_DATA_DIR", tempfile.mkdtemp(prefix="docket-test-"))

from docket.config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed; prod uses Argon2
# No worker runs beside the in-process tests (their mail jobs run on demand: tests/mail.py);
# tests that check the worker's health turn this on.
DOCKET_HEALTH_REQUIRES_WORKER = False
