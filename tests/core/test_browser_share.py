"""``make test`` shares the browser tests between the SpatiaLite and the PostGIS run
(``CITYWATCH_BROWSER_SHARE``, ``tests/conftest.py``): together the runs drive every page once, and every
other test runs in both."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.conftest import share_browser_tests


class Item:
    def __init__(self, nodeid: str, browser: bool):
        self.nodeid = nodeid
        self.browser = browser

    def get_closest_marker(self, name):
        return object() if name == "browser" and self.browser else None


def items():
    pages = [Item(f"tests/browser/test_{name}.py::test_it", True) for name in "dcbae"]
    return [Item("tests/core/test_a.py::test_x", False), *pages, Item("tests/geo/test_b.py::test_y", False)]


def shared(monkeypatch, share: str) -> tuple[list[str], list[str]]:
    monkeypatch.setenv("CITYWATCH_BROWSER_SHARE", share)
    left = []
    config = SimpleNamespace(hook=SimpleNamespace(pytest_deselected=lambda items: left.extend(items)))
    kept = items()
    share_browser_tests(config, kept)
    return [i.nodeid for i in kept], [i.nodeid for i in left]


def test_the_two_runs_share_the_browser_tests_and_both_keep_the_rest(monkeypatch):
    first, left_by_first = shared(monkeypatch, "1/2")
    second, left_by_second = shared(monkeypatch, "2/2")
    every = [i.nodeid for i in items()]
    pages = {n for n in every if "/browser/" in n}
    others = [n for n in every if "/browser/" not in n]
    assert set(first) & set(second) == set(others)  # the rest runs in both
    assert (set(first) | set(second)) == set(every)  # every page is driven, once
    assert len(pages & set(first)) == 3 and len(pages & set(second)) == 2
    assert set(left_by_first) == pages & set(second) and set(left_by_second) == pages & set(first)


def test_without_a_share_every_test_runs(monkeypatch):
    monkeypatch.delenv("CITYWATCH_BROWSER_SHARE", raising=False)
    kept = items()
    share_browser_tests(SimpleNamespace(hook=None), kept)
    assert len(kept) == 7


def test_a_run_may_keep_several_of_every_n(monkeypatch):
    first, _left = shared(monkeypatch, "1,3,5/5")
    second, _left = shared(monkeypatch, "2,4/5")
    pages = {i.nodeid for i in items() if i.browser}
    assert len(pages & set(first)) == 3 and len(pages & set(second)) == 2
    assert (pages & set(first)) | (pages & set(second)) == pages


@pytest.mark.parametrize("share", ["2", "0/2", "3/2", "a/b", "/2", "1,7/5"])
def test_a_share_that_makes_no_sense_is_refused(monkeypatch, share):
    monkeypatch.setenv("CITYWATCH_BROWSER_SHARE", share)
    with pytest.raises(pytest.UsageError):
        share_browser_tests(SimpleNamespace(hook=None), items())
