"""Disk per issue (issue 20), two parts:

1. Single-column indexes of foreign keys that another index already starts with (named beside
   each field in models.py; for the label and component links, their unique pair) are dropped:
   ~200 bytes an issue on the bench dataset. The state only learns `db_index=False`; the
   database drops the index by name (Django names them alike on SQLite and PostgreSQL), so
   SQLite does not copy the whole table to drop an index.
2. The full-text index stops keeping a copy of every title, description and comment (~825
   bytes an issue on SQLite): it reads them from the view `issue_search_text`
   (issues/search_index.py), an external-content FTS5 table on SQLite with triggers that keep it
   in step, and tsvectors made from the view on PostgreSQL. Rebuilt from the rows.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

DROPPED = (
    "issues_comment_issue_id_ea7f321f",
    "issues_issue_assignee_id_a39069db",
    "issues_issue_parent_id_d1b8b4c3",
    "issues_issue_project_id_4b0f3e2f",
    "issues_issue_reporter_id_0b69a16d",
    "issues_issue_team_id_d711d03f",
    "issues_issueevent_issue_id_898f8eb2",
    "issues_watch_issue_id_bf5d9255",
    "issues_watch_user_id_179c04a8",
    "issues_issue_labels_issue_id_e7d458a1",
    "issues_issue_components_issue_id_f66defdf",
)
RECREATED = {  # for going back
    "issues_comment_issue_id_ea7f321f": ("issues_comment", "issue_id"),
    "issues_issue_assignee_id_a39069db": ("issues_issue", "assignee_id"),
    "issues_issue_parent_id_d1b8b4c3": ("issues_issue", "parent_id"),
    "issues_issue_project_id_4b0f3e2f": ("issues_issue", "project_id"),
    "issues_issue_reporter_id_0b69a16d": ("issues_issue", "reporter_id"),
    "issues_issue_team_id_d711d03f": ("issues_issue", "team_id"),
    "issues_issueevent_issue_id_898f8eb2": ("issues_issueevent", "issue_id"),
    "issues_watch_issue_id_bf5d9255": ("issues_watch", "issue_id"),
    "issues_watch_user_id_179c04a8": ("issues_watch", "user_id"),
    "issues_issue_labels_issue_id_e7d458a1": ("issues_issue_labels", "issue_id"),
    "issues_issue_components_issue_id_f66defdf": ("issues_issue_components", "issue_id"),
}
VENDORS = ("sqlite", "postgresql")


def text_from_view(apps, schema_editor):
    from docket.issues.search_index import (
        STORED_INDEX,
        drop_view_and_triggers,
        rebuild_search_index,
    )
    from docket.query.search import backend_for

    connection = schema_editor.connection
    if connection.vendor in VENDORS:
        backend_for(STORED_INDEX, connection).drop()
        rebuild_search_index(
            issue_model=apps.get_model("issues", "Issue"),
            comment_model=apps.get_model("issues", "Comment"),
            using=connection.alias,
        )
        # Until the end of `migrate` (a later migration may copy issues_issue, which SQLite
        # refuses while a view names it): search_index.after_migrate puts them back.
        drop_view_and_triggers(connection)


def text_stored(apps, schema_editor):
    from docket.issues.search_index import STORED_INDEX, drop_index, rebuild_search_index

    connection = schema_editor.connection
    if connection.vendor in VENDORS:
        drop_index(connection)
        rebuild_search_index(
            issue_model=apps.get_model("issues", "Issue"),
            comment_model=apps.get_model("issues", "Comment"),
            using=connection.alias,
            spec=STORED_INDEX,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_user_contact"),
        ("issues", "0019_subtask_index"),
        ("projects", "0006_milestone_start_date"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    [f"DROP INDEX IF EXISTS {name}" for name in DROPPED],
                    [
                        f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({column})"
                        for name, (table, column) in RECREATED.items()
                    ],
                )
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="comment",
                    name="issue",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="comments",
                        to="issues.issue",
                    ),
                ),
                migrations.AlterField(
                    model_name="issue",
                    name="assignee",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="assigned_issues",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="issue",
                    name="parent",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="children",
                        to="issues.issue",
                    ),
                ),
                migrations.AlterField(
                    model_name="issue",
                    name="project",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="issues",
                        to="projects.project",
                    ),
                ),
                migrations.AlterField(
                    model_name="issue",
                    name="reporter",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="reported_issues",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="issue",
                    name="team",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="issues",
                        to="accounts.team",
                    ),
                ),
                migrations.AlterField(
                    model_name="issueevent",
                    name="issue",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="issues.issue",
                    ),
                ),
                migrations.AlterField(
                    model_name="watch",
                    name="issue",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="watches",
                        to="issues.issue",
                    ),
                ),
                migrations.AlterField(
                    model_name="watch",
                    name="user",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="watches",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
        migrations.RunPython(text_from_view, text_stored),
    ]
