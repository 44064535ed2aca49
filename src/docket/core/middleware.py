"""Request guards, static files and compression.

The guards and static files run natively in both sync and async mode: they answer some
requests before any view, and a request that leaves the event loop for them pays a thread
hop. Compression is Django's GZipMiddleware (a MiddlewareMixin): pages and API calls run the
synchronous chain in one crossing (config/asgi.py), and only the live-update stream, which it
leaves alone, runs the async chain, where its one hook costs one hop per stream opened.
"""

from __future__ import annotations

import re
import secrets
import zlib
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, QueryDict
from django.http.response import HttpResponseBase
from django.middleware.gzip import GZipMiddleware, re_accepts_gzip
from django.utils.cache import patch_vary_headers
from whitenoise.middleware import WhiteNoiseMiddleware

from docket.core import db_faults
from docket.core.http import problem

Handler = Callable[[HttpRequest], Any]
# The one route allowed a body above DATA_UPLOAD_MAX_MEMORY_SIZE: an attachment upload, up to
# DOCKET_MAX_ATTACHMENT_BYTES plus room for the multipart framing around the file.
ATTACHMENT_UPLOAD = re.compile(r"/api/v1/issues/[^/]+/attachments/?")
IMPORT_UPLOAD = re.compile(r"/settings/import/?")  # the import page (site admins)
MULTIPART_OVERHEAD = 64 * 1024
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
SAFE_METHODS = ("GET", "HEAD")
RETRY_READ, RETRIED = "docket.retry_read", "docket.retried"  # request.META keys


class _BothModes:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Handler):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def early(self, request: HttpRequest) -> HttpResponse | None:
        """A response that ends the request here, or None to carry on."""
        raise NotImplementedError

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self._acall(request)
        return self.early(request) or self.get_response(request)

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        return self.early(request) or await self.get_response(request)


class BodySizeLimit(_BothModes):
    """Refuse an oversized body by its Content-Length with a clear 413, without reading it.

    (Django itself would answer a bare 400 once something touches `request.body`.)
    """

    def early(self, request: HttpRequest) -> HttpResponse | None:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if request.method == "POST" and ATTACHMENT_UPLOAD.fullmatch(request.path_info):
            limit = settings.DOCKET_MAX_ATTACHMENT_BYTES + MULTIPART_OVERHEAD
        elif request.method == "POST" and IMPORT_UPLOAD.fullmatch(request.path_info):
            limit = settings.DOCKET_MAX_IMPORT_BYTES + MULTIPART_OVERHEAD
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return problem(400, "Bad request", "Content-Length is not a number")
        if limit is not None and length > limit:
            return problem(413, "Request body too large", f"the body is larger than {limit} bytes")
        return None


class RefuseNul(_BothModes):
    """A NUL character in a query parameter or a form field is refused with a clear 400
    before any view: no field may hold one, and PostgreSQL cannot store or compare it (25 pages
    answered 500, sign-in and password reset included). JSON bodies are the API parser's
    business (core/http.py: 422 naming the field)."""

    def early(self, request: HttpRequest) -> HttpResponse | None:
        found = _nul_in(request.GET, "query parameter")
        # Pages' forms (parsed once; the view reuses them). The API takes JSON only and reads
        # its body itself (reading the form here would consume it).
        is_page = not request.path_info.startswith("/api/")
        if found is None and is_page and request.content_type in FORM_TYPES:
            found = _nul_in(request.POST, "form field")
        if found is None:
            return None
        return problem(400, "Bad request", f"the {found} contains a NUL character")


def _nul_in(values: QueryDict, what: str) -> str | None:
    for name, items in values.lists():
        if "\x00" in name:
            return f"name of a {what}"
        if any("\x00" in item for item in items):
            return f"{what} {name[:40]!r}"
    return None


class DatabaseFaults(_BothModes):
    """A busy lock, a full disk, a lost connection or a statement past its budget answers
    503/507 with a clear message (core/db_faults.py), not a 500. A read (GET, HEAD) whose
    database connection died under it runs once more on a fresh connection; a write does not,
    since its fate is unknown: the client retries it, with its Idempotency-Key.

    Only the synchronous chain (pages and API calls) is guarded: the live-update stream
    handles its own database errors by ending the stream, which the browser reopens.
    """

    def __init__(self, get_response: Handler):
        super().__init__(get_response)
        db_faults.install_budget()

    def early(self, request: HttpRequest) -> HttpResponse | None:
        return None

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self.get_response(request)
        with db_faults.statement_budget():
            response = self.get_response(request)
            if request.META.pop(RETRY_READ, False):
                request.META[RETRIED] = True
                response = self.get_response(request)
        if request.method not in SAFE_METHODS and response.status_code < 400:
            db_faults.note_write_succeeded()
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        fault = db_faults.classify(exception)
        if fault is None:
            return None
        if fault is db_faults.Fault.CONNECTION_LOST:
            db_faults.drop_broken_connections()
            if request.method in SAFE_METHODS and RETRIED not in request.META:
                request.META[RETRY_READ] = True
                return HttpResponse(status=503)  # __call__ replaces it with the second try
        return db_faults.answer(fault, request)


