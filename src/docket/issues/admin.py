"""Read-mostly admin. Issue edits go through the API so that history is recorded; the admin
is for looking, and for restoring deleted issues through the restore action."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from docket.core.errors import DocketError
from docket.issues import actions
from docket.issues.models import Issue, IssueEvent


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.action(description="Restore selected deleted issues")
def restore(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Issue]) -> None:
    for issue in queryset.filter(deleted_at__isnull=False).select_related("project"):
        try:
            actions.restore_issue(actor=request.user, issue=issue)
        except DocketError as exc:
            messages.error(request, f"{issue}: {exc.detail}")


@admin.register(Issue)
class IssueAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "title", "status", "priority", "assignee", "deleted_at"]
    list_filter = ["project", "deleted_at"]
    search_fields = ["title"]
    actions = [restore]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Issue]:
        return super().get_queryset(request).select_related("project", "status", "assignee")


@admin.register(IssueEvent)
class IssueEventAdmin(ReadOnlyAdmin):
    list_display = ["issue", "kind", "field", "actor", "created_at"]
    list_filter = ["kind"]
