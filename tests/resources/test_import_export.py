"""Bulk import and export of resources: `citywatch import <kind>`, `citywatch export <kind>` and the API.

All or nothing, one line per problem with row and column, upserts by external id, jurisdiction on the
way in and on the way out, formula neutralisation, GeoPackage that ogrinfo opens.
"""

import csv
import io
import json
import shutil
import subprocess
import time
import zipfile

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from citywatch.core.models import AdminArea, ObjectChange
from citywatch.geo import crs as crslib
from citywatch.resources import exchange
from citywatch.resources.importers import import_file
from citywatch.resources.kinds import KINDS
from citywatch.resources.models import (
    DutyPerson,
    Expert,
    ExpertCategory,
    Facility,
    RescueTeam,
    Shelter,
    SupplyItem,
)
from tests.support.files import HULI_PT, SHELTER_HEADER, shelter_rows, siming_places, write_csv, write_xlsx

pytestmark = pytest.mark.django_db


def run_import(kind, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import", kind, *map(str, args), stdout=out, stderr=err)
    return out.getvalue()


def run_failing(kind, *args):
    err = io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("import", kind, *map(str, args), stdout=io.StringIO(), stderr=err)
    return str(excinfo.value), [line for line in err.getvalue().splitlines() if line.startswith("error:")]


def run_export(kind, path, *args):
    call_command("export", kind, str(path), *map(str, args), stdout=io.StringIO())
    return path


def upload(client, kind, name, data, **form):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(f"/api/v1/resources/{kind}/import", {"file": SimpleUploadedFile(name, data), **form})


# --- the "done when" list -------------------------------------------------------------------------


def test_thousand_shelters_three_bad_rows_then_fixed_then_unchanged(tmp_path, django_assert_max_num_queries):
    rows = shelter_rows(1000)
    good = [list(r) for r in rows]
    rows[10][6] = -5  # negative capacity (spreadsheet row 12)
    rows[500][2], rows[500][3] = rows[500][3], rows[500][2]  # lon and lat swapped (row 502)
    rows[998][4] = "350299999"  # unknown area code (row 1000)
    path = write_xlsx(tmp_path / "shelters.xlsx", SHELTER_HEADER, rows)
    before = (Shelter.objects.count(), ObjectChange.objects.count())

    message, lines = run_failing("shelters", path)
    assert "发现 3 个问题" in message and "未写入任何数据" in message
    assert len(lines) == 3, lines
    assert lines[0].startswith("error: shelters.xlsx:12 [capacity]: ") and "不能为负数" in lines[0]
    assert lines[1].startswith("error: shelters.xlsx:502 [lat]: ") and "填反了" in lines[1]
    assert lines[2].startswith("error: shelters.xlsx:1000 [area_code]: ") and "未知区划代码" in lines[2]
    assert (Shelter.objects.count(), ObjectChange.objects.count()) == before

    write_xlsx(path, SHELTER_HEADER, good)
    started = time.monotonic()
    out = run_import("shelters", path)
    elapsed = time.monotonic() - started
    print(f"1,000 shelters imported in {elapsed:.2f}s")
    assert "shelters：新建 1000 条，更新 0 条，未变 0 条" in out
    assert elapsed < 20, f"1,000 rows took {elapsed:.1f}s"
    assert Shelter.objects.filter(external_id__startswith="SH-").count() == 1000
    one = Shelter.objects.get(external_id="SH-0007")
    assert one.capacity == 107 and one.facilities == ["toilets", "water"] and one.input_crs == "wgs84"
    assert one.area.code == good[7][4]

    changes = ObjectChange.objects.count()
    # Nothing per row: one look-up of existing records, and one boundary look-up per distinct area
    # (110 here; Context caches them).
    with django_assert_max_num_queries(len({r[4] for r in good}) + 20):
        out = run_import("shelters", path)
    assert "shelters：新建 0 条，更新 0 条，未变 1000 条" in out
    assert ObjectChange.objects.count() == changes


def test_siming_export_holds_only_siming(tmp_path, siming):
    rows = shelter_rows(3, "SM")
    rows.append(["HL-1", "湖里避难点", *HULI_PT, "350206", "disaster_point", 50, "", "open", ""])
    run_import("shelters", write_csv(tmp_path / "both.csv", SHELTER_HEADER, rows))

    path = run_export("shelters", tmp_path / "siming.csv", "--user", "siming_officer")
    exported = list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
    ids = {r["external_id"] for r in exported}
    assert {"SM-0000", "SM-0001", "SM-0002"} <= ids and "HL-1" not in ids
    paths = dict(AdminArea.objects.values_list("code", "path"))
    assert all(paths[r["area_code"]].startswith("350200.350203.") for r in exported)
    assert len(exported) == Shelter.objects.filter(area__path__startswith="350200.350203.").count()

    r = siming.get("/api/v1/resources/shelters/export", {"format": "geojson"})
    assert r.status_code == 200 and r["Content-Disposition"].startswith('attachment; filename="shelters-')
    features = json.loads(r.content)["features"]
    assert len(features) == len(exported) and "HL-1" not in {f["properties"]["external_id"] for f in features}
    assert not [f for f in features if paths[f["properties"]["area_code"]].startswith("350200.350206.")]

    everything = run_export("shelters", tmp_path / "all.csv")
    assert "湖里避难点" in everything.read_bytes().decode("utf-8-sig")


def test_geopackage_opens_with_ogrinfo(tmp_path):
    if shutil.which("ogrinfo") is None:
        pytest.skip("gdal-bin (ogrinfo) is not installed")
    rows = shelter_rows(5, "GP")
    rows[0][1] = '鼓浪屿避难点 "引号"'
    run_import("shelters", write_csv(tmp_path / "in.csv", SHELTER_HEADER, rows))
    path = run_export("shelters", tmp_path / "shelters.gpkg")

    summary = subprocess.run(
        ["ogrinfo", "-ro", "-so", "-al", str(path)], capture_output=True, text=True, check=True
    )
    assert summary.stderr.strip() == "", summary.stderr
    assert "Layer name: shelters" in summary.stdout
    assert (
        "Geometry: Point" in summary.stdout and f"Feature Count: {Shelter.objects.count()}" in summary.stdout
    )
    assert "WGS 84" in summary.stdout
    for column in [
        "external_id: String",
        "name: String",
        "lon: Real",
        "lat: Real",
        "area_code: String",
        "capacity: Integer",
        "demonstration: Integer(Boolean)",
        "facilities: String",
    ]:
        assert column in summary.stdout, column

    features = subprocess.run(
        ["ogrinfo", "-ro", "-al", "-q", str(path)], capture_output=True, text=True, check=True
    )
    assert '鼓浪屿避难点 "引号"' in features.stdout
    assert "external_id (String) = GP-0001" in features.stdout
    assert "POINT (" in features.stdout

    # A kind without a place is an attributes table; an empty export keeps its columns.
    SupplyItem.objects.create(code="TENT-1", name="帐篷", category="shelter", unit="顶")
    items = subprocess.run(
        ["ogrinfo", "-ro", "-so", "-al", str(run_export("supply-items", tmp_path / "i.gpkg"))],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Geometry: None" in items.stdout and items.stderr.strip() == ""
    assert f"Feature Count: {SupplyItem.objects.count()}" in items.stdout
    # team_leader may not view experts: an empty layer, with its columns.
    empty = run_export("experts", tmp_path / "e.gpkg", "--user", "team_leader")
    empty = subprocess.run(
        ["ogrinfo", "-ro", "-so", "-al", str(empty)], capture_output=True, text=True, check=True
    )
    assert (
        "Feature Count: 0" in empty.stdout
        and "category: String" in empty.stdout
        and empty.stderr.strip() == ""
    )


# --- round trips ----------------------------------------------------------------------------------


def _variety(tmp_path):
    """Shelters with lists, formula-looking text, newlines, empty cells and a GCJ-02 point."""
    rows = shelter_rows(4, "RT")
    rows[0][1] = '=HYPERLINK("http://evil","点我")'
    rows[0][9] = "+86 592 5550000"
    rows[1][1] = "-危险-"
    rows[1][7] = ""
    rows[2][9] = "@SUM(1)"
    rows[3][1] = "''=已经引号"  # a quote before a formula character is escaped by one more quote
    header = [*SHELTER_HEADER, "notes", "demonstration"]
    rows = [r + ["第一行\n第二行, 带逗号", i % 2 == 0] for i, r in enumerate(rows)]
    run_import("shelters", write_csv(tmp_path / "variety.csv", header, rows))
    code, lon, lat = siming_places()[3]
    glon, glat = (float(v) for v in crslib.wgs84_to_gcj02(lon, lat))
    run_import(
        "shelters",
        write_csv(
            tmp_path / "gcj.csv",
            SHELTER_HEADER,
            [["RT-GCJ", "火星坐标点", glon, glat, code, "earthquake", 9, "", "", ""]],
        ),
        "--crs",
        "gcj02",
    )
    assert Shelter.objects.filter(external_id__startswith="RT-").count() == 5
    return Shelter.objects.count()


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "geojson"])
def test_export_reimports_unchanged(tmp_path, fmt):
    count = _variety(tmp_path)  # with the demo city's shelters
    before = {
        s.external_id: (s.name, s.location.wkt, s.input_crs, s.notes, s.contact_phone, s.facilities)
        for s in Shelter.objects.filter(external_id__startswith="RT-")
    }
    path = run_export("shelters", tmp_path / f"out.{fmt}")
    out = run_import("shelters", path)
    assert f"新建 0 条，更新 0 条，未变 {count} 条" in out
    after = {
        s.external_id: (s.name, s.location.wkt, s.input_crs, s.notes, s.contact_phone, s.facilities)
        for s in Shelter.objects.filter(external_id__startswith="RT-")
    }
    assert after == before
    assert after["RT-0000"][0].startswith("=HYPERLINK") and after["RT-0003"][0] == "'=已经引号"