class StaticFiles(_BothModes):
    """WhiteNoise (compressed, cached static files) for /static/ only; every other request
    passes straight through without leaving the event loop.

    WhiteNoise is built at the first /static/ request, not with the handler: building it
    reads and stats every static file (~30 ms), and each test client builds a handler of its
    own (13% of the API issue tests' time went here)."""

    def __init__(self, get_response: Handler):
        super().__init__(get_response)
        self._whitenoise: WhiteNoiseMiddleware | None = None
        self.prefix = "/" + settings.STATIC_URL.lstrip("/")

    def early(self, request: HttpRequest) -> HttpResponse | None:
        return None

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if not request.path_info.startswith(self.prefix):
            return self.get_response(request)
        if self.is_async:
            return sync_to_async(self._serve, thread_sensitive=False)(request)
        return self._serve(request)

    def _serve(self, request: HttpRequest) -> HttpResponse:
        if self._whitenoise is None:  # two first requests at once build it twice: harmless
            self._whitenoise = WhiteNoiseMiddleware(lambda request: HttpResponseNotFound())
        return self._whitenoise(request)


# What a view sets to change the policy of its own response (django-csp's decorators).
_PER_RESPONSE = (
    "_csp_config", "_csp_update", "_csp_replace", "_csp_config_ro", "_csp_update_ro",
    "_csp_replace_ro",
)  # fmt: skip


class ContentSecurityPolicy(CSPMiddleware):
    """django-csp's middleware with the site's fixed policy built once, not on every response
    (building it was a third of a do-nothing request's time in the synchronous chain). A
    response whose view changes its policy, or a request that asked for a nonce, goes
    through django-csp's own `process_response`, and the headers and exemptions are its."""

    _built: tuple[Any, Any, list[tuple[str, str, str, tuple[str, ...]]]] | None = None

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        nonce = getattr(request, "_csp_nonce", None)
        if nonce is not None or any(getattr(response, name, None) for name in _PER_RESPONSE):
            return super().process_response(request, response)
        if response.status_code in (500, 404) and settings.DEBUG:
            return response  # django-csp leaves Django's debug pages alone
        for header, policy, exempt, prefixes in self._fixed():
            if (
                policy
                and header not in response
                and getattr(response, exempt, False) is False
                and not request.path_info.startswith(prefixes)
            ):
                response[header] = policy
        # As django-csp: asking for a nonce after the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response

    def _fixed(self) -> list[tuple[str, str, str, tuple[str, ...]]]:
        """(header, policy, exemption attribute, excluded path prefixes) for the policy and
        the report-only one, built again whenever the settings object changes (tests)."""
        enforced = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        report_only = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
        built = self._built
        if built is None or built[0] is not enforced or built[1] is not report_only:
            fixed = [
                (
                    HEADER,
                    build_policy(),
                    "_csp_exempt",
                    tuple((enforced or {}).get("EXCLUDE_URL_PREFIXES") or ()),
                ),
                (
                    HEADER_REPORT_ONLY,
                    build_policy(report_only=True),
                    "_csp_exempt_ro",
                    tuple((report_only or {}).get("EXCLUDE_URL_PREFIXES") or ()),
                ),
            ]
            built = self._built = (enforced, report_only, fixed)
        return built[2]


class Compress(GZipMiddleware):
    """Django's GZipMiddleware for pages and API answers, with two departures.

    - Level 1, not Django's fixed 6: on a 188 KB board 0.7 ms instead of 2.0 ms, for 18.4 KB
      instead of 15.3 KB. Django's `compress_string` takes no level, so the whole-body step is
      written here with the same rules: left alone below 200 bytes or when already encoded,
      `Vary: Accept-Encoding`, used only when shorter, a weakened ETag, and the random-length
      name in the gzip header (up to `max_random_bytes`) against BREACH-style length probing.
    - Only textual whole bodies: images and archives are compressed already, and streams pass
      as they are (each live-update event must go out at once; downloads are not worth it).
    """

    TEXTUAL = re.compile(r"text/|application/(?:json|problem\+json|javascript|xml)")
    MIN_LENGTH = 200  # as GZipMiddleware
    LEVEL = 1

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if (
            not isinstance(response, HttpResponse)  # a stream
            or not self.TEXTUAL.match(response.get("Content-Type", ""))
            or len(response.content) < self.MIN_LENGTH
            or response.has_header("Content-Encoding")
        ):
            return response
        patch_vary_headers(response, ("Accept-Encoding",))
        if not re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
            return response
        body = gzip_padded(response.content, self.LEVEL, secrets.randbelow(self.max_random_bytes))
        if len(body) >= len(response.content):
            return response
        response.content = body
        response.headers["Content-Length"] = str(len(body))
        response.headers["Content-Encoding"] = "gzip"
        etag = response.get("ETag")
        if etag and etag.startswith('"'):
            response.headers["ETag"] = "W/" + etag  # the bytes differ from the uncompressed ones
        return response


def gzip_padded(data: bytes, level: int, padding: int) -> bytes:
    """A gzip member whose header carries `padding` bytes of file name (RFC 1952's FNAME),
    so equal pages differ in length by a random amount (as Django's compress_string)."""
    member = zlib.compress(data, level, wbits=31)  # 31: gzip framing, a 10-byte header, no name
    header = bytearray(member[:10])
    header[3] |= 0x08  # FNAME: a zero-terminated name follows the header
    return bytes(header) + b"a" * padding + b"\0" + member[10:]
