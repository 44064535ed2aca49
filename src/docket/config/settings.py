"""Docket's one settings file. Every knob is an environment variable; see docs/configuration.md."""

from __future__ import annotations

import ipaddress
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from docket.config.attachment_store import attachments_storage
from docket.config.env import (
    data_dir,
    env_bool,
    env_int,
    env_list,
    env_path,
    env_str,
    persisted_secret_key,
    redis_url_with_timeouts,
)
from docket.core.security import csp_setting

DATA_DIR = data_dir()
SECRET_KEY = persisted_secret_key(DATA_DIR)
DEBUG = env_bool("DOCKET_DEBUG", False)
ALLOWED_HOSTS = env_list("DOCKET_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("DOCKET_CSRF_TRUSTED_ORIGINS")
# Links in mail start with this. `docket serve` sets it from its --host and --port when unset.
BASE_URL = env_str("DOCKET_BASE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "docket.core",
    "docket.accounts",
    "docket.projects",
    "docket.issues",
    "docket.attachments",
    "docket.sla",
    "docket.audit",
    "docket.live",
    "docket.notifications",
    "docket.automation",
    "docket.reports",
    "docket.integrations.vcs",
    "docket.integrations.alerts",
    "docket.integrations.hooks",
    "docket.transfer.importers",
    "docket.mailin",
    "docket.worker",
    "django_tasks",
    "django_tasks_db",
    "docket.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "docket.core.middleware.ContentSecurityPolicy",  # django-csp, the fixed policy built once
    "docket.core.security.PermissionsPolicy",
    "docket.core.middleware.StaticFiles",
    "docket.core.middleware.Compress",
    "docket.core.middleware.BodySizeLimit",
    "docket.core.middleware.RefuseNul",
    "docket.core.middleware.DatabaseFaults",
    "docket.core.context.RequestContext",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "docket.core.routers.ReadYourWrites",  # no-op without a read replica
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "docket.accounts.middleware.ActorMiddleware",  # request.actor: roles loaded once
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "docket.config.urls"
ASGI_APPLICATION = "docket.config.asgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {  # Docket's pages (web/jinja2/): see docket/web/jinja.py for why Jinja2
        "BACKEND": "docket.web.jinja.Pages",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "environment": "docket.web.jinja.environment",
            "context_processors": [
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
    {  # Django's admin
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


# How long a write waits for another's lock before it answers 503 + Retry-After (SQLite's busy
# timeout, PostgreSQL's lock_timeout), and how long one statement of a web request may run
# (core/db_faults.py). DOCKET_SQLITE_TIMEOUT is the older name of the first.
DOCKET_LOCK_TIMEOUT_SECONDS = env_int("DOCKET_LOCK_TIMEOUT", env_int("DOCKET_SQLITE_TIMEOUT", 5))
DOCKET_STATEMENT_TIMEOUT_MS = env_int("DOCKET_STATEMENT_TIMEOUT_MS", 5000)
# /healthz and `docket check` report "degraded" below this much free space (core/db_faults.py).
DOCKET_MIN_FREE_BYTES = env_int("DOCKET_MIN_FREE_BYTES", 32 * 1024 * 1024)
# Threads per server process for synchronous work (config/asgi.py): reads and writes have
# their own, so a read never queues behind a write waiting for a lock. Past
# DOCKET_MAX_QUEUED waiting requests, or DOCKET_QUEUE_TIMEOUT_MS in the queue, a request is
# shed with 503 + Retry-After instead of waiting seconds. Short queues keep an overloaded
# process quick to refuse: at twice its capacity (bench/load.py, 400 req/s) 64 and 2000 ms
# answered refusals after p50 2.9 s; 16 and 1000 ms after 19 ms, and served more.
DOCKET_READ_THREADS = env_int("DOCKET_READ_THREADS", 4)
DOCKET_WRITE_THREADS = env_int("DOCKET_WRITE_THREADS", 2)
DOCKET_MAX_QUEUED = env_int("DOCKET_MAX_QUEUED", 16)
DOCKET_QUEUE_TIMEOUT_MS = env_int("DOCKET_QUEUE_TIMEOUT_MS", 1000)
# Writes are a tenth of the traffic and take turns at the database anyway; one shed is work a
# client must redo. Their lane keeps a longer queue: a burst of 50 concurrent creates is
# served, not half refused, and a write may wait for a thread as long as for the lock.
DOCKET_WRITE_MAX_QUEUED = env_int("DOCKET_WRITE_MAX_QUEUED", 64)
DOCKET_WRITE_QUEUE_TIMEOUT_MS = env_int("DOCKET_WRITE_QUEUE_TIMEOUT_MS", 5000)

# Background jobs (docket/worker): Django's Tasks API. Without DOCKET_JOBS_URL, the
# django-tasks-db backend in Docket's own database: nothing else to run, and a job queued in a
# transaction commits with it. With DOCKET_JOBS_URL (redis://…), django-tasks-rq queues them
# in RQ on that Redis (docs/operations.md, "Scaling out: jobs on Redis"). `docket worker` runs
# them either way (worker/runner.py).
DOCKET_JOBS_URL = env_str("DOCKET_JOBS_URL").strip()
# Seconds an RQ job may run before it is stopped (and failed); a job of a killed worker is
# found abandoned this long plus a minute after it started.
DOCKET_JOB_TIMEOUT_SECONDS = 180
TASKS: dict[str, dict[str, Any]]
if DOCKET_JOBS_URL:
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {
        "default": {
            "URL": redis_url_with_timeouts("DOCKET_JOBS_URL", DOCKET_JOBS_URL),
            "DEFAULT_TIMEOUT": DOCKET_JOB_TIMEOUT_SECONDS,
        }
    }
    RQ_SHOW_ADMIN_LINK = False  # failed jobs and their retry: Docket's own page and API
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]  # as django-tasks-rq's docs say
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# /healthz and `docket check` report "degraded" when no worker has beaten for 30 s.
DOCKET_HEALTH_REQUIRES_WORKER = env_bool("DOCKET_HEALTH_REQUIRES_WORKER", True)
# A worker silent this long is presumed dead: its jobs are handed back, health says so.
# Workers beat every 5 s, so less than 10 would declare live ones dead.
DOCKET_WORKER_STALE_SECONDS = env_int("DOCKET_WORKER_STALE_SECONDS", 30)
if DOCKET_WORKER_STALE_SECONDS < 10:
    raise ImproperlyConfigured(
        f"DOCKET_WORKER_STALE_SECONDS must be at least 10 (workers beat every 5 s), "
        f"not {DOCKET_WORKER_STALE_SECONDS}"
    )
# Notification mail (docs/notifications.md): one person's changes to one issue within this
# many seconds of the first make one mail.
DOCKET_NOTIFY_EMAIL_WINDOW_SECONDS = env_int("DOCKET_NOTIFY_EMAIL_WINDOW_SECONDS", 120)
# Mail in (docs/mail.md): where `docket mail` listens (host:port), as LMTP or SMTP; the
# largest message handled (larger ones are quarantined with their first bytes; the listener
# refuses above twice this); how much of an ignored or quarantined message is kept.
DOCKET_MAIL_LISTEN = env_str("DOCKET_MAIL_LISTEN", "")
DOCKET_MAIL_MODE = env_str("DOCKET_MAIL_MODE", "lmtp")
DOCKET_MAIL_MAX_BYTES = env_int("DOCKET_MAIL_MAX_BYTES", 25 * 1024 * 1024)
DOCKET_MAIL_KEEP_BYTES = env_int("DOCKET_MAIL_KEEP_BYTES", 1024 * 1024)
DOCKET_MAIL_LOG_KEEP_DAYS = env_int("DOCKET_MAIL_LOG_KEEP_DAYS", 30)  # ignored mail's bytes
# Automation rules' run log (docs/automation.md): runs older than this many days are deleted.
DOCKET_RULE_RUNS_KEEP_DAYS = env_int("DOCKET_RULE_RUNS_KEEP_DAYS", 30)
# Outbound webhooks (docs/integrations.md): targets on private networks are refused unless
# their host name or network is allowed here (on-premise chat servers); attempts, timeouts.
DOCKET_WEBHOOK_ALLOW_HOSTS = env_list("DOCKET_WEBHOOK_ALLOW_HOSTS")
DOCKET_WEBHOOK_ALLOW_NETWORKS = env_list("DOCKET_WEBHOOK_ALLOW_NETWORKS")
for _network in DOCKET_WEBHOOK_ALLOW_NETWORKS:  # a typo stops the server at start
    ipaddress.ip_network(_network, strict=False)
DOCKET_WEBHOOK_TIMEOUT_SECONDS = env_int("DOCKET_WEBHOOK_TIMEOUT_SECONDS", 10)
DOCKET_WEBHOOK_MAX_ATTEMPTS = env_int("DOCKET_WEBHOOK_MAX_ATTEMPTS", 15)
DOCKET_WEBHOOK_RETRY_SECONDS = env_int("DOCKET_WEBHOOK_RETRY_SECONDS", 30)
DOCKET_WEBHOOK_LEASE_SECONDS = env_int("DOCKET_WEBHOOK_LEASE_SECONDS", 120)
DOCKET_WEBHOOK_DISABLE_AFTER = env_int("DOCKET_WEBHOOK_DISABLE_AFTER", 10)
DOCKET_WEBHOOK_DELIVERIES_KEEP_DAYS = env_int("DOCKET_WEBHOOK_DELIVERIES_KEEP_DAYS", 30)


def _database() -> dict[str, Any]:
    url = env_str("DOCKET_DATABASE_URL", f"sqlite:///{DATA_DIR / 'docket.sqlite3'}")
    config = dj_database_url.parse(url, conn_max_age=env_int("DOCKET_DB_CONN_MAX_AGE", 600))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers run beside the writer; IMMEDIATE takes the write lock when a
        # transaction starts, so a busy writer waits (timeout) instead of failing mid-way.
        config["OPTIONS"] = {
            "timeout": DOCKET_LOCK_TIMEOUT_SECONDS,
            "transaction_mode": "IMMEDIATE",
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456;"
            ),
        }
        config["CONN_HEALTH_CHECKS"] = False
        config["TEST"] = {"NAME": str(DATA_DIR / "test-docket.sqlite3")}
    else:
        config["CONN_HEALTH_CHECKS"] = True
        config["OPTIONS"] = with_statements(config.get("OPTIONS", {}))
    return dict(config)


def plan_cache_mode() -> str:
    """DOCKET_DB_PLAN_CACHE_MODE: PostgreSQL's `plan_cache_mode` for Docket's sessions, with
    prepared statements on."""
    mode = env_str("DOCKET_DB_PLAN_CACHE_MODE", "auto")
    if mode not in ("auto", "force_generic_plan", "force_custom_plan"):
        raise ImproperlyConfigured(
            "DOCKET_DB_PLAN_CACHE_MODE must be auto, force_generic_plan or force_custom_plan"
        )
    return mode


def postgres_statements() -> dict[str, Any]:
    """Prepared statements on PostgreSQL, unless DOCKET_DB_PREPARED_STATEMENTS=false. A
    statement run a fifth time on a connection is prepared, so the server can reuse its plan;
    planning was most of a hot read's time (get by key at 100,000 issues: 3 ms to plan a
    seven-table join, 0.2 ms to run it; a filtered list ~20 ms to plan, 3 ms to run). Bulk
    loads run unprepared whatever it says (core/bulk.unprepared): kept plans went stale on
    the tables they fill (docs/benchmark.md, "Prepared statements on PostgreSQL"), and
    `docket worker` defaults it to false for itself (cli/main.worker_command). Needs
    server-side binding (Django's default binds on the client, which cannot prepare) and
    connections that outlive a transaction: turn it off behind a pooler in transaction mode
    that does not carry prepared statements (PgBouncer before 1.21)."""
    if not env_bool("DOCKET_DB_PREPARED_STATEMENTS", True):
        return {}
    return {
        "server_side_binding": True,
        "prepare_threshold": 5,
        "options": f"-c plan_cache_mode={plan_cache_mode()}",
    }


def with_statements(options: dict[str, Any]) -> dict[str, Any]:
    """`options` (the URL's, e.g. sslmode) with `postgres_statements`; libpq's `options`
    (server settings for the session) keep the URL's own."""
    added = postgres_statements()
    if "options" in added and options.get("options"):
        added["options"] = f"{options['options']} {added['options']}"
    return {**options, **added}


DATABASES = {"default": _database()}
DOCKET_DB_PLAN_CACHE_MODE = plan_cache_mode()  # core/bulk.unprepared sets it aside and back
# A read replica (docs/scaling.md): only reads marked `reads_may_lag()` go there
# (docket.core.routers). SQLite has no replicas: refused rather than silently ignored.
DOCKET_REPLICA_STICKY_SECONDS = env_int("DOCKET_REPLICA_STICKY_SECONDS", 10)
if env_str("DOCKET_DATABASE_REPLICA_URL"):
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        raise ImproperlyConfigured(
            "DOCKET_DATABASE_REPLICA_URL needs PostgreSQL: SQLite has no read replicas "
            "(unset it, or set DOCKET_DATABASE_URL to a postgres:// URL)"
        )
    DATABASES["replica"] = dict(
        dj_database_url.parse(
            env_str("DOCKET_DATABASE_REPLICA_URL"),
            conn_max_age=env_int("DOCKET_DB_CONN_MAX_AGE", 600),
            conn_health_checks=True,
        )
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"]["OPTIONS"] = with_statements(DATABASES["replica"].get("OPTIONS", {}))
    # A replica that does not answer costs at most this long per retry (libpq waits forever
    # by default), then the primary stands in (docket.core.routers, replica_health).
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
DATABASE_ROUTERS = ["docket.core.routers.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "docket.core.staticfiles.Storage"},
}
# `docket serve` collects hashed, gzipped copies into STATIC_ROOT (core/staticfiles.py); until
# then the files are served straight from the installed apps.
WHITENOISE_USE_FINDERS = True

DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DOCKET_MAX_REQUEST_BYTES", 2 * 1024 * 1024)
# Attachments (docs/configuration.md). Their upload route alone may exceed the body limit
# (core/middleware.py); an uploaded file over 1 MiB streams to a temporary file, not memory.
DOCKET_ATTACHMENTS_DIR = env_path("DOCKET_ATTACHMENTS_DIR", DATA_DIR / "attachments")
# ... or objects in an S3-compatible bucket with DOCKET_ATTACHMENTS_S3_BUCKET (django-storages;
# config/attachment_store.py refuses a partial configuration at start).
DOCKET_ATTACHMENTS_S3_BUCKET, STORAGES["attachments"] = attachments_storage()
DOCKET_MAX_ATTACHMENT_BYTES = env_int("DOCKET_MAX_ATTACHMENT_BYTES", 25 * 1024 * 1024)
# The import page's upload (docs/import-export.md); its route alone may take a body this big.
DOCKET_MAX_IMPORT_BYTES = env_int("DOCKET_MAX_IMPORT_BYTES", 50 * 1024 * 1024)
DOCKET_ATTACHMENT_QUOTA_BYTES = env_int("DOCKET_ATTACHMENT_QUOTA_BYTES", 1024 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
SESSION_ENGINE = "docket.accounts.sessions"  # Django's database sessions, read faster
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"  # Django's default, said out loud
# Which component sends which header: core/security.py. The CSP is written as the header's
# value (DOCKET_CSP) for django-csp; an empty DOCKET_CSP sends no CSP at all.
DOCKET_CSP = env_str(
    "DOCKET_CSP",
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
)
CONTENT_SECURITY_POLICY = csp_setting(DOCKET_CSP)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe the app over plain HTTP
SILENCED_SYSTEM_CHECKS: list[str] = []
if env_bool("DOCKET_HTTPS", False):
    # TLS ends at a proxy, which must set X-Forwarded-Proto (overwriting a client's own).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DOCKET_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DOCKET_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("DOCKET_HSTS_PRELOAD", True)
    SECURE_SSL_REDIRECT = env_bool("DOCKET_SSL_REDIRECT", True)  # off if the proxy redirects
    # Turning one of these off is a decision, not an oversight: `check --deploy` keeps quiet.
    SILENCED_SYSTEM_CHECKS += [
        check
        for check, on in [
            ("security.W008", SECURE_SSL_REDIRECT),
            ("security.W005", SECURE_HSTS_INCLUDE_SUBDOMAINS),
            ("security.W021", SECURE_HSTS_PRELOAD),
        ]
        if not on
    ]

NINJA_PAGINATION_MAX_LIMIT = 200
DOCKET_TOKEN_TOUCH_SECONDS = 60  # how stale a token's last-used time may get before a write

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("DOCKET_LOG_LEVEL", "WARNING")},
    # RQ's worker logs each job at INFO unless told otherwise (jobs on Redis).
    "loggers": {"rq.worker": {"level": env_str("DOCKET_LOG_LEVEL", "WARNING")}},
}
DOCKET_ANONYMOUS_READ = env_bool("DOCKET_ANONYMOUS_READ", True)

# Rate limits (accounts/throttle.py; docs/configuration.md). A limit of 0 turns that one off.
DOCKET_THROTTLE_WINDOW_SECONDS = env_int("DOCKET_THROTTLE_WINDOW_SECONDS", 300)
DOCKET_THROTTLE_ACCOUNT_FAILURES = env_int("DOCKET_THROTTLE_ACCOUNT_FAILURES", 10)
DOCKET_THROTTLE_IP_FAILURES = env_int("DOCKET_THROTTLE_IP_FAILURES", 30)
DOCKET_THROTTLE_TOKENS_PER_HOUR = env_int("DOCKET_THROTTLE_TOKENS_PER_HOUR", 20)
DOCKET_THROTTLE_RESETS_PER_HOUR = env_int("DOCKET_THROTTLE_RESETS_PER_HOUR", 5)
DOCKET_TRUSTED_PROXIES = env_list("DOCKET_TRUSTED_PROXIES")
PASSWORD_RESET_TIMEOUT = env_int("DOCKET_PASSWORD_RESET_TIMEOUT", 24 * 3600)

# Mail: SMTP when DOCKET_SMTP_HOST is set, else written to files in DATA_DIR/mail (fresh
# installs: an admin reads a reset link there; printing it flooded the server's output with the
# demo's notifications).
DEFAULT_FROM_EMAIL = SERVER_EMAIL = env_str("DOCKET_EMAIL_FROM", "docket@localhost")
EMAIL_HOST = env_str("DOCKET_SMTP_HOST")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = str(DATA_DIR / "mail")
EMAIL_USE_SSL = env_bool("DOCKET_SMTP_SSL", False)
EMAIL_USE_TLS = env_bool("DOCKET_SMTP_TLS", not EMAIL_USE_SSL)
EMAIL_PORT = env_int("DOCKET_SMTP_PORT", 465 if EMAIL_USE_SSL else 587)
EMAIL_HOST_USER = env_str("DOCKET_SMTP_USER")
EMAIL_HOST_PASSWORD = env_str("DOCKET_SMTP_PASSWORD")
EMAIL_TIMEOUT = env_int("DOCKET_SMTP_TIMEOUT", 30)
if EMAIL_USE_SSL and EMAIL_USE_TLS:
    raise ValueError("DOCKET_SMTP_SSL and DOCKET_SMTP_TLS exclude each other; set one")

# Live updates (docket/live/; docs/operations.md). DOCKET_LIVE_BACKEND:
# `poll` (each process reads new issue events every DOCKET_LIVE_POLL_MS) or `redis` (writers
# ring a pub/sub doorbell at DOCKET_REDIS_URL; the poll becomes a slow safety net). The
# heartbeat is also how often a stream rechecks its session; streams are per user and process.
DOCKET_LIVE_BACKEND = env_str("DOCKET_LIVE_BACKEND", "poll")
if DOCKET_LIVE_BACKEND not in ("poll", "redis"):
    raise ValueError("DOCKET_LIVE_BACKEND must be poll or redis")
DOCKET_REDIS_URL = env_str("DOCKET_REDIS_URL", "redis://127.0.0.1:6379/0")
_LIVE_POLL_DEFAULT = 5000 if DOCKET_LIVE_BACKEND == "redis" else 400
DOCKET_LIVE_POLL_MS = env_int("DOCKET_LIVE_POLL_MS", _LIVE_POLL_DEFAULT)
DOCKET_LIVE_HEARTBEAT_SECONDS = env_int("DOCKET_LIVE_HEARTBEAT_SECONDS", 15)
DOCKET_LIVE_MAX_STREAMS = env_int("DOCKET_LIVE_MAX_STREAMS", 10)
