from django.db import migrations


def seed(apps, schema_editor):
    from citywatch.warnings.hazards import seed as seed_hazards

    seed_hazards(apps.get_model("warnings", "HazardType"), apps.get_model("warnings", "Guidance"))


class Migration(migrations.Migration):
    dependencies = [("warnings", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
