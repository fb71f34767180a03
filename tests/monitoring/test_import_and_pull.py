"""``citywatch import observations`` (CSV long, XLSX wide, all or nothing) and the ``json`` pull adapter
against a local HTTP server the test starts."""

from __future__ import annotations

import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import CommandError, call_command

from tests.monitoring.conftest import at, iso

pytestmark = pytest.mark.django_db


def run_import(*args) -> str:
    out = io.StringIO()
    call_command("import", "observations", *map(str, args), stdout=out, stderr=io.StringIO())
    return out.getvalue()


def values(external_id, code="rain"):
    from citywatch.monitoring.models import Observation

    return sorted(
        Observation.objects.filter(station__external_id=external_id, variable__code=code).values_list(
            "time", "value"
        )
    )


def test_a_long_csv_with_chinese_headers_and_local_times(network, tmp_path):
    path = tmp_path / "雨量.csv"
    path.write_text(
        "站点,要素,观测时间,数值\n"
        "t-huli-0,rain,2024-06-01 08:00:00,1.5\n"
        "t-huli-0,rain,2024-06-01 08:05:00,0.5\n",
        encoding="gb18030",
    )
    out = run_import(path, "--tz", "Asia/Shanghai", "--source", network["huli"].code)
    assert "created 2" in out
    assert values("t-huli-0") == [(at(0), 1.5), (at(5), 0.5)]
    again = run_import(path, "--tz", "Asia/Shanghai")
    assert "created 0" in again and "unchanged 2" in again
    with pytest.raises(CommandError):  # the same file for another source: its stations are unknown there
        run_import(path, "--tz", "Asia/Shanghai", "--source", network["siming"].code)


def test_a_wide_xlsx_and_all_or_nothing(network, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["station", "time", "rain (mm)", "temperature"])
    sheet.append(["t-siming-0", iso(at(0)), 2.0, 28.5])
    sheet.append(["t-siming-0", iso(at(5)), None, 28.7])
    sheet.append(["t-siming-1", iso(at(0)), 999, 30])  # rain outside 0…500
    path = tmp_path / "wide.xlsx"
    book.save(path)
    with pytest.raises(CommandError):
        run_import(path)
    assert values("t-siming-0") == [] and values("t-siming-0", "temperature") == []
    run_import(path, "--keep-going")
    assert values("t-siming-0") == [(at(0), 2.0)]
    assert values("t-siming-0", "temperature") == [(at(0), 28.5), (at(5), 28.7)]
    assert values("t-siming-1") == [] and values("t-siming-1", "temperature") == [(at(0), 30.0)]


def test_variables_named_in_chinese_as_a_department_writes_them(network, tmp_path):
    """A department's export names its columns and variables in Chinese (降雨量, 气温), with the unit in
    brackets: read as the variables' codes, long and wide."""
    wide = tmp_path / "宽表.csv"
    wide.write_text("站号,观测时间,降雨量(mm),气温（℃）\nt-huli-0,2024-06-01 08:00:00,1.5,28.5\n")
    assert "created 2" in run_import(wide, "--tz", "Asia/Shanghai")
    assert values("t-huli-0") == [(at(0), 1.5)] and values("t-huli-0", "temperature") == [(at(0), 28.5)]
    long = tmp_path / "长表.csv"
    long.write_text("站号,监测要素,观测时间,观测值\nt-huli-0,降雨量,2024-06-01 08:05:00,0.5\n")
    assert "created 1" in run_import(long, "--tz", "Asia/Shanghai")
    assert values("t-huli-0") == [(at(0), 1.5), (at(5), 0.5)]


def test_times_without_an_offset_say_how_to_give_their_zone(network, tmp_path):
    """A department's local times (2024-06-01 08:00:00) without --tz: refused, and the refusal says how to
    give their zone, not only how to rewrite every time."""
    path = tmp_path / "雨量.csv"
    path.write_text("站点,要素,观测时间,数值\nt-huli-0,rain,2024-06-01 08:00:00,1.5\n")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import", "observations", str(path), stdout=io.StringIO(), stderr=err)
    assert "--tz Asia/Shanghai" in err.getvalue(), err.getvalue()
    assert values("t-huli-0") == []


class Department(BaseHTTPRequestHandler):
    """A water bureau's real-time rain interface (hydrological field names: stcd, tm, drp)."""

    answer = b""

    def do_GET(self):  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.answer)))
        self.end_headers()
        self.wfile.write(self.answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def department():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Department)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_the_json_adapter_polls_a_department_and_dead_letters_garbage(network, department):
    from citywatch.monitoring import adapters
    from citywatch.monitoring.models import DataSource, DeadLetter

    source = DataSource.objects.get(pk=network["siming"].pk)
    source.pull_adapter = "json"
    source.pull_url = f"http://127.0.0.1:{department.server_port}/rain"
    source.pull_options = {
        "items": "data.list", "station": "stcd", "time": "tm", "value": "drp", "fixed_variable": "rain",
        "tz": "Asia/Shanghai", "allow_private_addresses": True,
    }  # fmt: skip
    source.save()
    Department.answer = json.dumps(
        {
            "data": {
                "list": [
                    {"stcd": "t-siming-0", "tm": "2024-06-01 08:00:00", "drp": 3.5},
                    {"stcd": "t-siming-1", "tm": "2024-06-01 08:00:00", "drp": "x"},
                    {"stcd": "t-huli-0", "tm": "2024-06-01 08:00:00", "drp": 1.0},
                ]
            }
        }  # fmt: skip
    ).encode()
    assert adapters.poll_due(now=at(60)) == 1
    assert values("t-siming-0") == [(at(0), 3.5)]
    assert values("t-huli-0") == []  # another source's station: refused
    assert adapters.poll_due(now=at(61)) == 0  # not due again before its interval
    Department.answer = b"<html>maintenance</html>"
    assert adapters.poll_due(now=at(70)) == 1
    (letter,) = DeadLetter.objects.filter(source=source)
    assert letter.channel == "pull" and "JSON" in letter.reason and letter.payload.startswith("<html>")
