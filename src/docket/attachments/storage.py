"""Attachment bytes: the one place that stores, reads and removes them.

Where they go is Django's storage `STORAGES["attachments"]` (config/attachment_store.py):
`LocalFiles` under settings.DOCKET_ATTACHMENTS_DIR, or with DOCKET_ATTACHMENTS_S3_BUCKET an
S3-compatible bucket through django-storages (s3.py). Callers use the functions below and
never see which.

A file's name is a random uuid4 hex that the server makes (`new_name`), kept under
`ab/cd/abcd…` (its first two pairs of digits), so nothing a user sends ever reaches a path or
a key; the same relative name is the object's key under DOCKET_ATTACHMENTS_S3_PREFIX. Names
are never reused, so there is no deduplication by content: two uploads of the same bytes are
two files (each row keeps its sha256).

Locally a write goes to a temporary file beside the final one, is fsynced, then renamed into
place (and the directory fsynced): a reader sees the whole file or none. On S3 an object
appears only when its upload completes (a failed multipart upload is aborted).
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, BinaryIO, cast

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import Storage, storages

from docket.core.errors import DocketError

_STORED_NAME = re.compile(r"[0-9a-f]{32}")
log = logging.getLogger(__name__)


class StorageUnavailable(DocketError):
    """The attachment store (the S3 bucket) refused or did not answer; nothing was saved.
    The operator's log has the cause; `docket doctor` checks the bucket."""

    status = 503
    title = "Attachment storage unavailable"


def backend() -> Storage:
    return storages["attachments"]


def is_local() -> bool:
    return isinstance(backend(), LocalFiles)


def describe() -> str:
    """Where attachments are kept, for people (doctor, backup)."""
    store = backend()
    if isinstance(store, LocalFiles):
        return str(store.root())
    return str(getattr(store, "where", type(store).__name__))


def root() -> Path:
    return Path(settings.DOCKET_ATTACHMENTS_DIR)


def new_name() -> str:
    return uuid.uuid4().hex


def relative_name(stored_name: str) -> str:
    """`ab/cd/abcd…`: the file's path under the directory, or its key under the prefix."""
    if not _STORED_NAME.fullmatch(stored_name):  # only ever names from new_name()
        raise ValueError(f"not a stored attachment name: {stored_name!r}")
    return f"{stored_name[:2]}/{stored_name[2:4]}/{stored_name}"


def path_for(stored_name: str) -> Path:
    """The local file's path (LocalFiles only)."""
    return root() / relative_name(stored_name)


def write(stored_name: str, chunks: Iterable[bytes]) -> None:
    """Store `chunks` as the file `stored_name`, whole or not at all: if anything fails
    (including the iterator raising, say because the upload is too large) nothing is left
    behind. A store that cannot be reached raises StorageUnavailable."""
    key = relative_name(stored_name)
    saved = backend().save(key, ChunkReader(chunks))  # type: ignore[arg-type]
    if saved != key:  # a backend that renamed it: the row would name the wrong file
        backend().delete(saved)
        raise RuntimeError(f"attachment storage saved {key} as {saved}")


def open_file(stored_name: str) -> BinaryIO:
    """The stored file for reading, streamed (FileNotFoundError if it is gone;
    StorageUnavailable if the store does not answer)."""
    return cast(BinaryIO, backend().open(relative_name(stored_name), "rb"))


def remove(stored_name: str) -> None:
    """Delete the stored file (gone already is fine). Never raises for the store: this runs
    after a commit, or while another error is on its way out; a file the store would not
    delete is logged with its name, to be removed by hand."""
    try:
        backend().delete(relative_name(stored_name))
    except StorageUnavailable as exc:
        log.error("attachment file %s was not removed: %s", stored_name, exc.detail)


def reachable() -> str:
    """A sentence on the store, or StorageUnavailable/OSError saying why it cannot be used."""
    store = backend()
    check = getattr(store, "check_reachable", None)
    if check is None:
        raise TypeError(f"{type(store).__name__} has no check_reachable")
    return str(check())


class ChunkReader:
    """A read-only, unseekable file over an iterator of byte chunks, for Storage.save: the
    local backend iterates its `chunks()` as they come; boto3 `read`s it while it uploads."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._buffer = bytearray()
        self.name: str | None = None
        self.closed = False

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def read(self, size: int | None = -1) -> bytes:
        while size is None or size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        if size is None or size < 0:
            size = len(self._buffer)
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        if self._buffer:
            yield bytes(self._buffer)
            self._buffer.clear()
        yield from self._chunks

    def close(self) -> None:
        self.closed = True


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalFiles(Storage):
    """Attachment files under settings.DOCKET_ATTACHMENTS_DIR (read on every call, so a
    test's or command's change of the setting holds), written atomically."""

    def root(self) -> Path:
        return root()

    def path(self, name: str) -> str:
        return str(self._path(name))

    def _path(self, name: str) -> Path:
        stored_name = name.rsplit("/", 1)[-1]
        if relative_name(stored_name) != name:
            raise ValueError(f"not a stored attachment name: {name!r}")
        return root() / name

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        return name  # uuid names: never taken; the write below refuses to replace one

    def _save(self, name: str, content: File[Any]) -> str:
        final = self._path(name)
        final.parent.mkdir(parents=True, exist_ok=True)
        temporary = final.with_name(f".{final.name}.part")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                for chunk in content.chunks():
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, final)
            _fsync_dir(final.parent)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        return name

    def _open(self, name: str, mode: str = "rb") -> File[Any]:
        return File(cast(IO[Any], self._path(name).open(mode)))

    def delete(self, name: str) -> None:
        # Shard directories stay: removing one could race a writer that has just made it.
        self._path(name).unlink(missing_ok=True)

    def exists(self, name: str) -> bool:
        return self._path(name).exists()

    def size(self, name: str) -> int:
        return self._path(name).stat().st_size

    def check_reachable(self) -> str:
        return f"files under {root()}"
