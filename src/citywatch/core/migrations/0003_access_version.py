"""The access version (``AccessVersion``): one row, raised by every write to users, API tokens, roles and
areas, so processes know when the credentials they keep (``core.credentials``) are stale."""

from django.db import migrations, models


def first_row(apps, schema_editor):
    apps.get_model("core", "AccessVersion").objects.using(schema_editor.connection.alias).get_or_create(
        pk=1, defaults={"value": 0}
    )


class Migration(migrations.Migration):
    dependencies = [("core", "0002_user_passwords")]

    operations = [
        migrations.CreateModel(
            name="AccessVersion",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ("value", models.BigIntegerField(default=0)),
            ],
            options={"verbose_name": "access version"},
        ),
        migrations.RunPython(first_row, migrations.RunPython.noop),
    ]
