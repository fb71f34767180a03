"""The duty pages' forms: putting a shift on the roster and appending to a shift's handover log from
``/duty/``, and a shift's own page ``/duty/shifts/<id>/`` (its whole handover log and the add form).

Plain HTML forms, Post/Redirect/Get; refused input re-renders the page with a message next to the form
(422 invalid, 403 outside the jurisdiction, 409 overlap) and changes nothing."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.utils import timezone

from citywatch.core.models import AdminArea, ObjectChange, User
from citywatch.incidents import actions, queries
from citywatch.incidents.models import DutyShift, HandoverEntry
from tests.support.places import HULI, SIMING

pytestmark = pytest.mark.django_db

CITY = "350200"
FAR = datetime.date(2031, 3, 1)  # away from any roster the demo might hold


def area(code: str) -> AdminArea:
    return AdminArea.objects.get(code=code)


def person(username: str) -> User:
    return User.objects.get(username=username)


def local(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def field(dt: datetime.datetime) -> str:
    """What a browser's datetime-local input sends (local time, no zone)."""
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def today_noon() -> datetime.datetime:
    start, _ = queries.local_day(timezone.now())
    return start + datetime.timedelta(hours=12)


def shift(code=SIMING, start=None, hours=12, officer="siming_officer", by="siming_officer", **extra):
    """A shift made through the action (``start`` defaults to an hour ago, running 24 h: on today's roster
    and on watch now whenever the test runs)."""
    if start is None:
        start, hours = timezone.now().replace(second=0, microsecond=0) - datetime.timedelta(hours=1), 24
    return actions.create_shift(
        person(by),
        area=area(code),
        start=start,
        end=start + datetime.timedelta(hours=hours),
        duty_officer=person(officer),
        **extra,
    )


def shift_form(code=SIMING, start=None, hours=12, officer="siming_officer", leader="", note="表单班次"):
    start = start or local(FAR, 8)
    return {
        "area": str(area(code).pk),
        "start": field(start),
        "end": field(start + datetime.timedelta(hours=hours)),
        "duty_officer": str(person(officer).pk),
        "leader_on_call": str(person(leader).pk) if leader else "",
        "note": note,
    }


def select_values(body: str, name: str) -> set[str]:
    block = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', body, re.S)
    assert block, f"no select {name}"
    return set(re.findall(r'<option value="(\d+)"', block.group(1)))


def page(client, path="/duty/"):
    r = client.get(path)
    assert r.status_code == 200, (r.status_code, r.content[:300])
    return r.content.decode()


# --- Who sees the forms ---------------------------------------------------------------------------


def test_forms_for_duty_officer_not_for_inspector(duty_client, inspector):
    s = shift(CITY, by="duty_officer", officer="duty_officer")
    body = page(duty_client)
    assert 'id="shift-form"' in body and 'id="handover-form"' in body
    assert 'action="/duty/shifts/"' in body and 'action="/duty/handover/"' in body
    assert 'name="csrfmiddlewaretoken"' in body
    assert 'type="datetime-local"' in body
    assert f'href="/duty/shifts/{s.pk}/"' in body  # the roster row links to the shift's log
    assert f'<option value="{s.pk}" selected>' in body  # the shift on watch now is preselected

    body = page(inspector)
    assert f'href="/duty/shifts/{s.pk}/"' in body  # inspectors read the roster…
    for marker in (
        'id="shift-form"',
        'id="handover-form"',
        'action="/duty/shifts/"',
        'action="/duty/handover/"',
    ):
        assert marker not in body  # …but get no forms
    body = page(inspector, f"/duty/shifts/{s.pk}/")
    assert 'id="handover-form"' not in body and f"/duty/shifts/{s.pk}/handover/" not in body
    assert 'id="handover-form"' in page(duty_client, f"/duty/shifts/{s.pk}/")


def test_pages_need_login_and_post_only(anon, duty_client):
    for path in ("/duty/shifts/1/", "/duty/shifts/"):
        r = anon.get(path)
        assert r.status_code == 302 and "/login/" in r["Location"]
    r = anon.post("/duty/shifts/", shift_form())
    assert r.status_code == 302 and "/login/" in r["Location"]
    assert not DutyShift.objects.exists()
    assert duty_client.get("/duty/shifts/").status_code == 405
    assert duty_client.get("/duty/handover/").status_code == 405


def test_csrf_is_enforced():
    client = Client(enforce_csrf_checks=True)
    client.force_login(person("duty_officer"))
    r = client.post("/duty/shifts/", shift_form(CITY, officer="duty_officer"))
    assert r.status_code == 403
    assert not DutyShift.objects.exists()


# --- Putting a shift on the roster ----------------------------------------------------------------


