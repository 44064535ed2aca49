"""The admin site's page of background jobs, with a "retry" action for failed ones."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from docket.worker import jobs
from docket.worker.models import ConsumerCursor, WorkerBeat


class JobAdmin(DBTaskResultAdmin):
    actions = ["retry_failed"]

    @admin.action(description="Retry the selected failed jobs")
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[DBTaskResult]) -> None:
        failed = queryset.filter(status="FAILED")
        for job in failed:
            jobs.retry_job(request.user, str(job.id))
        self.message_user(request, f"Queued {len(failed)} job(s) again.", messages.SUCCESS)


admin.site.unregister(DBTaskResult)
admin.site.register(DBTaskResult, JobAdmin)


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
