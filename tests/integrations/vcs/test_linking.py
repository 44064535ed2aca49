"""Real payload files with their commit messages and pull-request titles changed to name
Docket keys (then signed over the changed bytes): what gets linked, what closes, as whom."""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from typing import Any

from docket.integrations.vcs import actions as vcs_actions
from docket.integrations.vcs.models import CommitLink, Delivery, PullRequestLink, Repository
from docket.issues.models import Comment, IssueEvent
from tests.factories import make_issue, make_project
from tests.integrations.vcs.conftest import SECRET, connect, deliver, payload_bytes, signed

REPO = "Codertocat/Hello-World"


def github_push(
    messages: list[str],
    *,
    ref: str = "refs/heads/master",
    authors: list[tuple[str, str]] | None = None,
) -> bytes:
    """push__with-new-branch.json with one commit per message (the file's commit copied)."""
    data = json.loads(payload_bytes("github/push__with-new-branch.json"))
    template = data["commits"][0]
    data["commits"] = []
    for index, message in enumerate(messages):
        commit = copy.deepcopy(template)
        commit["id"] = hashlib.sha256(message.encode()).hexdigest()[:40]
        commit["message"] = message
        if authors:
            commit["author"]["name"], commit["author"]["email"] = authors[index]
        data["commits"].append(commit)
    data["ref"] = ref
    return json.dumps(data, indent=2).encode()


def send(
    repository: Repository, body: bytes, event: str = "push", delivery: str | None = None
) -> Any:
    names = {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery or str(uuid.uuid4())}
    headers = signed("github", body, **names)
    return deliver(repository, body, headers)


def hub(cast: Any, **data: Any) -> Repository:
    return connect(cast, "github", REPO, default_branch="master",
                   web_url="https://github.com/Codertocat/Hello-World", **data)  # fmt: skip


def status_of(issue: Any) -> str:
    issue.refresh_from_db()
    return issue.status.name


def test_a_commit_naming_a_key_is_linked_and_in_the_history(cast) -> None:
    issue = make_issue(cast.alice, cast.web)
    repository = hub(cast)

    response = send(
        repository, github_push([f"Tidy the login form (see {issue.key})\n\nLonger words."])
    )

    assert response.status_code == 200
    assert response.json() == {"status": "processed", "event": "push", "linked": 1, "closed": 0}
    link = CommitLink.objects.get(issue=issue)
    assert link.title == f"Tidy the login form (see {issue.key})"
    assert link.message.endswith("Longer words.")
    assert (link.branch, link.author_name, link.on_default_branch) == ("master", "Codertocat", True)
    assert link.url.startswith("https://github.com/Codertocat/Hello-World/commit/")
    assert status_of(issue) == "New"  # no closing keyword
    history = cast.api(cast.alice).get(f"/issues/{issue.key}/history").json()
    linked = [e for e in history["items"] if e["kind"] == "commit_linked"]
    assert linked[0]["new"]["sha"] == link.sha and linked[0]["actor"] == "docket-vcs"


def test_fixes_on_the_default_branch_closes_as_the_matching_member(cast) -> None:
    cast.bob.email = "bob@example.com"
    cast.bob.save()
    issue = make_issue(cast.alice, cast.web)

    body = github_push([f"Fixes: {issue.key}"], authors=[("Bob B", "BOB@example.com")])
    answer = send(hub(cast), body).json()

    assert answer["closed"] == 1
    assert status_of(issue) == "Resolved" and issue.resolution == "fixed"
    moved = IssueEvent.objects.get(issue=issue, kind="changed", field="status")
    assert moved.actor == cast.bob
    assert not Comment.objects.filter(issue=issue).exists()


def test_an_unknown_author_closes_through_the_bot_with_a_note(cast) -> None:
    issue = make_issue(cast.alice, cast.web)

    send(hub(cast), github_push([f"closes {issue.key}"], authors=[("Zed", "zed@elsewhere.test")]))

    assert status_of(issue) == "Resolved"
    moved = IssueEvent.objects.get(issue=issue, kind="changed", field="status")
    assert moved.actor.username == "docket-vcs"
    note = Comment.objects.get(issue=issue)
    assert "Zed <zed@elsewhere.test>" in note.body and "no Docket account" in note.body