def test_every_kind_round_trips_through_csv(tmp_path):
    ExpertCategory.objects.get_or_create(code="flood", defaults={"name": "防汛"})
    code, lon, lat = siming_places()[1]
    place = [lon, lat, code]
    files = {
        "rescue-teams": (
            [
                "external_id",
                "name",
                "lon",
                "lat",
                "area_code",
                "kind",
                "members",
                "core_members",
                "equipment",
                "readiness",
            ],
            [["T-1", "蓝天救援队", *place, "social", 40, 12, "冲锋舟:2艘; 水泵:4台", "within_1h"]],
        ),
        "depots": (
            ["external_id", "name", "lon", "lat", "area_code", "kind"],
            [["D-1", "思明区储备库", *place, "district"]],
        ),
        "medical-facilities": (
            ["external_id", "name", "lon", "lat", "area_code", "level", "beds", "emergency_department"],
            [["M-1", "第一医院", *place, "3a", 800, "是"]],
        ),
        "experts": (
            ["external_id", "name", "lon", "lat", "area_code", "category", "organisation"],
            [["E-1", "王工", "", "", code, "flood", "水利局"]],
        ),
        "facilities": (
            ["external_id", "name", "lon", "lat", "area_code", "kind", "capacity"],
            [["F-1", "检查站一", *place, "fire_checkpoint", ""]],
        ),
        "duty-people": (
            ["external_id", "name", "lon", "lat", "area_code", "kind", "checkpoint"],
            [["P-1", "护林员甲", "", "", code, "forest_ranger", "F-1"]],
        ),
        "supply-items": (["code", "name", "category", "unit"], [["TENT-9", "救灾帐篷", "shelter", "顶"]]),
    }
    from citywatch.resources.choices import DutyKind

    files["duty-people"][1][0][5] = DutyKind.values[-1]
    for kind, (header, rows) in files.items():
        assert "新建 1 条，" in run_import(kind, write_csv(tmp_path / f"{kind}.csv", header, rows)), kind
    for kind in files:
        path = run_export(kind, tmp_path / f"{kind}-out.csv")
        count = KINDS[kind].model.objects.count()
        assert f"新建 0 条，更新 0 条，未变 {count} 条" in run_import(kind, path), kind
    assert RescueTeam.objects.get(external_id="T-1").equipment[1] == {
        "name": "水泵",
        "quantity": 4,
        "unit": "台",
    }
    assert Expert.objects.get(external_id="E-1").location is None
    assert DutyPerson.objects.get(external_id="P-1").checkpoint == Facility.objects.get(external_id="F-1")
    assert Facility.objects.get(external_id="F-1").capacity is None
    assert SupplyItem.objects.filter(code="TENT-9").count() == 1


