import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["incident", "dispatch", "supplyrequest", "incidentlog", "expertsummons"])
def test_admin_lists(city_admin, model):
    assert city_admin.get(f"/admin/incidents/{model}/").status_code == 200
