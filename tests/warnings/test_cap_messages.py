"""Refusal reasons are shown to duty officers: every one is translated, and keeps its element names."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from citywatch.warnings import cap
from citywatch.warnings.cap.problems import BARE, LOCATED, UNLOCATED, M, problem
from citywatch.warnings.cap.schema import GENERIC_VALUE, TYPE_NAMES

TAG = re.compile(r"<[!A-Za-z][^<>]*>")
PLACEHOLDER = re.compile(r"%\(\w+\)s")


@pytest.mark.parametrize("key", sorted(M))
def test_every_message_has_a_chinese_translation_keeping_tags_and_placeholders(key):
    msgid = M[key]
    with translation.override("zh-hans"):
        msgstr = translation.gettext(msgid)
    assert msgstr != msgid, f"no zh-Hans translation for {key!r}"
    assert re.search(r"[\u4e00-\u9fff]", msgstr)
    assert sorted(TAG.findall(msgstr)) == sorted(TAG.findall(msgid))
    assert sorted(PLACEHOLDER.findall(msgstr)) == sorted(PLACEHOLDER.findall(msgid))


def test_the_frames_and_type_names_are_translated():
    with translation.override("zh-hans"):
        assert translation.gettext(LOCATED) != LOCATED and translation.gettext(UNLOCATED) != UNLOCATED
        assert translation.gettext(BARE) == BARE  # nothing to translate in "%(message)s [%(rule)s]"
        assert [str(name) for name in TYPE_NAMES.values()] == ["十进制数", "整数", "URI", "语言标记"]
        assert str(GENERIC_VALUE) == "值"


def test_a_problem_renders_in_the_language_active_when_shown():
    found = problem(
        "polygon-closed", path="alert/info/area/polygon", lineno=12, first="24.4,118.05", last="24.41,118.05"
    )
    with translation.override("en"):
        assert str(found) == (
            "alert/info/area/polygon, line 12: <polygon> does not close: the first pair (24.4,118.05) "
            "differs from the last (24.41,118.05). [polygon-closed]"
        )
    with translation.override("zh-hans"):
        assert str(found) == (
            "alert/info/area/polygon，第 12 行：<polygon> 未闭合：第一个坐标对（24.4,118.05）与最后一个"
            "（24.41,118.05）不同。 [polygon-closed]"
        )
        assert found.as_dict() == {
            "rule": "polygon-closed",
            "level": "error",
            "path": "alert/info/area/polygon",
            "line": 12,
            "message": "<polygon> 未闭合：第一个坐标对（24.4,118.05）与最后一个（24.41,118.05）不同。",
        }


def test_quoted_values_are_clipped():
    report = cap.check_alert(
        b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>'
        + b"x " * 5000
        + b"</identifier></alert>"
    )
    assert all(len(p.message) < 400 for p in report.problems)
