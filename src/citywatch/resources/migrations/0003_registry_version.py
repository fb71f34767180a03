"""The registry's version number (``RegistryVersion``): one row, raised by every write to the registry,
so processes know when what they derived from it (the nearby analysis' candidates) is stale."""

from django.db import migrations, models


def first_row(apps, schema_editor):
    apps.get_model("resources", "RegistryVersion").objects.using(
        schema_editor.connection.alias
    ).get_or_create(pk=1, defaults={"value": 0})


class Migration(migrations.Migration):
    dependencies = [("resources", "0002_external_ids")]

    operations = [
        migrations.CreateModel(
            name="RegistryVersion",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ("value", models.BigIntegerField(default=0)),
            ],
            options={"verbose_name": "registry version"},
        ),
        migrations.RunPython(first_row, migrations.RunPython.noop),
    ]
