from django.db import migrations


def seed(apps, schema_editor):
    from citywatch.warnings.hazards import HAZARDS, guidance_rows

    HazardType = apps.get_model("warnings", "HazardType")
    Guidance = apps.get_model("warnings", "Guidance")
    by_code = {}
    for code, name, name_en, category, computed, order in HAZARDS:
        by_code[code], _ = HazardType.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "category": category,
                "computed": computed,
                "order": order,
            },
        )
    for code, level, text, text_en in guidance_rows():
        Guidance.objects.get_or_create(
            hazard=by_code[code], level=level, defaults={"instructions": text, "instructions_en": text_en}
        )


class Migration(migrations.Migration):
    dependencies = [("warnings", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
