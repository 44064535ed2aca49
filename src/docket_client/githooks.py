"""`docket git hook install` and the hooks it installs.

commit-msg warns (never blocks, unless DOCKET_HOOK_STRICT=1) when the message names an issue
key the server does not know; prepare-commit-msg puts the key from the branch name
(`WEB-123-fix-login`, `feature/WEB-123`) in front of a message that does not name it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

from docket_client import output
from docket_client.app import Context
from docket_client.errors import ClientError

HOOKS = ("commit-msg", "prepare-commit-msg")
MARK = "# Installed by `docket git hook install`"
KEY_IN_TEXT = re.compile(r"\b([A-Z][A-Z0-9]{1,9}-[1-9][0-9]{0,9})\b")
KEY_IN_BRANCH = re.compile(r"(?:^|/)([A-Za-z][A-Za-z0-9]{1,9}-[1-9][0-9]{0,9})(?=$|[-_/.])")
SCRIPT = """#!/bin/sh
{mark}: asks Docket about the issue keys
# in commit messages. Remove this file to stop it.
DOCKET="{docket}"
[ -x "$DOCKET" ] || DOCKET=docket
command -v "$DOCKET" >/dev/null 2>&1 || exit 0
exec "$DOCKET" __hook {name} "$@"
"""


def _git(*args: str) -> str:
    try:
        done = subprocess.run(["git", *args], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise ClientError("not in a git repository (or git is missing)") from exc
    return done.stdout.strip()


def install(ctx: Context) -> None:
    hooks = Path(_git("rev-parse", "--git-path", "hooks"))
    hooks.mkdir(parents=True, exist_ok=True)
    docket = shutil.which(sys.argv[0]) or shutil.which("docket") or "docket"
    for name in HOOKS:
        path = hooks / name
        if path.exists() and MARK not in path.read_text(errors="replace") and not ctx.args.force:
            raise ClientError(f"{path} exists and is not Docket's; --force replaces it")
        path.write_text(SCRIPT.format(mark=MARK, docket=os.path.abspath(docket), name=name))
        path.chmod(0o755)
        output.say(f"installed {path}")


def run(ctx: Context) -> int:
    args = ctx.args.hook_args
    if ctx.args.name == "commit-msg" and args:
        return _commit_msg(ctx, Path(args[0]))
    if ctx.args.name == "prepare-commit-msg" and args:
        _prepare(Path(args[0]), args[1] if len(args) > 1 else "")
    return 0


def _message(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith("#"))


def _commit_msg(ctx: Context, path: Path) -> int:
    keys = sorted(set(KEY_IN_TEXT.findall(_message(path.read_text(errors="replace")))))
    if not keys:
        return 0
    missing = []
    try:
        for key in keys:
            answer = ctx.api.request("GET", f"/issues/{quote(key)}", expect_error=True)
            if answer.status == 404:
                missing.append(key)
    except ClientError as exc:  # no server, not logged in: say so once, never block
        sys.stderr.write(f"docket: could not check issue keys ({exc.message})\n")
        return 0
    for key in missing:
        sys.stderr.write(
            f"docket: warning: {key} does not exist on {ctx.profile.url} (or you cannot see it)\n"
        )
    return 1 if missing and os.environ.get("DOCKET_HOOK_STRICT") == "1" else 0


def _prepare(path: Path, source: str) -> None:
    if source in ("merge", "squash", "commit"):
        return
    try:
        branch = _git("symbolic-ref", "--short", "-q", "HEAD")
    except ClientError:
        return  # a detached HEAD has no branch name to read
    found = KEY_IN_BRANCH.search(branch)
    if not found:
        return
    key = found.group(1).upper()
    text = path.read_text(errors="replace")
    if key in _message(text):
        return
    first, newline, rest = text.partition("\n")
    if first.strip() and not first.startswith("#"):
        path.write_text(f"{key}: {first}{newline}{rest}")
    else:
        path.write_text(f"{key}: \n{text}")
