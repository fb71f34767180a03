"""Observations keep their station and variable without database foreign keys.

The ingestion resolves every reading's station and variable itself (in its transaction), so the two
constraints only re-checked, at every commit, what had just been checked: on PostgreSQL two deferred
trigger lookups per reading, as long as the insert itself (docs/performance.md). Deleting a station or a
variable through Django still cascades to (station) or is refused by (variable) its readings: Django's
deletion collector does that, not the database."""

import django.db.models.deletion
from django.db import migrations, models

CONSTRAINTS = {
    "monitoring_observation_station_id_fkey": ("station_id", "monitoring_station"),
    "monitoring_observation_variable_id_fkey": ("variable_id", "monitoring_variable"),
}


def drop(apps, schema_editor):
    # PostgreSQL: the partitioned table is migration 0001's SQL, so its constraints are dropped by name
    if schema_editor.connection.vendor == "postgresql":
        for name in CONSTRAINTS:
            schema_editor.execute(f"ALTER TABLE monitoring_observation DROP CONSTRAINT IF EXISTS {name}")


def restore(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, (column, table) in CONSTRAINTS.items():
            schema_editor.execute(
                f"ALTER TABLE monitoring_observation ADD CONSTRAINT {name} FOREIGN KEY ({column}) "
                f"REFERENCES {table} (id) DEFERRABLE INITIALLY DEFERRED"
            )


class AlterFieldElsewhere(migrations.AlterField):
    """``AlterField`` whose table change runs on SQLite only (the plain table, rebuilt by the schema
    editor); on PostgreSQL ``drop`` has done it."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0002_variables")]

    operations = [
        migrations.RunPython(drop, restore, elidable=False),
        AlterFieldElsewhere(
            model_name="observation",
            name="station",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="monitoring.station",
                verbose_name="station",
            ),
        ),
        AlterFieldElsewhere(
            model_name="observation",
            name="variable",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="monitoring.variable",
                verbose_name="variable",
            ),
        ),
    ]
