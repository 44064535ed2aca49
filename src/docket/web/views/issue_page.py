"""One issue's page: its fields (each editable in place: issue_fields.py), transitions
(issue_transitions.py), watchers, and the timeline of comments (issue_comments.py) and history.

This module shows the issue: the tables of the fields the page edits, a field as the page shows
it, the timeline in words, and the page itself. What a person may do is asked of the domain
(issues/editing.py, the gate, the actions); templates only show it.
"""

from __future__ import annotations

import json
from typing import Any

from django.db.models import OuterRef
from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from docket.accounts.actor import Actor
from docket.accounts.middleware import actor_of
from docket.attachments.content import PREVIEWABLE
from docket.attachments.queries import any_attachment, attachments_page, download_url, live_names
from docket.automation.bot import BOT_USERNAME
from docket.automation.queries import rule_names
from docket.core import markdown
from docket.core.clock import now as clock_now
from docket.core.prepared import Prepared
from docket.integrations.alerts.queries import bot_names
from docket.integrations.vcs.queries import any_development, development_of
from docket.issues import custom_fields, editing, watching, worklog
from docket.issues.access import get_issue_for, sees_internal
from docket.issues.custom_fields import PREFIX as CF_PREFIX
from docket.issues.durations import format_duration
from docket.issues.fields import FIELDS, INLINE_FIELDS, label_of
from docket.issues.links import LABELS as LINK_LABELS
from docket.issues.links import any_link, any_subtask
from docket.issues.models import Comment, Issue
from docket.issues.queries import issue_out
from docket.issues.references import render_all_for, render_for
from docket.issues.timeline import Entry, timeline_page
from docket.notifications.emails import sla_words
from docket.sla import queries as sla_queries
from docket.web.views.common import is_htmx, page, web_view
from docket.web.views.dashboard import issue_as_of_page
from docket.web.views.issue_common import back_to_issue, partial
from docket.web.views.issue_structure import links_section
from docket.web.views.issue_work_section import work_section
from docket.web.views.notification_settings import mute_state

TIMELINE_PAGE = 50
ATTACHMENTS_SHOWN = 200  # an issue with more is rare; the API pages through them all
TIMELINE_RENDER_SECONDS = 0.5  # Markdown rendering per page of comments; later ones go plain
# The page's views of the one table of issue fields (issues/fields.py): what it edits in place
# (in order), with which widget, and which may be cleared.
FIELD_LABELS = {name: FIELDS[name].label for name in INLINE_FIELDS}
SIDEBAR_FIELDS = [f for f in INLINE_FIELDS if f not in ("title", "description")]
SELECT_FIELDS = {name for name in INLINE_FIELDS if FIELDS[name].widget == "select"}
OPTIONAL_FIELDS = {name for name in INLINE_FIELDS if FIELDS[name].clearable}


# --- what the templates get -----------------------------------------------------------------


def field_shown(name: str, data: dict[str, Any], editable: frozenset[str]) -> dict[str, Any]:
    """One field as the page shows it (field.html's `f`)."""
    return {
        "name": name,
        "label": FIELD_LABELS[name],
        # An estimate reads "3h 30m", as its form takes it (issues/durations.py).
        "value": format_duration(data[name]) if name == "estimate" else data[name],
        "editable": name in editable,
        "version": data["version"],
        "sig": signature(data[name]),
    }


def signature(value: Any) -> str:
    """A field's value as one string: issue.js compares it to notice a change under a form."""
    return json.dumps(value, sort_keys=True, default=str)


def may_assign_self(
    user: Actor, issue: Issue, data: dict[str, Any], editable: frozenset[str]
) -> bool:
    """Offer "Assign to me": the person may set the assignee and may be assigned."""
    return (
        "assignee" in editable
        and data["assignee"] != user.username
        and editing.may_be_assigned(user, issue.project)
    )


# --- the timeline in words ------------------------------------------------------------------

Words = list[tuple[str, str]]  # ("text", …) and ("value", …) pieces of a sentence


