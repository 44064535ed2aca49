"""/favicon.ico: browsers ask for it on every page that names no icon (Django's admin, API
docs, plain error pages). It redirects to the app's own favicon (static/web/favicon.svg, under
its hashed name once collected), which every browser that asks also draws."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseRedirect
from django.templatetags.static import static
from django.views.decorators.http import require_safe

DAY = 86400


@require_safe
def favicon_ico(request: HttpRequest) -> HttpResponseRedirect:
    response = HttpResponseRedirect(static("web/favicon.svg"))
    response["Cache-Control"] = f"public, max-age={DAY}"  # the hashed name changes on upgrade
    return response