def test_formulas_are_neutralised_in_spreadsheets_only(tmp_path):
    _variety(tmp_path)
    text = run_export("shelters", tmp_path / "out.csv").read_bytes()
    assert text.startswith("\ufeff".encode())
    rows = {r["external_id"]: r for r in csv.DictReader(io.StringIO(text.decode("utf-8-sig")))}
    assert rows["RT-0000"]["name"] == '\'=HYPERLINK("http://evil","点我")'
    assert rows["RT-0000"]["contact_phone"] == "'+86 592 5550000"
    assert rows["RT-0001"]["name"] == "'-危险-" and rows["RT-0002"]["contact_phone"] == "'@SUM(1)"
    assert rows["RT-0003"]["name"] == "''=已经引号"
    assert rows["RT-0001"]["name"] != "-危险-"

    workbook = openpyxl.load_workbook(run_export("shelters", tmp_path / "out.xlsx"))
    cells = [c for row in workbook.active.iter_rows() for c in row]
    assert not [c for c in cells if c.data_type == "f"]
    assert any(c.value == '\'=HYPERLINK("http://evil","点我")' for c in cells)
    numbers = [c for c in cells if isinstance(c.value, int | float) and not isinstance(c.value, bool)]
    assert numbers and all(c.data_type == "n" for c in numbers)

    features = json.loads(run_export("shelters", tmp_path / "out.geojson").read_bytes())["features"]
    assert any(f["properties"]["name"].startswith("=HYPERLINK") for f in features)

    # Numbers are never prefixed, negative or not; only text is.
    assert exchange.neutralise(-5) == -5 and exchange.neutralise(-1.5) == -1.5
    assert exchange.neutralise("-5") == "'-5" and exchange.unneutralise("'-5") == "-5"
    assert exchange.unneutralise("'quoted") == "'quoted"


