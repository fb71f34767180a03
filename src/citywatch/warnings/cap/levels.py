"""China's four warning-signal levels in CAP 1.2 terms, and the administrative-division geocode.

Levels → CAP severity (one to one, and read back the same way):

| signal | level | CAP severity | why |
|---|---|---|---|
| blue 蓝色 | Ⅳ | Minor | "minimal to no known threat": the lowest signal, prepare |
| yellow 黄色 | Ⅲ | Moderate | "possible threat to life or property" |
| orange 橙色 | Ⅱ | Severe | "significant threat to life or property" |
| red 红色 | Ⅰ | Extreme | "extraordinary threat to life or property": the highest |

It is the four-step mapping colour-coded warning systems publishing CAP use (MeteoAlarm's awareness
levels: green Minor, yellow Moderate, orange Severe, red Extreme), so an aggregator ranks Chinese
signals as it ranks the others. CAP has no colours, so the signal itself travels too, as the
parameter `SIGNAL_LEVEL_PARAMETER` ("signalLevel", value blue/yellow/orange/red); `signal_level` reads
it back, falling back on the severity for documents from elsewhere.

Urgency and certainty do not follow from the colour but from how the signal was reached (CMA Order
No. 16: "a forecast, or an observation that has reached the value and is likely to continue"):

| reached by | certainty | urgency |
|---|---|---|
| observation (the value is reached and continuing) | Observed | Immediate: the hazard is under way |
| forecast, orange or red (thresholds within 3–12 h) | Likely | Expected: act soon |
| forecast, blue or yellow (thresholds within 6–24 h) | Likely | Future: prepare |

Geocodes: an area of the administrative tree carries its division code as a `geocode` with valueName
`GEOCODE_GBT2260` ("GB/T 2260"). Six-digit codes are GB/T 2260 proper (province, city, district); the
nine- and twelve-digit codes of streets/towns and communities/villages extend them (GB/T 10114 rules,
the National Bureau of Statistics' division codes) and begin with the six-digit code of their district,
so a recipient that knows only GB/T 2260 can fall back on the first six digits.
"""

from __future__ import annotations

import enum
import re
from datetime import datetime

from citywatch.warnings.cap.model import (
    Area,
    Category,
    Certainty,
    Info,
    ResponseType,
    Severity,
    Urgency,
    ValuePair,
)

SIGNAL_LEVEL_PARAMETER = "signalLevel"
GEOCODE_GBT2260 = "GB/T 2260"
DIVISION_CODE = re.compile(r"^(\d{6}|\d{9}|\d{12})$")


class SignalLevel(enum.StrEnum):
    BLUE = "blue"
    YELLOW = "yellow"
    ORANGE = "orange"
    RED = "red"

    @property
    def roman(self) -> str:
        return {"blue": "Ⅳ", "yellow": "Ⅲ", "orange": "Ⅱ", "red": "Ⅰ"}[self.value]


SEVERITY_BY_LEVEL = {
    SignalLevel.BLUE: Severity.MINOR,
    SignalLevel.YELLOW: Severity.MODERATE,
    SignalLevel.ORANGE: Severity.SEVERE,
    SignalLevel.RED: Severity.EXTREME,
}
LEVEL_BY_SEVERITY = {severity: level for level, severity in SEVERITY_BY_LEVEL.items()}


def cap_terms(level: SignalLevel | str, *, observed: bool) -> tuple[Urgency, Severity, Certainty]:
    """(urgency, severity, certainty) for a signal level, by the tables above."""
    level = SignalLevel(level)
    severity = SEVERITY_BY_LEVEL[level]
    if observed:
        return Urgency.IMMEDIATE, severity, Certainty.OBSERVED
    soon = level in (SignalLevel.ORANGE, SignalLevel.RED)
    return (Urgency.EXPECTED if soon else Urgency.FUTURE), severity, Certainty.LIKELY


def signal_level(info: Info) -> SignalLevel | None:
    """The signal of an info block: its signalLevel parameter, else its severity (None if Unknown)."""
    for value in info.parameter_values(SIGNAL_LEVEL_PARAMETER):
        try:
            return SignalLevel(value.strip().lower())
        except ValueError:
            continue
    return LEVEL_BY_SEVERITY.get(info.severity)


def division_geocode(code: str) -> ValuePair:
    """The geocode of an administrative division code (6, 9 or 12 digits)."""
    if not DIVISION_CODE.match(code):
        raise ValueError(f"not an administrative division code: {code!r}")
    return ValuePair(GEOCODE_GBT2260, code)


def division_codes(area: Area) -> tuple[str, ...]:
    """The administrative division codes an area names (valueName "GB/T 2260")."""
    return tuple(v for v in area.geocode_values(GEOCODE_GBT2260) if DIVISION_CODE.match(v))


def signal_info(
    *,
    language: str,
    level: SignalLevel | str,
    observed: bool,
    event: str,
    areas: tuple[Area, ...],
    category: Category = Category.MET,
    headline: str | None = None,
    description: str | None = None,
    instruction: str | None = None,
    sender_name: str | None = None,
    effective: datetime | None = None,
    onset: datetime | None = None,
    expires: datetime | None = None,
    web: str | None = None,
    contact: str | None = None,
    response_types: tuple[ResponseType, ...] = (ResponseType.PREPARE,),
    event_codes: tuple[ValuePair, ...] = (),
    parameters: tuple[ValuePair, ...] = (),
) -> Info:
    """One `info` block of a Chinese warning signal, in one language (write one per language)."""
    level = SignalLevel(level)
    urgency, severity, certainty = cap_terms(level, observed=observed)
    return Info(
        language=language,
        categories=(category,),
        event=event,
        response_types=response_types,
        urgency=urgency,
        severity=severity,
        certainty=certainty,
        event_codes=event_codes,
        effective=effective,
        onset=onset,
        expires=expires,
        sender_name=sender_name,
        headline=headline,
        description=description,
        instruction=instruction,
        web=web,
        contact=contact,
        parameters=(ValuePair(SIGNAL_LEVEL_PARAMETER, level.value), *parameters),
        areas=areas,
    )
