"""District staff see the warnings issued above their district that concern it (a city-wide warning, or one
naming several districts including theirs) on every path — the list page, the warning's page, the API list,
detail and versions, the one-map's layer (the API's GeoJSON), the duty screen's panel and the live stream —
and never one for other districts only (404), nor a city draft; and they may not change a city warning."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from citywatch.core.access import get_for
from citywatch.core.errors import Forbidden
from citywatch.core.models import User
from citywatch.warnings import actions
from citywatch.warnings.models import Warning
from tests.support.personas import client_for
from tests.support.places import CITY, HULI, SIMING, TONGAN


def data(codes, level="orange"):
    now = timezone.now()
    return actions.WarningInput(
        hazard="rainstorm",
        level=level,
        area_codes=list(codes),
        onset=now,
        expires=now + datetime.timedelta(hours=6),
    )


def issued(codes, level="orange") -> Warning:
    commander = User.objects.get(username="commander")
    warning = actions.draft_warning(commander, data(codes, level))
    actions.issue(commander, Warning.objects.get(pk=warning.pk))
    return Warning.objects.get(pk=warning.pk)


@pytest.fixture
def warnings(db):
    from citywatch.notify.models import Message

    start = Message.objects.order_by("-id").values_list("id", flat=True).first() or 0
    out = {
        "city": issued([CITY]),
        "siming_huli": issued([SIMING, HULI]),
        "huli": issued([HULI]),
        "siming": issued([SIMING]),
        "tongan_huli": issued([TONGAN, HULI]),
        "draft": actions.draft_warning(User.objects.get(username="commander"), data([CITY], "blue")),
    }
    assert out["siming_huli"].area.code == out["tongan_huli"].area.code == CITY
    out["start"] = start
    return out


SEEN = {
    "siming_officer": {"city", "siming_huli", "siming"},
    "huli_officer": {"city", "siming_huli", "huli", "tongan_huli"},
}


@pytest.mark.django_db
@pytest.mark.parametrize("persona", sorted(SEEN))
def test_district_officers_see_the_warnings_above_that_concern_them(persona, warnings):
    from citywatch.notify.events import Cursor, poll

    client = client_for(persona)
    seen = SEEN[persona]
    unseen = {name for name in warnings if name != "start"} - seen
    ids = {name: warnings[name].pk for name in seen | unseen}

    listed = {w["id"] for w in client.get("/api/v1/warnings/", {"all": "true"}).json()["items"]}
    layer = {f["id"] for f in client.get("/api/v1/warnings/", {"format": "geojson"}).json()["features"]}
    page = client.get("/warnings/").content.decode()
    duty = client.get("/duty/").content.decode()
    for name in seen:
        warning = warnings[name]
        assert ids[name] in listed and ids[name] in layer, name
        assert f"/warnings/{warning.pk}/" in page, name
        assert warning.headline in duty, name
        assert client.get(f"/warnings/{warning.pk}/").status_code == 200, name
        detail = client.get(f"/api/v1/warnings/{warning.pk}")
        assert detail.status_code == 200, name
        if warning.area.code == CITY:
            assert detail.json()["allowed_actions"] == [], name
        version = warning.versions.get()
        assert client.get(f"/api/v1/warnings/versions/{version.pk}/cap").status_code == 200, name
    for name in unseen:
        warning = warnings[name]
        assert ids[name] not in listed and ids[name] not in layer, name
        assert f"/warnings/{warning.pk}/" not in page, name
        assert client.get(f"/warnings/{warning.pk}/").status_code == 404, name
        assert client.get(f"/api/v1/warnings/{warning.pk}").status_code == 404, name

    # the live stream: the warning.issued messages of the warnings seen, no other
    events = poll(User.objects.get(username=persona), Cursor(warnings["start"]))
    streamed = {e["payload"]["warning"] for e in events if e["kind"] == "warning.issued"}
    assert streamed == {ids[name] for name in seen if name != "draft"}


@pytest.mark.django_db
def test_a_district_officer_may_not_change_a_city_warning(warnings):
    siming = User.objects.get(username="siming_officer")
    with pytest.raises(Forbidden):
        get_for(siming, Warning, "change", pk=warnings["city"].pk)
    assert get_for(siming, Warning, "change", pk=warnings["siming"].pk) == warnings["siming"]
    client = client_for("siming_officer")
    lift = client.post(
        f"/api/v1/warnings/{warnings['city'].pk}/transitions",
        {"action": "lift"},
        content_type="application/json",
    )
    assert lift.status_code == 403
    assert client.get(f"/warnings/{warnings['city'].pk}/edit/").status_code == 403
    assert Warning.objects.get(pk=warnings["city"].pk).status == "issued"
