# Roll-ups format 2 (rollup.FORMAT): confidential issues' tallies are mirrored under
# -project_id. The workflow signature includes the format, so roll-ups built before are
# unused (dashboards count directly) until the rebuild the next event batch asks for.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0002_rebuild_requested"),
    ]

    operations = [
        migrations.AddField(
            model_name="rollupissue",
            name="confidential",
            field=models.BooleanField(default=False),
        ),
    ]
