"""The stock ledger: balances derive from movements, never go negative, and cannot be overdrawn by two
concurrent issues."""

from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import translation

from citywatch.core.errors import ActionError, Conflict
from citywatch.core.models import AdminArea
from citywatch.resources import actions
from citywatch.resources.models import Depot, StockBalance, StockMovement, SupplyItem
from tests.support.races import ON_POSTGIS, race


def make_depot(name="思明区应急物资储备库（测试）", code="350203"):
    area = AdminArea.objects.get(code=code)
    return Depot.objects.create(name=name, kind="district", area=area, location=area.point)


def make_item(code="LJ-TEST", name="救生衣", unit="件"):
    return SupplyItem.objects.get_or_create(
        code=code, defaults={"name": name, "category": "rescue", "unit": unit}
    )[0]


def balance(depot, item):
    return StockBalance.objects.get(depot=depot, item=item).quantity


def ledger_sum(depot, item):
    return StockMovement.objects.filter(depot=depot, item=item).aggregate(s=Sum("delta"))["s"]


@pytest.mark.django_db
def test_receipt_issue_adjust_expire():
    depot, item = make_depot(), make_item()
    actions.record_movement(depot, item, "receipt", 500)
    actions.record_movement(depot, item, "issue", 200, reference="INC-1")
    actions.record_movement(depot, item, "adjustment", -3, note="stocktake")
    actions.record_movement(depot, item, "expiry", 7)
    assert balance(depot, item) == Decimal(290) == ledger_sum(depot, item)
    last = StockMovement.objects.filter(depot=depot).first()
    assert last.kind == "expiry" and last.delta == -7 and last.balance_after == 290


@pytest.mark.django_db
def test_overdraw_is_refused_and_writes_nothing():
    depot, item = make_depot(), make_item()
    actions.record_movement(depot, item, "receipt", 100)
    before = StockMovement.objects.count()
    with pytest.raises(Conflict, match="不能出库 150"):
        actions.record_movement(depot, item, "issue", 150)
    with pytest.raises(Conflict):
        actions.record_movement(depot, item, "adjustment", -101)
    assert balance(depot, item) == 100 and StockMovement.objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize("quantity", [0, -5, "abc", "1e400", "0.0001", "NaN"])
def test_bad_quantities(quantity):
    depot, item = make_depot(), make_item()
    with pytest.raises(ActionError):
        actions.record_movement(depot, item, "receipt", quantity)
    assert not StockMovement.objects.filter(depot=depot).exists()


@pytest.mark.django_db
def test_transfer_is_two_linked_lines_or_nothing():
    a, b, item = make_depot(), make_depot("湖里区储备库（测试）", "350206"), make_item()
    actions.record_movement(a, item, "receipt", 50)
    out, inn = actions.transfer(a, b, item, 20)
    assert out.counterpart == inn and StockMovement.objects.get(pk=inn.pk).counterpart_id == out.pk
    assert balance(a, item) == 30 and balance(b, item) == 20
    with pytest.raises(Conflict):
        actions.transfer(a, b, item, 31)
    assert balance(a, item) == 30 and balance(b, item) == 20
    assert StockMovement.objects.filter(depot__in=[a, b]).count() == 3


