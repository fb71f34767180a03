"""The warnings API end to end by persona, CAP out (each version's document valid against the schema and
read back into the same warning), the public Atom feed (drills never), and the public page's data."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from lxml import etree

from citywatch.warnings import cap
from citywatch.warnings.cap.schema import cap12_schema
from citywatch.warnings.models import Warning
from tests.support.personas import client_for
from tests.support.places import TONGAN, place


def schema_valid(data: bytes) -> bool:
    return cap12_schema().validate(etree.fromstring(data).getroottree())


def body(level="orange", **kw):
    now = timezone.now()
    return {
        "hazard": "rainstorm",
        "level": level,
        "area_codes": [TONGAN],
        "onset": now.isoformat(),
        "expires": (now + datetime.timedelta(hours=6)).isoformat(),
        **kw,
    }


def issue_via_api(level="orange", **kw) -> dict:
    duty, commander = client_for("duty_officer"), client_for("commander")
    created = duty.post("/api/v1/warnings/", body(level, **kw), content_type="application/json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["allowed_actions"] == ["submit", "withdraw"]
    refused = duty.post(
        f"/api/v1/warnings/{pk}/transitions", {"action": "issue"}, content_type="application/json"
    )
    assert refused.status_code == 403
    duty.post(f"/api/v1/warnings/{pk}/transitions", {"action": "submit"}, content_type="application/json")
    approved = commander.post(
        f"/api/v1/warnings/{pk}/transitions", {"action": "approve"}, content_type="application/json"
    )
    assert approved.status_code == 200, approved.content
    return approved.json()


@pytest.mark.django_db
def test_issue_update_lift_and_cap_out(anon):
    issued = issue_via_api()
    assert issued["status"] == "issued" and issued["public_cap_url"].startswith("/cap/alerts/")
    listed = client_for("siming_officer").get("/api/v1/warnings/").json()
    assert issued["id"] not in [w["id"] for w in listed["items"]], "同安区's warning is outside 思明区"
    assert issued["id"] in [w["id"] for w in client_for("inspector").get("/api/v1/warnings/").json()["items"]]

    document = anon.get(issued["public_cap_url"])
    assert document.status_code == 200 and document["Content-Type"].startswith("application/cap+xml")
    assert "public" in document["Cache-Control"]
    assert schema_valid(document.content)
    alert = cap.read_alert(document.content, accept_cap11=False)
    warning = Warning.objects.get(pk=issued["id"])
    zh, en = alert.infos
    assert (zh.headline, zh.instruction, cap.signal_level(zh)) == (
        warning.headline,
        warning.instructions,
        warning.level,
    )
    assert (zh.onset, zh.expires) == (
        warning.onset.replace(microsecond=0),
        warning.expires.replace(microsecond=0),
    )
    assert cap.division_codes(zh.areas[0]) == (TONGAN,) and en.language == "en"

    feed = cap.read_feed(anon.get("/cap/feed.atom").content)
    assert alert.identifier in {e.alert_url.rsplit("/", 1)[-1][:-4] for e in feed.entries}

    commander = client_for("commander")
    updated = commander.post(
        f"/api/v1/warnings/{issued['id']}/updates", body("red"), content_type="application/json"
    )
    assert updated.status_code == 200, updated.content
    versions = updated.json()["versions"]
    assert [v["msg_type"] for v in versions] == ["Alert", "Update"]
    assert versions[1]["change"] == "upgrade"

    lifted = commander.post(
        f"/api/v1/warnings/{issued['id']}/transitions", {"action": "lift"}, content_type="application/json"
    )
    assert lifted.json()["status"] == "lifted"
    # the list is the warnings in force by default (the one-map's layer reads it): a lifted one leaves it
    in_force = commander.get("/api/v1/warnings/").json()["items"]
    layer = commander.get("/api/v1/warnings/", {"format": "geojson"}).json()["features"]
    assert issued["id"] not in [w["id"] for w in in_force] + [f["id"] for f in layer]
    for query in ({"all": "true"}, {"status": "lifted"}):
        assert issued["id"] in [w["id"] for w in commander.get("/api/v1/warnings/", query).json()["items"]]
    draft = commander.post("/api/v1/warnings/", body("blue"), content_type="application/json").json()
    assert draft["id"] not in [w["id"] for w in commander.get("/api/v1/warnings/").json()["items"]]
    cancel = commander.get(lifted.json()["versions"][-1]["cap_url"])
    assert cap.read_alert(cancel.content).msg_type == cap.MsgType.CANCEL
    # Every time of a document is written in the city's offset, as its <sent>; a reference repeats the
    # <sent> of the alert it names as that alert wrote it.
    for text in (document.content.decode(), cancel.content.decode()):
        times = re.findall(r"<(sent|effective|onset|expires)>([^<]+)<", text)
        assert len(times) >= 7 and all(value.endswith("+08:00") for _name, value in times), times
    sent = re.search(r"<sent>([^<]+)</sent>", document.content.decode()).group(1)
    assert f"{alert.sender},{alert.identifier},{sent}" in cancel.content.decode()
    # The feed lists the lifted alert's Cancel (a reader learns that it ended), not the alert; a day on,
    # neither.
    cancel_alert = cap.read_alert(cancel.content)
    feed = cap.read_feed(anon.get("/cap/feed.atom").content)
    listed = {e.alert_url.rsplit("/", 1)[-1][:-4] for e in feed.entries}
    assert cancel_alert.identifier in listed and alert.identifier not in listed
    assert anon.get(f"/cap/alerts/{cancel_alert.identifier}.xml").content == cancel.content
    from citywatch.warnings import queries

    day_on = timezone.now() + datetime.timedelta(hours=24, minutes=1)
    assert cancel_alert.identifier in {v.identifier for v in queries.public_recent_cancels()}
    assert cancel_alert.identifier not in {v.identifier for v in queries.public_recent_cancels(day_on)}


@pytest.mark.django_db
def test_drills_are_never_public(anon):
    drill = issue_via_api("blue", exercise=True)
    version = Warning.objects.get(pk=drill["id"]).versions.get()
    assert cap.read_alert(version.cap.encode()).status == cap.Status.EXERCISE
    assert drill["public_cap_url"] is None
    assert anon.get(f"/cap/alerts/{version.identifier}.xml").status_code == 404
    assert version.identifier not in anon.get("/cap/feed.atom").content.decode()
    assert drill["headline"] not in anon.get("/public/").content.decode()


@pytest.mark.django_db
def test_public_page_and_json(anon):
    issued = issue_via_api("orange")
    page = anon.get("/public/", {"area": TONGAN})
    assert page.status_code == 200
    assert "public" in page["Cache-Control"] and "max-age" in page["Cache-Control"]
    text = page.content.decode()
    assert issued["headline"] in text and "停课" in text and 'lang="zh-CN"' in text
    assert '<label for="area">所在区</label>' in text  # not a bare 区
    assert "厦门市应急指挥中心" in text and "应急指挥中心 CityWatch" not in text  # the issuer alone
    assert "Cookie" not in page.get("Vary", "")
    lon, lat = place(TONGAN)
    data = anon.get("/public/warnings.json", {"lon": lon, "lat": lat}).json()
    assert data["area"]["code"] == TONGAN
    assert [w["level"] for w in data["warnings"] if w["headline"] == issued["headline"]] == ["orange"]
    assert data["warnings"][0]["colour"].startswith("#")
    shelter = data["shelters"][0]
    assert shelter["free_places"] > 0 and shelter["amap_url"].startswith("https://uri.amap.com/")
    assert shelter["geo_uri"].startswith("geo:") and "baidu.com" in shelter["baidu_url"]
    assert "username" not in page.content.decode() and "duty_officer" not in str(data)
    english = anon.get("/public/", {"area": TONGAN, "lang": "en"}).content.decode()
    assert 'lang="en"' in english
    # another district's visitor does not see 同安区's warning
    other = anon.get("/public/warnings.json", {"area": "350203"}).json()
    assert issued["headline"] not in [w["headline"] for w in other["warnings"]]