def test_create_shift_shows_on_the_page_and_in_the_change_log(duty_client):
    start = today_noon()
    data = shift_form(CITY, start, hours=24, officer="duty_officer", leader="commander", note="白班 城市")
    r = duty_client.post("/duty/shifts/", data)
    assert r.status_code == 302 and r["Location"] == "/duty/#h-roster"
    created = DutyShift.objects.get()
    assert created.area.code == CITY and created.start == start
    assert created.end == start + datetime.timedelta(hours=24)
    assert created.duty_officer.username == "duty_officer"
    assert created.leader_on_call.username == "commander" and created.note == "白班 城市"
    assert created.date == timezone.localtime(start).date()

    body = page(duty_client)  # the G of Post/Redirect/Get: the roster and a success message
    assert f'data-id="{created.pk}"' in body and "白班 城市" in body
    assert 'class="success"' in body

    change = ObjectChange.objects.get(
        content_type=ContentType.objects.get_for_model(DutyShift), object_id=str(created.pk)
    )
    assert change.action == "create" and change.user.username == "duty_officer" and change.source == "web"


def test_shift_for_a_later_day_is_listed_as_upcoming(siming):
    r = siming.post("/duty/shifts/", shift_form(SIMING, local(FAR, 8), note="远期班次"))
    assert r.status_code == 302
    created = DutyShift.objects.get()
    body = page(siming)
    assert 'id="duty-upcoming"' in body and f'href="/duty/shifts/{created.pk}/"' in body


def test_overlapping_shift_is_refused_with_409(siming):
    existing = shift(SIMING, local(FAR, 8))
    r = siming.post("/duty/shifts/", shift_form(SIMING, local(FAR, 12), hours=4, note="重叠的班次"))
    assert r.status_code == 409
    body = r.content.decode()
    assert 'id="shift-error"' in body and "时间重叠" in body
    assert 'value="重叠的班次"' in body  # the user's values are kept
    assert f'value="{field(local(FAR, 12))}"' in body
    assert list(DutyShift.objects.values_list("pk", flat=True)) == [existing.pk]


def test_district_officer_plans_only_their_district(siming, duty_client):
    body = page(siming)
    assert select_values(body, "area") == {str(area(SIMING).pk)}
    officers = select_values(body, "duty_officer")
    assert str(person("siming_officer").pk) in officers
    assert str(person("huli_officer").pk) not in officers and str(person("commander").pk) not in officers
    # The city's officers see the city and every district.
    areas = select_values(page(duty_client), "area")
    assert {str(area(c).pk) for c in (CITY, SIMING, HULI)} <= areas

    r = siming.post("/duty/shifts/", shift_form(HULI))
    assert r.status_code == 403
    assert 'id="shift-error"' in r.content.decode() and "只能为您管辖范围内的区域排班" in r.content.decode()
    assert siming.post("/duty/shifts/", shift_form(CITY)).status_code == 403
    assert not DutyShift.objects.exists()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("start", ""),
        ("start", "tomorrow"),
        ("start", "2031-02-30T08:00"),
        ("start", "2031-03-01T25:00"),
        ("start", "0001-01-01T00:00"),
        ("start", "99999-01-01T00:00"),
        ("start", "2031-03-01T08:00+08:00"),
        ("end", "2031-03-01T07:00"),  # before the start
        ("end", "2031-03-02T09:00"),  # longer than 24 hours
        ("end", "٢٠٣١-03-01T10:00"),
    ],
)
def test_bad_dates_are_refused(siming, name, value):
    data = shift_form(SIMING, local(FAR, 8))
    data[name] = value
    r = siming.post("/duty/shifts/", data)
    assert r.status_code == 422
    assert 'id="shift-error"' in r.content.decode()
    assert not DutyShift.objects.exists()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("area", ""),
        ("area", "abc"),
        ("area", "99999999"),
        ("area", "1" * 40),
        ("area", "²"),
        ("duty_officer", ""),
        ("duty_officer", "x"),
        ("duty_officer", "99999999"),
        ("duty_officer", "huli_officer"),
        ("leader_on_call", "-1"),
        ("note", "长" * 201),
    ],
)
def test_bad_fields_are_refused(siming, name, value):
    data = shift_form(SIMING, local(FAR, 8))
    data[name] = str(person("huli_officer").pk) if value == "huli_officer" else value  # not offered
    r = siming.post("/duty/shifts/", data)
    assert r.status_code == 422, r.status_code
    assert 'id="shift-error"' in r.content.decode()
    assert not DutyShift.objects.exists()


def test_a_street_is_not_a_roster_area(duty_client):
    street = AdminArea.objects.filter(level="street").order_by("code").first()
    data = shift_form(CITY, officer="duty_officer")
    data["area"] = str(street.pk)
    assert duty_client.post("/duty/shifts/", data).status_code == 422
    assert not DutyShift.objects.exists()


def test_nul_bytes_answer_400(siming):
    data = shift_form(SIMING)
    data["note"] = "a\x00b"
    assert siming.post("/duty/shifts/", data).status_code == 400
    data = shift_form(SIMING)
    data["area"] = "\x00"
    assert siming.post("/duty/shifts/", data).status_code == 400
    assert not DutyShift.objects.exists()


