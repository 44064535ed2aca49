"""Attachment bytes on disk, under settings.DOCKET_ATTACHMENTS_DIR.

A file's name is a random uuid4 hex that the server makes (`new_name`), sharded by its first
two pairs of digits (`ab/cd/abcd…`), so nothing a user sends ever reaches a path. A write goes
to a temporary file beside the final one, is fsynced, then renamed into place (and the
directory fsynced): a reader sees the whole file or none.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

_STORED_NAME = re.compile(r"[0-9a-f]{32}")


def root() -> Path:
    return Path(settings.DOCKET_ATTACHMENTS_DIR)


def new_name() -> str:
    return uuid.uuid4().hex


def path_for(stored_name: str) -> Path:
    if not _STORED_NAME.fullmatch(stored_name):  # only ever names from new_name()
        raise ValueError(f"not a stored attachment name: {stored_name!r}")
    return root() / stored_name[:2] / stored_name[2:4] / stored_name


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write(stored_name: str, chunks: Iterable[bytes]) -> Path:
    """Write `chunks` as the file `stored_name`, atomically. If anything fails (including the
    iterator raising, say because the upload is too large) nothing is left behind."""
    final = path_for(stored_name)
    final.parent.mkdir(parents=True, exist_ok=True)
    temporary = final.with_name(f".{stored_name}.part")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, final)
        _fsync_dir(final.parent)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return final


def open_file(stored_name: str) -> BinaryIO:
    """The stored file for reading (FileNotFoundError if it is gone)."""
    return path_for(stored_name).open("rb")


def remove(stored_name: str) -> None:
    """Delete the stored file (gone already is fine). Shard directories stay: removing one
    could race a writer that has just created it."""
    path_for(stored_name).unlink(missing_ok=True)
