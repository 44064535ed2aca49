"""The `docket` command's entry point: choose the terminal client or the server CLI before
importing either, so client commands start without Django, typer or the server's code.

Client commands (docs/cli.md) go to `docket_client`; everything else (serve, migrate,
worker, import, ...) to the typer app in docket.cli.main. `docket token create USER` — a
username given — is the server-side admin command that mints a token in the local database;
`docket token create` without one asks the server for a token for you.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

CLIENT = {
    "login", "logout", "whoami", "issue", "project", "filter", "search", "board", "token",
    "inbox", "completion", "git", "__complete", "__hook",
    "--version", "-V", "--profile", "--help", "-h",
}  # fmt: skip
_TOKEN_OPTIONS_WITH_VALUES = {"--name", "--scopes", "--expires-in-days", "--profile"}


def wants_client(argv: Sequence[str]) -> bool:
    if not argv:
        return True  # `docket` alone: the client's help, which lists the server commands too
    if argv[0] not in CLIENT:
        return False
    return not (argv[0] == "token" and list(argv[1:2]) == ["create"] and _names_user(argv[2:]))


def _names_user(words: Sequence[str]) -> bool:
    """Whether `token create` was given a positional (the server-side USER argument)."""
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word in _TOKEN_OPTIONS_WITH_VALUES:
            skip = True
        elif not word.startswith("-"):
            return True
    return False


def main() -> None:
    if sys.argv[1:] in (["--version"], ["-V"]):  # the quickest answer: no parser at all
        from docket_client import __version__

        sys.stdout.write(f"docket {__version__}\n")
        return
    if wants_client(sys.argv[1:]):
        from docket_client.app import main as client

        client()
    from docket.cli.main import main as server

    server()


if __name__ == "__main__":
    main()
