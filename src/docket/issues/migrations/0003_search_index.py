"""The full-text index of issues: an FTS5 virtual table on SQLite, tsvector tables with GIN
indexes on PostgreSQL (docket.query.search), filled from the existing issues and comments.
Other databases get no index (text search then fails at query time)."""

from django.db import migrations

VENDORS = ("sqlite", "postgresql")


def create_and_fill(apps, schema_editor):
    from docket.issues.search_index import STORED_INDEX, rebuild_search_index

    if schema_editor.connection.vendor in VENDORS:  # the index as it was (0020 changes it)
        rebuild_search_index(
            issue_model=apps.get_model("issues", "Issue"),
            comment_model=apps.get_model("issues", "Comment"),
            using=schema_editor.connection.alias,
            spec=STORED_INDEX,
        )


def drop(apps, schema_editor):
    from docket.issues.search_index import STORED_INDEX
    from docket.query.search import backend_for

    if schema_editor.connection.vendor in VENDORS:
        backend_for(STORED_INDEX, schema_editor.connection).drop()


class Migration(migrations.Migration):
    dependencies = [("issues", "0002_saved_filters")]

    operations = [migrations.RunPython(create_and_fill, drop)]