# --- formats and aliases ----------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_chinese_headers_and_encodings(tmp_path, encoding):
    code, lon, lat = siming_places()[2]
    header = [
        "外部编号",
        "名称",
        "经度",
        "纬度",
        "区划代码",
        "场所类型",
        "容纳人数",
        "设施",
        "示范点",
        "备注",
    ]
    rows = [
        ["ZH-1", "中山公园避难场所", lon, lat, code, "earthquake", 3000, "water、power", "是", "中文备注"]
    ]
    path = write_csv(tmp_path / "中文.csv", header, rows, encoding=encoding)
    assert "新建 1 条，" in run_import("shelters", path)
    shelter = Shelter.objects.get(external_id="ZH-1")
    assert shelter.name == "中山公园避难场所" and shelter.capacity == 3000 and shelter.demonstration
    assert shelter.facilities == ["power", "water"] and shelter.notes == "中文备注"


def test_problems_name_the_column_as_written(tmp_path):
    header = ["外部编号", "名称", "经度", "纬度", "区划代码", "类型", "容纳人数"]
    code, lon, lat = siming_places()[0]
    rows = [["ZH-2", "坏行", lon, lat, code, "disaster_point", -1], ["ZH-3", "", lon, lat, "999999", "x", 5]]
    _, lines = run_failing("shelters", write_csv(tmp_path / "bad.csv", header, rows))
    assert "error: bad.csv:2 [容纳人数]: 不能为负数" in lines
    assert any(line.startswith("error: bad.csv:3 [名称]: 此项为必填项") for line in lines)
    assert any(line.startswith("error: bad.csv:3 [区划代码]: 未知区划代码 999999") for line in lines)
    assert any(line.startswith("error: bad.csv:3 [类型]: ") for line in lines)


