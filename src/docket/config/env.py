"""Reading configuration from DOCKET_* environment variables (see docs/configuration.md)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    """A string setting; `NAME_FILE` (a path) is read when `NAME` is unset, for secrets."""
    if name in os.environ:
        return os.environ[name]
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text().strip()
    return default


def env_bool(name: str, default: bool = False) -> bool:
    raw = env_str(name, "1" if default else "0").strip().lower()
    if raw in TRUE_WORDS:
        return True
    if raw in FALSE_WORDS:
        return False
    raise ValueError(f"{name} must be one of true/false/1/0/yes/no, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = env_str(name, str(default)).strip()
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in env_str(name, default).split(",") if part.strip()]


def env_path(name: str, default: Path) -> Path:
    """A directory setting (absolute; `~` expanded); `default` when unset or empty."""
    raw = env_str(name).strip()
    return (Path(raw) if raw else default).expanduser().resolve()


def data_dir() -> Path:
    path = Path(env_str("DOCKET_DATA_DIR", "docket-data")).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def persisted_secret_key(directory: Path) -> str:
    """The secret key from the environment, or one generated once and kept in the data dir."""
    from_env = env_str("DOCKET_SECRET_KEY")
    if from_env:
        return from_env
    key_file = directory / "secret_key"
    if not key_file.exists():
        # O_EXCL: two processes starting at once must not write two different keys.
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return key_file.read_text().strip()
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


REDIS_SCHEMES = ("redis", "rediss", "unix")


def redis_url_with_timeouts(name: str, url: str) -> str:
    """A Redis URL (setting `name`) with a 2 s connect and 5 s reply timeout unless it sets its
    own (`?socket_timeout=…`): a Redis that hangs must not hang a request that queues a job."""
    parts = urlsplit(url)
    if parts.scheme not in REDIS_SCHEMES:
        scheme = f"{parts.scheme}://" if parts.scheme else "no scheme"  # not the URL: a password
        raise ValueError(f"{name} must be a redis://, rediss:// or unix:// URL, not {scheme}")
    query = dict(parse_qsl(parts.query))
    query.setdefault("socket_connect_timeout", "2")
    query.setdefault("socket_timeout", "5")
    return urlunsplit(parts._replace(query=urlencode(query)))
