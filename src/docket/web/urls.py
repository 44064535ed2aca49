"""The web app's pages. Each block of routes belongs to one views module."""

from django.urls import path, re_path

from docket.web.views import (
    attachments,
    auth,
    board,
    custom_fields,
    dashboard,
    export,
    favicon,
    home,
    import_page,
    inbox,
    issue_comments,
    issue_create,
    issue_fields,
    issue_links,
    issue_list,
    issue_page,
    issue_transitions,
    issue_work,
    live,
    mail_quarantine,
    milestones,
    notification_settings,
    palette,
    project_settings,
    project_settings_workflow,
    projects,
    repositories,
    rule_form,
    rule_runs,
    rules,
    webhooks,
)

app_name = "web"
ISSUE_KEY = r"(?P<key>[A-Za-z][A-Za-z0-9]{1,9}-[1-9][0-9]{0,9})"

urlpatterns = [
    # home.py: my work
    path("", home.my_work, name="home"),
    # favicon.py: the icon browsers ask for on pages that name none (Django's admin)
    path("favicon.ico", favicon.favicon_ico, name="favicon"),
    # auth.py: signing in and out, password reset, profile, tokens
    path("login", auth.login_page, name="login"),
    path("logout", auth.logout_page, name="logout"),
    path("password-reset", auth.reset_request, name="password_reset"),
    path("reset/<uidb64>/<token>/", auth.reset_confirm, name="password_reset_confirm"),
    path("settings/profile", auth.profile, name="profile"),
    path("settings/tokens", auth.tokens_page, name="tokens"),
    # inbox.py: notifications; notification_settings.py: what one hears (and issue mutes below)
    path("inbox", inbox.inbox_page, name="inbox"),
    path("inbox/count", inbox.count, name="inbox_count"),
    path("inbox/read", inbox.mark_read, name="inbox_read"),
    path("inbox/done", inbox.mark_done, name="inbox_done"),
    path(
        "settings/notifications",
        notification_settings.notification_settings,
        name="notification_settings",
    ),
    # projects.py: project list, creation, members
    path("projects/", projects.project_list, name="projects"),
    path("projects/new", projects.create_project, name="create_project"),
    path("p/<str:project_key>/members", projects.members, name="members"),
    path("p/<str:project_key>/components", projects.components, name="components"),
    # project_settings.py, project_settings_workflow.py: a project's settings (its admins)
    path("p/<str:project_key>/settings/", project_settings.settings_home, name="settings"),
    path("p/<str:project_key>/settings/details", project_settings.details, name="settings_details"),
    path("p/<str:project_key>/settings/members", project_settings.members, name="settings_members"),
    path("p/<str:project_key>/settings/labels", project_settings.labels, name="settings_labels"),
    path(
        "p/<str:project_key>/settings/components",
        project_settings.components,
        name="settings_components",
    ),
    path(
        "p/<str:project_key>/settings/milestones",
        project_settings.milestones,
        name="settings_milestones",
    ),
    path(
        "p/<str:project_key>/settings/workflow",
        project_settings_workflow.workflow,
        name="settings_workflow",
    ),
    path("p/<str:project_key>/settings/people", project_settings.people, name="settings_people"),
    # dashboard.py: project health (docket.reports)
    path("dashboard", dashboard.my_dashboard, name="dashboard"),
    path("p/<str:project_key>/dashboard", dashboard.project_dashboard, name="project_dashboard"),
    # milestones.py: a project's milestones, their progress and issues
    path("p/<str:project_key>/fields", custom_fields.fields_page, name="custom_fields"),
    path("p/<str:project_key>/milestones", milestones.milestones, name="milestones"),
    path("p/<str:project_key>/milestones/<path:name>", milestones.milestone, name="milestone"),
    # rules.py, rule_form.py, rule_runs.py: automation rules (a project's, or the global ones)
    path("p/<str:project_key>/rules", rules.rules_page, name="project_rules"),
    path("p/<str:project_key>/rules/new", rule_form.rule_form, name="project_rule_new"),
    path(
        "p/<str:project_key>/rules/<int:rule_id>/edit",
        rule_form.rule_form,
        name="project_rule_edit",
    ),
    path(
        "p/<str:project_key>/rules/<int:rule_id>/runs",
        rule_runs.rule_runs,
        name="project_rule_runs",
    ),
    path("settings/rules", rules.rules_page, name="rules"),
    # mail_quarantine.py: mail that arrived and was not taken in (admins)
    path("settings/mail/quarantine", mail_quarantine.quarantine, name="mail_quarantine"),
    path(
        "settings/mail/quarantine/<int:entry_id>",
        mail_quarantine.quarantined_message,
        name="mail_message",
    ),
    # import_page.py: imports from other trackers (site admins), run by the worker
    path("settings/import", import_page.import_page, name="import"),
    path("settings/import/<int:run_id>", import_page.import_run, name="import_run"),
    path("settings/import/claim", import_page.claim_placeholder, name="import_claim"),
    path("settings/rules/new", rule_form.rule_form, name="rule_new"),
    path("settings/rules/<int:rule_id>/edit", rule_form.rule_form, name="rule_edit"),
    path("settings/rules/<int:rule_id>/runs", rule_runs.rule_runs, name="rule_runs"),
    # repositories.py: a project's connected repositories and their delivery logs
    path(
        "p/<str:project_key>/repositories", repositories.project_repositories, name="repositories"
    ),
    path(
        "p/<str:project_key>/repositories/<int:repository_id>",
        repositories.repository_detail,
        name="repository",
    ),
    # webhooks.py: a project's outbound webhooks and their delivery logs
    path("p/<str:project_key>/webhooks", webhooks.project_webhooks, name="webhooks"),
    path("p/<str:project_key>/webhooks/<int:hook_id>", webhooks.webhook_detail, name="webhook"),
    # palette.py: the command palette's results (Ctrl/Cmd-K)
    path("palette", palette.results, name="palette"),
    # issue_list.py: lists, search, query help, bulk edit
    path("issues/", issue_list.all_issues, name="issues"),
    path("p/<str:project_key>/", issue_list.project_issues, name="project_issues"),
    path("teams/<slug:slug>", issue_list.team_queue, name="team_queue"),
    path("search", issue_list.search, name="search"),
    path("issues/suggest", issue_list.suggest, name="suggest"),
    path("issues/query-help", issue_list.query_help, name="query_help"),
    path("issues/bulk", issue_list.bulk_edit, name="bulk_edit"),
    # export.py: the lists' downloads (CSV, JSON Lines), streamed
    path("issues/export", export.export_issues, name="export_issues"),
    path("p/<str:project_key>/export", export.export_project, name="export_project"),
    path("issues/bulk-choices", issue_list.bulk_choices, name="bulk_choices"),
    path("issues/filters", issue_list.save_filter, name="save_filter"),
    path("issues/filters/<int:filter_id>/delete", issue_list.delete_filter, name="delete_filter"),
    # issue_create.py
    path("issues/new", issue_create.create_issue_any, name="create_issue_any"),
    path("p/<str:project_key>/new", issue_create.create_issue, name="create_issue"),
    path("issues/preview", issue_create.preview, name="markdown_preview"),
    # board.py
    path("p/<str:project_key>/board", board.project_board, name="board"),
    path("p/<str:project_key>/board/move", board.move, name="board_move"),
    path("filters/<int:filter_id>/board", board.filter_board, name="filter_board"),
    # live.py: server-sent events
    path("live", live.stream, name="live"),
    # issue_fields.py, issue_comments.py, issue_transitions.py, issue_page.py: one issue's
    # partials and endpoints
    re_path(
        rf"^{ISSUE_KEY}/fields/(?P<name>[a-z_]{{1,30}})$", issue_fields.field, name="issue_field"
    ),
    re_path(rf"^{ISSUE_KEY}/watch$", issue_page.watch, name="issue_watch"),
    re_path(rf"^{ISSUE_KEY}/mute$", notification_settings.mute_issue, name="issue_mute"),
    re_path(rf"^{ISSUE_KEY}/timeline$", issue_page.timeline, name="issue_timeline"),
    re_path(rf"^{ISSUE_KEY}/transitions$", issue_transitions.transitions, name="issue_transitions"),
    re_path(rf"^{ISSUE_KEY}/comments$", issue_comments.add_comment, name="issue_comments"),
    re_path(
        rf"^{ISSUE_KEY}/comments/(?P<comment_id>[1-9][0-9]{{0,17}})$",
        issue_comments.comment,
        name="issue_comment",
    ),
    re_path(
        rf"^{ISSUE_KEY}/comments/(?P<comment_id>[1-9][0-9]{{0,17}})/delete$",
        issue_comments.delete_comment,
        name="issue_comment_delete",
    ),
    re_path(rf"^{ISSUE_KEY}/people$", issue_comments.people, name="issue_people"),
    # attachments.py: the issue page's attachments (downloads are the API's)
    re_path(rf"^{ISSUE_KEY}/attachments$", attachments.issue_attachments, name="issue_attachments"),
    re_path(
        rf"^{ISSUE_KEY}/attachments/(?P<attachment_id>[1-9][0-9]{{0,17}})/delete$",
        attachments.delete_attachment,
        name="issue_attachment_delete",
    ),
    re_path(rf"^{ISSUE_KEY}/preview$", issue_comments.preview, name="issue_preview"),
    # issue_links.py: links and the parent (the section is issue_structure.py)
    re_path(rf"^{ISSUE_KEY}/links$", issue_links.add_link, name="issue_links"),
    re_path(
        rf"^{ISSUE_KEY}/links/(?P<link_id>[1-9][0-9]{{0,17}})/delete$",
        issue_links.remove_link,
        name="issue_link_delete",
    ),
    re_path(rf"^{ISSUE_KEY}/parent$", issue_links.set_parent, name="issue_parent"),
    re_path(rf"^{ISSUE_KEY}/lookup$", issue_links.lookup_issues, name="issue_lookup"),
    # issue_work.py: custom fields and time
    re_path(
        rf"^{ISSUE_KEY}/custom-fields$", issue_work.save_custom_fields, name="issue_custom_fields"
    ),
    re_path(rf"^{ISSUE_KEY}/worklog$", issue_work.log_time, name="issue_worklog"),
    re_path(
        rf"^{ISSUE_KEY}/worklog/(?P<entry_id>[1-9][0-9]{{0,17}})/delete$",
        issue_work.delete_time,
        name="issue_worklog_delete",
    ),
    # issue_page.py: one issue (keep last: the key pattern is the most general)
    re_path(rf"^{ISSUE_KEY}$", issue_page.issue_page, name="issue"),
]
