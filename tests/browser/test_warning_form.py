"""The warning form in a real browser: one field a row with its label beside it, not every field run
together on one line (the form had no layout of its own)."""

import pytest

from tests.support.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_fields_one_a_row(page, demo_live_server):
    base = demo_live_server.url
    page.set_viewport_size({"width": 1920, "height": 1080})
    login(page, base, "commander")
    page.goto(f"{base}/warnings/new/")
    hazard = page.locator("select[name=hazard]").bounding_box()
    level = page.locator("select[name=level]").bounding_box()
    headline = page.locator("input[name=headline]").bounding_box()
    instructions = page.locator("textarea[name=instructions]").bounding_box()
    assert level["y"] >= hazard["y"] + hazard["height"], (hazard, level)
    assert headline["y"] > level["y"] and instructions["y"] > headline["y"]
    assert abs(hazard["x"] - headline["x"]) < 2  # the inputs in one column
    assert headline["width"] > 400