def _shown(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "none"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    text = str(value)
    return text if len(text) <= 120 else text[:119] + "…"


def _change_words(field: str, old: Any, new: Any, named: str | None = None) -> Words:
    """A field change in words: "changed priority from medium to high"; `named`: the label
    a custom field goes by ("changed Customer tier from gold to silver")."""
    label = named if field.startswith(CF_PREFIX) and named else label_of(field).lower()
    if field == "status":
        return [("text", "moved the issue from "), ("value", _shown(old)), ("text", " to "),
                ("value", _shown(new))]  # fmt: skip
    if field == "description":
        return [("text", "edited the description")]
    if field == "confidential":
        return [("text", "marked the issue confidential" if new else "made the issue visible")]
    if field == "assignee":
        if old is None:
            return [("text", "assigned "), ("value", _shown(new))]
        if new is None:
            return [("text", "unassigned "), ("value", _shown(old))]
        return [("text", "reassigned the issue from "), ("value", _shown(old)), ("text", " to "),
                ("value", _shown(new))]  # fmt: skip
    if field in ("labels", "components"):
        before, after = set(old or []), set(new or [])
        words: Words = []
        added, removed = sorted(after - before), sorted(before - after)
        if added:
            words += [("text", f"added {label} "), ("value", ", ".join(added))]
        if removed:
            words += [("text", " and removed " if added else f"removed {label} "),
                      ("value", ", ".join(removed))]  # fmt: skip
        return words or [("text", f"changed {label}")]
    if old in (None, ""):
        return [("text", f"set {label} to "), ("value", _shown(new))]
    if new in (None, ""):
        return [("text", f"cleared {label} (was "), ("value", _shown(old)), ("text", ")")]
    return [("text", f"changed {label} from "), ("value", _shown(old)), ("text", " to "),
            ("value", _shown(new))]  # fmt: skip


def _event_words(event: dict[str, Any]) -> Words:
    kind, old, new = event.get("kind"), event.get("old"), event.get("new")
    if kind == "created":
        return [("text", "created the issue")]
    if kind == "changed":
        return _change_words(event.get("field") or "", old, new, event.get("label"))
    if kind == "access_granted":
        return [("text", "gave "), ("value", _shown(new)), ("text", " access to this issue")]
    if kind == "access_revoked":
        return [("text", "took access to this issue away from "), ("value", _shown(old))]
    if kind == "deleted":
        return [("text", "deleted the issue")]
    if kind == "restored":
        return [("text", "restored the issue")]
    if kind == "comment_deleted":
        return [("text", "deleted a comment")]
    if kind in ("sla_warning", "sla_breached", "sla_escalated"):
        return [("text", "SLA: "), ("value", sla_words(event.get("field") or "", new))]
    if kind in ("commit_linked", "pr_linked") and isinstance(new, dict):
        return _development_words(kind, new)
    if kind == "notice" and isinstance(new, dict):
        told: Words = [("text", "notified "), ("value", _shown(new.get("to") or []))]
        message = new.get("message")
        return told + ([("text", ": "), ("value", message)] if message else [])
    if kind in ("linked", "unlinked"):
        return _link_words(kind, new if kind == "linked" else old)
    if kind in ("work_logged", "work_deleted"):
        entry = (new if kind == "work_logged" else old) or {}
        spent = format_duration(entry.get("minutes") or 0)
        verb = "logged " if kind == "work_logged" else "removed logged time "
        return [("text", verb), ("value", spent), ("text", f" on {entry.get('day', '?')}")]
    if kind == "webhook_requested" and isinstance(new, dict):
        hook = _shown(new.get("hook") or "")
        return [("text", "asked webhook "), ("value", hook), ("text", " to send the issue")]
    return [("text", str(kind).replace("_", " "))]


def _link_words(kind: str, value: Any) -> Words:
    """ "linked: blocks OPS-3"; the other issue is blanked for readers who may not see it
    (issues/links.mask_hidden)."""
    value = value if isinstance(value, dict) else {}
    other = value.get("issue") or "an issue you cannot see"
    how = LINK_LABELS.get(str(value.get("kind")), "linked to")
    verb = "linked: this issue " if kind == "linked" else "removed the link: this issue "
    return [("text", verb), ("text", f"{how} "), ("value", str(other))]


def _development_words(kind: str, new: dict[str, Any]) -> Words:
    """ "commit abc1234 'Fix login' pushed to main by Jane", "pull request #7 'Login' (merged)"."""
    title = _shown(new.get("title") or "")
    if kind == "commit_linked":
        return [("text", "commit "), ("link", str(new.get("sha") or "")[:7]),
                ("text", f" ‘{title}’ pushed to "), ("value", _shown(new.get("branch"))),
                ("text", f" by {_shown(new.get('author'))}")]  # fmt: skip
    return [("text", "pull request "), ("link", f"#{new.get('number')}"),
            ("text", f" ‘{title}’ is "), ("value", _shown(new.get("state")))]  # fmt: skip


def _safe_link(value: Any) -> str:
    """Only http(s) addresses become links (the integration checked them too)."""
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else ""


def event_entry(event: dict[str, Any]) -> dict[str, Any]:
    entry = {"kind": "event", "at": event.get("at"), "event": event, "words": _event_words(event)}
    new = event.get("new")
    if event.get("kind") in ("commit_linked", "pr_linked") and isinstance(new, dict):
        # Said by the repository, not by the account it acts as.
        entry["event"] = {**event, "actor": new.get("repository") or event.get("actor")}
        entry["href"] = _safe_link(new.get("url"))
    return entry


def _timeline_sig(entries: list[Entry]) -> str:
    """Changes when the newest page of the timeline does (for issue.js's "changed" notice)."""
    if not entries:
        return "empty"
    return f"{len(entries)}-{entries[0].kind}{entries[0].id}"


def timeline_entries(user: Actor, issue: Issue, entries: list[Entry]) -> list[dict[str, Any]]:
    """Timeline entries oldest first (as the page reads), comments rendered to safe HTML
    under one shared time budget (core/markdown.py, sanitised by nh3), their references
    resolved for `user` at once (issues/references.py)."""
    powers = editing.comment_powers(user, issue)
    until = markdown.deadline(TIMELINE_RENDER_SECONDS)
    said = [entry.comment for entry in reversed(entries) if entry.comment is not None]
    bodies = iter(render_all_for(user, [c.body for c in said], until=until))
    # What automation rules wrote shows as "Automation: <rule name>" (asked only when the bot
    # wrote something on this page).
    by_rule, said_by_rule = rule_names(
        [e.id for e in entries if e.event is not None and e.event.get("actor") == BOT_USERNAME],
        [c.id for c in said if c.author.username == BOT_USERNAME],
    )
    # An alert intake's account shows as "Alerts: <intake name>".
    intakes = bot_names(
        [c.author.username for c in said]
        + [e.event.get("actor") or "" for e in entries if e.event is not None]
    )
    files = _attachment_names(issue, entries)
    custom_fields.label_events(issue.project, [e.event for e in entries if e.event is not None])
    shown = []
    for entry in reversed(entries):
        if entry.comment is not None:
            item = comment_entry(user, issue, entry.comment, powers, html=next(bodies))
            if entry.id in said_by_rule:
                item["author"] = f"Automation: {said_by_rule[entry.id]}"
            item["author"] = intakes.get(item["author"], item["author"])
            shown.append(item)
        elif entry.event is not None:
            if entry.id in by_rule:
                entry.event = {**entry.event, "actor": f"Automation: {by_rule[entry.id]}"}
            actor = entry.event.get("actor")
            if actor in intakes:
                entry.event = {**entry.event, "actor": intakes[actor]}
            shown.append(_with_file_link(event_entry(entry.event), files))
    return shown


def _attachment_names(issue: Issue, entries: list[Entry]) -> dict[str, int]:
    """Live attachments by name, asked only when the page has an attachment event."""
    if any(e.event is not None and e.event.get("field") == "attachments" for e in entries):
        return live_names(issue)
    return {}


def _with_file_link(entry: dict[str, Any], files: dict[str, int]) -> dict[str, Any]:
    """ "attached trace.log" (a download link while the file is still there) or "removed
    the attachment trace.log"."""
    event = entry["event"]
    if event.get("kind") != "changed" or event.get("field") != "attachments":
        return entry
    added, name = event.get("new") is not None, str(event.get("new") or event.get("old") or "")
    if not added:
        return {**entry, "words": [("text", "removed the attachment "), ("value", name)]}
    if name in files:
        href = download_url(files[name])
        return {**entry, "words": [("text", "attached "), ("file", name)], "href": href}
    return {**entry, "words": [("text", "attached "), ("value", name)]}


def comment_entry(
    user: Actor,
    issue: Issue,
    comment: Comment,
    powers: dict[str, bool],
    *,
    html: str | None = None,
) -> dict[str, Any]:
    """One comment as the page shows it; `html`: its body already rendered for `user`."""
    if html is None:
        html = render_for(user, comment.body)
    return {
        "kind": "comment",
        "at": comment.created_at,
        "id": comment.id,
        "author": comment.author.username,
        "body_html": mark_safe(html),  # noqa: S308 - core/markdown.py sanitises with nh3
        "edited": comment.updated_at != comment.created_at,
        "internal": comment.internal,
        "may_change": editing.may_change_comment(user, powers, comment.author_id),
    }


# --- the page -------------------------------------------------------------------------------


# Which of the page's lists have anything, in one prepared query: most issues have no
# attachments, links, sub-tasks, time logged or development, and each of those sections
# cost the page 1-2 ms of ORM (half its time on SQLite) to find nothing.
_SECTIONS_OF = Prepared(
    lambda issue_id: Issue.objects.filter(pk=issue_id).values(
        has_attachments=any_attachment(OuterRef("pk")),
        has_links=any_link(OuterRef("pk")),
        has_subtasks=any_subtask(OuterRef("pk")),
        has_worklog=worklog.any_entry(OuterRef("pk")),
        has_development=any_development(OuterRef("pk")),
    ),
    arguments=1,
)
NO_DEVELOPMENT: dict[str, list[Any]] = {"commits": [], "pull_requests": []}


def sections_of(issue: Issue) -> dict[str, bool]:
    """has_attachments, has_links, has_subtasks, has_worklog, has_development."""
    found: dict[str, bool] = _SECTIONS_OF.rows(issue.pk)[0]
    return found


def _page_context(request: HttpRequest, issue: Issue) -> dict[str, Any]:
    user = actor_of(request)
    has = sections_of(issue)
    data = issue_out(issue)
    editable = editing.editable_fields(user, issue)
    entries, older = timeline_page(user, issue, limit=TIMELINE_PAGE)
    powers = editing.comment_powers(user, issue)
    return {
        "issue": data,
        "project": issue.project,
        "title_field": field_shown("title", data, editable),
        "description_field": field_shown("description", data, editable),
        "fields": [field_shown(name, data, editable) for name in SIDEBAR_FIELDS],
        "assign_self": may_assign_self(user, issue, data, editable),
        "transitions": editing.transitions_for(user, issue),
        "watch": watching.watch_state(user, issue),
        "mute": mute_state(user, issue),
        "entries": timeline_entries(user, issue, entries),
        "older": older,
        "timeline_sig": _timeline_sig(entries),
        "powers": powers,
        "staff": sees_internal(user, issue.project),
        # "View as of…" (the history's date control): a day from the issue's first to today.
        "created_day": issue.created_at.date().isoformat(),
        "today": clock_now().date().isoformat(),
        "sla": sla_shown(issue),
        "development": development_of(issue) if has["has_development"] else NO_DEVELOPMENT,
        **attachments_section(user, issue, powers, present=has["has_attachments"]),
        **links_section(
            user, issue, editable, linked=has["has_links"], subtasks=has["has_subtasks"]
        ),
        **work_section(user, issue, logged=has["has_worklog"], subtasks=has["has_subtasks"]),
    }


def attachments_section(
    user: Actor, issue: Issue, powers: dict[str, bool], error: str = "", *, present: bool = True
) -> dict[str, Any]:
    """The context of issue/attachments.html: each attachment with its download link, size
    in words, uploader, date, a thumbnail only for raster images proven by their bytes, and
    whether `user` may delete it (the rule delete_attachment applies). `present`: False when
    the caller knows there are none."""
    found, more = attachments_page(issue, limit=ATTACHMENTS_SHOWN) if present else ([], None)
    items = [
        {
            "id": a.pk,
            "filename": a.filename,
            "size": filesizeformat(a.size),
            "uploader": a.uploaded_by.username,
            "at": a.created_at,
            "url": download_url(a.pk),
            "preview": a.content_type in PREVIEWABLE,
            "may_delete": editing.may_change_comment(user, powers, a.uploaded_by_id),
        }
        for a in found
    ]
    return {
        "attachments": items,
        "attachments_more": more is not None,
        "attachment_error": error,
    }


def page_response(
    request: HttpRequest, issue: Issue, status: int = 200, **extra: Any
) -> HttpResponse:
    """The whole issue page, with `extra` over its context (a refusal to show in place)."""
    return page(request, "web/issue/page.html", {**_page_context(request, issue), **extra}, status)


def _span(seconds: int) -> str:
    minutes = abs(seconds) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days}d"] if days else []
    parts += [f"{hours}h"] if hours else []
    return " ".join(parts + [f"{mins}m"]) if mins or not parts else " ".join(parts)


