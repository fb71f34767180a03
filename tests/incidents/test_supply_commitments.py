"""Issue 10, finding 6: stock approved for a supply request and not yet shipped is promised. The ledger
refuses an issue or a transfer that would eat into it (409, nothing written) unless the request changes
first; shipping the request itself, receipts and write-offs go through."""

from decimal import Decimal

import pytest

from citywatch.core.errors import Conflict
from citywatch.incidents import actions
from citywatch.resources import actions as ledger
from citywatch.resources.models import StockBalance, StockMovement
from tests.support.builders import depot_with, new_incident

J = "application/json"


def balance(depot, item):
    return StockBalance.objects.get(depot=depot, item=item).quantity


@pytest.mark.django_db
def test_an_issue_cannot_take_stock_approved_for_a_request(duty, city_admin):
    incident = new_incident()
    depot, item = depot_with(100)
    request = actions.supply_transition(
        actions.request_supply(incident, duty, depot.pk, item.code, 70), "approve", duty
    )
    movements = StockMovement.objects.count()
    with pytest.raises(Conflict, match="70"):
        ledger.record_movement(depot, item, "issue", 31)
    r = city_admin.post(
        "/api/v1/resources/stock-movements/",
        {"depot": depot.pk, "item": item.code, "kind": "issue", "quantity": "31"},
        content_type=J,
    )
    assert r.status_code == 409, r.content
    assert "70" in r.json()["error"]["message"]
    assert StockMovement.objects.count() == movements and balance(depot, item) == 100
    # What is not promised may go.
    ledger.record_movement(depot, item, "issue", 30)
    assert balance(depot, item) == 70
    # The request ships in full: its own stock is not held against it.
    request = actions.supply_transition(request, "ship", duty, 20)
    request = actions.supply_transition(request, "ship", duty)
    assert request.quantity_shipped == 70 and balance(depot, item) == 0


@pytest.mark.django_db
def test_a_transfer_cannot_take_stock_approved_for_a_request(duty):
    from citywatch.core.models import AdminArea
    from citywatch.resources.models import Depot

    incident = new_incident()
    depot, item = depot_with(50)
    area = AdminArea.objects.get(code="350203")
    other = Depot.objects.create(name="另一仓库（测试）", kind="district", area=area, location=area.point)
    request = actions.supply_transition(
        actions.request_supply(incident, duty, depot.pk, item.code, 40), "approve", duty
    )
    with pytest.raises(Conflict):
        ledger.transfer(depot, other, item, 11)
    assert balance(depot, item) == 50
    assert not StockMovement.objects.filter(depot=other).exists()
    ledger.transfer(depot, other, item, 10)
    # Cancelling the request frees its stock.
    actions.supply_transition(request, "cancel", duty)
    ledger.transfer(depot, other, item, 40)
    assert balance(depot, item) == 0 and balance(other, item) == Decimal(50)


@pytest.mark.django_db
def test_write_offs_and_receipts_are_not_held_back(duty):
    incident = new_incident()
    depot, item = depot_with(10)
    actions.supply_transition(
        actions.request_supply(incident, duty, depot.pk, item.code, 10), "approve", duty
    )
    ledger.record_movement(depot, item, "receipt", 5)
    ledger.record_movement(depot, item, "expiry", 6)  # spoiled stock leaves whatever was promised
    assert balance(depot, item) == 9
