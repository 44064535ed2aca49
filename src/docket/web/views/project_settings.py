"""A project's settings pages (/p/KEY/settings/...), for its admins and site admins: details,
members, labels, components, milestones (here) and the workflow (project_settings_workflow.py).

Every form is a plain POST naming its `op` (and `form`, the form it came from); the view calls
the same action the API calls and redirects, or answers the action's refusal (422 for bad
input, 409 for a clash, 403 for a rule such as keeping an admin) with the page again, the
message next to the field of the form that was sent. htmx boosts the forms (settings.js swaps
refusals in too); nothing here depends on it. Outsiders get the gate's answer: 404 if they
may not see the project, 403 if they may see it but not manage it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from docket.accounts.actor import Actor
from docket.accounts.middleware import actor_of
from docket.core.errors import BadParameter, DocketError
from docket.issues import choices, project_values
from docket.issues.editing import assignable_people
from docket.issues.models import Label
from docket.projects import actions
from docket.projects.access import Perm, get_project_for
from docket.projects.models import Component, Membership, Milestone, Project, Role
from docket.web.views.common import page, web_view

Handler = Callable[[HttpRequest, Actor, Project], str]  # does the change, says what it did
Context = Callable[[Actor, Project], dict[str, Any]]

SECTIONS = (
    ("details", "Details"),
    ("members", "Members"),
    ("labels", "Labels"),
    ("components", "Components"),
    ("milestones", "Milestones"),
    ("workflow", "Workflow"),
)
# Settings with pages of their own, listed under the sections.
ELSEWHERE = (
    ("web:custom_fields", "Custom fields"),
    ("web:project_rules", "Automation rules"),
    ("web:webhooks", "Webhooks"),
    ("web:repositories", "Repositories"),
)
# Colours offered for labels and states: each at least 3:1 against the page (WCAG non-text
# contrast), shown as a swatch beside the name, never behind text.
PALETTE = (
    ("#64748b", "Slate"), ("#6b7280", "Grey"), ("#374151", "Charcoal"), ("#dc2626", "Red"),
    ("#c2410c", "Orange"), ("#d97706", "Amber"), ("#4d7c0f", "Olive"), ("#16a34a", "Green"),
    ("#0f766e", "Teal"), ("#2563eb", "Blue"), ("#9333ea", "Purple"), ("#be185d", "Pink"),
)  # fmt: skip
PICKER_LIMIT = 12


@dataclass
class Failure:
    """A refused form: which one, the refusal, its messages by field, and what was sent."""

    form: str
    detail: str
    errors: dict[str, str]
    sent: QueryDict

    def error(self, form: str, field: str) -> str:
        return self.errors.get(field, "") if form == self.form else ""

    def value(self, form: str, field: str, default: Any = "") -> Any:
        return self.sent.get(field, default) if form == self.form else default


def _failure(request: HttpRequest, problem: DocketError) -> Failure:
    errors = {str(e["field"]): str(e["message"]) for e in problem.errors if e.get("field")}
    return Failure(request.POST.get("form", ""), problem.detail, errors, request.POST)


def settings_page(section: str, handlers: Mapping[str, Handler], context: Context) -> Callable:
    """The view of one settings section: GET shows it, POST runs the handler its `op` names."""

    @web_view()
    @require_http_methods(["GET", "POST"])
    def view(request: HttpRequest, project_key: str) -> HttpResponse:
        user = actor_of(request)
        project = get_project_for(user, project_key, Perm.MANAGE_PROJECT)
        failure, status = None, 200
        if request.method == "POST":
            handler = handlers.get(request.POST.get("op", ""))
            if handler is None:
                raise BadParameter.field("op", f"must be one of {', '.join(handlers)}", "form")
            try:
                done = handler(request, user, project)
            except DocketError as problem:
                failure, status = _failure(request, problem), problem.status
            else:
                messages.success(request, done)
                return HttpResponseRedirect(request.path)
        shown = {
            "nav": "projects",
            "project": project,
            "section": section,
            "sections": SECTIONS,
            "elsewhere": ELSEWHERE,
            "failure": failure,
            "palette": PALETTE,
            **context(user, project),
        }
        return page(request, f"web/settings/{section}.html", shown, status)

    view.__name__ = f"{section}_settings"
    return view


def posted(request: HttpRequest, name: str) -> str:
    return request.POST.get(name, "").strip()


def optional(request: HttpRequest, name: str) -> str | None:
    return posted(request, name) or None


@web_view()
@require_GET
def settings_home(request: HttpRequest, project_key: str) -> HttpResponse:
    project = get_project_for(actor_of(request), project_key, Perm.MANAGE_PROJECT)
    return HttpResponseRedirect(reverse("web:settings_details", args=[project.key]))


@web_view()
@require_GET
def people(request: HttpRequest, project_key: str) -> HttpResponse:
    """The people picker's suggestions (<option>s of a datalist), for `q` typed so far:
    `for=lead` offers whom the project may assign (a component's lead must be one), otherwise
    the people the admin may know of (projects.access.known_people: no one else leaks)."""
    user = actor_of(request)
    project = get_project_for(user, project_key, Perm.MANAGE_PROJECT)
    # What was typed comes as `q`, or under the picker's own field name (htmx sends that).
    typed = next((request.GET[k] for k in ("q", "user", "lead") if k in request.GET), "")
    typed = typed.strip()[:150]
    if request.GET.get("for") == "lead":
        names = [n for n in assignable_people(project) if n.lower().startswith(typed.lower())]
    else:
        found = choices.people_of_visible_projects(user, typed)
        names = list(found.values_list("username", flat=True)[:PICKER_LIMIT])
    return page(request, "web/settings/people_options.html", {"names": names[:PICKER_LIMIT]})


# --- details ----------------------------------------------------------------------------------


def _save_details(request: HttpRequest, user: Actor, project: Project) -> str:
    changes = {
        "name": posted(request, "name"),
        "description": request.POST.get("description", ""),
        "visibility": posted(request, "visibility"),
        "lead": optional(request, "lead"),
        "reporters_see_own_only": request.POST.get("reporters_see_own_only") == "on",
    }
    actions.update_project(actor=user, project=project, changes=changes)
    return f"Saved the details of {project.key}."


def _details(user: Actor, project: Project) -> dict[str, Any]:
    return {"visibilities": Project.Visibility.values}


details = settings_page("details", {"save": _save_details}, _details)


# --- members ----------------------------------------------------------------------------------


def _who(request: HttpRequest) -> dict[str, str | None]:
    return {"user": optional(request, "user"), "team": optional(request, "team")}


def _set_member(request: HttpRequest, user: Actor, project: Project) -> str:
    who, role = _who(request), posted(request, "role")
    actions.set_member(actor=user, project=project, role=role, **who)
    return f"{who['user'] or who['team']} is now {role} of {project.key}."


def _remove_member(request: HttpRequest, user: Actor, project: Project) -> str:
    who = _who(request)
    actions.remove_member(actor=user, project=project, **who)
    return f"Removed {who['user'] or who['team']} from {project.key}."


def _members(user: Actor, project: Project) -> dict[str, Any]:
    rows = Membership.objects.filter(project=project).select_related("user", "team")
    ranked = sorted(rows, key=lambda m: (-_rank(m.role), str(m.user or m.team)))
    return {"memberships": ranked, "roles": Role.values, "teams": choices.team_slugs()}


def _rank(role: str) -> int:
    return Role.values[::-1].index(role)


members = settings_page(
    "members", {"add": _set_member, "role": _set_member, "remove": _remove_member}, _members
)


# --- labels -----------------------------------------------------------------------------------


def _create_label(request: HttpRequest, user: Actor, project: Project) -> str:
    name = posted(request, "name")
    project_values.create_label(
        actor=user, project=project, name=name, color=posted(request, "color")
    )
    return f"Created the label {name}."


def _change_label(request: HttpRequest, user: Actor, project: Project) -> str:
    old = request.POST.get("label", "")
    changes = {"name": posted(request, "name"), "color": posted(request, "color")}
    label = project_values.change_label(actor=user, project=project, name=old, changes=changes)
    return f"Saved the label {label.name}."


def _delete_label(request: HttpRequest, user: Actor, project: Project) -> str:
    name = request.POST.get("label", "")
    count = project_values.delete_label(actor=user, project=project, name=name)
    return f"Deleted the label {name} (taken off {count} issue{'' if count == 1 else 's'})."


def _labels(user: Actor, project: Project) -> dict[str, Any]:
    used = project_values.usage(project, "labels")
    labels = list(Label.objects.filter(project=project).order_by("name"))
    return {"labels": [(label, used.get(label.pk, 0)) for label in labels]}


labels = settings_page(
    "labels",
    {"create": _create_label, "change": _change_label, "delete": _delete_label},
    _labels,
)


# --- components -------------------------------------------------------------------------------


def _create_component(request: HttpRequest, user: Actor, project: Project) -> str:
    name = posted(request, "name")
    actions.add_component(actor=user, project=project, name=name, lead=optional(request, "lead"))
    return f"Created the component {name}."


def _component_lead(request: HttpRequest, user: Actor, project: Project) -> str:
    name, lead = request.POST.get("component", ""), optional(request, "lead")
    actions.set_component_lead(actor=user, project=project, component=name, lead=lead)
    return f"{name}: lead {'is now ' + lead if lead else 'cleared'}."


def _delete_component(request: HttpRequest, user: Actor, project: Project) -> str:
    name = request.POST.get("component", "")
    count = project_values.delete_component(actor=user, project=project, name=name)
    return f"Deleted the component {name} (taken off {count} issue{'' if count == 1 else 's'})."


def _components(user: Actor, project: Project) -> dict[str, Any]:
    used = project_values.usage(project, "components")
    rows = Component.objects.filter(project=project).select_related("lead").order_by("name")
    return {"components": [(c, used.get(c.pk, 0)) for c in rows]}


components = settings_page(
    "components",
    {"create": _create_component, "lead": _component_lead, "delete": _delete_component},
    _components,
)


# --- milestones -------------------------------------------------------------------------------


def _dates(request: HttpRequest) -> dict[str, str | None]:
    return {
        "start_date": optional(request, "start_date"),
        "due_date": optional(request, "due_date"),
    }


def _create_milestone(request: HttpRequest, user: Actor, project: Project) -> str:
    created = actions.add_milestone(
        actor=user, project=project, name=posted(request, "name"), **_dates(request)
    )
    return f"Created the milestone {created.name}."


def _milestone_change(changes: Callable[[HttpRequest], dict[str, Any]], done: str) -> Handler:
    def handle(request: HttpRequest, user: Actor, project: Project) -> str:
        name = request.POST.get("milestone", "")
        changed = actions.update_milestone(
            actor=user, project=project, name=name, changes=changes(request)
        )
        return f"{done} the milestone {changed.name}."

    return handle


def _delete_milestone(request: HttpRequest, user: Actor, project: Project) -> str:
    name = request.POST.get("milestone", "")
    count = project_values.delete_milestone(actor=user, project=project, name=name)
    return f"Deleted the milestone {name} ({count} issue{'' if count == 1 else 's'} left it)."


def _milestones(user: Actor, project: Project) -> dict[str, Any]:
    used = project_values.usage(project, "milestone")
    rows = Milestone.objects.filter(project=project).order_by("closed", "due_date", "name")
    return {"milestones": [(m, used.get(m.pk, 0)) for m in rows]}


milestones = settings_page(
    "milestones",
    {
        "create": _create_milestone,
        "change": _milestone_change(lambda r: {"name": posted(r, "name"), **_dates(r)}, "Saved"),
        "close": _milestone_change(lambda r: {"closed": True}, "Closed"),
        "reopen": _milestone_change(lambda r: {"closed": False}, "Reopened"),
        "delete": _delete_milestone,
    },
    _milestones,
)