def test_gcj02_input_is_stored_as_wgs84_and_recorded(tmp_path):
    code, lon, lat = siming_places()[5]
    glon, glat = (float(v) for v in crslib.wgs84_to_gcj02(lon, lat))
    assert abs(glon - lon) > 1e-3  # GCJ-02 is hundreds of metres off
    path = write_csv(
        tmp_path / "gcj.csv",
        SHELTER_HEADER,
        [["G-1", "火星", glon, glat, code, "earthquake", 10, "", "", ""]],
    )
    run_import("shelters", path, "--crs", "gcj02")
    shelter = Shelter.objects.get(external_id="G-1")
    assert shelter.input_crs == "gcj02"
    assert abs(shelter.location.x - lon) < 1e-6 and abs(shelter.location.y - lat) < 1e-6
    # The same point given in BD-09 is the same place: unchanged.
    blon, blat = (float(v) for v in crslib.from_wgs84(shelter.location.x, shelter.location.y, "bd09"))
    write_csv(path, SHELTER_HEADER, [["G-1", "火星", blon, blat, code, "earthquake", 10, "", "", ""]])
    assert "未变 1 条" in run_import("shelters", path, "--crs", "bd09")
    message, lines = run_failing("shelters", path, "--crs", "mars")
    assert "未知坐标系" in lines[0]


def test_geojson_import_takes_the_point_geometry(tmp_path):
    code, lon, lat = siming_places()[4]
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {
                    "external_id": "GJ-1",
                    "name": "几何点",
                    "area_code": code,
                    "kind": "comprehensive",
                    "capacity": 70,
                    "facilities": ["water"],
                    "id": 99,
                    "area_name": "x",
                    "kind_label": "y",
                },
            },
        ],
    }
    path = tmp_path / "points.geojson"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    out = run_import("shelters", path)
    assert "新建 1 条" in out and "已忽略只读属性 id, area_name, kind_label" in out
    shelter = Shelter.objects.get(external_id="GJ-1")
    assert (round(shelter.location.x, 6), round(shelter.location.y, 6)) == (lon, lat)
    doc["features"][0]["geometry"] = {
        "type": "Polygon",
        "coordinates": [[[lon, lat], [lon, lat + 0.001], [lon, lat]]],
    }
    path.write_text(json.dumps(doc), encoding="utf-8")
    _, lines = run_failing("shelters", path)
    assert lines == ["error: points.geojson: 第 1 个要素：几何必须是 Point，不能是 Polygon"]


def test_missing_columns_keep_fields_and_empty_cells_take_defaults(tmp_path):
    rows = shelter_rows(1, "UP")
    rows[0][8] = "closed"
    header = [*SHELTER_HEADER, "notes", "occupancy"]
    run_import("shelters", write_csv(tmp_path / "a.csv", header, [rows[0] + ["备注", 7]]))
    # No notes / occupancy / status columns: those fields stay as they are.
    short = SHELTER_HEADER[:7]
    out = run_import("shelters", write_csv(tmp_path / "b.csv", short, [rows[0][:6] + [222]]))
    assert "更新 1 条" in out
    shelter = Shelter.objects.get(external_id="UP-0000")
    assert (shelter.capacity, shelter.notes, shelter.occupancy, shelter.status) == (222, "备注", 7, "closed")
    # An empty status cell means the default.
    run_import("shelters", write_csv(tmp_path / "c.csv", [*short, "status"], [rows[0][:6] + [222, ""]]))
    assert Shelter.objects.get(external_id="UP-0000").status == "open"


# --- bad input ------------------------------------------------------------------------------------


def test_duplicate_external_id_is_a_problem_on_the_later_row(tmp_path):
    rows = shelter_rows(3, "DUP")
    rows[2][0] = rows[0][0]
    _, lines = run_failing("shelters", write_csv(tmp_path / "dup.csv", SHELTER_HEADER, rows))
    assert lines == ["error: dup.csv:4 [external_id]: 外部编号 DUP-0000 也出现在第 2 行"]
    assert not Shelter.objects.filter(external_id__startswith="DUP-").exists()