@pytest.mark.django_db
def test_api_movements_and_stock(siming, huli):
    depot, item = make_depot(), make_item()
    url = "/api/v1/resources/stock-movements/"
    r = siming.post(
        url,
        {"depot": depot.pk, "item": item.code, "kind": "receipt", "quantity": "300"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    r = siming.post(
        url,
        {"depot": depot.pk, "item": item.code, "kind": "issue", "quantity": "301"},
        content_type="application/json",
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"
    stock = siming.get(f"/api/v1/resources/depots/{depot.pk}/stock").json()
    assert stock == [
        {"item": item.code, "item_name": "救生衣", "category": "rescue", "unit": "件", "quantity": "300.000"}
    ]
    assert huli.get(f"/api/v1/resources/depots/{depot.pk}/stock").status_code == 404
    assert (
        huli.post(
            url,
            {"depot": depot.pk, "item": item.code, "kind": "issue", "quantity": "1"},
            content_type="application/json",
        ).status_code
        == 404
    )
    assert (
        siming.post(
            url,
            {"depot": depot.pk, "item": "NOPE", "kind": "issue", "quantity": "1"},
            content_type="application/json",
        ).status_code
        == 422
    )
    assert (
        siming.post(
            url,
            {"depot": depot.pk, "item": item.code, "kind": "steal", "quantity": "1"},
            content_type="application/json",
        ).status_code
        == 422
    )
    assert siming.delete(url).status_code == 405
    ledger = siming.get(url, {"depot": depot.pk}).json()
    assert ledger["count"] == 1 and ledger["items"][0]["balance_after"] == "300.000"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "overdraw", "no_change"),
    [
        ("en", "{depot} holds 5 件 of 救生衣; cannot take 200", "an adjustment must change the balance"),
        ("zh-hans", "{depot} 库存救生衣 5 件，不能出库 200", "盘点调整必须改变库存数量"),
    ],
)
def test_movement_errors_speak_the_users_language(siming, settings, language, overdraw, no_change):
    """A refused movement answers in the language the request asked for (the language cookie)."""
    depot, item = make_depot(), make_item()
    url = "/api/v1/resources/stock-movements/"
    siming.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    with translation.override(settings.LANGUAGE_CODE):  # the request's language must not outlive the test
        r = siming.post(
            url,
            {"depot": depot.pk, "item": item.code, "kind": "receipt", "quantity": "5"},
            content_type="application/json",
        )
        assert r.status_code == 201, r.content
        r = siming.post(
            url,
            {"depot": depot.pk, "item": item.code, "kind": "issue", "quantity": "200"},
            content_type="application/json",
        )
        assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"
        assert r.json()["error"]["message"] == overdraw.format(depot=depot.name)
        r = siming.post(
            url,
            {"depot": depot.pk, "item": item.code, "kind": "adjustment", "quantity": "0"},
            content_type="application/json",
        )
        assert r.status_code == 400 and r.json()["error"]["message"] == no_change
    assert balance(depot, item) == 5 == ledger_sum(depot, item)


@pytest.mark.skipif(not ON_POSTGIS, reason="needs real row locks and two connections (PostGIS)")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_issues_cannot_overdraw():
    """Two connections issue 60 each from a balance of 100. The first holds the balance row lock while
    the second starts; the second must wait, then see 40 and be refused. Without the lock both would
    read 100 and both succeed."""
    city, _ = AdminArea.objects.get_or_create(
        code="350200", defaults={"name": "厦门市", "level": "city", "path": "350200."}
    )
    depot = Depot.objects.create(name="并发测试库", kind="city", area=city)
    item = make_item()
    actions.record_movement(depot, item, "receipt", 100)

    # The second waits for the first's lock on the balance row, then sees 40 and is refused.
    results = race(
        lambda: actions.record_movement(depot, item, "issue", 60),
        lambda: actions.record_movement(depot, item, "issue", 60),
    )
    assert results["first"] == "ok"
    assert isinstance(results["second"], Conflict), results
    assert balance(depot, item) == 40 == ledger_sum(depot, item)
    assert StockMovement.objects.filter(depot=depot, kind="issue").count() == 1


@pytest.mark.django_db
def test_a_receipt_of_many_lines_writes_what_one_movement_each_would():
    """``receive_stock`` (an opening stock, a delivery of many lines) leaves the same ledger lines and
    balances as ``record_movement`` per line, onto a new pair and onto one that already holds stock."""
    depot, other = make_depot(), make_depot(name="湖里区应急物资储备库（测试）", code="350206")
    jackets, tents = make_item(), make_item(code="ZP-TEST", name="帐篷", unit="顶")
    actions.record_movement(depot, jackets, "receipt", 40)
    lines = actions.receive_stock(
        [(depot, jackets, 60), (depot, tents, "12.5"), (other, jackets, 7)], reference="REC-9", note="到货"
    )
    assert [(m.kind, m.delta, m.balance_after) for m in lines] == [
        ("receipt", 60, 100),
        ("receipt", Decimal("12.5"), Decimal("12.5")),
        ("receipt", 7, 7),
    ]
    for d, i, expected in [(depot, jackets, 100), (depot, tents, Decimal("12.5")), (other, jackets, 7)]:
        assert balance(d, i) == expected == ledger_sum(d, i)
    assert StockMovement.objects.filter(reference="REC-9", note="到货").count() == 3


@pytest.mark.django_db
def test_a_receipt_with_one_bad_line_writes_nothing():
    depot, item = make_depot(), make_item()
    tents = make_item(code="ZP-TEST", name="帐篷", unit="顶")
    before = StockMovement.objects.count()
    with translation.override("zh-hans"), pytest.raises(ActionError, match="数量必须为正数"):
        actions.receive_stock([(depot, tents, 5), (depot, item, 0)])
    with pytest.raises(ActionError):
        actions.receive_stock([(depot, item, 5), (depot, item, 6)])
    assert StockMovement.objects.count() == before and not StockBalance.objects.filter(depot=depot).exists()
