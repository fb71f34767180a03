"""Hostile files given to the resource import (API, upload page, `citywatch import <kind>`): every parser
stops at its bound, answers 413 with a translated message and writes nothing.

The files are built here: a real zip bomb (.xlsx whose shared strings unpack from 1 MB to 1 GiB), a sheet
of a million empty rows, a GeoJSON of ten million vertices written as compactly as JSON allows, a CSV
with a giant cell. Each test checks what the parser did (it refused at the bound, it never reached what
lies after the bound, its memory stayed near the file's size), not how long it took.
"""

import io
import json
import struct
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from citywatch.core.models import ObjectChange
from citywatch.resources.models import Shelter

pytestmark = pytest.mark.django_db

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
HEADER = ["external_id", "name", "lon", "lat", "area_code", "kind", "capacity"]


def good_cells():
    """A row the import accepts: a shelter at 思明区's own point."""
    from citywatch.core.models import AdminArea

    point = AdminArea.objects.get(code="350203").point
    return ["HOSTILE-1", "恶意文件测试", f"{point.x:.6f}", f"{point.y:.6f}", "350203", "disaster_point", "10"]


def xlsx(path, sheet_rows, shared_strings=None):
    """A minimal workbook written part by part: ``sheet_rows`` and ``shared_strings`` are iterables of
    XML bytes streamed into their members (so a member may unpack to far more than memory holds)."""
    shared = shared_strings is not None
    overrides = f'<Override PartName="/xl/workbook.xml" ContentType="{SHEET_TYPE}.sheet.main+xml"/>'
    overrides += f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{SHEET_TYPE}.worksheet+xml"/>'
    relations = f'<Relationship Id="rId1" Type="{DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
    if shared:
        overrides += (
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SHEET_TYPE}.sharedStrings+xml"/>'
        )
        relations += f'<Relationship Id="rId2" Type="{DOC_RELS}/sharedStrings" Target="sharedStrings.xml"/>'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            f'<Default Extension="xml" ContentType="application/xml"/>{overrides}</Types>',
        )
        archive.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{RELS}"><Relationship Id="rId1" '
            f'Type="{DOC_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="{DOC_RELS}"><sheets>'
            '<sheet name="s" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{RELS}">{relations}</Relationships>'
        )
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            member.write(f'<worksheet xmlns="{MAIN}"><sheetData>'.encode())
            for chunk in sheet_rows:
                member.write(chunk)
            member.write(b"</sheetData></worksheet>")
        if shared:
            with archive.open("xl/sharedStrings.xml", "w") as member:
                for chunk in shared_strings:
                    member.write(chunk)
    return path


def inline_row(number, cells):
    xml = "".join(
        f'<c r="{chr(65 + i)}{number}" t="inlineStr"><is><t>{v}</t></is></c>' for i, v in enumerate(cells)
    )
    return f'<row r="{number}">{xml}</row>'.encode()


def empty_rows(first, count):
    for start in range(first, first + count, 10_000):
        yield b"".join(b'<row r="%d"/>' % n for n in range(start, min(start + 10_000, first + count)))


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory):
    """1.0 MB on disk; its shared strings unpack to 1 GiB (one string of 2^30 'a')."""

    def strings():
        yield f'<sst xmlns="{MAIN}"><si><t>name</t></si><si><t>'.encode()
        block = b"a" * (1 << 20)
        for _ in range(1024):
            yield block
        yield b"</t></si></sst>"

    header = b'<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row>'
    path = xlsx(tmp_path_factory.mktemp("bomb") / "bomb.xlsx", [header], strings())
    return path


def upload(client, name, data):
    return client.post("/api/v1/resources/shelters/import", {"file": SimpleUploadedFile(name, data)})


def cli(path):
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import", "shelters", str(path), stdout=io.StringIO(), stderr=err)
    return [line for line in err.getvalue().splitlines() if line.startswith("error:")]


def peak_memory(run):
    """The peak of Python allocations while ``run()`` runs (tracemalloc), in bytes."""
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def nothing_written(before):
    assert (Shelter.objects.count(), ObjectChange.objects.count()) == before


@pytest.fixture
def before():
    return Shelter.objects.count(), ObjectChange.objects.count()


# --- .xlsx ----------------------------------------------------------------------------------------


def test_zip_bomb_is_refused_before_it_is_unpacked(zip_bomb, siming, before):
    data = zip_bomb.read_bytes()
    assert len(data) < 1_100_000
    with zipfile.ZipFile(zip_bomb) as archive:
        assert archive.getinfo("xl/sharedStrings.xml").file_size > 2**30
    responses = []
    peak = peak_memory(lambda: responses.append(upload(siming, "bomb.xlsx", data)))
    r = responses[0]
    assert r.status_code == 413, r.content[:300]
    error = r.json()["error"]
    assert error["code"] == "too_large"
    assert "xl/sharedStrings.xml" in error["message"] and "疑似压缩炸弹" in error["message"]
    # Nothing was inflated: memory stayed within a few times the 1 MB upload, not the 1 GiB it holds.
    assert peak < 40 * 2**20, peak
    nothing_written(before)


