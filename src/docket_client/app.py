"""The client's command line: argparse (it imports in ~5 ms), each command's code imported
only when it runs. `run(argv)` returns the exit code (docs/cli.md, "Exit codes")."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

from docket_client.errors import ERROR, USAGE, ClientError

# The commands `docket` hands to this package (src/docket/cli/main.py asks before it loads
# any server code). `token` is here too: `token create USER` stays the server's (launch.py).
COMMANDS = (
    "login", "logout", "whoami", "issue", "project", "filter", "search", "board", "token",
    "inbox", "completion", "git", "__complete", "__hook",
)  # fmt: skip


class Context:
    """What a command needs: its parsed arguments and, on first use, the API client."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args

    @cached_property
    def profile(self) -> Any:
        from docket_client import config

        return config.current(getattr(self.args, "profile", None))

    @cached_property
    def api(self) -> Any:
        from docket_client.http import Api

        return Api(self.profile.url, self.profile.token)


def _handler(spec: str) -> Callable[[Context], int | None]:
    module, _, name = spec.partition(":")
    function: Callable[[Context], int | None] = getattr(
        importlib.import_module(f"docket_client.{module}"), name
    )
    return function


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one line and the usage, exit 2
        self.print_usage(sys.stderr)
        sys.stderr.write(f"error: {message}\n")
        raise SystemExit(USAGE)


def _output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the API's JSON as it is")
    parser.add_argument("--fields", metavar="A,B", help="columns (or JSON keys) to show")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--profile", default=argparse.SUPPRESS, help="which saved server to use (docket login)"
    )
    top = _Parser(
        prog="docket",
        description="Docket's terminal client: work with issues on any Docket server over "
        "its API (docs/cli.md).",
        epilog="server commands, run where Docket is installed (docs/operations.md):\n"
        "  serve, worker, mail, migrate, createadmin, token create USER, import, export,\n"
        "  demo, check, doctor, backup, restore, manage; `docket serve --help` for one,\n"
        "  `docket --data-dir DIR --help` for the list",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    top.add_argument("--version", action="store_true", help="print the version and exit")
    commands = top.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(
        group: Any, name: str, spec: str, help_text: str, output: bool = False
    ) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = group.add_parser(
            name, help=help_text, description=help_text, parents=[common]
        )
        parser.set_defaults(handler=spec)
        if output:
            _output_options(parser)
        return parser

    _auth_commands(commands, command)
    _issue_commands(commands, command)
    _other_commands(commands, command)
    return top


def _auth_commands(commands: Any, command: Callable[..., argparse.ArgumentParser]) -> None:
    login = command(commands, "login", "auth:login", "sign in to a server and save a token")
    login.add_argument("--url", help="the server, e.g. https://docket.example.com")
    login.add_argument("--token", help="an API token (dkt_...); else username and password")
    login.add_argument("--username", help="sign in with this username (password is asked)")
    login.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    login.add_argument("--scopes", default="read,write", help="for a minted token: read,write")
    login.add_argument("--default", action="store_true", help="make this profile the default")
    command(commands, "logout", "auth:logout", "forget the token (revoking one login minted)")
    command(commands, "whoami", "auth:whoami", "who you are, on which server", output=True)


def _issue_commands(commands: Any, command: Callable[..., argparse.ArgumentParser]) -> None:
    issue = commands.add_parser("issue", help="list, view, create and change issues")
    group = issue.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True)
    listing = command(group, "list", "issues:list_issues", "list issues", output=True)
    listing.add_argument("query", nargs="*", help="a query: is:open assignee:@me sort:updated")
    listing.add_argument("--project", "-p", help="only this project's issues")
    listing.add_argument("--state", choices=("open", "closed", "all"), help="default: open")
    listing.add_argument("--limit", "-L", type=int, default=30, help="at most this many (30)")
    listing.add_argument("--cursor", help="continue from a page's next_cursor")
    view = command(group, "view", "issues:view", "show an issue", output=True)
    view.add_argument("key")
    view.add_argument("--comments", type=int, default=5, help="newest comments shown (5)")
    create = command(group, "create", "issues:create", "open a new issue", output=True)
    create.add_argument("--project", "-p", required=True)
    create.add_argument("--title", "-t")
    _field_options(create)
    edit = command(group, "edit", "issues:edit", "change an issue's fields", output=True)
    edit.add_argument("key")
    edit.add_argument("--title", "-t")
    edit.add_argument("--add-label", action="append", default=[], metavar="LABEL")
    edit.add_argument("--remove-label", action="append", default=[], metavar="LABEL")
    _field_options(edit)
    comment = command(group, "comment", "issues:comment", "comment on an issue", output=True)
    comment.add_argument("key")
    _body_options(comment)
    comment.add_argument("--internal", action="store_true", help="an internal note (staff)")
    move = command(group, "move", "issues:move", "move an issue to a state", output=True)
    move.add_argument("key")
    move.add_argument("state", help='a state of its workflow ("in progress")')
    move.add_argument("--resolution", "-r")
    move.add_argument("--comment", "-c", help="a comment to go with the move")
    assign = command(group, "assign", "issues:assign", "assign an issue", output=True)
    assign.add_argument("key")
    assign.add_argument("user", help="a username, @me, or none")
    close = command(group, "close", "issues:close", "close an issue", output=True)
    close.add_argument("key")
    close.add_argument("--resolution", "-r", default="fixed", help="fixed (default), done, ...")
    close.add_argument("--comment", "-c")
    reopen = command(group, "reopen", "issues:reopen", "reopen a closed issue", output=True)
    reopen.add_argument("key")
    reopen.add_argument("--comment", "-c")
    for name, text in (("watch", "watch an issue"), ("unwatch", "stop watching an issue")):
        command(group, name, f"issues:{name}", text).add_argument("key")
    opener = command(group, "open", "issues:open_in_browser", "open an issue in the browser")
    opener.add_argument("key")


