"""Where the client keeps its servers and tokens: a TOML file of named profiles.

`$XDG_CONFIG_HOME/docket/config.toml` (default `~/.config/docket/config.toml`), written with
mode 0600 in a 0700 directory, since it holds API tokens. DOCKET_URL and DOCKET_TOKEN
override the chosen profile (for CI and scripts); DOCKET_PROFILE chooses one.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docket_client.errors import AUTH, ClientError


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "docket"


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "docket"


def config_path() -> Path:
    return config_dir() / "config.toml"


@dataclass(frozen=True)
class Profile:
    name: str
    url: str
    token: str | None
    username: str | None = None
    token_id: int | None = None  # set when `docket login` minted the token (logout revokes it)


def load() -> dict[str, Any]:
    path = config_path()
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ClientError(f"cannot read {path}: {exc}") from exc


def save(data: dict[str, Any]) -> Path:
    """Write the file whole (a new file renamed over the old), readable by its owner only."""
    path = config_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(_to_toml(data))
    os.chmod(temporary, 0o600)  # an existing file keeps its mode through O_CREAT
    os.replace(temporary, path)
    return path


def _to_toml(data: dict[str, Any]) -> str:
    lines = [f"{key} = {_value(value)}" for key, value in data.items() if key != "profiles"]
    for name, profile in sorted(data.get("profiles", {}).items()):
        lines += ["", f"[profiles.{_value(name)}]"]
        lines += [f"{key} = {_value(value)}" for key, value in profile.items() if value is not None]
    return "\n".join(lines) + "\n"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in escaped) + '"'


def profile_name(requested: str | None, data: dict[str, Any] | None = None) -> str:
    if requested:
        return requested
    if os.environ.get("DOCKET_PROFILE"):
        return os.environ["DOCKET_PROFILE"]
    data = load() if data is None else data
    return str(data.get("default", "default"))


def current(requested: str | None) -> Profile:
    """The profile to use, with DOCKET_URL / DOCKET_TOKEN laid over it."""
    data = load()
    name = profile_name(requested, data)
    stored = data.get("profiles", {}).get(name, {})
    url = os.environ.get("DOCKET_URL") or stored.get("url")
    token = os.environ.get("DOCKET_TOKEN") or stored.get("token")
    if not url:
        hint = f" --profile {name}" if name != "default" else ""
        raise ClientError(
            f"not logged in to any server (profile {name!r})",
            AUTH,
            [f"run `docket login{hint}`, or set DOCKET_URL and DOCKET_TOKEN"],
        )
    return Profile(name, url.rstrip("/"), token, stored.get("username"), stored.get("token_id"))


def store(profile: Profile, make_default: bool) -> Path:
    data = load()
    data.setdefault("profiles", {})[profile.name] = {
        "url": profile.url,
        "token": profile.token,
        "username": profile.username,
        "token_id": profile.token_id,
    }
    if make_default or "default" not in data:
        data["default"] = profile.name
    return save(data)


def forget(name: str) -> bool:
    data = load()
    if data.get("profiles", {}).pop(name, None) is None:
        return False
    if data.get("default") == name:
        remaining = sorted(data.get("profiles", {}))
        if remaining:
            data["default"] = remaining[0]
        else:
            data.pop("default", None)
    save(data)
    return True
