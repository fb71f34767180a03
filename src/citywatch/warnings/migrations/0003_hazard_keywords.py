from django.db import migrations, models


def keywords(apps, schema_editor):
    from citywatch.warnings.hazards import KEYWORDS

    HazardType = apps.get_model("warnings", "HazardType")
    for code, words in KEYWORDS.items():
        HazardType.objects.filter(code=code, keywords="").update(keywords=words)


class Migration(migrations.Migration):
    dependencies = [("warnings", "0002_hazard_types")]

    operations = [
        migrations.AddField(
            model_name="hazardtype",
            name="keywords",
            field=models.CharField(blank=True, max_length=300, verbose_name="keywords"),
        ),
        migrations.RunPython(keywords, migrations.RunPython.noop),
    ]