def test_an_author_without_the_right_does_not_act_the_bot_does(cast) -> None:
    """carol is a reporter (and not this issue's reporter): the workflow refuses her the move,
    so the bot closes it and says why."""
    cast.carol.email = "carol@example.com"
    cast.carol.save()
    issue = make_issue(cast.alice, cast.web)

    send(hub(cast), github_push([f"resolve {issue.key}"], authors=[("Carol", "carol@example.com")]))

    moved = IssueEvent.objects.get(issue=issue, kind="changed", field="status")
    assert moved.actor.username == "docket-vcs"
    assert "carol may not close this issue" in Comment.objects.get(issue=issue).body


def test_no_done_transition_open_links_and_says_why(cast) -> None:
    """Incident workflow: from Triggered only Acknowledge leads anywhere."""
    project = make_project(cast.alice, "OPS", workflow="incident")
    issue = make_issue(cast.alice, project)
    data = {"provider": "github", "full_name": REPO, "default_branch": "master", "secret": SECRET}
    repository, _ = vcs_actions.connect(actor=cast.alice, project=project, data=data)

    answer = send(repository, github_push([f"fixes {issue.key}"])).json()

    assert answer == {"status": "processed", "event": "push", "linked": 1, "closed": 0}
    assert status_of(issue) == "Triggered"
    note = Comment.objects.get(issue=issue).body
    assert "was not closed: no transition to a done state is open to it from Triggered" in note


def test_a_side_branch_links_and_the_default_branch_closes_once(cast) -> None:
    issue = make_issue(cast.alice, cast.web)
    repository = hub(cast)
    message = f"Fix {issue.key} and tidy"

    send(repository, github_push([message], ref="refs/heads/feature/login"))
    assert status_of(issue) == "New"
    assert CommitLink.objects.get(issue=issue).branch == "feature/login"

    send(repository, github_push([message]))  # the same sha lands on master
    assert status_of(issue) == "Resolved"
    link = CommitLink.objects.get(issue=issue)
    assert link.on_default_branch and link.closed_issue and link.branch == "master"

    cast.api(cast.alice).post(f"/issues/{issue.key}/transitions", {"to": "open"})
    assert status_of(issue) == "Open"
    send(repository, github_push([message]))  # pushed again (another delivery): not again
    assert status_of(issue) == "Open"
    assert IssueEvent.objects.filter(issue=issue, kind="commit_linked").count() == 2


def test_several_keys_and_commits(cast) -> None:
    one, two, three = (make_issue(cast.alice, cast.web) for _ in range(3))
    body = github_push([f"Fixes: {one.key}, {two.key} and WEB-999", f"mentions {three.key} only"])

    answer = send(hub(cast), body).json()

    assert (answer["linked"], answer["closed"]) == (3, 2)
    assert [status_of(i) for i in (one, two, three)] == ["Resolved", "Resolved", "New"]


def test_redelivery_changes_nothing(cast) -> None:
    issue = make_issue(cast.alice, cast.web)
    repository = hub(cast)
    body = github_push([f"fixes {issue.key}"])
    events = lambda: IssueEvent.objects.filter(issue=issue).count()  # noqa: E731

    first = send(repository, body, delivery="72d3162e-cc78-11e3-81ab-4c9367dc0958")
    seen = events()
    again = send(repository, body, delivery="72d3162e-cc78-11e3-81ab-4c9367dc0958")

    assert first.json()["closed"] == 1
    assert again.status_code == 200
    assert again.json() == {
        "status": "already processed",
        "delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
    }
    assert events() == seen and Delivery.objects.count() == 1


def test_keys_of_other_projects_change_nothing_and_tell_nothing(cast) -> None:
    ops = make_project(cast.root, "OPS")  # alice is not in it; the repository is WEB's
    ops_issue = make_issue(cast.root, ops)
    repository = hub(cast)

    existing = send(repository, github_push([f"fixes {ops_issue.key}"])).json()
    missing = send(repository, github_push(["fixes OPS-4242"])).json()

    assert existing == missing == {"status": "processed", "event": "push", "linked": 0, "closed": 0}
    assert status_of(ops_issue) == "New"
    assert not IssueEvent.objects.filter(issue=ops_issue).exclude(kind="created").exists()
    assert not CommitLink.objects.exists()


def test_a_confidential_issue_of_the_project_is_linked(cast) -> None:
    issue = make_issue(cast.alice, cast.web, confidential=True)

    send(hub(cast), github_push([f"Work on {issue.key}"]))

    assert CommitLink.objects.filter(issue=issue).exists()


