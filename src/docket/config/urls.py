from django.contrib import admin
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt

from docket.config.api import api
from docket.core.db_faults import storage_problems
from docket.core.http import problem
from docket.worker.health import worker_health


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability, for load balancers and `docket check`.

    "degraded" (still 200: reads work, and taking the server out of rotation would not help)
    when writes may fail for lack of disk space or no worker is running; 503 when the
    database is down.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any database failure means "not healthy"
        return JsonResponse({"status": "error", "database": str(exc)[:200]}, status=503)
    worker, worker_problems = worker_health()
    problems = storage_problems() + worker_problems
    status = "degraded" if problems else "ok"
    return JsonResponse(
        {"status": status, "database": connection.vendor, "problems": problems, "worker": worker}
    )


@csrf_exempt  # a 404 problem for any method, not a CSRF page for a POST
def api_not_found(request: HttpRequest, rest: str) -> HttpResponse:
    return problem(404, "Not found", f"no API endpoint /api/{rest}; see /api/v1/docs")


# Errors raised before the API (bad Host header, unexpected exceptions) as problems under /api/
handler400 = "docket.core.handlers.bad_request"
handler403 = "docket.core.handlers.permission_denied"
handler404 = "docket.core.handlers.page_not_found"
handler500 = "docket.core.handlers.server_error"

urlpatterns = [
    path("api/v1/", api.urls),
    re_path(r"^api/(?P<rest>.*)$", api_not_found),
    path("admin/", admin.site.urls),
    path("healthz", healthz),
    path("", include("docket.web.urls")),
]
