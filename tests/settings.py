"""Test settings: the real settings, with a throwaway data dir and a fast password hasher."""

import os
import tempfile
import uuid

os.environ.setdefault("DOCKET_DATA_DIR", tempfile.mkdtemp(prefix="docket-test-"))
# Jobs on Redis (tests/worker/test_jobs_redis.py): RQ keeps every key under this prefix, read
# when rq is first imported; one of each test process's own (and of the `docket worker`
# processes it starts, which inherit it), so runs sharing the Redis never meet.
os.environ["RQ_KEY_PREFIX"] = f"docket-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"

from docket.config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed; prod uses Argon2
# No worker runs beside the in-process tests (their mail jobs run on demand: tests/mail.py);
# tests that check the worker's health turn this on.
DOCKET_HEALTH_REQUIRES_WORKER = False
