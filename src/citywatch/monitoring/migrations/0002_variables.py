"""The variable catalogue every feed starts from (codes used by feeds, files and rules)."""

from django.db import migrations

VARIABLES = [
    # code, Chinese name, English name, unit, valid min, valid max, decimals
    ("rain", "降雨量", "Rainfall", "mm", 0.0, 500.0, 1),
    ("water_level", "水位", "Water level", "m", -100.0, 3000.0, 2),
    ("wind_speed", "风速", "Wind speed", "m/s", 0.0, 100.0, 1),
    ("wind_gust", "阵风", "Wind gust", "m/s", 0.0, 120.0, 1),
    ("temperature", "气温", "Temperature", "℃", -50.0, 60.0, 1),
    ("displacement", "位移", "Displacement", "mm", -5000.0, 5000.0, 1),
    ("gas", "可燃气体浓度", "Combustible gas", "%LEL", 0.0, 100.0, 1),
    ("tide_level", "潮位", "Tide level", "m", -10.0, 15.0, 2),
]


def seed(apps, schema_editor):
    Variable = apps.get_model("monitoring", "Variable")
    for code, zh, en, unit, lo, hi, decimals in VARIABLES:
        Variable.objects.update_or_create(
            code=code,
            defaults={"name_zh": zh, "name_en": en, "unit": unit, "valid_min": lo, "valid_max": hi,
                      "decimals": decimals},
        )  # fmt: skip


def unseed(apps, schema_editor):
    apps.get_model("monitoring", "Variable").objects.filter(code__in=[v[0] for v in VARIABLES]).delete()


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
