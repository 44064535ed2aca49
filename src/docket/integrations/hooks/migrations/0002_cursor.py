from django.db import migrations


def start(apps, schema_editor):
    """The consumer starts at the end of the log: history from before it queues nothing."""
    from docket.worker.consumers import start_cursor

    start_cursor("hooks")


class Migration(migrations.Migration):
    dependencies = [
        ("integrations_hooks", "0001_initial"),
        ("worker", "0002_redisjob"),
    ]

    operations = [migrations.RunPython(start, migrations.RunPython.noop)]
