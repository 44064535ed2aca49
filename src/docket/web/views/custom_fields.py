"""A project's custom fields settings page (/p/KEY/fields): everyone who can see the project
reads the list; project admins add and delete fields here (and change them through the API).
The actions (issues/custom_fields.py) check and audit every change."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from docket.accounts.middleware import actor_of
from docket.core.errors import DocketError
from docket.issues import custom_fields
from docket.projects.access import Perm, get_project_for, permissions_in
from docket.web.views.common import page, web_view
from docket.web.views.issue_common import error_message


def _definition(request: HttpRequest) -> dict[str, Any]:
    post = request.POST
    options = [o.strip() for o in post.get("options", "").split(",") if o.strip()]
    values: dict[str, Any] = {
        "name": post.get("name", "").strip(),
        "type": post.get("type", ""),
        "required": bool(post.get("required")),
    }
    if post.get("label", "").strip():
        values["label"] = post["label"].strip()
    if options:
        values["options"] = options
    return values


@web_view()
@require_http_methods(["GET", "POST"])
def fields_page(request: HttpRequest, project_key: str) -> HttpResponse:
    """GET: the fields. POST (admins): `delete=<name>`, or add a field."""
    user = actor_of(request)
    project = get_project_for(user, project_key)
    error, status = "", 200
    if request.method == "POST":
        try:
            if request.POST.get("delete"):
                custom_fields.remove(actor=user, project=project, name=request.POST["delete"])
            else:
                custom_fields.define(actor=user, project=project, values=_definition(request))
        except DocketError as problem:
            error, status = error_message(problem), problem.status
        else:
            return HttpResponseRedirect(reverse("web:custom_fields", args=[project.key]))
    context = {
        "nav": "projects",
        "project": project,
        "fields": custom_fields.project_fields(project),
        "types": custom_fields.TYPES,
        "can_manage": Perm.MANAGE_PROJECT in permissions_in(user, project),
        "error": error,
    }
    return page(request, "web/projects/custom_fields.html", context, status)