def test_zip_bomb_on_the_upload_page_and_the_command_line(zip_bomb, siming, before):
    r = siming.post(
        "/resources/shelters/import/", {"file": SimpleUploadedFile("bomb.xlsx", zip_bomb.read_bytes())}
    )
    assert r.status_code == 413
    assert "疑似压缩炸弹" in r.content.decode()
    lines = cli(zip_bomb)
    assert len(lines) == 1 and "bomb.xlsx: 工作簿中的 xl/sharedStrings.xml 解压后是压缩大小的" in lines[0], (
        lines
    )
    nothing_written(before)


def test_unpacked_total_is_bounded_even_at_a_plausible_ratio(tmp_path, siming, before):
    # 30 rows of 3,000 random-looking digits per cell: compresses about 2:1, unpacks to ~0.9 MB.
    import random

    rng = random.Random(5)
    rows = [inline_row(1, HEADER)] + [
        inline_row(n, ["".join(rng.choice("0123456789") for _ in range(3000))] * 7) for n in range(2, 32)
    ]
    path = xlsx(tmp_path / "wide.xlsx", rows)
    with override_settings(CITYWATCH_IMPORT_MAX_UNZIPPED_BYTES=256 * 1024):
        r = upload(siming, "wide.xlsx", path.read_bytes())
    assert r.status_code == 413 and "工作簿解压后超过 262144 字节" in r.json()["error"]["message"]
    nothing_written(before)


def test_member_that_lies_about_its_size_is_never_unpacked_past_it(tmp_path, siming, before):
    path = xlsx(
        tmp_path / "liar.xlsx", [inline_row(1, HEADER), inline_row(2, good_cells()), b" " * 5_000_000]
    )
    data = bytearray(path.read_bytes())
    # Patch the central directory: the sheet claims to unpack to 2,000 bytes.
    name = b"xl/worksheets/sheet1.xml"
    entry = data.rfind(b"PK\x01\x02", 0, data.rfind(name))
    assert struct.unpack_from("<I", data, entry + 24)[0] > 5_000_000
    struct.pack_into("<I", data, entry + 24, 2000)
    r = upload(siming, "liar.xlsx", bytes(data))
    assert r.status_code == 422
    assert "不是可读取的 .xlsx 工作簿（BadZipFile）" in r.json()["error"]["details"][0]["message"]
    nothing_written(before)


def test_archive_of_thousands_of_parts_is_refused_before_zipfile_lists_them(tmp_path, siming, before):
    path = xlsx(tmp_path / "parts.xlsx", [inline_row(1, HEADER), inline_row(2, good_cells())])
    with zipfile.ZipFile(path, "a") as archive:
        for n in range(5000):
            archive.writestr(f"xl/media/{n}.bin", b"")
    r = upload(siming, "parts.xlsx", path.read_bytes())
    assert r.status_code == 413 and "工作簿包含 5,005 个部件（上限 1000 个）" in r.json()["error"]["message"]
    nothing_written(before)


def test_million_empty_rows_stop_at_the_row_limit(tmp_path, siming, before):
    # Header, a million empty rows, a good row, then XML no parser accepts: a reader that went on past
    # the limit would report the broken XML (or import the row); one that stopped never sees either.
    rows = [inline_row(1, HEADER), *empty_rows(2, 1_000_000), inline_row(1_000_002, good_cells()), b"<row <<"]
    path = xlsx(tmp_path / "empty.xlsx", rows)
    assert path.stat().st_size < 3_000_000
    r = upload(siming, "empty.xlsx", path.read_bytes())
    assert r.status_code == 413, r.content[:300]
    assert r.json()["error"]["message"] == "超过 100,000 行（空行也计入）；请删除空行或拆分文件"
    nothing_written(before)


def test_row_limit_is_a_setting(tmp_path, siming, before):
    rows = [inline_row(1, HEADER), *empty_rows(2, 50), inline_row(52, good_cells())]
    path = xlsx(tmp_path / "fifty.xlsx", rows)
    with override_settings(CITYWATCH_IMPORT_MAX_ROWS=50):
        r = upload(siming, "fifty.xlsx", path.read_bytes())
    assert r.status_code == 413 and "超过 50 行" in r.json()["error"]["message"]
    nothing_written(before)
    with override_settings(CITYWATCH_IMPORT_MAX_ROWS=51):
        r = upload(siming, "fifty.xlsx", path.read_bytes())
    assert r.status_code == 200, r.content[:500]
    assert r.json()["created"] == 1


# --- GeoJSON --------------------------------------------------------------------------------------


