"""login, logout, whoami and the user's own tokens (`docket token list/create/revoke`)."""

from __future__ import annotations

import getpass
import os
import socket
import sys
from typing import Any

from docket_client import config, output
from docket_client.app import Context
from docket_client.errors import AUTH, USAGE, ClientError
from docket_client.http import Api


def login(ctx: Context) -> None:
    args = ctx.args
    name = config.profile_name(getattr(args, "profile", None))
    url = (args.url or os.environ.get("DOCKET_URL") or _ask("Server URL")).rstrip("/")
    if "://" not in url:
        url = "https://" + url
    token, token_id = args.token or os.environ.get("DOCKET_TOKEN"), None
    if not token:
        username = args.username or _ask("Username")
        password = _password(args.password_stdin)
        token, token_id = _mint(url, username, password, args.scopes.split(","))
    me = Api(url, token).get("/me")
    profile = config.Profile(name, url, token, me["username"], token_id)
    path = config.store(profile, make_default=args.default)
    output.say(f"Logged in to {url} as {me['username']} (profile {name}; saved in {path})")


def _ask(prompt: str) -> str:
    if not sys.stdin.isatty():
        raise ClientError(f"{prompt.lower()} needed: give it as an option", USAGE)
    answer = input(f"{prompt}: ").strip()
    if not answer:
        raise ClientError(f"no {prompt.lower()} given", USAGE)
    return answer


def _password(from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    return getpass.getpass("Password: ")


def _mint(url: str, username: str, password: str, scopes: list[str]) -> tuple[str, int]:
    """Sign in with a session, make a token for this machine with it, end the session."""
    api = Api(url)
    session = api.post("/auth/login", {"username": username, "password": password}).json()
    csrf = {"X_CSRFToken": session["csrf_token"], "Referer": url + "/"}
    name = f"docket cli on {socket.gethostname()}"[:100]
    created = api.post("/tokens", {"name": name, "scopes": scopes}, **csrf).json()
    api.request("POST", "/auth/logout", body={}, headers=csrf, expect_error=True)
    return created["token"], created["id"]


def logout(ctx: Context) -> None:
    data = config.load()
    name = config.profile_name(getattr(ctx.args, "profile", None), data)
    stored = data.get("profiles", {}).get(name)
    if stored is None:
        raise ClientError(f"no profile {name!r} to log out of", AUTH)
    if stored.get("token_id") and stored.get("token"):
        try:  # the token login made: revoke it too, so the file holds nothing that works
            Api(stored["url"], stored["token"]).request("DELETE", f"/tokens/{stored['token_id']}")
        except ClientError as exc:
            output.say(f"warning: could not revoke the token: {exc.message}")
    config.forget(name)
    output.say(f"Logged out of {stored.get('url')} (profile {name})")


def whoami(ctx: Context) -> None:
    me = ctx.api.get("/me")
    if ctx.args.json:
        output.print_json(me)
        return
    admin = " (site admin)" if me.get("site_admin") else ""
    sys.stdout.write(
        output.clean(f"{me['username']}{admin} on {ctx.profile.url} (profile {ctx.profile.name})")
        + "\n"
    )


TOKEN_COLUMNS = ["id", "name", "prefix", "scopes", "expires_at", "last_used_at"]


def tokens(ctx: Context) -> None:
    rows: list[dict[str, Any]] = ctx.api.get("/tokens")
    fields = output.parse_fields(ctx.args.fields)
    if ctx.args.json:
        output.print_json(output.pick(rows, fields))
        return
    output.table(rows, fields or TOKEN_COLUMNS, empty="no tokens")


def create_token(ctx: Context) -> None:
    body = {"name": ctx.args.name, "scopes": ctx.args.scopes.split(",")}
    if ctx.args.expires_in_days is not None:
        body["expires_in_days"] = ctx.args.expires_in_days
    created = ctx.api.post("/tokens", body).json()
    if ctx.args.json:
        output.print_json(created)
        return
    sys.stdout.write(created["token"] + "\n")
    output.say(f"token {created['id']} {created['name']!r} (shown once; keep it safe)")


def revoke_token(ctx: Context) -> None:
    ctx.api.request("DELETE", f"/tokens/{ctx.args.id}")
    output.say(f"revoked token {ctx.args.id}")
