from django.contrib import admin

from docket.projects.models import Component, Membership, Milestone, Project, WorkflowState


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Membership
    extra = 0


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["key", "name", "visibility", "lead"]
    inlines = [MembershipInline]
    readonly_fields = ["next_number", "workflow"]


admin.site.register(Component)
admin.site.register(Milestone)
admin.site.register(WorkflowState)
