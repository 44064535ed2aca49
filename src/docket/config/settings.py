"""Docket's one settings file. Every knob is an environment variable; see docs/configuration.md."""

from __future__ import annotations

from typing import Any

import dj_database_url

from docket.config.env import (
    data_dir,
    env_bool,
    env_int,
    env_list,
    env_str,
    persisted_secret_key,
)

DATA_DIR = data_dir()
SECRET_KEY = persisted_secret_key(DATA_DIR)
DEBUG = env_bool("DOCKET_DEBUG", False)
ALLOWED_HOSTS = env_list("DOCKET_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("DOCKET_CSRF_TRUSTED_ORIGINS")
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
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "docket.core.middleware.StaticFiles",
    "docket.core.middleware.BodySizeLimit",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "docket.config.urls"
ASGI_APPLICATION = "docket.config.asgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
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


def _database() -> dict[str, Any]:
    url = env_str("DOCKET_DATABASE_URL", f"sqlite:///{DATA_DIR / 'docket.sqlite3'}")
    config = dj_database_url.parse(url, conn_max_age=env_int("DOCKET_DB_CONN_MAX_AGE", 600))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers run beside the writer; IMMEDIATE takes the write lock when a
        # transaction starts, so a busy writer waits (timeout) instead of failing mid-way.
        config["OPTIONS"] = {
            "timeout": env_int("DOCKET_SQLITE_TIMEOUT", 10),
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
    return dict(config)


DATABASES = {"default": _database()}
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
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # serve straight from the installed apps; collectstatic optional

DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DOCKET_MAX_REQUEST_BYTES", 2 * 1024 * 1024)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
if env_bool("DOCKET_HTTPS", False):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

NINJA_PAGINATION_MAX_LIMIT = 200
DOCKET_TOKEN_TOUCH_SECONDS = 60  # how stale a token's last-used time may get before a write

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("DOCKET_LOG_LEVEL", "WARNING")},
}
DOCKET_ANONYMOUS_READ = env_bool("DOCKET_ANONYMOUS_READ", True)
