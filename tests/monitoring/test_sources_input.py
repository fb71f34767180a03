"""A source's fields are refused with a message, never a 500: PostgreSQL refuses a NUL in any text it is
asked to compare, so the area code is checked before it is looked up (found by schemathesis)."""

from __future__ import annotations

import json

from citywatch.monitoring.models import DataSource


def test_a_nul_in_the_area_code_is_a_422_and_nothing_is_stored(city_admin):
    before = DataSource.objects.count()
    body = {"code": "nul-test", "name": "NUL", "department": "测试", "area_code": "3502\u000000"}
    answer = city_admin.post("/api/v1/monitoring/sources/", json.dumps(body), content_type="application/json")
    assert answer.status_code == 422, answer.content
    assert "area_code" in json.dumps(answer.json()["error"], ensure_ascii=False)
    assert DataSource.objects.count() == before
