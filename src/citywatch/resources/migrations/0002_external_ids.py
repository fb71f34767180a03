"""Every resource record gets an external id (its stable identity in exchange files): records saved
before CityWatch generated them get one now, as ``Resource.save`` gives new ones."""

import secrets

from django.db import migrations

MODELS = ("RescueTeam", "MedicalFacility", "Facility", "Shelter", "Expert", "DutyPerson", "Depot")


def fill(apps, schema_editor):
    for name in MODELS:
        model = apps.get_model("resources", name)
        for pk in model.objects.filter(external_id__isnull=True).values_list("pk", flat=True).iterator():
            model.objects.filter(pk=pk).update(external_id="cw-" + secrets.token_hex(8))
        for pk in model.objects.filter(external_id="").values_list("pk", flat=True).iterator():
            model.objects.filter(pk=pk).update(external_id="cw-" + secrets.token_hex(8))


class Migration(migrations.Migration):
    dependencies = [("resources", "0001_initial")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
