"""`citywatch import areas`: repairs, idempotence, all-or-nothing, clear messages."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from citywatch.core.models import AdminArea, ObjectChange
from citywatch.demo.loader import AREA_FILES, DATA

pytestmark = pytest.mark.django_db


def run_import(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import", "areas", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_failing(*args):
    err = io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("import", "areas", *map(str, args), stdout=io.StringIO(), stderr=err)
    return str(excinfo.value), err.getvalue()


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_demo_boundaries_were_repaired_and_are_valid():
    districts = AdminArea.objects.filter(level="district")
    assert districts.count() == 6
    for d in districts:
        assert d.boundary is not None and d.boundary.valid, d
        assert d.boundary.contains(d.point)


def test_repairs_are_reported_and_second_import_changes_nothing():
    before = ObjectChange.objects.count()
    out, _ = run_import(*(DATA / name for name in AREA_FILES))
    assert out.count("已修复无效边界") == 6
    assert "新建 0 条，更新 0 条，未变 616 条" in out
    assert ObjectChange.objects.count() == before
    assert AdminArea.objects.count() == 616


def test_unknown_parent_rejects_the_whole_file(tmp_path):
    path = write(
        tmp_path,
        "streets.csv",
        "code,name,level,parent_code\n350203900,新街道,street,350203\n350299901,孤儿街道,street,350299\n",
    )
    before = AdminArea.objects.count()
    message, err = run_failing(path)
    assert "未写入任何数据" in message
    assert "streets.csv:3 [parent_code]" in err and "未知上级代码 350299" in err
    assert AdminArea.objects.count() == before
    assert not AdminArea.objects.filter(code="350203900").exists()


def test_each_problem_is_one_line_with_row_and_column(tmp_path):
    path = write(
        tmp_path,
        "bad.csv",
        "code,name,level,parent_code\n"
        "35020X,坏代码,district,350200\n"
        "350203901,,street,350203\n"
        "350203902,层级错误,district,350200\n"
        "350203903,重复,street,350203\n"
        "350203903,重复,street,350203\n"
        "350203904,太深,street,350203001\n",
    )
    _, err = run_failing(path)
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 5, err
    assert any("bad.csv:2 [code]" in line and "不是数字" in line for line in lines)
    assert any("bad.csv:3 [name]" in line for line in lines)
    assert any("bad.csv:4 [level]" in line and "因此级别是 street" in line for line in lines)
    assert any("bad.csv:6 [code]" in line and "出现了两次" in line for line in lines)
    assert any("bad.csv:7 [parent_code]" in line and "不能隶属于" in line for line in lines)


def test_parent_may_come_from_another_file_in_the_same_import(tmp_path):
    district = write(tmp_path, "d.csv", "code,name,level,parent_code\n350299,新区,district,350200\n")
    street = write(tmp_path, "s.csv", "code,name,areaCode\n350299001,新区街道,350299\n")
    out, _ = run_import(street, district)
    assert "新建 2 条" in out
    area = AdminArea.objects.get(code="350299001")
    assert area.level == "street" and area.parent.code == "350299"
    assert area.path == "350200.350299.350299001."


def test_update_is_logged_with_before_and_after(tmp_path):
    path = write(
        tmp_path, "rename.csv", "code,name,level,parent_code\n350203001,厦港街道（新）,street,350203\n"
    )
    out, _ = run_import(path)
    assert "更新 1 条" in out
    change = ObjectChange.objects.filter(object_repr__contains="厦港街道（新）").get()
    assert change.action == "update" and change.source == "cli"
    assert change.before["name"] == "厦港街道" and change.after["name"] == "厦港街道（新）"
    assert change.changed_fields() == ["name"]


def test_dry_run_writes_nothing(tmp_path):
    path = write(tmp_path, "new.csv", "code,name,level,parent_code\n350203950,试运行,street,350203\n")
    before = ObjectChange.objects.count()
    out, _ = call_and_capture("--dry-run", path)
    assert "将新建 1 条" in out
    assert not AdminArea.objects.filter(code="350203950").exists()
    assert ObjectChange.objects.count() == before


def call_and_capture(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import", "areas", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_point_in_gcj02_is_stored_as_wgs84(tmp_path):
    # A point given in GCJ-02 is shifted by a few hundred metres on the way in.
    path = write(
        tmp_path,
        "p.csv",
        "code,name,level,parent_code,lon,lat\n350203960,坐标,street,350203,118.0894,24.4798\n",
    )
    call_and_capture("--crs", "gcj02", path)
    point = AdminArea.objects.get(code="350203960").point
    from citywatch.geo.crs import wgs84_to_gcj02

    back = wgs84_to_gcj02(point.x, point.y)
    assert abs(back[0] - 118.0894) < 1e-7 and abs(back[1] - 24.4798) < 1e-7
    # In Xiamen GCJ-02 lies about 500 m east and 290 m south of WGS-84.
    assert 0.004 < 118.0894 - point.x < 0.006
    assert 0.002 < point.y - 24.4798 < 0.004


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("areas.txt", "code,name\n", "不支持的文件类型 .txt"),
        ("areas.geojson", "{not json", "不是有效的 GeoJSON"),
        ("areas.geojson", '{"type": "Feature"}', "不是 GeoJSON FeatureCollection"),
        ("areas.csv", "id,title\n1,x\n", "需要 code 和 name 两列"),
        (
            "areas.csv",
            "code,name,level,parent_code,lon,lat\n350203970,x,street,350203,500,24\n",
            "不是有效的经纬度",
        ),
        (
            "areas.geojson",
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "properties": {"code": "350299", "name": "x", "parent_code": "350200"},
                            "geometry": {"type": "LineString", "coordinates": [[118, 24], [118.1, 24.1]]},
                        }
                    ],
                }
            ),
            "不是多边形边界",
        ),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(tmp_path, name, content, expected):
    path = write(tmp_path, name, content)
    before = AdminArea.objects.count()
    _, err = run_failing(path)
    assert expected in err
    assert AdminArea.objects.count() == before


def test_missing_file(tmp_path):
    _, err = run_failing(tmp_path / "nope.csv")
    assert "文件不存在" in err


def test_file_over_the_size_limit_is_refused(tmp_path, settings):
    settings.CITYWATCH_MAX_IMPORT_BYTES = 100
    path = write(tmp_path, "big.csv", "code,name\n" + "350203001,x\n" * 20)
    _, err = run_failing(path)
    assert "超过大小上限" in err


def test_moving_an_area_moves_its_subtree(tmp_path):
    # Move 厦港街道 (with its communities) under 湖里区: every descendant's path follows.
    path = write(tmp_path, "move.csv", "code,name,level,parent_code\n350203001,厦港街道,street,350206\n")
    run_import(path)
    street = AdminArea.objects.get(code="350203001")
    assert street.path == "350200.350206.350203001."
    communities = AdminArea.objects.filter(parent=street)
    assert communities.exists()
    assert all(c.path.startswith("350200.350206.350203001.") for c in communities)
