"""Text from $EDITOR, a file, stdin or a flag, for descriptions and comments."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

from docket_client.errors import USAGE, ClientError

COMMENT = "#"


def body_from(text: str | None, path: str | None) -> str | None:
    if text is not None and path is not None:
        raise ClientError("give --body or --body-file, not both", USAGE)
    if path == "-":
        return sys.stdin.read()
    if path is not None:
        try:
            return Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ClientError(f"cannot read {path}: {exc.strerror}", USAGE) from exc
    return text


def interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def edit(text: str, suffix: str = ".md") -> str:
    """Open $VISUAL / $EDITOR (else vi) on `text`; return what was saved, `#` lines dropped."""
    command = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    with tempfile.NamedTemporaryFile("w", suffix=suffix, delete=False, encoding="utf-8") as f:
        f.write(text)
    try:
        if subprocess.run([*shlex.split(command), f.name], check=False).returncode != 0:
            raise ClientError(f"the editor ({command}) failed; nothing was sent")
        saved = Path(f.name).read_text(encoding="utf-8")
    finally:
        os.unlink(f.name)
    kept = [line for line in saved.splitlines() if not line.startswith(COMMENT + " ")]
    return "\n".join(kept).strip() + "\n"


def split_title(text: str) -> tuple[str, str]:
    """The first line is the title, the rest (after a blank line) the description."""
    title, _, rest = text.strip().partition("\n")
    return title.strip(), rest.strip()
