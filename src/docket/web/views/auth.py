"""Signing in and out, password reset by e-mail, profile and API tokens — as pages.

The rules (rate limits, no user enumeration, token scopes) are the same functions the API
uses: accounts/signin.py, accounts/passwords.py, accounts/tokens.py.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from docket.accounts import actions as accounts
from docket.accounts import passwords, throttle, tokens
from docket.accounts.middleware import actor_of
from docket.accounts.models import ApiToken
from docket.accounts.signin import sign_in
from docket.core.errors import DocketError, Invalid
from docket.web.views.common import page, safe_next, web_view

RESET_SENT = "If an active account has this address, a reset link is on its way. It works once."


@require_http_methods(["GET", "POST"])
def login_page(request: HttpRequest) -> HttpResponse:
    target = safe_next(request)
    if request.user.is_authenticated and request.method == "GET":
        return HttpResponseRedirect(target)
    context = {"next": target, "username": request.POST.get("username", "")}
    if request.method == "POST":
        try:
            sign_in(request, request.POST.get("username", ""), request.POST.get("password", ""))
        except DocketError as error:
            status = error.status if error.status == 429 else 401
            response = page(request, "web/login.html", {**context, "error": error.detail}, status)
            if error.status == 429:
                response["Retry-After"] = str(error.extra.get("retry_after", 60))
            return response
        return HttpResponseRedirect(target)
    return page(request, "web/login.html", context)


@require_POST
def logout_page(request: HttpRequest) -> HttpResponse:
    logout(request)
    return HttpResponseRedirect(reverse("web:login"))


@require_http_methods(["GET", "POST"])
def reset_request(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        email = request.POST.get("email", "").strip()[:254]
        try:
            throttle.take([throttle.reset_ip(request), throttle.reset_address(email)])
        except DocketError as error:
            return page(request, "web/reset_request.html", {"error": error.detail}, error.status)
        if email:
            passwords.send_reset_links(email)
        return page(request, "web/reset_request.html", {"sent": RESET_SENT})
    return page(request, "web/reset_request.html")


@require_http_methods(["GET", "POST"])
def reset_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    if request.method == "POST":
        keys = [throttle.reset_ip(request)]
        try:
            throttle.enforce(keys)
            passwords.confirm_reset(
                uid=uidb64, token=token, new_password=request.POST.get("password", "")
            )
        except passwords.BadResetLink as error:
            throttle.hit(keys)
            return page(request, "web/reset_confirm.html", {"error": error.detail}, 400)
        except DocketError as error:
            return page(request, "web/reset_confirm.html", {"error": error.detail}, error.status)
        messages.success(request, "Your password is changed. Sign in with it.")
        return HttpResponseRedirect(reverse("web:login"))
    return page(request, "web/reset_confirm.html")


@web_view()
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = actor_of(request).account  # @web_view signed them in
    errors: dict[str, str] = {}
    try:
        if request.method == "POST" and request.POST.get("form") == "profile":
            accounts.update_profile(user=user, full_name=request.POST.get("name", ""))
            messages.success(request, "Profile saved.")
            return HttpResponseRedirect(reverse("web:profile"))
        if request.method == "POST" and request.POST.get("form") == "password":
            accounts.change_password(
                user=user, current=request.POST.get("current", ""), new=request.POST.get("new", "")
            )
            update_session_auth_hash(request, user)  # stay signed in here, out elsewhere
            messages.success(request, "Password changed. Other sessions are signed out.")
            return HttpResponseRedirect(reverse("web:profile"))
    except DocketError as error:
        errors = {e["field"]: e["message"] for e in error.errors or []} or {"form": error.detail}
    return page(request, "web/profile.html", {"errors": errors}, 422 if errors else 200)


@web_view()
@require_http_methods(["GET", "POST"])
def tokens_page(request: HttpRequest) -> HttpResponse:
    user = actor_of(request).account  # @web_view signed them in
    context: dict[str, object] = {}
    if request.method == "POST":
        try:
            if request.POST.get("revoke"):
                tokens.revoke_token(actor=user, token_id=_int(request.POST["revoke"]))
                messages.success(request, "Token revoked.")
                return HttpResponseRedirect(reverse("web:tokens"))
            throttle.take([throttle.token_creation(user)])
            days = request.POST.get("expires_in_days") or None
            _token, secret = tokens.create_token(
                actor=user,
                name=request.POST.get("name", "").strip()[:100] or "token",
                scopes=request.POST.getlist("scopes") or ["read"],
                expires_in_days=_int(days) if days else None,
            )
            context["secret"] = secret
        except DocketError as error:
            context["error"] = error.detail
    context["tokens"] = ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by("id")
    return page(request, "web/tokens.html", context, 422 if "error" in context else 200)


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise Invalid(f"{value[:20]!r} is not a number") from None
