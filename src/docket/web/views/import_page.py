"""The import page for site admins (/settings/import): upload a file with its format and
project (and a mapping for CSV), which runs in the worker (docket.transfer.importers.jobs);
the run's page polls its progress with htmx and ends with the summary and the rows that
failed. The placeholder accounts imports made are listed here too, with a form to claim one."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from docket.accounts.access import is_site_admin
from docket.accounts.middleware import actor_of
from docket.core.errors import DocketError, Forbidden
from docket.projects.models import Project
from docket.transfer.importers import jobs
from docket.transfer.importers.formats import FORMATS, PRESETS
from docket.transfer.importers.models import ImportRun
from docket.transfer.importers.people import claim, placeholders
from docket.web.views.common import page, web_view


@web_view()
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not is_site_admin(actor):
        raise Forbidden("only site admins can import")
    error, status, draft = "", 200, request.POST
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            run = jobs.start(
                actor=actor,
                project_key=request.POST.get("project", ""),
                format_name=request.POST.get("format", ""),
                filename=(upload.name or "") if upload else "",
                content=upload.read() if upload else b"",
                mapping_text=request.POST.get("mapping", ""),
                preset=request.POST.get("preset", ""),
            )
        except DocketError as problem:
            error, status = problem.detail, problem.status
        else:
            return HttpResponseRedirect(reverse("web:import_run", args=[run.pk]))
    context = {
        "formats": FORMATS,
        "presets": PRESETS,
        "projects": Project.objects.order_by("key").values_list("key", "name"),
        "runs": jobs.recent_runs(actor),
        "placeholders": placeholders(),
        "error": error,
        "draft": draft,
    }
    return page(request, "web/transfer/import.html", context, status)


@web_view()
def import_run(request: HttpRequest, run_id: int) -> HttpResponse:
    """The run's page; for htmx, only its progress panel (polled until the run ends)."""
    run = jobs.run_for(actor_of(request), run_id)
    context = {"run": run, "finished": run.state in (ImportRun.State.DONE, ImportRun.State.FAILED)}
    if request.headers.get("HX-Request"):
        return page(request, "web/transfer/_progress.html", context)
    return page(request, "web/transfer/run.html", context)


@web_view()
@require_http_methods(["POST"])
def claim_placeholder(request: HttpRequest) -> HttpResponse:
    username = request.POST.get("username", "")
    try:
        claim(actor=actor_of(request), username=username, email=request.POST.get("email", ""))
    except DocketError as problem:
        messages.error(request, f"{username}: {problem.detail}")
    else:
        messages.success(request, f"{username} is active; they can now set a password.")
    return HttpResponseRedirect(reverse("web:import") + "#placeholders")
