"""PostgreSQL's full-text tables keep each issue's project beside its tsvector, so a search
within a project reads that project's part of the index (issues/search_index.py). SQLite's
FTS5 index is unchanged; its view gains the column, which FTS5 does not read."""

from django.db import migrations


def add(apps, schema_editor):
    from docket.issues.search_index import add_project_to_index

    add_project_to_index(schema_editor.connection)


def remove(apps, schema_editor):
    from docket.issues.search_index import remove_project_from_index

    remove_project_from_index(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("issues", "0021_foreign_keys_without_lone_indexes")]

    operations = [migrations.RunPython(add, remove)]