# --- The handover log -----------------------------------------------------------------------------


def test_handover_entry_appended_and_shown(siming):
    s = shift(SIMING)
    r = siming.post(
        "/duty/handover/",
        {"shift": str(s.pk), "text": "白班交班：辖区平稳。", "open_items": "跟踪内涝点位\n\n 续报滑坡 \n"},
    )
    assert r.status_code == 302 and r["Location"] == "/duty/#h-handover"
    entry = HandoverEntry.objects.get()
    assert entry.shift_id == s.pk and entry.author.username == "siming_officer"
    assert entry.text == "白班交班：辖区平稳。" and entry.open_items == ["跟踪内涝点位", "续报滑坡"]
    body = page(siming)
    assert f'data-id="{entry.pk}"' in body and "白班交班：辖区平稳。" in body and "续报滑坡" in body

    # From the shift's own page; its log is shown newest first.
    r = siming.post(f"/duty/shifts/{s.pk}/handover/", {"text": "夜班接班。", "open_items": ""})
    assert r.status_code == 302 and r["Location"] == f"/duty/shifts/{s.pk}/#h-handover-log"
    newest = HandoverEntry.objects.latest("id")
    assert newest.open_items == [] and newest.author.username == "siming_officer"
    body = page(siming, f"/duty/shifts/{s.pk}/")
    assert body.index("夜班接班。") < body.index("白班交班：辖区平稳。")
    assert "跟踪内涝点位" in body


def test_handover_refuses_bad_input(siming):
    s = shift(SIMING)
    r = siming.post("/duty/handover/", {"shift": str(s.pk), "text": "   ", "open_items": "留下的事项"})
    assert r.status_code == 422
    body = r.content.decode()
    assert 'id="handover-error"' in body and "留下的事项" in body  # message, values kept
    r = siming.post(f"/duty/shifts/{s.pk}/handover/", {"text": "", "open_items": "x"})
    assert r.status_code == 422 and 'id="handover-error"' in r.content.decode()
    many = "\n".join(f"事项{i}" for i in range(101))
    assert (
        siming.post("/duty/handover/", {"shift": str(s.pk), "text": "t", "open_items": many}).status_code
        == 422
    )
    for bad in ("", "abc", "-1", "1.5", "²"):
        assert siming.post("/duty/handover/", {"shift": bad, "text": "t"}).status_code == 422
    assert siming.post("/duty/handover/", {"shift": str(s.pk), "text": "t\x00"}).status_code == 400
    assert not HandoverEntry.objects.exists()


def test_handover_outside_the_jurisdiction_is_404(siming, huli, duty_client):
    s = shift(SIMING)
    assert huli.post("/duty/handover/", {"shift": str(s.pk), "text": "不应写入"}).status_code == 404
    assert huli.post(f"/duty/shifts/{s.pk}/handover/", {"text": "不应写入"}).status_code == 404
    assert siming.post("/duty/handover/", {"shift": "99999999", "text": "t"}).status_code == 404
    assert siming.post("/duty/handover/", {"shift": "9" * 18, "text": "t"}).status_code == 404
    assert siming.post("/duty/shifts/99999999/handover/", {"text": "t"}).status_code == 404
    assert not HandoverEntry.objects.exists()
    # Huli's duty page offers no Siming shift; the city's does.
    assert f'<option value="{s.pk}"' not in page(huli)
    assert f'<option value="{s.pk}"' in page(duty_client)


def test_shift_page_is_404_outside_the_jurisdiction(siming, huli, duty_client, inspector):
    s = shift(SIMING, note="思明白班")
    body = page(siming, f"/duty/shifts/{s.pk}/")
    assert "思明白班" in body and 'id="duty-shift"' in body
    assert page(duty_client, f"/duty/shifts/{s.pk}/")
    assert page(inspector, f"/duty/shifts/{s.pk}/")
    r = huli.get(f"/duty/shifts/{s.pk}/")
    assert r.status_code == 404 and "思明白班" not in r.content.decode()
    assert siming.get("/duty/shifts/99999999/").status_code == 404
    assert siming.get("/duty/shifts/" + "9" * 30 + "/").status_code == 404
    assert siming.get("/duty/shifts/abc/").status_code == 404


def test_inspector_post_is_403(inspector):
    s = shift(SIMING)
    assert inspector.post("/duty/shifts/", shift_form(SIMING)).status_code == 403
    assert inspector.post("/duty/handover/", {"shift": str(s.pk), "text": "x"}).status_code == 403
    assert inspector.post(f"/duty/shifts/{s.pk}/handover/", {"text": "x"}).status_code == 403
    assert list(DutyShift.objects.values_list("pk", flat=True)) == [s.pk]
    assert not HandoverEntry.objects.exists()
