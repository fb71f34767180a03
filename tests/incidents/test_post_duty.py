"""Forward command posts (timing against the target, one active post, not before verification) and
duty (roster and handover within the jurisdiction, the handover log append-only, the duty screen)."""

from __future__ import annotations

import datetime
import json

import pytest
from django.utils import timezone

from citywatch.core.errors import Conflict, Invalid
from citywatch.core.models import AdminArea, User
from citywatch.incidents import actions, queries
from citywatch.incidents.models import CommandPost, DutyShift, HandoverEntry, IncidentLog, ReadOnlyError
from tests.support.builders import new_incident
from tests.support.places import HULI, SIMING, place

pytestmark = pytest.mark.django_db


def post_json(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def verified(username="duty_officer", code=SIMING, minutes_ago=0, **extra):
    """A verified incident; ``minutes_ago`` moves the verification back (a post is timed from it)."""
    incident = new_incident(username, code, **extra)
    incident = actions.transition(incident, "verify", User.objects.get(username=username))
    if minutes_ago:
        incident.verified_at -= datetime.timedelta(minutes=minutes_ago)
        incident.save(update_fields=["verified_at"])
    return incident


def post_body(code=SIMING, **extra):
    lon, lat = place(code)
    return {
        "lon": lon,
        "lat": lat,
        "leader": "commander",
        "members": [{"name": "张三", "role": "通信保障"}, {"name": "李四"}],
        "communications": "350 MHz 频道 3；卫星电话",
        **extra,
    }


# --- Command posts --------------------------------------------------------------------------------


def test_post_timing_against_target(duty_client, duty, settings):
    incident = verified(minutes_ago=60)
    at = incident.verified_at + datetime.timedelta(minutes=20)
    r = post_json(
        duty_client, f"/api/v1/incidents/{incident.pk}/command-post", post_body(established_at=at.isoformat())
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["minutes_from_verification"] == 20.0
    assert body["target_minutes"] == 30 and body["within_target"] is True
    assert body["leader"] == "commander" and body["active"] is True
    assert body["members"] == [{"name": "张三", "role": "通信保障"}, {"name": "李四"}]
    entry = IncidentLog.objects.filter(incident=incident, data__action="establish").get()
    assert entry.data["within_target"] is True and entry.author == duty
    assert entry.text == "开设前方指挥部，距核实 20 分钟（在 30 分钟时限内）；负责人 市指挥长"

    # The target comes from settings; 20 minutes misses a 15-minute target.
    settings.CITYWATCH_COMMAND_POST_TARGET_MINUTES = 15
    assert duty_client.get(f"/api/v1/incidents/{incident.pk}/command-post").json()["within_target"] is False

    # Shown on the map: the active posts as GeoJSON.
    fc = duty_client.get("/api/v1/incidents/command-posts").json()
    assert fc["type"] == "FeatureCollection"
    assert any(f["properties"]["incident"] == incident.pk for f in fc["features"])

    # Late: 45 minutes after verification is beyond the default 30.
    settings.CITYWATCH_COMMAND_POST_TARGET_MINUTES = 30
    late = verified(minutes_ago=60)
    post = actions.establish_post(
        late,
        duty,
        lon=place(SIMING)[0],
        lat=place(SIMING)[1],
        established_at=late.verified_at + datetime.timedelta(minutes=45),
    )
    assert post.minutes_from_verification == 45.0 and post.within_target is False


def test_post_not_in_the_future_nor_before_verification(duty):
    incident = verified()
    lon, lat = place(SIMING)
    with pytest.raises(Invalid):
        actions.establish_post(
            incident, duty, lon=lon, lat=lat, established_at=timezone.now() + datetime.timedelta(hours=1)
        )
    with pytest.raises(Invalid):
        actions.establish_post(
            incident,
            duty,
            lon=lon,
            lat=lat,
            established_at=incident.verified_at - datetime.timedelta(minutes=1),
        )


def test_second_active_post_409_then_close_and_reopen(duty_client):
    incident = verified()
    url = f"/api/v1/incidents/{incident.pk}/command-post"
    assert post_json(duty_client, url, post_body()).status_code == 201
    r = post_json(duty_client, url, post_body())
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"
    assert CommandPost.objects.filter(incident=incident).count() == 1

    r = post_json(duty_client, url + "/close", {"note": "撤收"})
    assert r.status_code == 200 and r.json()["active"] is False and r.json()["closed_at"]
    assert post_json(duty_client, url + "/close").status_code == 404  # nothing active to close
    assert post_json(duty_client, url, post_body()).status_code == 201  # a new post after the old closed
    assert CommandPost.objects.filter(incident=incident, closed_at__isnull=True).count() == 1
    kinds = list(
        IncidentLog.objects.filter(incident=incident, data__has_key="command_post").values_list(
            "data__action", flat=True
        )
    )
    assert kinds == ["establish", "close", "establish"]


def test_one_active_post_enforced_by_the_database(duty):
    incident = verified()
    lon, lat = place(SIMING)
    from django.contrib.gis.geos import Point
    from django.db import IntegrityError, transaction

    actions.establish_post(incident, duty, lon=lon, lat=lat)
    with pytest.raises(IntegrityError), transaction.atomic():
        CommandPost.objects.create(
            incident=incident, location=Point(lon, lat, srid=4326), established_at=timezone.now()
        )


def test_post_before_verification_409(duty_client, duty):
    incident = new_incident()
    r = post_json(duty_client, f"/api/v1/incidents/{incident.pk}/command-post", post_body())
    assert r.status_code == 409, r.content
    assert "请先核实事件" in r.json()["error"]["message"]
    assert duty_client.get(f"/api/v1/incidents/{incident.pk}/command-post").status_code == 404
    cancelled = actions.transition(new_incident(), "cancel", duty)
    with pytest.raises(Conflict):
        actions.establish_post(cancelled, duty, lon=place(SIMING)[0], lat=place(SIMING)[1])


def test_post_jurisdiction_and_permissions(siming, huli, inspector):
    incident = verified("siming_officer", SIMING)
    url = f"/api/v1/incidents/{incident.pk}/command-post"
    assert post_json(huli, url, post_body()).status_code == 404
    assert post_json(inspector, url, post_body()).status_code == 403
    assert post_json(siming, url, post_body()).status_code == 201
    assert huli.get(url).status_code == 404
    assert inspector.get(url).status_code == 200
    assert all(
        f["properties"]["incident"] != incident.pk
        for f in huli.get("/api/v1/incidents/command-posts").json()["features"]
    )


# --- Duty roster and handover ---------------------------------------------------------------------


def local(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


FAR = datetime.date(2031, 3, 1)  # away from the demo roster


def shift_body(code, start, hours=12, officer="siming_officer", leader="commander"):
    return {
        "area": code,
        "start": start.isoformat(),
        "end": (start + datetime.timedelta(hours=hours)).isoformat(),
        "duty_officer": officer,
        "leader_on_call": leader,
    }


def test_roster_and_handover_jurisdiction(siming, huli, duty_client):
    r = post_json(siming, "/api/v1/duty/shifts", shift_body(SIMING, local(FAR, 8)))
    assert r.status_code == 201, r.content
    shift = r.json()
    assert shift["date"] == "2031-03-01" and shift["start"].startswith("2031-03-01T08:00:00+08:00")
    assert shift["end"].startswith("2031-03-01T20:00:00+08:00")
    # A night shift crosses midnight and belongs to the day it starts.
    night = post_json(siming, "/api/v1/duty/shifts", shift_body(SIMING, local(FAR, 20))).json()
    assert night["date"] == "2031-03-01" and night["end"].startswith("2031-03-02T08:00:00+08:00")

    # Siming may not plan Huli's or the city's roster; Huli does not see Siming's.
    assert post_json(siming, "/api/v1/duty/shifts", shift_body(HULI, local(FAR, 8))).status_code == 403
    assert post_json(siming, "/api/v1/duty/shifts", shift_body("350200", local(FAR, 8))).status_code == 403
    huli_ids = [s["id"] for s in huli.get("/api/v1/duty/shifts?date=2031-03-01").json()["items"]]
    assert shift["id"] not in huli_ids
    city_ids = [s["id"] for s in duty_client.get("/api/v1/duty/shifts?date=2031-03-01").json()["items"]]
    assert {shift["id"], night["id"]} <= set(city_ids)
    siming_ids = [s["id"] for s in siming.get("/api/v1/duty/shifts?date=2031-03-02").json()["items"]]
    assert siming_ids == [night["id"]]  # the night shift runs into the next day

    # Overlap with a shift of the same area: 409; another district's same hours are fine.
    assert post_json(siming, "/api/v1/duty/shifts", shift_body(SIMING, local(FAR, 12))).status_code == 409
    huli_shift = post_json(
        huli, "/api/v1/duty/shifts", shift_body(HULI, local(FAR, 8), officer="huli_officer")
    )
    assert huli_shift.status_code == 201
    bad = shift_body(SIMING, local(FAR, 8), hours=25)
    assert post_json(siming, "/api/v1/duty/shifts", bad).status_code == 422

    # Handover: the district's own officers and the city append and read; Huli gets 404.
    url = f"/api/v1/duty/shifts/{shift['id']}/handover"
    r = post_json(siming, url, {"text": "白班交班：辖区平稳。", "open_items": ["跟踪内涝点位"]})
    assert r.status_code == 201 and r.json()["author"] == "siming_officer"
    assert post_json(huli, url, {"text": "不应写入"}).status_code == 404
    assert huli.get(url).status_code == 404
    assert post_json(duty_client, url, {"text": "市值班室已阅。"}).status_code == 201
    items = siming.get(url).json()["items"]
    assert [e["text"] for e in items] == ["白班交班：辖区平稳。", "市值班室已阅。"]
    assert items[0]["open_items"] == ["跟踪内涝点位"]


def test_inspector_reads_roster_but_cannot_write(inspector, siming):
    shift = post_json(siming, "/api/v1/duty/shifts", shift_body(SIMING, local(FAR, 8))).json()
    assert post_json(inspector, "/api/v1/duty/shifts", shift_body(SIMING, local(FAR, 20))).status_code == 403
    url = f"/api/v1/duty/shifts/{shift['id']}/handover"
    assert inspector.get(url).status_code == 200
    assert post_json(inspector, url, {"text": "x"}).status_code == 403


def test_handover_append_only(siming):
    officer = User.objects.get(username="siming_officer")
    shift = actions.create_shift(
        officer,
        area=AdminArea.objects.get(code=SIMING),
        start=local(FAR, 8),
        end=local(FAR, 20),
        duty_officer=officer,
    )
    entry = actions.add_handover(shift, officer, "交班", ["事项一"])
    entry.text = "改写"
    with pytest.raises(ReadOnlyError):
        entry.save()
    with pytest.raises(ReadOnlyError):
        entry.delete()
    with pytest.raises(ReadOnlyError):
        HandoverEntry.objects.filter(pk=entry.pk).update(text="改写")
    with pytest.raises(ReadOnlyError):
        HandoverEntry.objects.filter(pk=entry.pk).delete()
    assert HandoverEntry.objects.get(pk=entry.pk).text == "交班"
    url = f"/api/v1/duty/shifts/{shift.pk}/handover"
    assert siming.put(url, "{}", content_type="application/json").status_code == 405
    assert siming.delete(url).status_code == 405
    with pytest.raises(Invalid):
        actions.add_handover(shift, officer, "   ")


# --- The duty screen ------------------------------------------------------------------------------


def test_duty_screen(duty, duty_client, huli):
    officer = duty
    now = timezone.now()
    reported = new_incident()
    late = verified(code=HULI)
    closed = verified()
    for step in ("respond", "stabilise", "close"):
        closed = actions.transition(closed, step, officer)
    cancelled = actions.transition(new_incident(), "cancel", officer)
    city = AdminArea.objects.get(code="350200")
    # A shift on watch now and two hours from now, whatever the time of day (at 22:30 those are two
    # days: it overlaps both); the demo uses the city's roster, so this one goes on Huli's. And one far in
    # the future.
    huli_area = AdminArea.objects.get(code=HULI)
    start = now.replace(minute=0, second=0, microsecond=0)
    on = actions.create_shift(
        officer,
        area=huli_area,
        start=start,
        end=start + datetime.timedelta(hours=4),
        duty_officer=officer,
    )
    later = actions.create_shift(
        officer, area=city, start=local(FAR, 8), end=local(FAR, 20), duty_officer=officer
    )

    screen = queries.duty_screen(officer, now + datetime.timedelta(hours=2))
    open_ids = {i.pk for i in screen.open_incidents}
    assert {reported.pk, late.pk} <= open_ids
    assert closed.pk not in open_ids and cancelled.pk not in open_ids
    overdue = {(r.incident.pk, r.report) for r in screen.overdue_reports}
    assert {(late.pk, "first"), (late.pk, "written")} <= overdue
    roster = {s.pk for s in screen.today_roster}
    assert on.pk in roster and later.pk not in roster

    # Not overdue yet right now.
    assert (late.pk, "first") not in {
        (r.incident.pk, r.report) for r in queries.duty_screen(officer, now).overdue_reports
    }

    body = duty_client.get("/api/v1/duty/screen").json()
    assert {reported.pk, late.pk} <= {i["id"] for i in body["open_incidents"]}
    assert closed.pk not in {i["id"] for i in body["open_incidents"]}
    assert on.pk in {s["id"] for s in body["today_roster"]}
    assert set(body) >= {"open_incidents", "overdue_reports", "today_roster", "on_duty", "command_posts"}

    # Huli's officer sees Huli's incidents and roster, not Siming's.
    hb = huli.get("/api/v1/duty/screen").json()
    assert late.pk in {i["id"] for i in hb["open_incidents"]} and reported.pk not in {
        i["id"] for i in hb["open_incidents"]
    }
    assert on.pk in {s["id"] for s in hb["today_roster"]}


def test_duty_roster_model_constraints():
    assert DutyShift._meta.get_field("area").remote_field.model is AdminArea