def test_unknown_and_missing_columns(tmp_path):
    rows = [r + ["red"] for r in shelter_rows(2, "UC")]
    _, lines = run_failing("shelters", write_csv(tmp_path / "u.csv", [*SHELTER_HEADER, "colour"], rows))
    assert len(lines) == 1 and lines[0].startswith("error: u.csv:1 [colour]: 未知列")
    _, lines = run_failing(
        "shelters", write_csv(tmp_path / "m.csv", ["name", "lon", "lat", "kind"], [["x", 1, 2, "x"]])
    )
    assert [line.split(":")[2] for line in lines] == ["1 [area_code]", "1 [capacity]"]
    assert not Shelter.objects.filter(external_id__startswith="UC-").exists()


def test_oversized_and_wrong_type_files_are_refused(tmp_path):
    path = write_csv(tmp_path / "big.csv", SHELTER_HEADER, shelter_rows(50, "BIG"))
    with override_settings(CITYWATCH_MAX_IMPORT_BYTES=1000):
        _, lines = run_failing("shelters", path)
    assert lines == ["error: big.csv: 文件超过大小上限 1000 字节"]
    other = tmp_path / "shelters.txt"
    other.write_text("hello")
    _, lines = run_failing("shelters", other)
    assert "不支持的文件类型 .txt" in lines[0]
    assert not Shelter.objects.filter(external_id__startswith="BIG-").exists()


def test_outside_jurisdiction_with_user_option(tmp_path):
    rows = shelter_rows(2, "JU")
    path = write_csv(tmp_path / "siming.csv", SHELTER_HEADER, rows)
    _, lines = run_failing("shelters", path, "--user", "huli_officer")
    assert len(lines) == 4 and all("不在您的管辖范围内" in line for line in lines)
    assert [line.split(" ")[2] for line in lines] == ["[area_code]:", "[lon]:"] * 2
    # Inside 湖里区's area but at a 思明区 point.
    rows = [["JU-9", "错点", *siming_places()[0][1:], "350206", "disaster_point", 5, "", "", ""]]
    _, lines = run_failing(
        "shelters", write_csv(tmp_path / "h.csv", SHELTER_HEADER, rows), "--user", "huli_officer"
    )
    assert len(lines) == 1 and "[lon]" in lines[0] and "不在您的管辖范围内" in lines[0]
    assert "新建 2 条" in run_import("shelters", path, "--user", "siming_officer")
    assert ObjectChange.objects.filter(
        object_id=str(Shelter.objects.get(external_id="JU-0000").pk), user_name="siming_officer", source="cli"
    ).exists()
    # huli may not take over 思明区's records through their external ids.
    huli_rows = [["JU-0000", "抢占", *HULI_PT, "350206", "disaster_point", 5, "", "", ""]]
    _, lines = run_failing(
        "shelters", write_csv(tmp_path / "t.csv", SHELTER_HEADER, huli_rows), "--user", "huli_officer"
    )
    assert lines == ["error: t.csv:2 [external_id]: 外部编号 JU-0000 对应的记录不在您的管辖范围内"]
    _, lines = run_failing("shelters", path, "--user", "inspector")
    assert "无权导入" in lines[0]
    _, lines = run_failing("shelters", path, "--user", "nobody")
    assert "没有处于启用状态的用户 'nobody'" in lines[0]


def test_dry_run_writes_nothing(tmp_path):
    path = write_csv(tmp_path / "d.csv", SHELTER_HEADER, shelter_rows(3, "DRY"))
    out = run_import("shelters", path, "--dry-run")
    assert "将新建 3 条" in out
    assert not Shelter.objects.filter(external_id__startswith="DRY-").exists()
    report = import_file("shelters", path, user=None, dry_run=True)
    assert report.created == 3 and report.dry_run