def _body_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--body", "-b", help="Markdown text")
    parser.add_argument("--body-file", "-F", help="read the text from a file (- for stdin)")


def _field_options(parser: argparse.ArgumentParser) -> None:
    _body_options(parser)
    parser.add_argument("--type")
    parser.add_argument("--priority")
    parser.add_argument("--severity")
    parser.add_argument("--assignee", help="a username, @me, or none")
    parser.add_argument("--label", "-l", action="append", metavar="LABEL", help="(repeatable)")
    parser.add_argument("--component", action="append", metavar="NAME", help="(repeatable)")
    parser.add_argument("--milestone")
    parser.add_argument("--due", metavar="YYYY-MM-DD")
    parser.add_argument("--editor", "-e", action="store_true", help="write the text in $EDITOR")


def _other_commands(commands: Any, command: Callable[..., argparse.ArgumentParser]) -> None:
    project = commands.add_parser("project", help="projects you can see")
    group = project.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True)
    command(group, "list", "browse:projects", "list projects", output=True)
    command(group, "view", "browse:project", "show a project", output=True).add_argument("key")
    filters = commands.add_parser("filter", help="saved filters")
    group = filters.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True)
    command(group, "list", "browse:filters", "list saved filters", output=True)
    run = command(group, "run", "browse:run_filter", "list a saved filter's issues", output=True)
    run.add_argument("filter", help="its id or name")
    run.add_argument("--limit", "-L", type=int, default=30)
    search = command(commands, "search", "browse:search", "full-text search", output=True)
    search.add_argument("text", nargs="+")
    search.add_argument("--limit", "-L", type=int, default=30)
    board = command(commands, "board", "browse:board", "a project's board", output=True)
    board.add_argument("project")
    board.add_argument("--query", "-q", default="", help="narrow it: assignee:@me ...")
    inbox = command(commands, "inbox", "browse:inbox", "your notifications", output=True)
    inbox.add_argument("--unread", action="store_true")
    inbox.add_argument("--limit", "-L", type=int, default=30)
    token = commands.add_parser("token", help="your API tokens (server admins: token create USER)")
    group = token.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True)
    command(group, "list", "auth:tokens", "list your tokens", output=True)
    mint = command(group, "create", "auth:create_token", "make a token (shown once)", output=True)
    mint.add_argument("--name", default="cli")
    mint.add_argument("--scopes", default="read,write")
    mint.add_argument("--expires-in-days", type=int)
    command(group, "revoke", "auth:revoke_token", "revoke a token").add_argument("id", type=int)
    completion = command(
        commands, "completion", "completion:script", "print a shell completion script"
    )
    completion.add_argument("shell", choices=("bash", "zsh", "fish"))
    git = commands.add_parser("git", help="git integration")
    group = git.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True)
    hook = group.add_parser("hook", help="commit hooks that know your issue keys")
    hooks = hook.add_subparsers(dest="action", metavar="ACTION", required=True)
    install = command(hooks, "install", "githooks:install", "install commit-msg hooks here")
    install.add_argument("--force", action="store_true", help="replace hooks already there")
    hidden = commands.add_parser("__complete")
    hidden.set_defaults(handler="completion:complete")
    hidden.add_argument("words", nargs=argparse.REMAINDER)
    hook_run = commands.add_parser("__hook")
    hook_run.set_defaults(handler="githooks:run")
    hook_run.add_argument("name")
    hook_run.add_argument("hook_args", nargs=argparse.REMAINDER)


def version() -> str:
    from docket_client import __version__

    return __version__


def run(argv: Sequence[str]) -> int:
    if list(argv[:1]) in (["--version"], ["-V"]):
        sys.stdout.write(f"docket {version()}\n")
        return 0
    args = build_parser().parse_args(argv)
    if args.version:
        sys.stdout.write(f"docket {version()}\n")
        return 0
    if getattr(args, "handler", None) is None:
        build_parser().print_help(sys.stderr)
        return USAGE
    try:
        return _handler(args.handler)(Context(args)) or 0
    except ClientError as exc:
        _report(exc)
        return exc.code
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except BrokenPipeError:  # `docket issue list | head`
        return 0


def _report(exc: ClientError) -> None:
    from docket_client.output import clean

    sys.stderr.write(f"error: {clean(exc.message)}\n")
    for line in exc.details:
        sys.stderr.write(f"  {clean(line)}\n")


def main() -> None:
    code = run(sys.argv[1:])
    sys.stdout.flush()
    raise SystemExit(code if code is not None else ERROR)
