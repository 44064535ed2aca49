"""The admin site's pages of background jobs: the database table's (django-tasks-db) with a
"retry" action for failed ones, and, with jobs on Redis (DOCKET_JOBS_URL), the failed jobs
RQ keeps, each with a retry button."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from docket.accounts.access import is_site_admin
from docket.core.errors import NotFound
from docket.worker import jobs
from docket.worker.models import ConsumerCursor, RedisJob, WorkerBeat


class JobAdmin(DBTaskResultAdmin):
    actions = ["retry_failed"]

    @admin.action(description="Retry the selected failed jobs")
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[DBTaskResult]) -> None:
        failed = queryset.filter(status="FAILED")
        for job in failed:
            jobs.retry_database_job(request.user, str(job.id))
        self.message_user(request, f"Queued {len(failed)} job(s) again.", messages.SUCCESS)


admin.site.unregister(DBTaskResult)
admin.site.register(DBTaskResult, JobAdmin)


@admin.register(RedisJob)
class RedisJobAdmin(admin.ModelAdmin):
    """Shown to site admins only while jobs are on Redis."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return jobs.on_redis() and is_site_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        from redis.exceptions import RedisError

        if request.method == "POST":
            job_id = request.POST.get("job", "")
            try:
                queued = jobs.retry_job(request.user, job_id)
            except NotFound:
                self.message_user(request, f"No failed job {job_id}.", messages.WARNING)
            except RedisError as exc:
                self.message_user(request, f"Redis does not answer: {exc}", messages.ERROR)
            else:
                self.message_user(
                    request, f"Queued job {job_id} again (as {queued.id}).", messages.SUCCESS
                )
            return HttpResponseRedirect(request.path)
        counts: dict[str, int] = {}
        failed: list[jobs.JobInfo] = []
        problem = ""
        try:
            counts, failed = jobs.job_counts(request.user), jobs.failed_jobs(request.user)
        except RedisError as exc:
            problem = f"Redis does not answer: {exc}"
        context = {
            **self.admin_site.each_context(request),
            "title": "Failed jobs on Redis",
            "opts": self.model._meta,
            "counts": counts,
            "failed": failed,
            "problem": problem,
            "listed": jobs.MAX_LISTED,
        }
        return TemplateResponse(request, "worker/redis_jobs.html", context)


@admin.register(WorkerBeat)
class WorkerBeatAdmin(admin.ModelAdmin):
    list_display = readonly_fields = (
        "worker_id",
        "host",
        "pid",
        "started_at",
        "beat_at",
        "events_dispatched",
        "jobs_run",
    )


@admin.register(ConsumerCursor)
class ConsumerCursorAdmin(admin.ModelAdmin):
    list_display = readonly_fields = ("name", "last_event_id", "updated_at")