def sla_shown(issue: Issue) -> list[dict[str, Any]]:
    """The issue's SLA clocks as the page words them (no query without clocks)."""
    if not issue.sla_state:
        return []
    shown = []
    for clock in sla_queries.clocks_of(issue, clock_now()):
        state, left = clock["state"], clock["remaining_seconds"]
        if state == "breached":
            text = f"breached by {_span(-left)}" if clock["deadline"] else "breached"
        elif state == "met":
            text = "met"
        elif state == "paused":
            text = f"paused, {_span(left)} left"
        else:
            text = f"{_span(left)} left"
        shown.append({**clock, "text": text})
    return shown


@web_view()
@require_GET
def issue_page(request: HttpRequest, key: str) -> HttpResponse:
    issue = get_issue_for(actor_of(request), key)
    if "as_of" in request.GET:  # the fields as they were that day, read-only
        return issue_as_of_page(request, issue, request.GET["as_of"])
    return page(request, "web/issue/page.html", _page_context(request, issue))


@web_view()
@require_GET
def timeline(request: HttpRequest, key: str) -> HttpResponse:
    """Older timeline entries, for "Show older"."""
    issue = get_issue_for(actor_of(request), key)
    entries, older = timeline_page(
        actor_of(request), issue, cursor=request.GET.get("cursor"), limit=TIMELINE_PAGE
    )
    context = {
        "issue": issue_out(issue),
        "entries": timeline_entries(actor_of(request), issue, entries),
        "older": older,
    }
    return partial(request, "web/issue/timeline_items.html", context)


@web_view()
@require_POST
def watch(request: HttpRequest, key: str) -> HttpResponse:
    issue = get_issue_for(actor_of(request), key)
    if request.POST.get("watch") == "0":
        watching.unwatch(actor=actor_of(request), issue=issue)
    else:
        watching.watch(actor=actor_of(request), issue=issue)
    if not is_htmx(request):
        return back_to_issue(issue.key)
    context = {"issue": issue_out(issue), "watch": watching.watch_state(actor_of(request), issue)}
    return partial(request, "web/issue/watch.html", context)
