"""Attachments on the issue page in a real browser: a file chosen with the picker is uploaded
by the plain form (htmx), an image pasted into the comment box is uploaded by attachments.js
and its Markdown inserted at the cursor, a file dropped on the page is attached, the posted
comment shows the image, and the files are listed (a thumbnail for the image only); then a
milestone's page with its progress."""

from __future__ import annotations

import base64
import datetime as dt
import re
import struct
import zlib

from playwright.sync_api import expect

from tests.browser.conftest import screenshot


def _png(width: int, height: int, tint: tuple[int, int, int]) -> bytes:
    """A real PNG (a gradient), made with the standard library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(
        b"\x00" + bytes(
            channel for x in range(width)
            for channel in ((tint[0] * x) // width, (tint[1] * y) // height, tint[2])
        )
        for y in range(height)
    )  # fmt: skip
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PASTE = """([box, data]) => {
  const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
  const files = new DataTransfer();
  files.items.add(new File([bytes], "image.png", {type: "image/png"}));
  const init = {clipboardData: files, bubbles: true, cancelable: true};
  document.querySelector(box).dispatchEvent(new ClipboardEvent("paste", init));
}"""


DROP = """([data]) => {
  const files = new DataTransfer();
  files.items.add(new File([data], "steps.txt", {type: "text/plain"}));
  const init = {dataTransfer: files, bubbles: true, cancelable: true};
  document.querySelector("h1, main").dispatchEvent(new DragEvent("dragover", init));
  document.querySelector("h1, main").dispatchEvent(new DragEvent("drop", init));
}"""


def test_upload_by_picker_and_by_pasting_into_a_comment(site, new_page) -> None:
    me = site.user()
    key = site.project(me)
    due = (dt.date.today() + dt.timedelta(days=9)).isoformat()
    made = site.admin.post(
        f"/projects/{key}/milestones",
        json={"name": "Launch 1.0", "start_date": dt.date.today().isoformat(), "due_date": due},
    )
    assert made.status_code == 201, made.text
    issue = site.issue(key, title="Checkout crashes on save", milestone="Launch 1.0")["key"]
    page = new_page(me)
    page.goto(f"/{issue}")

    # The picker: a plain multipart form, sent by htmx, the section swapped in place.
    page.set_input_files(
        "#attachment-file",
        files=[{"name": "crash-trace.log", "mimeType": "text/plain",
                "buffer": b"Traceback (most recent call last):\n  ...\nKeyError: 'cart'\n"}],
    )  # fmt: skip
    page.get_by_role("button", name="Upload").click()
    section = page.locator("#attachments")
    expect(section.get_by_role("link", name="crash-trace.log")).to_be_visible()

    # Paste an image into the comment box: uploaded, its Markdown put at the cursor.
    box = page.locator("#comment-body")
    box.fill("The checkout form after saving:\n")
    box.press("End")
    shot = base64.b64encode(_png(240, 150, (60, 120, 220))).decode()
    page.evaluate(PASTE, ["#comment-body", shot])
    expect(box).to_have_value(
        re.compile(r"after saving:\n!\[pasted-[0-9T-]+\.png\]\(/api/v1/attachments/\d+/download\)")
    )
    expect(section.locator("img")).to_have_count(1)  # the PNG's thumbnail; the log has none
    expect(section.locator(".attachment")).to_have_count(2)
    # Files dropped anywhere on the page are attached too.
    page.evaluate(DROP, ["1. Add to cart\n2. Save\n"])
    expect(section.get_by_role("link", name="steps.txt")).to_be_visible()
    expect(section.locator(".attachment")).to_have_count(3)
    page.get_by_role("button", name="Comment", exact=True).click()
    posted = page.locator("#issue-timeline .entry-comment .markdown img")
    expect(posted).to_be_visible()
    assert page.evaluate("img => img.naturalWidth", posted.element_handle()) == 240
    expect(page.locator("#issue-timeline a.attachment-link").first).to_be_visible()
    assert page.dialogs_seen == []
    section.scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, -80)")
    screenshot(page, "issue-attachments")

    # The milestone's page: its issue, progress and days left.
    page.goto(f"/p/{key}/milestones")
    page.get_by_role("link", name="Launch 1.0").click()
    expect(page.get_by_role("heading", name="Launch 1.0")).to_be_visible()
    expect(page.get_by_text("0 done, 1 open")).to_be_visible()
    expect(page.get_by_text("9 days left")).to_be_visible()
    expect(page.get_by_role("link", name="Checkout crashes on save")).to_be_visible()
    screenshot(page, "milestone-page")
