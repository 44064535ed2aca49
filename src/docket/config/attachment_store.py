"""Where attachment bytes live, from DOCKET_ATTACHMENTS_* (docs/configuration.md).

Without DOCKET_ATTACHMENTS_S3_BUCKET: files under DOCKET_ATTACHMENTS_DIR, as always. With it:
objects in that bucket of an S3-compatible store, through django-storages
(docket.attachments.s3). Either way settings.STORAGES["attachments"] names the backend and
docket.attachments.storage is the only code that touches the bytes.

A partial or contradictory configuration stops the server at start with the reason: a store
half set up would take uploads into the wrong place. Nothing here imports boto3 (a third of a
second): the backend module does, the first time an attachment is stored or read.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from docket.config.env import env_str

LOCAL_BACKEND = "docket.attachments.storage.LocalFiles"
S3_BACKEND = "docket.attachments.s3.AttachmentS3Storage"
S3 = "DOCKET_ATTACHMENTS_S3_"
S3_SETTINGS = (
    "BUCKET", "ENDPOINT_URL", "REGION", "ACCESS_KEY_ID", "SECRET_ACCESS_KEY", "PREFIX",
    "ADDRESSING_STYLE",
)  # fmt: skip
# S3's own rule for bucket names (3-63 of a-z 0-9 . -, a letter or digit at each end).
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_REGION = re.compile(r"[a-z0-9][a-z0-9-]*")
_PREFIX_PART = re.compile(r"[A-Za-z0-9._-]+")


def _refuse(message: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f'{message} (docs/configuration.md, "Attachments on S3")')


def attachments_storage(read: Callable[[str], str] = env_str) -> tuple[str, dict[str, Any]]:
    """(the bucket or "", the STORAGES entry for attachments), from the DOCKET_* settings
    that `read` returns ("" for unset)."""
    given = {name: read(S3 + name).strip() for name in S3_SETTINGS}
    bucket = given["BUCKET"]
    if not bucket:
        stray = [S3 + name for name, value in given.items() if value]
        if stray:
            raise _refuse(
                f"{', '.join(stray)} set without {S3}BUCKET: set the bucket to keep "
                "attachments in S3, or unset them to keep them in DOCKET_ATTACHMENTS_DIR"
            )
        return "", {"BACKEND": LOCAL_BACKEND}
    if read("DOCKET_ATTACHMENTS_DIR").strip():
        raise _refuse(
            f"both DOCKET_ATTACHMENTS_DIR and {S3}BUCKET are set: attachments go to one "
            "place; unset one (move files between them with `docket backup` and "
            "`docket restore --force`)"
        )
    if not _BUCKET.fullmatch(bucket) or ".." in bucket:
        raise _refuse(
            f"{S3}BUCKET={bucket!r} is not a bucket name (3-63 characters of a-z, 0-9, '.' "
            "and '-'; just the name, no s3:// or URL)"
        )
    options: dict[str, Any] = {
        "bucket_name": bucket,
        # Never public: no ACL is sent, so each object gets the bucket's default (private
        # unless the bucket was made public); downloads stream through Docket, which checks
        # permission first. No URL of the store is ever handed out.
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": True,  # names are random uuids: no existence check before a write
        # What a download from the bucket itself would look like (it never happens through
        # Docket, whose own response carries the type decided from the bytes).
        "object_parameters": {
            "ContentType": "application/octet-stream",
            "ContentDisposition": "attachment",
        },
    }
    endpoint = given["ENDPOINT_URL"]
    if endpoint:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _refuse(
                f"{S3}ENDPOINT_URL={endpoint!r} is not an http(s) URL "
                "(e.g. https://s3.eu-central-1.amazonaws.com or http://minio:9000)"
            )
        if parts.path not in ("", "/") or parts.query:
            raise _refuse(
                f"{S3}ENDPOINT_URL={endpoint!r} has a path or query: give the server's URL "
                f"only, the bucket in {S3}BUCKET and a key prefix in {S3}PREFIX"
            )
        options["endpoint_url"] = endpoint.rstrip("/")
    region = given["REGION"]
    if region:
        if not _REGION.fullmatch(region):
            raise _refuse(f"{S3}REGION={region!r} is not a region name (e.g. eu-central-1)")
        options["region_name"] = region
    key_id, secret = given["ACCESS_KEY_ID"], given["SECRET_ACCESS_KEY"]
    if bool(key_id) != bool(secret):
        have, missing = ("ACCESS_KEY_ID", "SECRET_ACCESS_KEY")[:: 1 if key_id else -1]
        raise _refuse(
            f"{S3}{have} is set without {S3}{missing}: set both, or neither to use the "
            "standard AWS credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
            "~/.aws/credentials, an instance or task role)"
        )
    if key_id:
        options["access_key"], options["secret_key"] = key_id, secret
    prefix = given["PREFIX"].strip("/")
    if prefix and not all(
        _PREFIX_PART.fullmatch(part) and part not in (".", "..") for part in prefix.split("/")
    ):
        raise _refuse(
            f"{S3}PREFIX={given['PREFIX']!r} must be path segments of letters, digits, "
            "'.', '_' and '-' separated by '/' (e.g. docket/attachments)"
        )
    options["location"] = prefix
    style = given["ADDRESSING_STYLE"].lower()
    if style not in ("", "auto", "path", "virtual"):
        raise _refuse(f"{S3}ADDRESSING_STYLE must be auto, path or virtual, not {style!r}")
    options["addressing_style"] = style or None
    missing_packages = [
        package
        for module, package in (("storages", "django-storages"), ("boto3", "boto3"))
        if importlib.util.find_spec(module) is None
    ]
    if missing_packages:
        raise _refuse(
            f"{S3}BUCKET is set but {' and '.join(missing_packages)} is not installed "
            "(they are Docket dependencies: reinstall Docket)"
        )
    return bucket, {"BACKEND": S3_BACKEND, "OPTIONS": options}
