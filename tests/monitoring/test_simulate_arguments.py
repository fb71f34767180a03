"""``citywatch simulate …`` with a bad argument stops with one clear line (a ``CommandError`` in the site
language), before it touches anything — never a traceback from deep inside the storm or the typhoon."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from citywatch.monitoring.management.commands import simulate as command
from citywatch.response import simulation
from tests.monitoring.stations_support import small_demo  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def nothing_runs(monkeypatch):
    """A bad argument must be refused before the storm or the typhoon starts."""

    def ran(*args, **kwargs):
        raise AssertionError("the simulation started")

    monkeypatch.setattr(command.Command, "replay_from", staticmethod(ran))
    monkeypatch.setattr(simulation, "run_typhoon", ran)


def simulate(*args, language="zh-hans") -> str:
    """The command in the site language (Simplified Chinese), as the command line runs it."""
    from django.utils import translation

    out = io.StringIO()
    with translation.override(language):
        call_command("simulate", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


RAINSTORM = [
    (["--district", "火星区"], "没有名为"),
    (["--district", ""], "没有名为"),
    (["--district", "350200"], "没有名为"),  # the city, not a district
    (["--speed", "0"], "--speed"),
    (["--speed", "-5"], "--speed"),
    (["--speed", "nan"], "--speed"),
    (["--speed", "inf"], "--speed"),
    (["--hours", "0"], "--hours"),
    (["--hours", "nan"], "--hours"),
    (["--hours", "inf"], "--hours"),
    (["--hours", "1e12"], "--hours"),
    (["--lead-hours", "-1"], "--lead-hours"),
    (["--lead-hours", "nan"], "--lead-hours"),
    (["--lead-hours", "15"], "--lead-hours"),
    (["--peak", "-1"], "--peak"),
    (["--peak", "nan"], "--peak"),
    (["--peak", "inf"], "--peak"),
    (["--radius", "0"], "--radius"),
    (["--radius", "nan"], "--radius"),
    (["--radius", "inf"], "--radius"),
    (["--step", "0"], "--step"),
    (["--step", "-5"], "--step"),
    (["--step", "100000"], "--step"),  # longer than the storm: not one reading
    (["--via", "mqtt"], "CITYWATCH_MQTT_URL"),
    (["--via", "http", "--url", "not a url"], "--url"),
    (["--via", "http", "--url", "ftp://127.0.0.1/"], "--url"),
    (["--auto"], "--auto"),  # a typhoon option
    (["--exercise"], "--exercise"),
    (["--pause", "5"], "--pause"),
    (["--report-dir", "REPORTS"], "--report-dir"),
]

TYPHOON = [
    (["--pause", "-1"], "--pause"),
    (["--pause", "nan"], "--pause"),
    (["--pause", "inf"], "--pause"),
    (["--wait", "0"], "--wait"),
    (["--wait", "nan"], "--wait"),
    (["--wait", "inf"], "--wait"),
    (["--report-dir", "REPORT_IS_A_FILE"], "--report-dir"),
    (["--report-dir", "REPORTS"], "--exercise"),  # a drill report without a drill
    (["--via", "mqtt"], "CITYWATCH_MQTT_URL"),
    (["--via", "http", "--url", "not a url"], "--url"),
    (["--district", "火星区"], "--district"),  # a rainstorm option
    (["--speed", "5"], "--speed"),
    (["--hours", "2"], "--hours"),
]


@pytest.mark.parametrize(("args", "says"), RAINSTORM, ids=[" ".join(a) for a, _ in RAINSTORM])
def test_a_bad_rainstorm_argument_is_one_clear_line(args, says, small_demo, nothing_runs, tmp_path):  # noqa: F811
    args = [str(tmp_path) if a == "REPORTS" else a for a in args]
    with pytest.raises(CommandError) as refused:
        simulate("rainstorm", "--via", "direct", *args)
    message = str(refused.value)
    assert says in message and "\n" not in message and "Traceback" not in message, message


@pytest.mark.parametrize(("args", "says"), TYPHOON, ids=[" ".join(a) for a, _ in TYPHOON])
def test_a_bad_typhoon_argument_is_one_clear_line(args, says, small_demo, nothing_runs, tmp_path):  # noqa: F811
    a_file = tmp_path / "report.pdf"
    a_file.write_bytes(b"")
    places = {"REPORT_IS_A_FILE": str(a_file), "REPORTS": str(tmp_path)}
    args = [places.get(a, a) for a in args]
    if "--report-dir" in args and says != "--exercise":
        args = ["--exercise", *args]
    with pytest.raises(CommandError) as refused:
        simulate("typhoon", *(["--via", "direct"] if "--via" not in args else []), *args)
    message = str(refused.value)
    assert says in message and "\n" not in message and "Traceback" not in message, message


def test_unknown_district_in_the_site_language_and_english(small_demo, nothing_runs):  # noqa: F811
    with pytest.raises(CommandError, match="没有名为“火星区”的区；可选的区有：思明区、"):
        simulate("rainstorm", "--district", "火星区")
    with pytest.raises(CommandError, match="no district '火星区'; the districts are 思明区, "):
        simulate("rainstorm", "--district", "火星区", language="en")


def test_a_server_that_does_not_answer_stops_the_storm_with_one_line(small_demo):  # noqa: F811
    args = ["--via", "http", "--url", "http://127.0.0.1:9", "--token", "x", "--speed", "1000000"]
    with pytest.raises(CommandError) as refused:
        simulate("rainstorm", *args, "--hours", "1", "--step", "30")
    assert "127.0.0.1:9" in str(refused.value) and "\n" not in str(refused.value)


def test_a_scenario_that_does_not_exist(nothing_runs):
    with pytest.raises(CommandError, match="hurricane"):
        simulate("hurricane")
