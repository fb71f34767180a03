"""Supply requests: shipping issues stock through the ledger, partly if need be, and never overdraws."""

from decimal import Decimal

import pytest

from citywatch.core.actions import ActionError, Conflict
from citywatch.core.models import AdminArea
from citywatch.incidents import actions
from citywatch.incidents.models import IncidentLog
from citywatch.resources import actions as ledger
from citywatch.resources.models import Depot, StockBalance, StockMovement, SupplyItem
from tests.incidents.conftest import new_incident

J = "application/json"


def depot_with(quantity, code="350203", name="思明区应急物资储备库（事件测试）"):
    area = AdminArea.objects.get(code=code)
    depot = Depot.objects.create(name=name, kind="district", area=area, location=area.point)
    item = SupplyItem.objects.get_or_create(
        code="TENT-T", defaults={"name": "帐篷", "category": "shelter", "unit": "顶"}
    )[0]
    if quantity:
        ledger.record_movement(depot, item, "receipt", quantity)
    return depot, item


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
    with pytest.raises(Conflict, match="everything approved"):
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


@pytest.mark.django_db
def test_shipping_more_than_stock_is_refused_and_changes_nothing(duty, siming):
    incident = new_incident()
    depot, item = depot_with(10)
    r = actions.request_supply(incident, duty, depot.pk, item.code, 50)  # not checked against stock here
    actions.supply_transition(r, "approve", duty)
    logs = IncidentLog.objects.filter(incident=incident).count()
    url = f"/api/v1/incidents/{incident.pk}/supply-requests/{r.pk}/transitions"
    resp = siming.post(url, {"action": "ship"}, content_type=J)
    assert resp.status_code == 409 and "cannot take 50" in resp.json()["error"]["message"]
    r.refresh_from_db()
    assert r.status == "approved" and r.quantity_shipped == 0
    assert balance(depot, item) == 10 and not StockMovement.objects.filter(depot=depot, kind="issue").exists()
    assert IncidentLog.objects.filter(incident=incident).count() == logs
    resp = siming.post(url, {"action": "ship", "quantity": "10"}, content_type=J)
    assert resp.status_code == 200 and resp.json()["quantity_shipped"] == "10.000"
    assert balance(depot, item) == 0


@pytest.mark.django_db
def test_bad_supply_input(duty):
    incident = new_incident()
    depot, item = depot_with(10)
    with pytest.raises(ActionError):
        actions.request_supply(incident, duty, depot.pk, item.code, 0)
    with pytest.raises(ActionError, match="unknown supply item"):
        actions.request_supply(incident, duty, depot.pk, "NOPE", 1)
    r = actions.request_supply(incident, duty, depot.pk, item.code, 5)
    with pytest.raises(ActionError, match="cannot approve more"):
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
