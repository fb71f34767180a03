"""Supply requests: shipping issues stock through the ledger, partly if need be, and never overdraws."""

from decimal import Decimal

import pytest
from django.contrib.gis.geos import Point

from citywatch.core.errors import ActionError, Conflict
from citywatch.core.models import AdminArea
from citywatch.incidents import actions
from citywatch.incidents.models import IncidentLog, SupplyRequest
from citywatch.resources import actions as ledger
from citywatch.resources.models import Depot, StockBalance, StockMovement
from tests.support.builders import depot_with, new_incident

J = "application/json"


def balance(depot, item):
    return StockBalance.objects.get(depot=depot, item=item).quantity


@pytest.mark.django_db
def test_request_approve_ship_in_parts_receive(duty):
    incident = new_incident()
    depot, item = depot_with(100)
    r = actions.request_supply(incident, duty, depot.pk, item.code, 80)
    r = actions.supply_transition(r, "approve", duty, 60)
    assert r.status == "approved" and r.quantity_approved == 60
    r = actions.supply_transition(r, "ship", duty, 25)
    assert r.status == "shipped" and r.quantity_shipped == 25 and balance(depot, item) == 75
    r = actions.supply_transition(r, "ship", duty)  # the rest of the approved quantity
    assert r.quantity_shipped == 60 and balance(depot, item) == 40
    with pytest.raises(Conflict, match="批准的物资已全部发运"):
        actions.supply_transition(r, "ship", duty, 1)
    r = actions.supply_transition(r, "receive", duty)
    assert r.status == "received" and r.quantity_received == 60 and r.received_at
    issues = StockMovement.objects.filter(depot=depot, kind="issue").order_by("id")
    assert [m.delta for m in issues] == [Decimal(-25), Decimal(-35)]
    assert {m.reference for m in issues} == {f"INC-{incident.pk}"}
    texts = list(
        IncidentLog.objects.filter(incident=incident, kind="supply").values_list("data__to", flat=True)
    )
    assert texts == ["requested", "approved", "shipped", "shipped", "received"]
    entries = IncidentLog.objects.filter(incident=incident, kind="supply").order_by("id")
    assert [e.text for e in entries][:3] == [
        f"向{depot.name}申请帐篷 80 顶",
        f"{depot.name}的帐篷：已申请 → 已批准，60 顶",
        f"{depot.name}的帐篷：已批准 → 已发运，25 顶",
    ]


@pytest.mark.django_db
def test_shipping_more_than_stock_is_refused_and_changes_nothing(duty, siming):
    incident = new_incident()
    depot, item = depot_with(10)
    r = actions.request_supply(incident, duty, depot.pk, item.code, 10)
    actions.supply_transition(r, "approve", duty)
    # Six spoil after the approval (a write-off is not held back by promises).
    ledger.record_movement(depot, item, "expiry", 6, reference="spoiled")
    logs = IncidentLog.objects.filter(incident=incident).count()
    url = f"/api/v1/incidents/{incident.pk}/supply-requests/{r.pk}/transitions"
    resp = siming.post(url, {"action": "ship"}, content_type=J)
    assert resp.status_code == 409 and "不能出库 10" in resp.json()["error"]["message"]
    r.refresh_from_db()
    assert r.status == "approved" and r.quantity_shipped == 0
    assert balance(depot, item) == 4
    assert not StockMovement.objects.filter(depot=depot, kind="issue", reference__startswith="INC-").exists()
    assert IncidentLog.objects.filter(incident=incident).count() == logs
    resp = siming.post(url, {"action": "ship", "quantity": "4"}, content_type=J)
    assert resp.status_code == 200 and resp.json()["quantity_shipped"] == "4.000"
    assert balance(depot, item) == 0


@pytest.mark.django_db
def test_a_request_larger_than_what_the_depot_can_give_is_refused(duty, siming):
    incident = new_incident()
    depot, item = depot_with(100)
    url = f"/api/v1/incidents/{incident.pk}/supply-requests"
    before = (SupplyRequest.objects.count(), IncidentLog.objects.filter(incident=incident).count())
    resp = siming.post(url, {"depot": depot.pk, "item": item.code, "quantity": "200"}, content_type=J)
    assert resp.status_code == 409, resp.content
    message = resp.json()["error"]["message"]
    assert "库存帐篷 100 顶" in message and "最多可调拨 100，不能调拨 200" in message
    assert (SupplyRequest.objects.count(), IncidentLog.objects.filter(incident=incident).count()) == before
    # 70 approved for one request: a second may ask for the 30 left, not more, and approving checks again.
    first = actions.request_supply(incident, duty, depot.pk, item.code, 70)
    second = actions.request_supply(incident, duty, depot.pk, item.code, 60)
    actions.supply_transition(first, "approve", duty)
    with pytest.raises(Conflict, match="其中 70 已批准给其他申请"):
        actions.supply_transition(second, "approve", duty)
    second.refresh_from_db()
    assert second.status == "requested" and second.quantity_approved == 0
    actions.supply_transition(second, "approve", duty, quantity=30)  # partial fulfilment
    with pytest.raises(Conflict, match="最多可调拨 0，"):
        actions.request_supply(incident, duty, depot.pk, item.code, 1)
    assert actions.available(depot, item) == (Decimal(100), Decimal(100), Decimal(0))


