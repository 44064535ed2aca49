"""Attachments in an S3-compatible bucket: django-storages' S3Storage with Docket's terms.

- Store errors (no such bucket, refused credentials, an endpoint that does not answer) become
  StorageUnavailable (503, "nothing was saved"); the cause goes to the log for the operator.
- Reads stream: `_open` hands back the GetObject body, read block by block as the response
  goes out (S3Storage's own file downloads the whole object into a temporary file first).
- Short timeouts and few retries: an upload or download waits seconds, not minutes, for a
  store that has gone away.
- No URLs: `url()` is refused, so nothing can link to the bucket past Docket's permission
  check. Objects are written without an ACL (the bucket's default: private).

Imported (with boto3) only when DOCKET_ATTACHMENTS_S3_BUCKET is set: Django's storage
handler loads this class on the first attachment read or write.
"""

from __future__ import annotations

import io
import logging
from typing import IO, Any, cast

from boto3.exceptions import Boto3Error
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.core.files.base import File
from storages.backends.s3 import S3Storage

from docket.attachments.storage import StorageUnavailable

log = logging.getLogger(__name__)
STORE_ERRORS = (BotoCoreError, ClientError, Boto3Error)
CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 30
ATTEMPTS = 3


def _code(exc: BaseException) -> str:
    """The store's error code (NoSuchBucket, AccessDenied, …) or the exception's name."""
    cause = exc.__cause__ if isinstance(exc, Boto3Error) and exc.__cause__ else exc
    if isinstance(cause, ClientError):
        return str(cause.response.get("Error", {}).get("Code") or "ClientError")
    return type(cause).__name__


def _not_found(exc: BaseException) -> bool:
    if not isinstance(exc, ClientError):
        return False
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return status == 404 and _code(exc) in ("NoSuchKey", "404", "NotFound")


class StreamedObject(io.RawIOBase):
    """An object's bytes as they arrive (botocore's StreamingBody); closing it gives the
    connection back."""

    def __init__(self, body: Any, length: int) -> None:
        self._body = body
        self.length = length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._body.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def read(self, size: int | None = -1) -> bytes:
        return bytes(self._body.read(None if size is None or size < 0 else size))

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


class AttachmentS3Storage(S3Storage):
    def __init__(self, **options: Any) -> None:
        options.setdefault(
            "client_config",
            Config(
                s3={"addressing_style": options.pop("addressing_style", None)},
                signature_version="s3v4",
                connect_timeout=CONNECT_TIMEOUT_SECONDS,
                read_timeout=READ_TIMEOUT_SECONDS,
                retries={"max_attempts": ATTEMPTS, "mode": "standard"},
            ),
        )
        super().__init__(**options)

    @property
    def where(self) -> str:
        place = f"s3://{self.bucket_name}/{self.location}".rstrip("/")
        return f"{place} at {self.endpoint_url}" if self.endpoint_url else place

    def _unavailable(self, doing: str, name: str, exc: BaseException) -> StorageUnavailable:
        log.error("attachments: %s %s in %s failed: %s", doing, name, self.where, exc)
        return StorageUnavailable(
            f"the attachment store did not answer ({_code(exc)}); nothing was saved or "
            "changed: try again later (the server's log has the cause)"
        )

    def _save(self, name: str, content: Any) -> str:
        try:
            return str(super()._save(name, content))
        except STORE_ERRORS as exc:
            raise self._unavailable("storing", name, exc) from exc

    def _open(self, name: str, mode: str = "rb") -> File[bytes]:
        if mode != "rb":
            raise ValueError("attachments are only read from the store")
        key = self._normalize_name(name)
        try:
            got = self.connection.meta.client.get_object(Bucket=self.bucket_name, Key=key)
        except STORE_ERRORS as exc:
            if _not_found(exc):
                raise FileNotFoundError(f"no object {key} in {self.where}") from exc
            raise self._unavailable("reading", name, exc) from exc
        return File(cast(IO[bytes], StreamedObject(got["Body"], int(got["ContentLength"]))))

    def delete(self, name: str) -> None:
        try:
            super().delete(name)
        except STORE_ERRORS as exc:
            raise self._unavailable("removing", name, exc) from exc

    def exists(self, name: str) -> bool:
        try:
            return bool(super().exists(name))
        except STORE_ERRORS as exc:
            raise self._unavailable("looking up", name, exc) from exc

    def url(self, name: str | None, *args: Any, **kwargs: Any) -> str:
        raise NotImplementedError("attachments are served by Docket, never from the bucket")

    def check_reachable(self) -> str:
        """The bucket answers a signed HEAD with these credentials (or StorageUnavailable)."""
        try:
            self.connection.meta.client.head_bucket(Bucket=self.bucket_name)
        except STORE_ERRORS as exc:
            log.error("attachments: the bucket %s does not answer: %s", self.where, exc)
            raise StorageUnavailable(f"{self.where}: {_code(exc)}: {exc}") from exc
        return self.where
