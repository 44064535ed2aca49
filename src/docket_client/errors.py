"""Exit codes (docs/cli.md, "Exit codes") and the one error every command may raise."""

from __future__ import annotations

OK = 0
ERROR = 1  # anything else: server down, invalid input (400/422), a server error
USAGE = 2  # bad command line (argparse uses 2 as well)
NOT_FOUND = 4  # 404: missing, or not visible to you
CONFLICT = 5  # 409: someone changed what you are changing, or a duplicate
AUTH = 6  # 401/403: not signed in, a bad, expired or revoked token, or not allowed

_BY_STATUS = {401: AUTH, 403: AUTH, 404: NOT_FOUND, 409: CONFLICT}


class ClientError(Exception):
    """Ends the command: `message` on one line, then `details` (one per line), then `code`."""

    def __init__(self, message: str, code: int = ERROR, details: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = details or []


def code_for_status(status: int) -> int:
    return _BY_STATUS.get(status, ERROR)
