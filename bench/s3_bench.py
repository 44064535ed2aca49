"""A 1 MB attachment's upload + download through the API: files on local disk vs objects in an
S3-compatible bucket (moto's server, `moto_server` from the dev extras, over real HTTP on
127.0.0.1).

    DOCKET_DATA_DIR=/tmp/s3bench python bench/s3_bench.py [--runs 50] [--size 1000000]

In-process: Django's test client through the whole middleware stack and the API (no HTTP
server in front; it would add the same to both). Both stores are made once, and the runs
alternate local, S3, local, … so load on the shared machine hits both alike. A run is
POST /issues/{key}/attachments (multipart, 1 MB of random bytes) then GET
/attachments/{id}/download read to the end and compared; the attachment is deleted after
the run, untimed. Prints p50/p95/mean per store, in ms, and the load average.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docket.config.settings")
os.environ.setdefault("DOCKET_DATA_DIR", tempfile.mkdtemp(prefix="docket-s3bench-"))
os.environ.setdefault("DOCKET_LOG_LEVEL", "ERROR")

import django  # noqa: E402

django.setup()

import boto3  # noqa: E402
import httpx  # noqa: E402
from django.core.files.storage import storages  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils.module_loading import import_string  # noqa: E402

from docket.accounts.actions import create_user  # noqa: E402
from docket.accounts.tokens import create_token  # noqa: E402
from docket.config.attachment_store import LOCAL_BACKEND, attachments_storage  # noqa: E402
from docket.issues.actions import create_issue  # noqa: E402
from docket.projects.actions import create_project  # noqa: E402

BOUNDARY = "----docket-bench-boundary"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _moto() -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    binary = Path(sys.executable).with_name("moto_server")
    process = subprocess.Popen(
        [str(binary), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(url + "/moto-api/", timeout=1)
            return process, url
        except httpx.HTTPError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit("moto_server did not start") from None
            time.sleep(0.1)


def _body(data: bytes) -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="bench.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
        + data
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


def _one(client: Client, headers: dict[str, str], key: str, data: bytes) -> float:
    started = time.perf_counter()
    made = client.post(
        f"/api/v1/issues/{key}/attachments",
        data=_body(data),
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        **headers,
    )
    assert made.status_code == 201, made.content
    attachment = made.json()["id"]
    got = client.get(f"/api/v1/attachments/{attachment}/download", **headers)
    assert got.status_code == 200
    assert b"".join(got.streaming_content) == data
    took = time.perf_counter() - started
    deleted = client.delete(f"/api/v1/attachments/{attachment}", **headers)
    assert deleted.status_code == 204
    return took * 1000


def _summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[math.ceil(len(ordered) * 0.95) - 1], 1),  # nearest rank
        "mean_ms": round(statistics.fmean(ordered), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--size", type=int, default=1_000_000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    moto, url = _moto()
    try:
        bucket = "docket-bench"
        boto3.client(
            "s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="bench",
            aws_secret_access_key="bench",
        ).create_bucket(Bucket=bucket)  # fmt: skip
        environment = {
            "DOCKET_ATTACHMENTS_S3_BUCKET": bucket,
            "DOCKET_ATTACHMENTS_S3_ENDPOINT_URL": url,
            "DOCKET_ATTACHMENTS_S3_REGION": "us-east-1",
            "DOCKET_ATTACHMENTS_S3_ACCESS_KEY_ID": "bench",
            "DOCKET_ATTACHMENTS_S3_SECRET_ACCESS_KEY": "bench",
            "DOCKET_ATTACHMENTS_S3_PREFIX": "attachments",
        }
        _, s3_config = attachments_storage(lambda name: environment.get(name, ""))
        backends = {
            "local": import_string(LOCAL_BACKEND)(),
            "s3": import_string(s3_config["BACKEND"])(**s3_config["OPTIONS"]),
        }
        stamp = int(time.time()) % 100000
        admin = create_user(actor=None, username=f"s3bench{stamp}", site_admin=True)
        project = create_project(actor=admin, key=f"S{stamp}", name="S3 bench")
        issue = create_issue(actor=admin, project=project, fields={"title": "files"})
        token = create_token(actor=admin, name="bench", scopes=["read", "write", "admin"])[1]
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        client = Client()
        data = os.urandom(args.size)
        times: dict[str, list[float]] = {"local": [], "s3": []}
        for backend in backends.values():  # warm up each (imports, the S3 client)
            storages._storages["attachments"] = backend
            _one(client, headers, issue.key, data)
        for _ in range(args.runs):
            for name, backend in backends.items():
                storages._storages["attachments"] = backend  # the handler's cached instance
                times[name].append(_one(client, headers, issue.key, data))
        result = {
            "size_bytes": args.size,
            "runs": args.runs,
            "load_average": os.getloadavg(),
            **{name: _summary(values) for name, values in times.items()},
        }
        print(json.dumps(result, indent=2))
    finally:
        moto.terminate()
        moto.wait(timeout=10)


if __name__ == "__main__":
    main()