@pytest.mark.parametrize(
    ("name", "data", "expect"),
    [
        ("a.xlsx", b"this is not a zip file", "不是可读取的 .xlsx 工作簿"),
        ("a.xlsx", b"PK\x03\x04 broken zip", "不是可读取的 .xlsx 工作簿"),
        ("a.csv", b"name,lon\nx\x00y,1\n", "NUL 字节"),
        ("a.csv", b"", "文件为空"),
        ("a.csv", b"\xff\xfe\x00", "不是可读取的 UTF-16"),
        ("a.geojson", b"{not json", "不是有效的 GeoJSON"),
        ("a.geojson", b"[1, 2]", "必须是 FeatureCollection"),
        (
            "a.geojson",
            b'{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": '
            b'{"type": "Point", "coordinates": ["a", 1]}, "properties": {}}]}',
            "需要 [lon, lat]",
        ),
        ("a.geojson", b"[" * 100000 + b"]" * 100000, "不是有效的 GeoJSON"),
        ("a.csv", "\ufeffexternal_id,name,lon,lat,area_code,kind,capacity\n".encode(), "没有记录"),
    ],
)
def test_malformed_files_are_problems_not_crashes(tmp_path, siming, name, data, expect):
    path = tmp_path / name
    path.write_bytes(data)
    _, lines = run_failing("shelters", path)
    assert len(lines) == 1 and expect in lines[0], lines
    r = upload(siming, "shelters", name, data)
    assert r.status_code == 422, r.content
    assert expect in r.json()["error"]["details"][0]["message"]