@pytest.mark.django_db
def test_bad_supply_input(duty):
    incident = new_incident()
    depot, item = depot_with(10)
    with pytest.raises(ActionError):
        actions.request_supply(incident, duty, depot.pk, item.code, 0)
    with pytest.raises(ActionError, match="未知物资 'NOPE'"):
        actions.request_supply(incident, duty, depot.pk, "NOPE", 1)
    r = actions.request_supply(incident, duty, depot.pk, item.code, 5)
    with pytest.raises(ActionError, match="批准数量不能超过申请数量 5"):
        actions.supply_transition(r, "approve", duty, 6)
    with pytest.raises(Conflict):
        actions.supply_transition(r, "receive", duty)
    r = actions.supply_transition(r, "cancel", duty)
    assert r.status == "cancelled" and r.cancelled_at
    for action in actions.SUPPLY_ACTIONS:
        with pytest.raises(Conflict):
            actions.supply_transition(r, action, duty)


@pytest.mark.django_db
def test_supply_api_and_jurisdiction(siming, huli):
    incident = new_incident()
    depot, item = depot_with(30)
    huli_depot, _ = depot_with(30, "350206", "湖里区储备库（事件测试）")
    base = f"/api/v1/incidents/{incident.pk}/supply-requests"
    r = siming.post(base, {"depot": depot.pk, "item": item.code, "quantity": "5"}, content_type=J)
    assert r.status_code == 201 and r.json()["status"] == "requested"
    assert (
        siming.post(
            base, {"depot": huli_depot.pk, "item": item.code, "quantity": "5"}, content_type=J
        ).status_code
        == 404
    )
    assert (
        siming.post(
            base, {"depot": depot.pk, "item": item.code, "quantity": "-1"}, content_type=J
        ).status_code
        == 422
    )
    assert (
        siming.post(base, {"depot": depot.pk, "item": "NOPE", "quantity": "1"}, content_type=J).status_code
        == 422
    )
    assert (
        huli.post(
            base, {"depot": huli_depot.pk, "item": item.code, "quantity": "5"}, content_type=J
        ).status_code
        == 404
    )
    assert huli.get(base).status_code == 404
    assert [x["quantity_requested"] for x in siming.get(base).json()] == ["5.000"]
    sid = r.json()["id"]
    assert huli.post(f"{base}/{sid}/transitions", {"action": "approve"}, content_type=J).status_code == 404
    assert siming.post(f"{base}/{sid}/transitions", {"action": "bogus"}, content_type=J).status_code == 422


@pytest.mark.django_db
def test_supply_sources_nearest_first_with_what_each_can_give(siming, huli, duty):
    incident = new_incident()
    near, item = depot_with(50, name="思明近处储备库（事件测试）")  # at the district's point, as the incident
    far_area = AdminArea.objects.get(code="350203")
    far = Depot.objects.create(
        name="思明远处储备库（事件测试）",
        kind="district",
        area=far_area,
        location=Point(far_area.point.x + 0.03, far_area.point.y + 0.01, srid=4326),
    )
    ledger.record_movement(far, item, "receipt", 500)
    empty, _ = depot_with(0, name="思明空储备库（事件测试）")
    huli_depot, _ = depot_with(80, "350206", "湖里区储备库（事件测试）")
    url = f"/api/v1/incidents/{incident.pk}/supply-sources?item={item.code}"
    body = siming.get(url).json()
    ids = [d["id"] for d in body["items"]]
    assert body["item"]["unit"] == item.unit
    assert ids.index(near.pk) < ids.index(far.pk)  # by travel time, not by stock
    assert empty.pk not in ids and huli_depot.pk not in ids  # nothing to give / not in the jurisdiction
    first = body["items"][ids.index(near.pk)]
    assert first["available"] == "50.000" and first["eta_s"] is not None and first["eta_s"] >= 0
    # What approved requests still have to ship is not offered again.
    r = actions.request_supply(incident, duty, near.pk, item.code, 20)
    actions.supply_transition(r, "approve", duty)
    body = siming.get(url).json()
    row = next(d for d in body["items"] if d["id"] == near.pk)
    assert (row["balance"], row["available"]) == ("50.000", "30.000")
    assert siming.get(f"/api/v1/incidents/{incident.pk}/supply-sources?item=NOPE").status_code == 422
    assert siming.get(f"/api/v1/incidents/{incident.pk}/supply-sources").status_code == 422
    assert (
        siming.get(f"/api/v1/incidents/{incident.pk}/supply-sources?item={item.code}&limit=0").status_code
        == 422
    )
    assert siming.get(url + "&quantity=-1").status_code == 422
    # Asking for 40: only the depots that can give 40 (not the near one, with 30 left), nearest first.
    ids = [d["id"] for d in siming.get(url + "&quantity=40").json()["items"]]
    assert far.pk in ids and near.pk not in ids
    # The Huli officer cannot see the Siming incident at all.
    assert huli.get(url).status_code == 404
