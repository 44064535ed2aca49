"""Shell completion: `docket completion bash|zsh|fish` prints a script; the script asks
`docket __complete WORDS...` for candidates: commands and options from the parser, project
and issue keys from the API (cached for a minute, and silent when the server is away)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from docket_client.app import Context, build_parser

CACHE_SECONDS = 60
ISSUE_KEY_COMMANDS = {
    "view", "edit", "comment", "move", "assign", "close", "reopen", "watch", "unwatch", "open",
}  # fmt: skip
PROJECT_OPTIONS = {"--project", "-p"}

BASH = """# docket completion for bash: eval "$(docket completion bash)" in ~/.bashrc
_docket() {
    local cur="${COMP_WORDS[COMP_CWORD]}" IFS=$'\\n'
    COMPREPLY=($(compgen -W "$(docket __complete "${COMP_WORDS[@]:1:COMP_CWORD}" \\
        2>/dev/null)" -- "$cur"))
}
complete -o default -F _docket docket
"""

ZSH = """#compdef docket
# docket completion for zsh: docket completion zsh > "${fpath[1]}/_docket", or
# source <(docket completion zsh) after compinit
_docket() {
    local -a candidates
    candidates=("${(@f)$(docket __complete "${(@)words[2,CURRENT]}" 2>/dev/null)}")
    compadd -a candidates
}
if [[ "$funcstack[1]" == "_docket" ]]; then _docket "$@"; else compdef _docket docket; fi
"""

FISH = """# docket completion for fish:
#   docket completion fish > ~/.config/fish/completions/docket.fish
complete -c docket -f -a '(docket __complete (commandline -opc | tail -n +2) (commandline -ct))'
"""


def script(ctx: Context) -> None:
    sys.stdout.write({"bash": BASH, "zsh": ZSH, "fish": FISH}[ctx.args.shell])


def complete(ctx: Context) -> None:
    words = list(ctx.args.words) or [""]
    for candidate in candidates(ctx, words[:-1], words[-1]):
        sys.stdout.write(candidate + "\n")


def candidates(ctx: Context, before: list[str], current: str) -> list[str]:
    parser = build_parser()
    path: list[str] = []
    for word in before:
        choices = _subcommands(parser)
        if word in choices:
            parser = choices[word]
            path.append(word)
    previous = before[-1] if before else ""
    positionals = [w for w in before[len(path) :] if not w.startswith("-")] if path else []
    if previous in PROJECT_OPTIONS or (
        path in (["board"], ["project", "view"]) and not positionals
    ):
        return _filtered(_cached(ctx, "projects"), current)
    if path[:1] == ["issue"] and path[-1:][0] in ISSUE_KEY_COMMANDS and not positionals:
        return _filtered(_cached(ctx, "issues"), current)
    if current.startswith("-"):
        return _filtered(_options(parser), current)
    return _filtered([name for name in _subcommands(parser) if not name.startswith("_")], current)


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # argparse keeps its subparsers only here
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _options(parser: argparse.ArgumentParser) -> list[str]:
    return [flag for action in parser._actions for flag in action.option_strings
            if flag.startswith("--")]  # fmt: skip


def _filtered(items: list[str], prefix: str) -> list[str]:
    return [item for item in items if item.upper().startswith(prefix.upper())]


def _cached(ctx: Context, what: str) -> list[str]:
    from docket_client import config
    from docket_client.errors import ClientError

    try:
        profile = ctx.profile
    except ClientError:
        return []
    path = config.cache_dir() / f"complete-{profile.name}-{what}.json"
    try:
        stored = json.loads(path.read_text())
        if time.time() - stored["at"] < CACHE_SECONDS and stored["url"] == profile.url:
            return list(stored["items"])
    except (OSError, ValueError, KeyError):
        pass
    try:
        items = _fetch(ctx, what)
    except ClientError:
        return []
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.write_text(json.dumps({"at": time.time(), "url": profile.url, "items": items}))
    return items


def _fetch(ctx: Context, what: str) -> list[str]:
    if what == "projects":
        return [p["key"] for p in ctx.api.get("/projects")]
    page: dict[str, Any] = ctx.api.get("/issues", state="open", sort="updated-desc", limit=200)
    return [item["key"] for item in page["items"]]