def test_ten_million_vertices_are_refused_before_the_json_is_parsed(tmp_path, before):
    head = b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"x"},'
    head += b'"geometry":{"type":"LineString","coordinates":['
    path = tmp_path / "vertices.geojson"
    path.write_bytes(head + b"[0,0]," * 9_999_999 + b"[0,0]]}}]}")
    size = path.stat().st_size
    assert size < 61_000_000  # under the command line's 200 MiB
    lines = []
    peak = peak_memory(lambda: lines.extend(cli(path)))
    assert lines == [
        "error: vertices.geojson: 文件中的坐标、列表或对象超过 1,000,000 个；请简化几何图形或拆分文件"
    ]
    # The bytes were read once and counted; json.loads would have built ten million lists (>1 GB).
    assert peak < 2 * size, (peak, size)


def test_geojson_over_the_vertex_bound_through_the_api(siming, before):
    coordinates = b",".join([b"[118.08,24.47]"] * 2000)
    data = b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},'
    data += b'"geometry":{"type":"MultiPoint","coordinates":[' + coordinates + b"]}}]}"
    with override_settings(CITYWATCH_IMPORT_MAX_VERTICES=1000):
        r = upload(siming, "many.geojson", data)
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    assert "超过 1,000 个" in r.json()["error"]["message"]
    nothing_written(before)


def test_geojson_feature_count_is_bounded(siming, before):
    feature = b'{"type":"Feature","properties":{"name":"x"},"geometry":null}'
    data = b'{"type":"FeatureCollection","features":[' + b",".join([feature] * 30) + b"]}"
    with override_settings(CITYWATCH_IMPORT_MAX_ROWS=20):
        r = upload(siming, "features.geojson", data)
    assert r.status_code == 413 and r.json()["error"]["message"] == "超过 20 个要素，请拆分文件"
    nothing_written(before)


# --- CSV ------------------------------------------------------------------------------------------


def test_giant_csv_cell_is_refused_with_a_translated_message(tmp_path, siming, before):
    data = (
        ",".join(HEADER) + "\n" + ",".join(good_cells()).replace("恶意文件测试", "x" * 5_000_000) + "\n"
    ).encode()
    r = upload(siming, "giant.csv", data)
    assert r.status_code == 413, r.content[:300]
    assert r.json()["error"]["message"] == "有单元格超过 100,000 个字符"
    path = tmp_path / "giant.csv"
    path.write_bytes(data)
    assert cli(path) == ["error: giant.csv: 有单元格超过 100,000 个字符"]
    nothing_written(before)


def test_long_cell_under_the_csv_modules_own_limit_is_refused_too(siming, before):
    data = (
        ",".join(HEADER) + "\n" + ",".join(good_cells()).replace("恶意文件测试", "y" * 120_000) + "\n"
    ).encode()
    r = upload(siming, "long.csv", data)
    assert r.status_code == 413 and r.json()["error"]["message"] == "第 2 行：有单元格超过 100,000 个字符"
    nothing_written(before)


def test_long_cells_in_spreadsheets_and_geojson_are_refused_too(tmp_path, siming, before):
    # A cell may hold JSON (equipment): 150,000 characters of it are refused before anything parses it.
    cells = good_cells()
    cells[1] = "[" * 150_000
    path = xlsx(tmp_path / "long.xlsx", [inline_row(1, HEADER), inline_row(2, cells)])
    r = upload(siming, "long.xlsx", path.read_bytes())
    assert r.status_code == 413 and r.json()["error"]["message"] == "第 2 行：有单元格超过 100,000 个字符"
    feature = {"type": "Feature", "geometry": None, "properties": {"name": "x", "notes": "n" * 150_000}}
    data = json.dumps({"type": "FeatureCollection", "features": [feature, feature]}).encode()
    r = upload(siming, "long.geojson", data)
    assert r.status_code == 413 and r.json()["error"]["message"] == "第 1 行：有单元格超过 100,000 个字符"
    nothing_written(before)


def test_csv_reading_stops_at_the_row_limit(siming, before):
    # 300 rows, then a giant cell: stopping at 100 rows means the giant cell is never read.
    lines = [",".join(HEADER)] + [",".join(good_cells()).replace("HOSTILE-1", f"H-{n}") for n in range(300)]
    lines.append("z" * 1_000_000)
    with override_settings(CITYWATCH_IMPORT_MAX_ROWS=100):
        r = upload(siming, "rows.csv", ("\n".join(lines) + "\n").encode())
    assert r.status_code == 413
    assert r.json()["error"]["message"] == "超过 100 行（空行也计入）；请删除空行或拆分文件"
    nothing_written(before)


# --- Other types ----------------------------------------------------------------------------------


def test_a_zip_bomb_named_gpkg_is_refused_as_no_geopackage(siming, zip_bomb, before):
    # GeoPackages are read from the bytes by SQLite, in memory and bounded (test_gpkg_import.py): an
    # archive under that name is not an SQLite database and is refused before anything is unpacked.
    r = upload(siming, "shelters.gpkg", zip_bomb.read_bytes())
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"
    nothing_written(before)
