"""A rule's actions, each through the domain action a person would use, as the bot actor
(automation/bot.py): permissions, field checks and the workflow's transition rules all apply.
Each returns a short description of what it did; a refusal raises (DocketError)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from docket.accounts.actor import Actor
from docket.accounts.models import Team, User
from docket.core.errors import Invalid
from docket.issues import actions as issue_actions
from docket.issues import comments, notices, routing, watching
from docket.issues.models import Issue, Watch


def run_action(actor: Actor, issue: Issue, action: dict[str, Any]) -> str:
    kind = action["type"]
    if kind == "assign":
        return _assign(actor, issue, action)
    if kind == "set":
        issue_actions.update_issue(
            actor=actor, issue=issue, changes={action["field"]: action["value"]}
        )
        return f"set {action['field']} to {action['value']!r}"
    if kind in ("add_labels", "remove_labels"):
        have = [label.name for label in issue.labels.all()]
        if kind == "add_labels":
            wanted = have + [
                n for n in action["labels"] if n.lower() not in {h.lower() for h in have}
            ]
        else:
            gone = {n.lower() for n in action["labels"]}
            wanted = [h for h in have if h.lower() not in gone]
        if wanted == have:
            return "labels unchanged"
        issue_actions.update_issue(actor=actor, issue=issue, changes={"labels": wanted})
        return f"labels now {', '.join(wanted) or '(none)'}"
    if kind == "transition":
        target = action.get("to")
        if target and issue.status.name.lower() == str(target).lower():
            return f"already {issue.status.name.lower()}"  # the goal holds: nothing to do
        issue_actions.transition(
            actor=actor, issue=issue, to=action.get("to"), name=action.get("name")
        )
        return f"moved to {action.get('to') or action.get('name')}"
    if kind == "notify":
        people = _audience(issue, action)
        notices.send_notice(
            actor=actor, issue=issue, people=people, message=action.get("message", "")
        )
        return f"notified {len(people)} people"
    if kind == "webhook":
        notices.request_webhook(
            actor=actor, issue=issue, hook=action["hook"], message=action.get("message", "")
        )
        return f"asked webhook {action['hook']} to send the issue"
    if kind == "comment":
        was_watching = watching.is_watching(actor, issue)
        comments.add_comment(actor=actor, issue=issue, body=action["body"])
        if not was_watching:  # commenting makes one watch; the bot follows nothing
            watching.unwatch(actor=actor, issue=issue)
        return "commented"
    raise Invalid(f"unknown action {kind!r}")


def _assign(actor: Actor, issue: Issue, action: dict[str, Any]) -> str:
    strategy = action.get("strategy", "person")
    if strategy == "person":
        who = action.get("to")
    elif strategy == "component_lead":
        leads = sorted(
            (c.name, lead.username)
            for c in issue.components.select_related("lead", "project")
            if (lead := routing.component_lead(c)) is not None
        )
        if not leads:
            return "no component of the issue has an assignable lead: nobody assigned"
        who = leads[0][1]
    else:
        team = Team.objects.filter(slug=action["team"]).first()
        if team is None:
            raise Invalid(f"no team {action['team']!r}")
        if strategy == "round_robin":
            scope = f"automation:{issue.project.key}"
            picked = routing.round_robin(team, project=issue.project, scope=scope)
        else:
            picked = routing.fewest_open_issues(team, project=issue.project)
        if picked is None:
            return f"team {team.slug} has nobody who may be assigned in {issue.project.key}"
        who = picked.username
    issue_actions.assign(actor=actor, issue=issue, assignee=who)
    return f"assigned to {who}" if who else "unassigned"


def _audience(issue: Issue, action: dict[str, Any]) -> list[User]:
    """The active people a notify action names: usernames, holders of project roles
    (directly or through a team), a team's members, the issue's watchers. Whether each may
    see the issue is asked when the notification is delivered, as for every notification."""
    wanted = Q(username__in=action.get("people") or [])
    roles = action.get("roles") or []
    if roles:
        wanted |= Q(memberships__project=issue.project, memberships__role__in=roles)
        wanted |= Q(teams__memberships__project=issue.project, teams__memberships__role__in=roles)
    if action.get("team"):
        wanted |= Q(teams__slug=action["team"])
    if action.get("watchers"):
        wanted |= Q(pk__in=Watch.objects.filter(issue=issue).values("user_id"))
    people = User.objects.filter(wanted, is_active=True).distinct().order_by("username")
    return list(people[: notices.MAX_NAMED + 1])