def test_malformed_json_is_400_with_the_position(cast) -> None:
    repository = hub(cast)
    body = b'{"ref": "refs/heads/master",\n "commits": [}'

    response = send(repository, body)

    assert response.status_code == 400
    assert "malformed JSON at 2:14 (character 42)" in response.json()["detail"]
    assert not Delivery.objects.exists()


def test_unknown_events_are_ignored_and_logged(cast) -> None:
    repository = hub(cast)
    body = payload_bytes("github/issues__opened.json")

    response = send(repository, body, event="issues")

    assert response.json() == {"status": "ignored", "detail": "ignored: issues"}
    assert Delivery.objects.get().outcome == "ignored"


def test_another_repositorys_delivery_is_refused(cast) -> None:
    repository = connect(cast, "github", "acme/web")

    response = send(repository, github_push(["fixes WEB-1"]))

    assert response.status_code == 422
    assert (
        "connected to acme/web; the delivery is from Codertocat/Hello-World"
        in response.json()["detail"]
    )
    assert not Delivery.objects.exists()


def test_form_encoded_deliveries_are_415(cast) -> None:
    repository = hub(cast)
    body = b"payload=%7B%7D"
    headers = signed("github", body, **{"X-GitHub-Event": "push"})

    response = deliver(repository, body, headers, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 415 and "application/json" in response.json()["detail"]


def test_a_gitlab_push_links_and_closes(cast) -> None:
    issue = make_issue(cast.alice, cast.web)
    data = json.loads(payload_bytes("gitlab/push-event.json"))
    data["commits"][0]["message"] = f"Resolves {issue.key}"
    data["commits"][1]["message"] = f"Refs {issue.key}"
    body = json.dumps(data).encode()
    repository = connect(cast, "gitlab", "mike/diaspora", default_branch="master")

    uuid_header = {"X-Gitlab-Event-UUID": "13792a34-cac6-4fda-95a8-c58e00a3954e"}
    headers = signed("gitlab", body, **{"X-Gitlab-Event": "Push Hook", **uuid_header})
    answer = deliver(repository, body, headers).json()

    assert (answer["linked"], answer["closed"]) == (2, 1)
    assert status_of(issue) == "Resolved"
    assert Delivery.objects.get().delivery_id == "13792a34-cac6-4fda-95a8-c58e00a3954e"


# --- pull and merge requests ----------------------------------------------------------------


def gitea_pr(title: str, *, merged: bool = False, branch: str = "feature") -> bytes:
    data = json.loads(payload_bytes("gitea/pull-request-event.json"))
    pr = data["pull_request"]
    pr["title"], pr["head"]["ref"], pr["base"]["ref"] = title, branch, "master"
    if merged:
        pr["merged"], pr["state"], data["action"] = True, "closed", "closed"
    return json.dumps(data).encode()


def send_gitea(repository: Repository, body: bytes, event: str = "pull_request") -> Any:
    return deliver(repository, body, signed("gitea", body, **{"X-Gitea-Event": event}))


def test_a_pull_request_is_linked_and_its_state_follows(cast) -> None:
    issue = make_issue(cast.alice, cast.web)
    other = make_issue(cast.alice, cast.web)
    repository = connect(cast, "gitea", "example/example", default_branch="master")

    opened = send_gitea(
        repository, gitea_pr(f"Fixes {issue.key}", branch=f"fix/{other.key.lower()}")
    )
    assert opened.json()["linked"] == 2
    assert PullRequestLink.objects.get(issue=issue).state == "open"
    assert PullRequestLink.objects.get(issue=other).branch == f"fix/{other.key.lower()}"
    assert status_of(issue) == "New"

    merged = send_gitea(
        repository, gitea_pr(f"Fixes {issue.key}", merged=True, branch=f"fix/{other.key.lower()}")
    )
    assert merged.json()["closed"] == 1
    assert PullRequestLink.objects.get(issue=issue).state == "merged"
    assert PullRequestLink.objects.filter(issue=issue).count() == 1
    assert status_of(issue) == "Resolved"
    assert status_of(other) == "New"  # a branch name never closes
    assert IssueEvent.objects.filter(issue=issue, kind="pr_linked").count() == 2


def test_a_github_pull_request_closed_without_merge_does_not_resolve(cast) -> None:
    issue = make_issue(cast.alice, cast.web)
    data = json.loads(payload_bytes("github/pull_request__closed.json"))
    data["pull_request"]["body"] = f"Fixes {issue.key}"
    body = json.dumps(data).encode()
    repository = hub(cast)

    answer = send(repository, body, event="pull_request").json()

    assert answer["linked"] == 1 and answer["closed"] == 0
    assert PullRequestLink.objects.get(issue=issue).state == "closed"
    assert status_of(issue) == "New"


def test_a_gitlab_merge_request_merged_resolves(cast) -> None:
    issue = make_issue(cast.alice, cast.web)
    data = json.loads(payload_bytes("gitlab/merge-request-event.json"))
    data["object_attributes"].update(
        title=f"Closes {issue.key}", state="merged", target_branch="master"
    )
    body = json.dumps(data).encode()
    repository = connect(cast, "gitlab", "gitlabhq/gitlab-test", default_branch="master")

    deliver(repository, body, signed("gitlab", body, **{"X-Gitlab-Event": "Merge Request Hook"}))

    assert PullRequestLink.objects.get(issue=issue).state == "merged"
    assert status_of(issue) == "Resolved"


def test_a_bot_project_member_is_not_needed(cast) -> None:
    """The bot acts with the member role in this project only: no membership row is made."""
    issue = make_issue(cast.alice, cast.web)
    send(hub(cast), github_push([f"fixes {issue.key}"]))
    assert not cast.web.memberships.filter(user__username="docket-vcs").exists()


def test_an_oversized_delivery_is_413_and_changes_nothing(cast, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    issue = make_issue(cast.alice, cast.web)
    body = github_push([f"fixes {issue.key}" + " padding" * 600])

    response = send(hub(cast), body)

    assert response.status_code == 413
    assert not Delivery.objects.exists() and status_of(issue) == "New"


def test_no_csrf_token_is_needed_the_signature_is_the_credential(cast) -> None:
    from django.test import Client

    repository = hub(cast)
    body = github_push(["no key here"])
    meta = {
        "HTTP_X_GITHUB_EVENT": "push",
        "HTTP_X_HUB_SIGNATURE_256": signed("github", body)["X-Hub-Signature-256"],
    }
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(cast.alice)  # a session cookie does not make it a session request

    response = browser.post(
        f"/api/v1/hooks/vcs/{repository.hook_id}", body, content_type="application/json", **meta
    )

    assert response.status_code == 200 and response.json()["status"] == "processed"


def test_admin_only_closing_admin_author_closes_the_bot_may_not(cast) -> None:
    """Every transition into a done state restricted to admins: alice (admin) closes with her
    commit; a stranger's commit leaves the issue open with a note (the bot is a member)."""
    from docket.projects import workflow_actions
    from docket.projects.models import WorkflowTransition

    for move in WorkflowTransition.objects.filter(
        workflow_id=cast.web.workflow_id, to_state__category="done"
    ):
        workflow_actions.change_transition(
            actor=cast.alice, project=cast.web, transition_id=move.id,
            changes={"allowed_roles": ["admin"]},
        )  # fmt: skip
    cast.alice.email = "alice@example.com"
    cast.alice.save()
    hers, theirs = make_issue(cast.alice, cast.web), make_issue(cast.alice, cast.web)
    repository = hub(cast)

    send(repository, github_push([f"fixes {hers.key}"], authors=[("A", "alice@example.com")]))
    send(repository, github_push([f"fixes {theirs.key}"], authors=[("S", "s@elsewhere.test")]))

    assert status_of(hers) == "Resolved"
    assert IssueEvent.objects.get(issue=hers, field="status").actor == cast.alice
    assert status_of(theirs) == "New"
    note = Comment.objects.get(issue=theirs).body
    assert "S <s@elsewhere.test> says it fixes this issue, but it was not closed" in note


def test_nul_and_lone_surrogates_in_a_message_are_stored_cleaned(cast) -> None:
    issue = make_issue(cast.alice, cast.web)
    body = github_push(["placeholder"]).replace(
        b'"placeholder"', f'"Fix {issue.key}\\u0000 here \\ud800 ok"'.encode()
    )

    response = send(hub(cast), body)

    assert response.status_code == 200, response.content
    assert CommitLink.objects.get(issue=issue).message == f"Fix {issue.key} here ? ok"
