"""China's four signal levels in CAP terms, and the administrative-division geocode."""

from __future__ import annotations

import pytest

from citywatch.warnings import cap

U, S, C = cap.Urgency, cap.Severity, cap.Certainty


@pytest.mark.parametrize(
    ("level", "observed", "terms"),
    [
        ("blue", True, (U.IMMEDIATE, S.MINOR, C.OBSERVED)),
        ("yellow", True, (U.IMMEDIATE, S.MODERATE, C.OBSERVED)),
        ("orange", True, (U.IMMEDIATE, S.SEVERE, C.OBSERVED)),
        ("red", True, (U.IMMEDIATE, S.EXTREME, C.OBSERVED)),
        ("blue", False, (U.FUTURE, S.MINOR, C.LIKELY)),
        ("yellow", False, (U.FUTURE, S.MODERATE, C.LIKELY)),
        ("orange", False, (U.EXPECTED, S.SEVERE, C.LIKELY)),
        ("red", False, (U.EXPECTED, S.EXTREME, C.LIKELY)),
    ],
)
def test_cap_terms_of_each_level(level, observed, terms):
    assert cap.cap_terms(level, observed=observed) == terms


def test_roman_numerals():
    assert [level.roman for level in cap.SignalLevel] == ["Ⅳ", "Ⅲ", "Ⅱ", "Ⅰ"]


def test_the_level_reads_back_from_the_parameter_or_else_the_severity():
    for level in cap.SignalLevel:
        info = cap.signal_info(language="zh-CN", level=level, observed=False, event="大风", areas=())
        assert info.parameter_values(cap.SIGNAL_LEVEL_PARAMETER) == (level.value,)
        assert cap.signal_level(info) is level
        without = cap.Info(
            categories=info.categories, event=info.event, urgency=info.urgency, severity=info.severity,
            certainty=info.certainty,
        )  # fmt: skip
        assert cap.signal_level(without) is level
    unknown = cap.Info(
        categories=(cap.Category.MET,), event="x", urgency=U.UNKNOWN, severity=S.UNKNOWN, certainty=C.UNKNOWN
    )
    assert cap.signal_level(unknown) is None


@pytest.mark.parametrize("code", ["350203", "350203001", "350203001001"])
def test_division_geocode(code):
    pair = cap.division_geocode(code)
    assert pair == cap.ValuePair("GB/T 2260", code)
    area = cap.Area(area_desc="x", geocodes=(pair, cap.ValuePair("SAME", "006109")))
    assert cap.division_codes(area) == (code,)


@pytest.mark.parametrize("code", ["3502", "35020300", "35020A", " 350203"])
def test_division_geocode_refuses_what_is_not_a_code(code):
    with pytest.raises(ValueError):
        cap.division_geocode(code)
