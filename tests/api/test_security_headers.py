"""Security headers on every kind of response (Django's SecurityMiddleware, django-csp and
core/security.py), and an API docs page that works under the Content-Security-Policy."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from asgiref.sync import async_to_sync
from csp.middleware import CSPMiddleware
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings

from docket.core.security import PermissionsPolicy, csp_setting

pytestmark = pytest.mark.django_db

ONE_YEAR = 31536000


def csp_directives(value: str) -> dict[str, list[str]]:
    directives = {}
    for part in value.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def assert_secure_headers(response) -> None:
    csp = csp_directives(response["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert "camera=()" in response["Permissions-Policy"]
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/projects", 200),
        ("/api/v1/issues/NOPE-1", 404),  # a problem response
        ("/api/v1/nowhere", 404),
        ("/api/nowhere", 404),
        ("/healthz", 200),
        ("/api/v1/docs", 200),
        ("/api/v1/openapi.json", 200),
        ("/admin/login/", 200),
    ],
)
def test_pages_and_api_responses_carry_the_headers(path, status):
    response = Client().get(path)
    assert response.status_code == status
    assert_secure_headers(response)
    assert response["X-Frame-Options"] == "DENY"


def test_a_refused_token_is_a_problem_with_the_headers():
    response = Client().get("/api/v1/issues", HTTP_AUTHORIZATION="Bearer nope")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert_secure_headers(response)


def test_an_oversized_body_refused_early_still_gets_the_headers():
    response = Client().post(
        "/api/v1/projects",
        data=b"{}",
        content_type="application/json",
        CONTENT_LENGTH=str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1),
    )
    assert response.status_code == 413
    assert_secure_headers(response)


@pytest.mark.parametrize(
    "path", ["/static/ninja/swagger-ui-bundle.js", "/static/ninja/swagger-ui.css"]
)
def test_static_files_carry_the_headers(path):
    response = Client().get(path)
    assert response.status_code == 200
    assert_secure_headers(response)


def test_script_src_allows_no_inline_or_eval():
    csp = csp_directives(settings.DOCKET_CSP)
    assert csp["script-src"] == ["'self'"]
    assert not any("unsafe" in source for sources in csp.values() for source in sources)


# --- the interactive API docs under the CSP --------------------------------------------------- ---


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.inline_code: list[str] = []
        self.styles: list[str] = []
        self.handlers: list[str] = []
        self.urls: list[str] = []
        self._in_script: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.handlers += [name for name in found if name.startswith("on")]
        if "style" in found or tag == "style":
            self.styles.append(tag)
        self.urls += [v for k, v in found.items() if k in ("src", "href") and v]
        if tag == "script":
            self.scripts.append(found)
            self._in_script = found

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = None

    def handle_data(self, data: str) -> None:
        script = self._in_script
        if script is not None and data.strip() and script.get("type") != "application/json":
            self.inline_code.append(data)


def test_the_api_docs_page_needs_nothing_the_csp_forbids():
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    page = _Page()
    page.feed(response.content.decode())

    assert page.scripts, "the page should load Swagger UI"
    assert page.inline_code == []  # the only inline <script> is a JSON data block (inert)
    assert page.handlers == []
    assert page.styles == []
    # Everything comes from this site: Swagger UI served from ninja's static files, no CDN.
    assert page.urls and all(url.startswith("/") and not url.startswith("//") for url in page.urls)
    for url in page.urls:
        assert Client().get(url).status_code == 200, url


# --- HSTS, HTTPS redirect ------------------------------------------------------------------------


def test_no_hsts_without_https_configured():
    assert settings.SECURE_HSTS_SECONDS == 0  # the test settings run without DOCKET_HTTPS
    assert "Strict-Transport-Security" not in Client().get("/healthz", secure=True)


@override_settings(
    SECURE_HSTS_SECONDS=ONE_YEAR, SECURE_HSTS_INCLUDE_SUBDOMAINS=True, SECURE_HSTS_PRELOAD=True
)
def test_hsts_when_https_is_configured():
    response = Client().get("/api/v1/projects", secure=True)
    assert response["Strict-Transport-Security"] == (
        f"max-age={ONE_YEAR}; includeSubDomains; preload"
    )
    # Never over plain HTTP (browsers ignore it there anyway).
    assert "Strict-Transport-Security" not in Client().get("/api/v1/projects")


@override_settings(
    SECURE_SSL_REDIRECT=True, SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")
)
def test_plain_http_is_redirected_except_the_health_check():
    client = Client()
    redirected = client.get("/api/v1/projects")
    assert redirected.status_code == 301
    assert redirected["Location"] == "https://testserver/api/v1/projects"
    assert client.get("/api/v1/projects", HTTP_X_FORWARDED_PROTO="https").status_code == 200
    assert client.get("/healthz").status_code == 200  # load balancers probe over plain HTTP


# --- the middleware and the policy setting ------------------------------------------------------


def _request() -> HttpRequest:
    return HttpRequest()


def test_a_views_own_policy_is_kept():
    # Attachment downloads send a stricter, sandboxing CSP of their own.
    def view(request: HttpRequest) -> HttpResponse:
        response = HttpResponse(b"file")
        response["Content-Security-Policy"] = "sandbox; default-src 'none'"
        response["Permissions-Policy"] = "camera=(self)"
        return response

    response = CSPMiddleware(PermissionsPolicy(view))(_request())
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert response["Permissions-Policy"] == "camera=(self)"


def test_the_permissions_policy_runs_natively_async():
    async def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse(b"ok")

    middleware = PermissionsPolicy(view)
    assert middleware.is_async
    response = async_to_sync(middleware)(_request())
    assert "camera=()" in response["Permissions-Policy"]


def test_the_default_policy_is_sent_exactly_as_written():
    sent = Client().get("/healthz")["Content-Security-Policy"]
    assert csp_directives(sent) == csp_directives(settings.DOCKET_CSP)
    assert len(sent) == len(settings.DOCKET_CSP)  # nothing added, nothing dropped


def test_the_policy_is_read_as_a_header_value():
    assert csp_setting("") is None and csp_setting("  ") is None
    directives = csp_setting("img-src 'self' https://img.example.com; sandbox;")["DIRECTIVES"]
    assert directives["img-src"] == ["'self'", "https://img.example.com"]
    assert directives["sandbox"] is True
    assert directives["default-src"] is None  # django-csp would add 'self' by itself
    with pytest.raises(ImproperlyConfigured, match="unknown directive 'img-scr'"):
        csp_setting("img-scr 'self'")  # django-csp would drop it without a word
    with pytest.raises(ImproperlyConfigured, match="given twice"):
        csp_setting("img-src 'self'; img-src https:")


@override_settings(CONTENT_SECURITY_POLICY=csp_setting("default-src 'none'; sandbox"))
def test_the_policy_is_a_setting():
    sent = Client().get("/healthz")["Content-Security-Policy"]
    assert csp_directives(sent) == {"default-src": ["'none'"], "sandbox": []}


@override_settings(CONTENT_SECURITY_POLICY=csp_setting(""))
def test_an_empty_policy_sends_none():
    response = Client().get("/healthz")
    assert "Content-Security-Policy" not in response
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
