"""Attachments in an S3-compatible bucket (DOCKET_ATTACHMENTS_S3_*, docs/configuration.md):
against moto's S3 server started as its own process (`moto_server`, real HTTP on a free port;
boto3 is not patched in this process), with the app configured by the same function that
reads the DOCKET_* environment (config/attachment_store.py), and once as a real `docket serve`
process configured by that environment.

What must hold: an upload is an object in the bucket (under the prefix, private, no local
file) and downloads byte for byte through Docket's permission check; a non-member gets 404
and no bytes; mail-in attachments land there too; a delete removes the object after commit;
a store that is missing or does not answer refuses the upload with 503 and leaves no row and
no event; backup copies the objects and restore writes them back; doctor checks the bucket;
a partial configuration stops the process at start.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from docket.attachments import storage
from docket.attachments.content import Inspector, TooLarge
from docket.attachments.models import Attachment
from docket.cli import backup, doctor
from docket.config.attachment_store import LOCAL_BACKEND, S3_BACKEND, attachments_storage
from docket.core.clock import now
from docket.issues.models import Issue, IssueEvent
from docket.mailin.models import Mailbox
from docket.mailin.receive import receive
from tests.api.issue_helpers import problem
from tests.api.test_attachments import content, multipart, send, upload
from tests.factories import make_issue
from tests.servers import run_docket, running_server, scratch_environment

pytestmark = [
    pytest.mark.slow,
    pytest.mark.xdist_group("s3"),  # one worker builds its server (--dist loadgroup)
]

if importlib.util.find_spec("moto") is None:
    pytest.skip(
        "moto[server] is not installed: install the dev extras (pip install -e '.[dev]')",
        allow_module_level=True,
    )

KEY_ID, SECRET, REGION = "docket-test", "docket-test-secret", "us-east-1"
PREFIX = "docket/attachments"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class S3Server:
    url: str

    def client(self) -> Any:
        return boto3.client(
            "s3", endpoint_url=self.url, region_name=REGION, aws_access_key_id=KEY_ID,
            aws_secret_access_key=SECRET, config=Config(retries={"max_attempts": 1}),
        )  # fmt: skip

    def new_bucket(self) -> str:
        name = f"docket-{uuid.uuid4().hex[:16]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str) -> dict[str, int]:
        listed = self.client().list_objects_v2(Bucket=bucket)
        return {o["Key"]: o["Size"] for o in listed.get("Contents", [])}

    def body(self, bucket: str, key: str) -> bytes:
        return bytes(self.client().get_object(Bucket=bucket, Key=key)["Body"].read())


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    port = _free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    command = [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1",
               "-p", str(port)]  # fmt: skip
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                pytest.fail(f"moto_server exited:\n{log.read_text()}")
            try:
                httpx.get(url + "/moto-api/", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    pytest.fail(f"moto_server did not answer:\n{log.read_text()}")
                time.sleep(0.1)
        yield S3Server(url)
    finally:
        process.terminate()
        process.wait(timeout=10)


def s3_environment(s3: S3Server, bucket: str, **more: str) -> dict[str, str]:
    return {
        "DOCKET_ATTACHMENTS_S3_BUCKET": bucket,
        "DOCKET_ATTACHMENTS_S3_ENDPOINT_URL": s3.url,
        "DOCKET_ATTACHMENTS_S3_REGION": REGION,
        "DOCKET_ATTACHMENTS_S3_ACCESS_KEY_ID": KEY_ID,
        "DOCKET_ATTACHMENTS_S3_SECRET_ACCESS_KEY": SECRET,
        "DOCKET_ATTACHMENTS_S3_PREFIX": PREFIX,
        **more,
    }


def use_store(settings: Any, environment: dict[str, str]) -> None:
    """Configure attachments as the server would from `environment`."""
    bucket, store = attachments_storage(lambda name: environment.get(name, ""))
    settings.DOCKET_ATTACHMENTS_S3_BUCKET = bucket
    settings.STORAGES = {**settings.STORAGES, "attachments": store}


@pytest.fixture
def bucket(s3: S3Server, settings: Any, tmp_path: Path) -> str:
    name = s3.new_bucket()
    settings.DOCKET_ATTACHMENTS_DIR = tmp_path / "local-attachments"  # must stay empty
    use_store(settings, s3_environment(s3, name))
    return name


@pytest.fixture
def issue(cast: Any) -> Issue:
    return make_issue(cast.alice, cast.web)


def object_key(stored_name: str) -> str:
    return f"{PREFIX}/{stored_name[:2]}/{stored_name[2:4]}/{stored_name}"


# --- configuration ------------------------------------------------------------------------------


def test_without_a_bucket_attachments_stay_in_the_directory():
    assert attachments_storage(lambda name: "") == ("", {"BACKEND": LOCAL_BACKEND})


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ({"DOCKET_ATTACHMENTS_S3_ENDPOINT_URL": "http://minio:9000"},
         "DOCKET_ATTACHMENTS_S3_ENDPOINT_URL set without DOCKET_ATTACHMENTS_S3_BUCKET"),
        ({"DOCKET_ATTACHMENTS_S3_BUCKET": "b1b", "DOCKET_ATTACHMENTS_S3_ACCESS_KEY_ID": "k"},
         "DOCKET_ATTACHMENTS_S3_ACCESS_KEY_ID is set without "
         "DOCKET_ATTACHMENTS_S3_SECRET_ACCESS_KEY"),
        ({"DOCKET_ATTACHMENTS_S3_BUCKET": "b1b", "DOCKET_ATTACHMENTS_S3_SECRET_ACCESS_KEY": "s"},
         "DOCKET_ATTACHMENTS_S3_SECRET_ACCESS_KEY is set without "
         "DOCKET_ATTACHMENTS_S3_ACCESS_KEY_ID"),
        ({"DOCKET_ATTACHMENTS_S3_BUCKET": "s3://files"}, "is not a bucket name"),
        ({"DOCKET_ATTACHMENTS_S3_BUCKET": "files", "DOCKET_ATTACHMENTS_S3_ENDPOINT_URL": "minio"},
         "is not an http(s) URL"),
        ({"DOCKET_ATTACHMENTS_S3_BUCKET": "files",
          "DOCKET_ATTACHMENTS_S3_ENDPOINT_URL": "http://minio:9000/files"}, "has a path"),
        ({"DOCKET_ATTACHMENTS_S3_BUCKET": "files", "DOCKET_ATTACHMENTS_S3_PREFIX": "a/../b"},
         "must be path segments"),
        ({"DOCKET_ATTACHMENTS_S3_BUCKET": "files", "DOCKET_ATTACHMENTS_S3_REGION": "EU West"},
         "is not a region name"),
        ({"DOCKET_ATTACHMENTS_S3_BUCKET": "files", "DOCKET_ATTACHMENTS_DIR": "/srv/files"},
         "both DOCKET_ATTACHMENTS_DIR and DOCKET_ATTACHMENTS_S3_BUCKET are set"),
        ({"DOCKET_ATTACHMENTS_S3_BUCKET": "files",
          "DOCKET_ATTACHMENTS_S3_ADDRESSING_STYLE": "sideways"}, "must be auto, path or virtual"),
    ],
)  # fmt: skip
def test_a_partial_or_wrong_configuration_is_refused(given: dict[str, str], says: str):
    with pytest.raises(ImproperlyConfigured) as refused:
        attachments_storage(lambda name: given.get(name, ""))
    assert says in str(refused.value)
    assert "docs/configuration.md" in str(refused.value)


def test_a_full_configuration_names_the_s3_backend():
    environment = {"DOCKET_ATTACHMENTS_S3_BUCKET": "files", "DOCKET_ATTACHMENTS_S3_PREFIX": "/a/b/"}
    bucket, store = attachments_storage(lambda name: environment.get(name, ""))
    assert bucket == "files" and store["BACKEND"] == S3_BACKEND
    options = store["OPTIONS"]
    assert options["location"] == "a/b"
    assert options["default_acl"] is None  # no ACL sent: the bucket's private default
    assert "access_key" not in options  # the standard AWS credential chain


def test_the_server_refuses_to_start_with_a_partial_configuration(tmp_path: Path):
    with scratch_environment(tmp_path / "data") as env:
        env["DOCKET_ATTACHMENTS_S3_ENDPOINT_URL"] = "http://127.0.0.1:9"
        done = run_docket(env, "check")
    assert done.returncode != 0
    assert "DOCKET_ATTACHMENTS_S3_ENDPOINT_URL set without DOCKET_ATTACHMENTS_S3_BUCKET" in (
        done.stderr + done.stdout
    )


# --- round trip through the API -----------------------------------------------------------------


def test_an_upload_is_a_private_object_and_downloads_byte_for_byte(
    cast: Any, issue: Issue, s3: S3Server, bucket: str, settings: Any
):
    data = os.urandom(300_000)
    sent: list[dict[str, str]] = []  # the PUT's headers as they go on the wire
    client = storage.backend().connection.meta.client
    client.meta.events.register(
        "before-send.s3.PutObject", lambda request, **_: sent.append(dict(request.headers))
    )
    created = upload(cast.api(cast.bob), "dump.bin", data)
    assert len(sent) == 1 and not any(h.lower().startswith("x-amz-acl") for h in sent[0])
    stored_name = Attachment.objects.get(pk=created["id"]).stored_name
    key = object_key(stored_name)
    assert s3.keys(bucket) == {key: len(data)}
    assert s3.body(bucket, key) == data
    head = s3.client().head_object(Bucket=bucket, Key=key)
    assert head["ContentType"] == "application/octet-stream"
    assert head["ContentDisposition"] == "attachment"
    assert not Path(settings.DOCKET_ATTACHMENTS_DIR).exists()  # nothing on local disk

    response = cast.api(cast.bob).get(f"/attachments/{created['id']}/download")
    assert response["Content-Length"] == str(len(data))
    assert response["Content-Disposition"].startswith('attachment; filename="dump.bin"')
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Location" not in response  # streamed through Docket, never a bucket URL
    assert content(response) == data


def test_a_non_member_gets_404_and_no_bytes(cast: Any, issue: Issue, bucket: str):
    data = b"private numbers " * 1000
    created = upload(cast.api(cast.bob), "secret.txt", data)
    for outsider in (cast.api(cast.eve), cast.api(None)):
        response = outsider.get(f"/attachments/{created['id']}/download")
        assert response.status_code in (401, 404)
        assert data[:16] not in response.content
    assert cast.api(cast.eve).get(f"/attachments/{created['id']}/download").status_code == 404


def test_the_web_page_upload_and_a_session_download(cast: Any, issue: Issue, s3: S3Server,
                                                     bucket: str):  # fmt: skip
    browser = Client()
    browser.force_login(cast.bob)
    data = b"\x89PNG\r\n\x1a\n" + os.urandom(5000)
    page = browser.post(
        "/WEB-1/attachments",
        {"file": _named_file("shot.png", data)},
        HTTP_ACCEPT="application/json",
    )
    assert page.status_code == 201, page.content
    made = page.json()
    assert len(s3.keys(bucket)) == 1
    downloaded = browser.get(made["url"])
    assert downloaded.status_code == 200
    assert b"".join(downloaded.streaming_content) == data
    assert downloaded["Content-Type"] == "image/png"
    outsider = Client()
    outsider.force_login(cast.eve)
    refused = outsider.get(made["url"])
    assert refused.status_code == 404 and data[8:40] not in refused.content


def _named_file(name: str, data: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_delete_removes_the_object_after_commit(
    cast: Any, issue: Issue, s3: S3Server, bucket: str, django_capture_on_commit_callbacks: Any
):
    created = upload(cast.api(cast.bob), "gone.txt", b"soon gone\n")
    assert len(s3.keys(bucket)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert cast.api(cast.bob).delete(f"/attachments/{created['id']}").status_code == 204
    assert s3.keys(bucket) == {}
    assert Attachment.objects.get(pk=created["id"]).deleted_at is not None


def test_an_upload_cut_off_at_the_limit_leaves_no_object(s3: S3Server, bucket: str):
    with pytest.raises(TooLarge):
        storage.write(storage.new_name(), Inspector(limit=100_000).feed([b"x" * 65536] * 3))
    assert s3.keys(bucket) == {}
    assert s3.client().list_multipart_uploads(Bucket=bucket).get("Uploads") is None


# --- the store fails ----------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["no such bucket", "endpoint down"])
def test_a_store_that_fails_refuses_the_upload_and_keeps_nothing(
    cast: Any, issue: Issue, s3: S3Server, settings: Any, tmp_path: Path, fault: str
):
    settings.DOCKET_ATTACHMENTS_DIR = tmp_path / "local-attachments"
    if fault == "no such bucket":
        use_store(settings, s3_environment(s3, f"missing-{uuid.uuid4().hex[:12]}"))
    else:
        down = s3_environment(s3, "files", DOCKET_ATTACHMENTS_S3_ENDPOINT_URL=
                              f"http://127.0.0.1:{_free_port()}")  # fmt: skip
        use_store(settings, down)
    events_before = IssueEvent.objects.filter(issue=issue).count()
    version_before = Issue.objects.get(pk=issue.pk).version
    body = problem(send(cast.api(cast.bob), "WEB-1", multipart("a.txt", b"some bytes")), 503)
    assert "attachment store did not answer" in body["detail"]
    assert "nothing was saved" in body["detail"]
    assert not Attachment.objects.exists()
    assert IssueEvent.objects.filter(issue=issue).count() == events_before
    assert Issue.objects.get(pk=issue.pk).version == version_before
    assert not Path(settings.DOCKET_ATTACHMENTS_DIR).exists()
    findings = [f for f in doctor.examine() if f.part == "attachments"]
    assert [f.status for f in findings] == [doctor.FAIL]
    assert findings[0].fix


def test_doctor_says_the_bucket_answers(bucket: str):
    findings = doctor.examine()
    [finding] = [f for f in findings if f.part == "attachments"]
    assert finding.status == doctor.OK and bucket in finding.detail
    disks = [f.detail for f in findings if f.part == "disk"]
    # no attachments directory to watch (on PostgreSQL there may be no disk finding at all)
    assert not any(d.startswith("attachments") for d in disks)


# --- mail in ------------------------------------------------------------------------------------


def _mail_with_attachment(data: bytes, message_id: str) -> bytes:
    mail = EmailMessage()
    mail["From"] = "Ann <ann@customer.example>"
    mail["To"] = "help@support.example.com"
    mail["Subject"] = "Printer on fire"
    mail["Message-ID"] = f"<{message_id}@customer.example>"
    mail.set_content("See the log attached.")
    mail.add_attachment(data, maintype="application", subtype="octet-stream",
                        filename="printer.log")  # fmt: skip
    return bytes(mail)


def _mailbox(cast: Any) -> Mailbox:
    moment = now()
    return Mailbox.objects.create(project=cast.web, address="help@support.example.com",
                                  created_at=moment, updated_at=moment)  # fmt: skip


def test_a_mailed_attachment_lands_in_the_bucket(cast: Any, s3: S3Server, bucket: str):
    data = os.urandom(20_000)
    result = receive(_mail_with_attachment(data, "m1"), _mailbox(cast), via="lmtp")
    assert result.outcome == "opened"
    attachment = Attachment.objects.get()
    assert attachment.issue.key == result.issue
    assert s3.body(bucket, object_key(attachment.stored_name)) == data


def test_a_mail_whose_attachment_cannot_be_stored_fails_whole(
    cast: Any, s3: S3Server, settings: Any
):
    """The store is down: the message fails (the sending server retries it) rather than
    becoming an issue without its attachment."""
    use_store(settings, s3_environment(s3, f"missing-{uuid.uuid4().hex[:12]}"))
    with pytest.raises(storage.StorageUnavailable):
        receive(_mail_with_attachment(b"log " * 100, "m2"), _mailbox(cast), via="lmtp")
    assert not Issue.objects.exists() and not Attachment.objects.exists()


# --- backup and restore -------------------------------------------------------------------------


def test_backup_copies_the_objects_and_restore_writes_them_back(
    cast: Any, issue: Issue, s3: S3Server, bucket: str, settings: Any, tmp_path: Path
):
    data = os.urandom(70_000)
    created = upload(cast.api(cast.bob), "kept.bin", data)
    attachment = Attachment.objects.get(pk=created["id"])
    copy = tmp_path / "backup"
    missing = backup._copy_attachments(
        [(attachment.stored_name, attachment.sha256), ("0" * 32, "0" * 64)], copy / "attachments"
    )
    assert missing == ["0" * 32]  # a row whose object is gone: reported, not fatal
    relative = object_key(attachment.stored_name).removeprefix(PREFIX + "/")
    assert (copy / "attachments" / relative).read_bytes() == data

    other = s3.new_bucket()  # restore into an instance that uses another bucket
    use_store(settings, s3_environment(s3, other))
    backup._restore_files(copy)
    assert s3.body(other, object_key(attachment.stored_name)) == data


# --- a real server configured by its environment ------------------------------------------------


def test_docket_serve_with_s3_settings_keeps_attachments_in_the_bucket(
    s3: S3Server, tmp_path: Path
):
    bucket = s3.new_bucket()
    with scratch_environment(tmp_path / "data", ready=True) as env:
        env.update(s3_environment(s3, bucket))
        with running_server(env, tmp_path / "serve.log", workers=1) as server:
            token = server.token()
            with server.client(token) as api:
                made = api.post("/projects", json={"key": "S3T", "name": "S3 test"})
                assert made.status_code == 201, made.text
                made = api.post("/projects/S3T/issues", json={"title": "has a file"})
                assert made.status_code == 201, made.text
                data = os.urandom(1_500_000)  # over 1 MiB: received into a temporary file
                sent = api.post("/issues/S3T-1/attachments", files={"file": ("big.bin", data)})
                assert sent.status_code == 201, sent.text
                got = api.get(f"/attachments/{sent.json()['id']}/download")
                assert got.status_code == 200
                assert got.content == data
                assert got.headers["content-length"] == str(len(data))
            assert list(s3.keys(bucket).values()) == [len(data)]
            assert not (tmp_path / "data" / "attachments").exists()
            checked = run_docket(env, "doctor", "--json")
            assert '"part": "attachments"' in checked.stdout, checked.stdout + checked.stderr
            assert f"s3://{bucket}/{PREFIX}" in checked.stdout
            # `docket backup` copies the object into the backup (checked against its sha256).
            copied = run_docket(env, "backup", str(tmp_path / "backup"))
            assert copied.returncode == 0, copied.stdout + copied.stderr
            [kept] = [p for p in (tmp_path / "backup" / "attachments").rglob("*") if p.is_file()]
            assert kept.read_bytes() == data
