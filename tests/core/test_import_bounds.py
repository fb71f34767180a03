"""`citywatch import areas` within the import bounds: coordinates counted before the JSON is parsed,
features, CSV rows and cells; a file over a bound is refused with a translated message, never a crash,
and nothing is written."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from citywatch.core.models import AdminArea

pytestmark = pytest.mark.django_db


def run_failing(path):
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import", "areas", str(path), stdout=io.StringIO(), stderr=err)
    return [line for line in err.getvalue().splitlines() if line.startswith("error:")]


def ring(n):
    """A closed ring of ``n`` vertices around a point of 思明区."""
    import math

    points = [
        [118.1 + 0.01 * math.cos(2 * math.pi * k / n), 24.48 + 0.01 * math.sin(2 * math.pi * k / n)]
        for k in range(n)
    ]
    return points + [points[0]]


def area_feature(code, vertices):
    return {
        "type": "Feature",
        "properties": {"code": code, "name": "边界测试", "parent_code": "350203"},
        "geometry": {"type": "Polygon", "coordinates": [ring(vertices)]},
    }


def test_boundary_vertices_are_counted_before_parsing(tmp_path, settings):
    settings.CITYWATCH_IMPORT_MAX_VERTICES = 1000
    path = tmp_path / "big.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [area_feature("350203998", 5000)]}))
    before = AdminArea.objects.count()
    assert run_failing(path) == [
        "error: big.geojson: 文件中的坐标、列表或对象超过 1,000 个；请简化几何图形或拆分文件"
    ]
    assert AdminArea.objects.count() == before
    # Under the bound the same boundary imports.
    settings.CITYWATCH_IMPORT_MAX_VERTICES = 10_000
    call_command("import", "areas", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert AdminArea.objects.get(code="350203998").boundary.num_coords == 5001


def test_feature_count_is_bounded(tmp_path, settings):
    settings.CITYWATCH_IMPORT_MAX_ROWS = 3
    features = [area_feature(f"35020399{n}", 4) for n in range(5)]
    path = tmp_path / "many.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    assert run_failing(path) == ["error: many.geojson: 超过 3 个要素，请拆分文件"]
    assert not AdminArea.objects.filter(code__startswith="35020399").exists()


def test_giant_csv_cell_is_a_problem_not_a_crash(tmp_path):
    path = tmp_path / "giant.csv"
    path.write_text(
        "code,name,level,parent_code\n350203997," + "街" * 300_000 + ",street,350203\n", encoding="utf-8"
    )
    assert run_failing(path) == ["error: giant.csv: 有单元格超过 100,000 个字符"]
    assert not AdminArea.objects.filter(code="350203997").exists()


def test_csv_rows_stop_at_the_limit(tmp_path, settings):
    settings.CITYWATCH_IMPORT_MAX_ROWS = 10
    lines = ["code,name,level,parent_code"] + [f"3502039{n:02d},街道{n},street,350203" for n in range(50, 80)]
    path = tmp_path / "rows.csv"
    # What lies after the limit (a cell no reader accepts) is never read.
    path.write_text("\n".join(lines) + "\n" + "x" * 200_000 + "\n", encoding="utf-8")
    assert run_failing(path) == ["error: rows.csv: 超过 10 行（空行也计入）；请删除空行或拆分文件"]
    assert not AdminArea.objects.filter(code="350203950").exists()
