"""Issue attachments: upload, list, download, delete, and the hardening around them (names,
served types, headers, limits, quota, visibility, atomic writes)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from docket.attachments import actions, storage
from docket.attachments.api import AttachmentResponse
from docket.attachments.content import (
    Inspector,
    TooLarge,
    clean_filename,
    content_disposition,
    served_type,
)
from docket.attachments.models import Attachment
from docket.issues.models import Issue
from tests.api.issue_helpers import client, problem
from tests.asyncrun import run_in_own_loop
from tests.conftest import Api
from tests.factories import make_issue

BOUNDARY = "----docket-test-boundary-7MA4YWxkTrZu0gW"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>'
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
# What a safe Content-Disposition looks like: a quoted ASCII fallback without quotes,
# backslashes or %, and the RFC 5987 form with only unreserved characters and %XX escapes.
SAFE_DISPOSITION = re.compile(
    r"attachment; filename=\"[A-Za-z0-9 !#$&'()+,\-.;=@\[\]^_`{}~]+\"; "
    r"filename\*=UTF-8''[A-Za-z0-9%._~-]+"
)


@pytest.fixture(autouse=True)
def files_dir(settings, tmp_path) -> Path:
    """Each test stores its files in its own directory (xdist workers share DATA_DIR)."""
    settings.DOCKET_ATTACHMENTS_DIR = tmp_path / "attachments"
    return settings.DOCKET_ATTACHMENTS_DIR


@pytest.fixture
def issue(cast) -> Issue:
    return make_issue(cast.alice, cast.web)


def stored(root: Path) -> list[Path]:
    """Every file under the attachments directory (temporary ones too)."""
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def multipart(
    filename: str | bytes,
    data: bytes,
    *,
    field: str = "file",
    content_type: str = "application/octet-stream",
    more: bytes = b"",
) -> bytes:
    """A multipart body built by hand: the test client would strip paths from names."""
    name = filename.encode() if isinstance(filename, str) else filename
    return (
        f"--{BOUNDARY}\r\n".encode()
        + f'Content-Disposition: form-data; name="{field}"; filename="'.encode()
        + name
        + f'"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
        + data
        + b"\r\n"
        + more
        + f"--{BOUNDARY}--\r\n".encode()
    )


def send(api: Api, key: str, body: bytes) -> Any:
    return api.client.post(
        f"/api/v1/issues/{key}/attachments",
        data=body,
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        **api.headers,
    )


def upload(
    api: Api, filename: str | bytes, data: bytes, key: str = "WEB-1", **kw: Any
) -> dict[str, Any]:
    response = send(api, key, multipart(filename, data, **kw))
    assert response.status_code == 201, response.content
    return response.json()


def content(response: Any) -> bytes:
    assert response.status_code == 200, getattr(response, "content", b"")
    return b"".join(response.streaming_content)


def history(api: Api, key: str = "WEB-1") -> list[dict[str, Any]]:
    response = api.get(f"/issues/{key}/history")
    assert response.status_code == 200, response.content
    return [e for e in response.json()["items"] if e["field"] == "attachments"]


# --- round trip ---------------------------------------------------------------------------------


def test_upload_list_and_download_round_trip(cast, issue, files_dir):
    bob = cast.api(cast.bob)
    data = b"line one\nline two\n\xc3\xa9t\xc3\xa9\n"
    created = upload(bob, "notes.txt", data, content_type="text/html")
    assert created == {
        "id": created["id"],
        "issue": "WEB-1",
        "filename": "notes.txt",
        "content_type": "text/plain",  # from the bytes; the declared text/html is ignored
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "uploaded_by": "bob",
        "created_at": created["created_at"],
        "download_url": f"/api/v1/attachments/{created['id']}/download",
    }
    listed = bob.get("/issues/WEB-1/attachments")
    assert listed.status_code == 200
    assert listed.json() == {"items": [created], "next_cursor": None}
    assert bob.get(f"/attachments/{created['id']}").json() == created

    response = bob.get(f"/attachments/{created['id']}/download")
    assert content(response) == data
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Length"] == str(len(data))
    assert response["Content-Disposition"] == (
        "attachment; filename=\"notes.txt\"; filename*=UTF-8''notes.txt"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert response["Cache-Control"] == "private"

    # On disk: one file, named by the server (uuid4 hex in two shard directories).
    [path] = stored(files_dir)
    assert path.read_bytes() == data
    relative = path.relative_to(files_dir).parts
    assert re.fullmatch(r"[0-9a-f]{32}", relative[2])
    assert relative[:2] == (relative[2][:2], relative[2][2:4])
    assert Attachment.objects.get().stored_name == relative[2]


def test_a_png_is_served_as_a_png_and_pages_are_listed_oldest_first(cast, issue):
    carol = cast.api(cast.carol)  # reporters may comment, so they may attach
    first = upload(carol, "screenshot.png", PNG)
    second = upload(carol, "more.png", PNG + b"\x00" * 10)
    assert first["content_type"] == "image/png"
    response = carol.get(f"/attachments/{first['id']}/download")
    assert content(response) == PNG
    assert response["Content-Type"] == "image/png"
    page = carol.get("/issues/WEB-1/attachments", limit=1).json()
    assert [a["id"] for a in page["items"]] == [first["id"]]
    rest = carol.get("/issues/WEB-1/attachments", limit=1, cursor=page["next_cursor"]).json()
    assert [a["id"] for a in rest["items"]] == [second["id"]]
    assert rest["next_cursor"] is None


def test_downloads_stream_under_asgi_without_reading_the_file_at_once(cast, issue):
    data = bytes(range(256)) * 1024  # 256 KiB: four blocks
    created = upload(cast.api(cast.bob), "blob.bin", data)
    downloaded = cast.api(cast.bob).get(f"/attachments/{created['id']}/download")
    assert isinstance(downloaded, AttachmentResponse)
    assert content(downloaded) == data
    # Under ASGI the response is read through __aiter__, block by block.
    handle = storage.open_file(Attachment.objects.get().stored_name)
    response = AttachmentResponse(handle, content_type="application/octet-stream")

    async def collect() -> list[bytes]:
        return [chunk async for chunk in response]

    try:
        chunks = run_in_own_loop(collect())
    finally:
        response.close()
    assert handle.closed
    assert b"".join(chunks) == data
    assert len(chunks) == 4


# --- names --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../etc/passwd", "passwd"),
        ("..%2F..%2Fx", "%2F..%2Fx"),  # percent forms are just characters
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("a\x00b.png", "ab.png"),
        ("invoice\u202egnp.exe", "invoicegnp.exe"),
        ("x" * 300 + ".txt", "x" * 196 + ".txt"),
        ("...", "attachment"),
    ],
)
def test_names_are_cleaned_and_never_reach_the_disk(cast, issue, files_dir, sent, kept):
    bob = cast.api(cast.bob)
    created = upload(bob, sent, b"some text\n")
    assert created["filename"] == kept
    response = bob.get(f"/attachments/{created['id']}/download")
    disposition = response["Content-Disposition"]
    assert SAFE_DISPOSITION.fullmatch(disposition), disposition
    assert content(response) == b"some text\n"
    [path] = stored(files_dir)
    assert re.fullmatch(r"[0-9a-f]{32}", path.name)
    assert path.is_relative_to(files_dir)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\secret.docx", "secret.docx"),
        ("dir/sub/", "sub"),
        ("..%2F..%2Fx", "%2F..%2Fx"),
        ("a\x00b.png", "ab.png"),
        ("line\r\nbreak.txt", "line break.txt"),
        ("tab\there\x07.txt", "tab here.txt"),
        ("evil\u202egnp.exe", "evilgnp.exe"),
        ("\u2066iso\u2069late\u200f.txt", "isolate.txt"),
        (".bashrc", "bashrc"),
        ("...hidden..", "hidden"),
        ("  many    spaces \u00a0 here .txt  ", "many spaces here .txt"),
        ("x" * 300 + ".tar.gz", "x" * 197 + ".gz"),
        ("y" * 300, "y" * 200),
        ("", "attachment"),
        (None, "attachment"),
        ("/", "attachment"),
        ("\x00\u202e", "attachment"),
        ("re\u0301sume\u0301.pdf", "résumé.pdf"),  # NFC
    ],
)
def test_clean_filename(raw, clean):
    assert clean_filename(raw) == clean
    assert len(clean_filename(raw)) <= 200


def test_content_disposition_has_an_ascii_fallback_and_the_utf8_name():
    assert content_disposition("résumé ü.pdf") == (
        "attachment; filename=\"resume u.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%C3%BC.pdf"
    )
    assert content_disposition('say "hi"\\%20.txt') == (
        "attachment; filename=\"say _hi___20.txt\"; filename*=UTF-8''say%20%22hi%22%5C%2520.txt"
    )
    assert content_disposition("日本語.txt").startswith('attachment; filename="attachment.txt";')
    assert content_disposition("%2F..%2Fx") == (
        "attachment; filename=\"_2F.._2Fx\"; filename*=UTF-8''%252F..%252Fx"
    )


# --- served types -------------------------------------------------------------------------------


def test_svg_with_script_and_html_posing_as_png_are_plain_downloads(cast, issue):
    bob = cast.api(cast.bob)
    svg = upload(bob, "logo.svg", SVG, content_type="image/svg+xml")
    fake_png = upload(bob, "cat.png", HTML, content_type="image/png")
    for created, data in ((svg, SVG), (fake_png, HTML)):
        assert created["content_type"] == "application/octet-stream"
        response = bob.get(f"/attachments/{created['id']}/download")
        assert content(response) == data
        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"


@pytest.mark.parametrize(
    ("head", "name", "expected"),
    [
        (PNG, "x.png", "image/png"),
        (PNG, "x.html", "image/png"),  # the bytes decide, the name cannot widen it
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "photo.jpg", "image/jpeg"),
        (b"GIF89a\x01\x00\x01\x00", "a.gif", "image/gif"),
        (b"GIF87a\x01\x00\x01\x00", "a.gif", "image/gif"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "a.webp", "image/webp"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "a.webp", "application/octet-stream"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "doc.pdf", "application/pdf"),
        (b"plain words\n", "notes.txt", "text/plain"),
        (b"plain words\n", "README", "text/plain"),
        (b"\xef\xbb\xbfwith a BOM\n", "bom.txt", "text/plain"),
        (HTML, "cat.png", "application/octet-stream"),
        (HTML, "page.txt", "application/octet-stream"),
        (b"  \n<?xml version='1.0'?><a/>", "data.txt", "application/octet-stream"),
        (SVG, "logo.svg", "application/octet-stream"),
        (b"alert(1)\n", "app.js", "application/octet-stream"),
        (b"body { color: red }\n", "x.css", "application/octet-stream"),
        (b"no markup\n", "x.SVG", "application/octet-stream"),
        (b"PK\x03\x04\x14\x00", "archive.zip", "application/octet-stream"),
    ],
)
def test_served_type_comes_from_the_bytes(head, name, expected):
    inspector = Inspector(limit=10_000)
    assert b"".join(inspector.feed([head])) == head
    assert served_type(inspector.head, is_text=inspector.is_text, filename=name) == expected


@pytest.mark.parametrize(
    "data", [b"\x00\x01binary", b"caf\xe9 latin-1\n", b"bell\x07\n", b"escape\x1b[31m\n"]
)
def test_non_utf8_or_control_characters_are_not_text(data):
    inspector = Inspector(limit=10_000)
    list(inspector.feed([data]))
    assert not inspector.is_text
    assert served_type(inspector.head, is_text=False, filename="a.txt") == (
        "application/octet-stream"
    )


def test_utf8_split_across_chunks_is_still_text():
    inspector = Inspector(limit=10_000)
    data = "é" * 10
    encoded = data.encode()
    list(inspector.feed([encoded[:3], encoded[3:]]))
    assert inspector.is_text
    assert inspector.sha256 == hashlib.sha256(encoded).hexdigest()
    assert inspector.size == len(encoded)


# --- limits -------------------------------------------------------------------------------------


def test_a_file_over_the_limit_is_413_and_nothing_is_stored(cast, issue, settings, files_dir):
    settings.DOCKET_MAX_ATTACHMENT_BYTES = 1000
    bob = cast.api(cast.bob)
    body = problem(send(bob, "WEB-1", multipart("big.bin", b"x" * 1001)), 413)
    assert "1000" in body["detail"]
    assert not Attachment.objects.exists()
    assert stored(files_dir) == []
    assert history(bob) == []
    upload(bob, "fits.bin", b"x" * 1000)  # exactly the limit is fine


def test_a_body_far_over_the_limit_is_refused_before_it_is_read(cast, issue, settings, files_dir):
    settings.DOCKET_MAX_ATTACHMENT_BYTES = 1000
    response = send(cast.api(cast.bob), "WEB-1", multipart("big.bin", b"x" * 100_000))
    problem(response, 413)
    assert not Attachment.objects.exists()
    assert stored(files_dir) == []


def test_only_the_upload_route_may_exceed_the_request_body_limit(cast, issue, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    bob = cast.api(cast.bob)
    created = upload(bob, "bigger-than-json.bin", b"z" * 20_000)
    assert created["size"] == 20_000
    problem(bob.post("/issues/WEB-1/comments", {"body": "z" * 20_000}), 413)
    problem(bob.post("/projects/WEB/issues", {"title": "t", "description": "z" * 20_000}), 413)


def test_the_stream_is_cut_off_at_the_limit_and_leaves_no_file(files_dir):
    inspector = Inspector(limit=10)
    with pytest.raises(TooLarge):
        storage.write(storage.new_name(), inspector.feed([b"12345", b"67890", b"1"]))
    assert stored(files_dir) == []


def test_an_empty_file_is_422(cast, issue, files_dir):
    body = problem(send(cast.api(cast.bob), "WEB-1", multipart("empty.txt", b"")), 422)
    assert body["errors"] == [{"field": "file", "message": "is empty"}]
    assert stored(files_dir) == []
    assert not Attachment.objects.exists()


def test_exactly_one_file_in_the_field_file(cast, issue, files_dir):
    bob = cast.api(cast.bob)
    missing = send(bob, "WEB-1", multipart("a.txt", b"text", field="other"))
    assert problem(missing, 400)["errors"][0]["field"] == "file"
    second_part = multipart("b.txt", b"two").removesuffix(f"--{BOUNDARY}--\r\n".encode())
    two = send(bob, "WEB-1", multipart("a.txt", b"one", more=second_part))
    problem(two, 422)
    problem(bob.post("/issues/WEB-1/attachments", {"file": "not a file"}), 400)
    assert not Attachment.objects.exists()
    assert stored(files_dir) == []


def test_the_quota_counts_live_attachments_per_uploader(cast, issue, settings, files_dir):
    settings.DOCKET_ATTACHMENT_QUOTA_BYTES = 100
    bob, carol = cast.api(cast.bob), cast.api(cast.carol)
    first = upload(bob, "a.bin", b"a" * 60)
    body = problem(send(bob, "WEB-1", multipart("b.bin", b"b" * 50)), 413)
    assert "quota" in body["detail"]
    assert (body["quota"], body["used"]) == (100, 60)
    assert Attachment.objects.count() == 1
    assert len(stored(files_dir)) == 1
    upload(carol, "c.bin", b"c" * 50)  # someone else's quota is their own
    assert bob.delete(f"/attachments/{first['id']}").status_code == 204
    upload(bob, "b.bin", b"b" * 50)  # deleted files no longer count


# --- visibility and permissions -----------------------------------------------------------------


@pytest.mark.parametrize("who", ["eve", "anon"])
def test_outsiders_get_the_same_404_as_for_a_missing_id(cast, issue, who):
    created = upload(cast.api(cast.bob), "secret.txt", b"secret\n")
    caller = client(cast, who)
    missing = created["id"] + 1000
    for path in ("/attachments/{}", "/attachments/{}/download"):
        hidden = problem(caller.get(path.format(created["id"])), 404)
        absent = problem(caller.get(path.format(missing)), 404)
        assert hidden == {**absent, "detail": f"no attachment {created['id']}"}
    problem(caller.get("/issues/WEB-1/attachments"), 404)
    problem(caller.delete(f"/attachments/{created['id']}"), 404)
    problem(send(caller, "WEB-1", multipart("x.txt", b"x")), 404)
    assert Attachment.objects.count() == 1


def test_a_viewer_may_read_but_not_attach(cast, issue, files_dir):
    created = upload(cast.api(cast.bob), "notes.txt", b"notes\n")
    dave = cast.api(cast.dave)
    assert dave.get(f"/attachments/{created['id']}").status_code == 200
    assert content(dave.get(f"/attachments/{created['id']}/download")) == b"notes\n"
    problem(send(dave, "WEB-1", multipart("x.txt", b"x")), 403)
    problem(dave.delete(f"/attachments/{created['id']}"), 403)
    assert len(stored(files_dir)) == 1


def test_a_confidential_issues_attachments_follow_the_issue(cast):
    make_issue(cast.alice, cast.web, confidential=True)
    bob, carol, dave = cast.api(cast.bob), cast.api(cast.carol), cast.api(cast.dave)
    created = upload(bob, "incident.txt", b"details\n")
    for caller in (carol, dave):  # a reporter not involved, a viewer
        problem(caller.get(f"/attachments/{created['id']}"), 404)
        problem(caller.get(f"/attachments/{created['id']}/download"), 404)
        problem(caller.get("/issues/WEB-1/attachments"), 404)
        problem(send(caller, "WEB-1", multipart("x.txt", b"x")), 404)
    assert bob.get(f"/attachments/{created['id']}").status_code == 200
    assert content(bob.get(f"/attachments/{created['id']}/download")) == b"details\n"


def test_a_deleted_issue_hides_its_attachments(cast, issue):
    created = upload(cast.api(cast.bob), "notes.txt", b"notes\n")
    alice = cast.api(cast.alice)
    assert alice.delete("/issues/WEB-1").status_code == 204
    problem(cast.api(cast.bob).get(f"/attachments/{created['id']}"), 404)
    problem(cast.api(cast.bob).get(f"/attachments/{created['id']}/download"), 404)
    problem(send(cast.api(cast.bob), "WEB-1", multipart("x.txt", b"x")), 404)


# --- deleting and history -----------------------------------------------------------------------


def test_delete_hides_it_and_removes_the_file_after_commit(
    cast, issue, files_dir, django_capture_on_commit_callbacks
):
    bob = cast.api(cast.bob)
    created = upload(bob, "notes.txt", b"notes\n")
    [path] = stored(files_dir)
    with django_capture_on_commit_callbacks() as callbacks:
        assert bob.delete(f"/attachments/{created['id']}").status_code == 204
        assert path.exists()  # not before the transaction commits
    for callback in callbacks:
        callback()
    assert not path.exists()
    for url in (f"/attachments/{created['id']}", f"/attachments/{created['id']}/download"):
        problem(bob.get(url), 404)
    problem(bob.delete(f"/attachments/{created['id']}"), 404)
    assert bob.get("/issues/WEB-1/attachments").json()["items"] == []
    assert Attachment.objects.get().deleted_at is not None  # soft: the row stays


def test_who_may_delete(cast, issue, django_capture_on_commit_callbacks):
    by_carol = upload(cast.api(cast.carol), "carol.txt", b"c\n")
    by_bob = upload(cast.api(cast.bob), "bob.txt", b"b\n")
    body = problem(cast.api(cast.bob).delete(f"/attachments/{by_carol['id']}"), 403)
    assert "uploader" in body["detail"]
    problem(cast.api(cast.carol).delete(f"/attachments/{by_bob['id']}"), 403)
    with django_capture_on_commit_callbacks(execute=True):
        assert cast.api(cast.carol).delete(f"/attachments/{by_carol['id']}").status_code == 204
        assert cast.api(cast.alice).delete(f"/attachments/{by_bob['id']}").status_code == 204
    assert not Attachment.objects.filter(deleted_at__isnull=True).exists()


def test_history_records_uploads_and_deletes_and_bumps_nothing(cast, issue):
    bob = cast.api(cast.bob)
    before = bob.get("/issues/WEB-1").json()
    created = upload(bob, "../trace.log", b"trace\n")
    assert bob.delete(f"/attachments/{created['id']}").status_code == 204
    events = history(bob)
    assert [(e["kind"], e["actor"], e["old"], e["new"]) for e in events] == [
        ("changed", "bob", None, "trace.log"),
        ("changed", "bob", "trace.log", None),
    ]
    assert {e["version"] for e in events} == {before["version"]}
    after = bob.get("/issues/WEB-1").json()
    assert (after["version"], after["updated_at"]) == (before["version"], before["updated_at"])


# --- atomicity ----------------------------------------------------------------------------------


def test_a_failed_transaction_removes_the_written_file(cast, issue, files_dir, monkeypatch):
    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(actions, "record", fail)
    upload_file = SimpleUploadedFile("notes.txt", b"notes\n")
    with pytest.raises(RuntimeError):
        actions.upload_attachment(actor=cast.bob, issue=issue, upload=upload_file)
    assert not Attachment.objects.exists()
    assert stored(files_dir) == []


def test_stored_names_are_checked_before_they_become_paths():
    for bad in ("../../etc/passwd", "A" * 32, "0" * 31, "0" * 32 + "/x"):
        with pytest.raises(ValueError):
            storage.path_for(bad)
