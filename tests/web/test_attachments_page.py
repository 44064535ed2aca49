"""The issue page's Attachments section: the list (download links through the API's one safe
path, sizes, uploaders, thumbnails only for raster images), uploads by the plain form and by
the script's JSON requests, refusals shown next to the form with nothing saved, deletes by
who may, and the timeline linking a file while it still exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from docket.attachments import actions
from docket.attachments.models import Attachment
from docket.issues.models import Issue, IssueEvent
from tests.factories import make_issue

HX = {"HTTP_HX_REQUEST": "true"}
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>'


@pytest.fixture(autouse=True)
def files_dir(settings, tmp_path) -> Path:
    settings.DOCKET_ATTACHMENTS_DIR = tmp_path / "attachments"
    return settings.DOCKET_ATTACHMENTS_DIR


@pytest.fixture
def issue(cast) -> Issue:
    return make_issue(cast.alice, cast.web, title="Crash on save")


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _attach(user, issue: Issue, name: str, data: bytes) -> Attachment:
    upload = SimpleUploadedFile(name, data)
    return actions.upload_attachment(actor=user, issue=issue, upload=upload)


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _section(html: str) -> str:
    found = re.search(r'<section class="attachments[ "].*?</section>', html, re.S)
    assert found, "no Attachments section"
    return found.group(0)


def test_the_section_lists_each_attachment_with_link_size_uploader_and_date(cast, issue):
    log = _attach(cast.bob, issue, "trace.log", b"line one\n" * 300)
    html = _as(cast.carol).get("/WEB-1").content.decode()
    section = _section(html)
    assert f'href="/api/v1/attachments/{log.pk}/download"' in section
    assert ">trace.log</a>" in section
    assert "2.6\xa0KB" in section  # 2,700 bytes, in words
    assert "bob" in section and log.created_at.strftime("%Y-%m-%d") in section
    # The timeline names the file as a link while it is there.
    timeline = html[html.index('id="issue-timeline"') :]
    assert f'<a class="attachment-link" href="/api/v1/attachments/{log.pk}/download">' in timeline
    assert "attached" in timeline


def test_a_png_gets_a_thumbnail_and_an_svg_never_shows_inline(cast, issue):
    png = _attach(cast.bob, issue, "shot.png", PNG)
    svg = _attach(cast.bob, issue, "logo.svg", SVG)
    section = _section(_as(cast.bob).get("/WEB-1").content.decode())
    assert f'<img src="/api/v1/attachments/{png.pk}/download"' in section
    assert f'<img src="/api/v1/attachments/{svg.pk}/download"' not in section
    assert section.count("<img") == 1
    assert "<svg" not in section and "alert(" not in section
    # The SVG's download is an opaque, sandboxed attachment, never an image or a page.
    response = _as(cast.bob).get(f"/api/v1/attachments/{svg.pk}/download")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"


def test_the_page_link_downloads_with_the_safe_headers(cast, issue):
    _attach(cast.bob, issue, "notes.txt", b"hello")
    section = _section(_as(cast.carol).get("/WEB-1").content.decode())
    href = re.search(r'class="attachment-name" href="([^"]+)"', section).group(1)
    response = _as(cast.carol).get(href)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"hello"
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="notes.txt"')
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_uploading_by_the_plain_form_attaches_the_file_and_records_it(cast, issue):
    upload = SimpleUploadedFile("report.pdf", b"%PDF-1.4 test")
    response = _as(cast.carol).post("/WEB-1/attachments", {"file": upload})
    assert response.status_code == 302 and response["Location"] == "/WEB-1#attachments"
    saved = Attachment.objects.get(issue=issue)
    assert (saved.filename, saved.uploaded_by, saved.content_type) == (
        "report.pdf", cast.carol, "application/pdf",
    )  # fmt: skip
    event = IssueEvent.objects.filter(issue=issue, field="attachments").get()
    assert event.new == "report.pdf"
    assert ">report.pdf</a>" in _section(_as(cast.bob).get("/WEB-1").content.decode())


def test_the_script_gets_json_with_markdown_to_insert(cast, issue):
    upload = SimpleUploadedFile("paste.png", PNG)
    response = _as(cast.bob).post(
        "/WEB-1/attachments", {"file": upload}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["image"] is True
    assert body["markdown"] == f"![paste.png](/api/v1/attachments/{body['id']}/download)"


def test_htmx_upload_answers_with_the_refreshed_section(cast, issue):
    upload = SimpleUploadedFile("a.txt", b"text")
    response = _as(cast.bob).post("/WEB-1/attachments", {"file": upload}, **HX)
    assert response.status_code == 200 and response["HX-Trigger"] == "docket:issue-changed"
    assert ">a.txt</a>" in _section(response.content.decode())


def test_a_file_over_the_limit_is_refused_next_to_the_form_and_nothing_is_saved(
    cast, issue, settings, files_dir
):
    settings.DOCKET_MAX_ATTACHMENT_BYTES = 100
    upload = SimpleUploadedFile("big.bin", b"x" * 101)
    response = _as(cast.bob).post("/WEB-1/attachments", {"file": upload})
    assert response.status_code == 413
    section = _section(response.content.decode())
    assert re.search(
        r'id="attachment-error" role="alert">The file is larger than the 100-byte', section
    )
    assert not Attachment.objects.exists() and _files(files_dir) == []
    assert not IssueEvent.objects.filter(field="attachments").exists()
    # The script gets the same reason as JSON; htmx gets the section with it.
    upload = SimpleUploadedFile("big.bin", b"x" * 101)
    as_json = _as(cast.bob).post(
        "/WEB-1/attachments", {"file": upload}, HTTP_ACCEPT="application/json"
    )
    assert as_json.status_code == 413 and "100-byte" in as_json.json()["detail"]
    upload = SimpleUploadedFile("big.bin", b"x" * 101)
    swapped = _as(cast.bob).post("/WEB-1/attachments", {"file": upload}, **HX)
    assert swapped.status_code == 413 and 'id="attachment-error"' in swapped.content.decode()
    assert not Attachment.objects.exists()


def test_an_empty_file_or_no_file_is_refused_with_the_reason(cast, issue, files_dir):
    empty = _as(cast.bob).post(
        "/WEB-1/attachments", {"file": SimpleUploadedFile("e.txt", b"")}, **HX
    )
    assert empty.status_code == 422 and "Is empty" in empty.content.decode()
    none = _as(cast.bob).post("/WEB-1/attachments", {}, **HX)
    assert none.status_code == 422 and "Choose one file to attach" in none.content.decode()
    assert not Attachment.objects.exists() and _files(files_dir) == []


def test_a_viewer_may_not_upload_and_sees_no_form(cast, issue, files_dir):
    html = _as(cast.dave).get("/WEB-1").content.decode()
    assert 'id="attachment-file"' not in _section(html)
    upload = SimpleUploadedFile("x.txt", b"nope")
    response = _as(cast.dave).post("/WEB-1/attachments", {"file": upload}, **HX)
    assert response.status_code == 403
    assert not Attachment.objects.exists() and _files(files_dir) == []


def test_the_uploader_and_admins_may_delete_others_may_not(cast, issue):
    mine = _attach(cast.carol, issue, "mine.txt", b"carol's")
    theirs = _attach(cast.bob, issue, "theirs.txt", b"bob's")
    section = _section(_as(cast.carol).get("/WEB-1").content.decode())
    assert f"/WEB-1/attachments/{mine.pk}/delete" in section
    assert f"/WEB-1/attachments/{theirs.pk}/delete" not in section
    refused = _as(cast.carol).post(f"/WEB-1/attachments/{theirs.pk}/delete")
    assert refused.status_code == 403
    assert Attachment.objects.get(pk=theirs.pk).deleted_at is None
    assert _as(cast.carol).post(f"/WEB-1/attachments/{mine.pk}/delete").status_code == 302
    admin_page = _section(_as(cast.alice).get("/WEB-1").content.decode())
    assert f"/WEB-1/attachments/{theirs.pk}/delete" in admin_page
    swapped = _as(cast.alice).post(f"/WEB-1/attachments/{theirs.pk}/delete", **HX)
    assert swapped.status_code == 200 and "No attachments." in swapped.content.decode()
    # History keeps both; the timeline no longer links a deleted file.
    html = _as(cast.bob).get("/WEB-1").content.decode()
    assert "removed the attachment" in html
    assert "attachment-link" not in html


def test_an_attachment_on_an_issue_the_viewer_cannot_see_is_a_404(cast, issue):
    secret = make_issue(cast.alice, cast.web, title="Secret", confidential=True)
    hidden = _attach(cast.alice, secret, "secret.txt", b"classified")
    carol = _as(cast.carol)  # a reporter: confidential issues are not theirs to see
    assert carol.get(f"/api/v1/attachments/{hidden.pk}/download").status_code == 404
    assert carol.get("/WEB-2/attachments").status_code == 404
    assert carol.post(f"/WEB-2/attachments/{hidden.pk}/delete").status_code == 404
    # Nor through an issue the viewer can see.
    assert carol.post(f"/WEB-1/attachments/{hidden.pk}/delete").status_code == 404
    assert _as(cast.eve).get(f"/api/v1/attachments/{hidden.pk}/download").status_code == 404
    assert Attachment.objects.get(pk=hidden.pk).deleted_at is None
