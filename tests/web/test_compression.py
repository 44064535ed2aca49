"""Pages and API answers travel gzipped to clients that accept it; streams and binary bodies
do not (core/middleware.Compress: Django's GZipMiddleware at level 1, textual bodies only)."""

from __future__ import annotations

import gzip
import io
import zlib

from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.middleware.gzip import GZipMiddleware
from django.test import Client

from docket.core.middleware import Compress
from tests.factories import make_issue

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br, zstd"}  # what Chromium sends


def test_a_page_is_gzipped_for_a_browser_that_accepts_it(cast):
    for n in range(20):
        make_issue(cast.alice, cast.web, title=f"Checkout fails on step {n}")
    client = Client()
    client.force_login(cast.bob)
    zipped = client.get("/p/WEB/", **GZIP)
    assert zipped.status_code == 200
    assert zipped["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped["Vary"]
    html = gzip.decompress(zipped.content).decode()
    assert "Checkout fails on step 19" in html
    assert int(zipped["Content-Length"]) == len(zipped.content) < len(html) / 3

    plain = client.get("/p/WEB/")
    assert not plain.has_header("Content-Encoding")
    assert "Checkout fails on step 19" in plain.content.decode()


def test_an_api_answer_is_gzipped_too_but_not_a_short_one(cast):
    for n in range(10):
        make_issue(cast.alice, cast.web, title=f"Slow search {n}")
    api = cast.api(cast.bob)
    listed = api.get("/issues", project="WEB", headers=GZIP)
    assert listed["Content-Encoding"] == "gzip"
    assert len(gzip.decompress(listed.content).decode().split("Slow search")) == 11
    short = Client().get("/healthz", **GZIP)
    assert short.status_code == 200 and not short.has_header("Content-Encoding")


def _through(response: HttpResponse | StreamingHttpResponse) -> HttpResponse:
    request = HttpRequest()
    request.META.update(GZIP)
    return Compress(lambda _: response)(request)  # type: ignore[return-value]


def test_streams_and_binary_bodies_pass_as_they_are():
    events = StreamingHttpResponse(iter(["data: 1\n\n"]), content_type="text/event-stream")
    download = FileResponse(io.BytesIO(b"x" * 5000), content_type="text/plain")
    image = HttpResponse(b"\x89PNG" + b"\0" * 5000, content_type="image/png")
    for response in (events, download, image):
        assert not _through(response).has_header("Content-Encoding")
    text = _through(HttpResponse("plain words " * 100, content_type="text/plain"))
    assert text["Content-Encoding"] == "gzip"


def test_a_compressed_body_reads_back_whole_and_its_length_varies():
    page = "<p>Issue WEB-1: the export drops rows</p>\n" * 200
    lengths = set()
    for _ in range(20):
        response = HttpResponse(page, content_type="text/html; charset=utf-8")
        response["ETag"] = '"v1"'
        zipped = _through(response)
        assert gzip.decompress(zipped.content).decode() == page
        assert zipped["ETag"] == 'W/"v1"'
        lengths.add(len(zipped.content))
    assert len(lengths) > 5  # random padding: a page's length tells an observer little


def test_without_accept_encoding_nothing_changes_but_vary():
    request = HttpRequest()
    response = Compress(lambda _: HttpResponse("x" * 500, content_type="text/html"))(request)
    assert response.content == b"x" * 500  # type: ignore[union-attr]
    assert not response.has_header("Content-Encoding")
    assert response["Vary"] == "Accept-Encoding"


def _fresh(page: str, **headers: str) -> HttpResponse:
    response = HttpResponse(page, content_type="text/html; charset=utf-8")
    for name, value in headers.items():
        response[name] = value
    return response


def _run(middleware, request: HttpRequest, response: HttpResponse) -> HttpResponse:
    return middleware(lambda _: response)(request)


def test_the_rules_are_djangos_gzip_middlewares(rf):
    page = "<li>WEB-7 Export drops rows</li>\n" * 300
    cases = [
        ("gzip", {"ETag": '"v7"'}),
        ("gzip", {"ETag": 'W/"v7"', "Vary": "Cookie"}),
        ("gzip", {"Content-Encoding": "br"}),  # encoded already
        ("identity", {}),  # the client takes no gzip
    ]
    for accepted, headers in cases:
        request = rf.get("/", HTTP_ACCEPT_ENCODING=accepted)
        ours = _run(Compress, request, _fresh(page, **headers))
        djangos = _run(GZipMiddleware, request, _fresh(page, **headers))
        assert {k: v for k, v in ours.items() if k != "Content-Length"} == {
            k: v for k, v in djangos.items() if k != "Content-Length"
        }, (accepted, headers)
        if ours.get("Content-Encoding") == "gzip":
            assert gzip.decompress(ours.content) == gzip.decompress(djangos.content)
    short = _run(Compress, rf.get("/", HTTP_ACCEPT_ENCODING="gzip"), _fresh("tiny"))
    assert short.content == b"tiny" and not short.has_header("Vary")  # as Django: under 200


def test_the_body_is_deflated_at_level_1_behind_a_padded_header():
    page = ("<tr><td>WEB-%d</td><td>Checkout fails</td></tr>\n" * 400).encode()
    zipped = _through(_fresh(page.decode())).content
    assert zipped[3] & 0x08  # FNAME set: a file name follows the 10-byte header
    name_end = zipped.index(b"\0", 10)
    assert set(zipped[10:name_end]) <= {ord("a")} and name_end - 10 < 100
    assert zipped[name_end + 1 :] == zlib.compress(page, 1, wbits=31)[10:]