@pytest.mark.parametrize("part", ["xl/workbook.xml", "xl/worksheets/sheet1.xml"])
def test_xlsx_is_parsed_with_defusedxml(tmp_path, part):
    assert openpyxl.DEFUSEDXML is True
    path = write_xlsx(tmp_path / "ok.xlsx", SHELTER_HEADER, shelter_rows(1, "XX"))
    evil = tmp_path / "evil.xlsx"
    bomb = b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(evil, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == part:
                data = bomb + data.replace(b"XX-0000", b"&b;")
            dst.writestr(item, data)
    _, lines = run_failing("shelters", evil)
    assert len(lines) == 1 and "不是可读取的 .xlsx 工作簿（EntitiesForbidden）" in lines[0], lines


# --- the API --------------------------------------------------------------------------------------


def test_api_import_and_export(siming, tmp_path):
    data = write_xlsx(tmp_path / "s.xlsx", SHELTER_HEADER, shelter_rows(4, "API")).read_bytes()
    r = upload(siming, "shelters", "s.xlsx", data, dry_run="true")
    assert r.status_code == 200, r.content
    assert r.json()["created"] == 4 and r.json()["dry_run"] is True
    assert not Shelter.objects.filter(external_id__startswith="API-").exists()
    r = upload(siming, "shelters", "s.xlsx", data)
    assert r.json() | {"summary": None} == {
        "kind": "shelters",
        "dry_run": False,
        "created": 4,
        "updated": 0,
        "unchanged": 0,
        "notes": [],
        "summary": None,
    }
    changed = Shelter.objects.get(external_id="API-0001")
    assert ObjectChange.objects.filter(
        object_id=str(changed.pk), user_name="siming_officer", source="api"
    ).exists()

    visible = Shelter.objects.filter(area__path__startswith="350200.350203.").count()
    for fmt, content_type in [
        ("csv", "text/csv"),
        ("xlsx", "application/vnd.openxmlformats"),
        ("geojson", "application/geo+json"),
        ("gpkg", "application/geopackage+sqlite3"),
    ]:
        r = siming.get("/api/v1/resources/shelters/export", {"format": fmt})
        assert r.status_code == 200 and r["Content-Type"].startswith(content_type)
        assert f'.{fmt}"' in r["Content-Disposition"]
        if fmt != "gpkg":
            back = upload(siming, "shelters", f"back.{fmt}", r.content)
            assert back.status_code == 200, back.content
            assert (
                back.json()["unchanged"] == visible and back.json()["created"] == back.json()["updated"] == 0
            )
    assert siming.get("/api/v1/resources/shelters/export", {"format": "pdf"}).status_code == 422


def test_api_error_bodies(siming, huli, inspector, tmp_path):
    rows = shelter_rows(3, "ERR")
    rows[1][6] = -3
    data = write_csv(tmp_path / "e.csv", SHELTER_HEADER, rows).read_bytes()
    r = upload(siming, "shelters", "e.csv", data)
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "validation_error" and "未写入任何数据" in error["message"]
    assert error["details"] == [{"row": 3, "column": "capacity", "message": "不能为负数"}]

    with override_settings(CITYWATCH_MAX_UPLOAD_BYTES=100):
        r = upload(siming, "shelters", "e.csv", data)
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    assert "超过大小上限" in r.json()["error"]["message"]

    r = upload(siming, "shelters", "e.pdf", data)
    assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_media_type"

    r = upload(siming, "shelters", "e.csv", data, crs="mars")
    assert r.status_code == 422
    assert siming.post("/api/v1/resources/shelters/import", {}).status_code == 422

    # huli cannot import into 思明区; an inspector cannot import at all.
    good = write_csv(tmp_path / "g.csv", SHELTER_HEADER, shelter_rows(2, "HU")).read_bytes()
    r = upload(huli, "shelters", "g.csv", good)
    assert r.status_code == 422
    assert {(d["column"], "不在您的管辖范围内" in d["message"]) for d in r.json()["error"]["details"]} == {
        ("area_code", True),
        ("lon", True),
    }
    assert upload(inspector, "shelters", "g.csv", good).status_code == 403
    assert not Shelter.objects.filter(external_id__startswith=("HU-")).exists()
    assert not Shelter.objects.filter(external_id__startswith=("ERR-")).exists()


def test_api_export_needs_view_and_stock_movements_have_no_import(anon, siming, team_leader):
    assert anon.get("/api/v1/resources/shelters/export").status_code == 401
    assert team_leader.get("/api/v1/resources/experts/export").status_code == 403
    assert siming.post("/api/v1/resources/stock-movements/import").status_code in (404, 405)


def test_duplicate_and_headerless_columns(tmp_path):
    rows = shelter_rows(1, "HC")
    _, lines = run_failing(
        "shelters", write_csv(tmp_path / "d.csv", [*SHELTER_HEADER, "名称"], [rows[0] + ["又一个名称"]])
    )
    assert lines == ["error: d.csv:1 [名称]: 与 'name' 是同一列"]
    _, lines = run_failing(
        "shelters", write_csv(tmp_path / "b.csv", [*SHELTER_HEADER, ""], [rows[0] + ["stray"]])
    )
    assert lines == ["error: b.csv:2 [第 11 列]: 无表头的列中有值"]
    # Trailing empty cells under no header, and short rows, are fine.
    path = write_csv(tmp_path / "ok.csv", [*SHELTER_HEADER, ""], [rows[0] + [""], rows[0][:7]])
    path.write_text(path.read_text().replace("HC-0000", "HC-0001", 1), encoding="utf-8")
    assert "新建 2 条" in run_import("shelters", path)


def test_xlsx_with_wrong_dimension_and_far_right_cells(tmp_path):
    path = write_xlsx(tmp_path / "w.xlsx", SHELTER_HEADER, shelter_rows(3, "WD"))
    workbook = openpyxl.load_workbook(path)
    for row in range(1, 200):
        workbook.active.cell(row=row + 1000, column=16384, value="far away")
    workbook.save(path)
    wrong = tmp_path / "wrong.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(wrong, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<dimension ref="A1:XFD1199" />', b'<dimension ref="A1" />')
                assert b'<dimension ref="A1" />' in data
            dst.writestr(item, data)
    started = time.monotonic()
    assert "新建 3 条" in run_import("shelters", wrong)
    assert time.monotonic() - started < 10
    assert Shelter.objects.get(external_id="WD-0002").contact_phone == "0592-5550000"


def test_export_command_errors(tmp_path):
    with pytest.raises(CommandError, match="不支持的文件类型 .pdf"):
        run_export("shelters", tmp_path / "x.pdf")
    with pytest.raises(CommandError, match="没有处于启用状态的用户 'nobody'"):
        run_export("shelters", tmp_path / "x.csv", "--user", "nobody")
    with pytest.raises(CommandError):
        run_export("stock-movements", tmp_path / "x.csv")


def test_openapi_lists_import_and_export(siming):
    paths = siming.get("/api/v1/openapi.json").json()["paths"]
    for kind in KINDS:
        assert "post" in paths[f"/api/v1/resources/{kind}/import"]
        assert "get" in paths[f"/api/v1/resources/{kind}/export"]
    assert "/api/v1/resources/stock-movements/import" not in paths
