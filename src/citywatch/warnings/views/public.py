"""The public warning page ``/public/`` and its JSON ``/public/warnings.json``: no login, Chinese by
default (``?lang=en`` for English), light enough for a 2G phone (no map library, one small stylesheet and
one small script), and cacheable: the answer depends only on the URL (no cookie, no session, no user), so
a proxy or CDN can serve a crowd from one copy for ``CITYWATCH_PUBLIC_MAX_AGE`` seconds.

What it shows: real warnings in force (never drills, nothing internal: no user, no draft, no proposal),
for the city, the district picked (``?area=350212``) or the visitor's location (``?lon=…&lat=…``, WGS-84
as browsers give it, rounded to about 100 m); each with its signal colour, what to do and its times; and
from a location the nearest open shelters with room, by the engine's travel time, their address and
navigation links (Amap and Baidu in their own coordinate systems, and a ``geo:`` URI).
"""

from __future__ import annotations

import datetime
import json
import time
from dataclasses import dataclass, field
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.gis.geos import Point
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from citywatch.core.choices import AreaLevel
from citywatch.core.models import AdminArea
from citywatch.geo import crs
from citywatch.warnings import queries
from citywatch.warnings.cap import alert_path
from citywatch.warnings.choices import COLOURS, ROMAN, Source

LANGUAGES = {"zh": "zh-hans", "en": "en"}
MAX_SHELTERS = 3


@dataclass
class PublicShelter:
    name: str
    address: str
    free_places: int
    capacity: int
    lon: float
    lat: float
    distance_m: float
    minutes: float
    estimated: bool
    amap_url: str
    baidu_url: str
    geo_uri: str


@dataclass
class PublicWarning:
    hazard: str
    hazard_name: str
    level: str
    level_name: str
    roman: str
    colour: str
    headline: str
    description: str
    instructions: str
    areas: list[str]
    issuer: str
    onset: datetime.datetime | None
    expires: datetime.datetime | None
    issued_at: datetime.datetime | None
    cap_url: str | None


@dataclass
class PublicData:
    language: str
    area: AdminArea | None
    lon: float | None
    lat: float | None
    districts: list[AdminArea]
    warnings: list[PublicWarning] = field(default_factory=list)
    shelters: list[PublicShelter] = field(default_factory=list)
    generated_at: datetime.datetime = field(default_factory=timezone.now)


def _coordinate(raw: str | None, low: float, high: float) -> float | None:
    try:
        value = round(float(raw), 3)
    except (TypeError, ValueError):
        return None
    return value if low <= value <= high and value == value else None


def navigation_links(name: str, lon: float, lat: float) -> tuple[str, str, str]:
    """Amap (GCJ-02), Baidu (BD-09) and ``geo:`` (WGS-84) links to a place."""
    glon, glat = (float(v) for v in crs.wgs84_to_gcj02(lon, lat))
    blon, blat = (float(v) for v in crs.gcj02_to_bd09(glon, glat))
    label = quote(name)
    amap = (
        f"https://uri.amap.com/navigation?to={glon:.6f},{glat:.6f},{label}"
        "&mode=walk&coordinate=gaode&callnative=1"
    )
    baidu = (
        f"https://api.map.baidu.com/direction?destination=latlng:{blat:.6f},{blon:.6f}|name:{label}"
        "&mode=walking&coord_type=bd09ll&output=html&src=citywatch"
    )
    geo = f"geo:{lat:.6f},{lon:.6f}?q={lat:.6f},{lon:.6f}({label})"
    return amap, baidu, geo


def _warning(warning, english: bool, current) -> PublicWarning:
    hazard = warning.hazard
    version = current.get(warning.pk)
    cap_url = (
        alert_path(version.identifier) if version is not None and warning.source == Source.CITYWATCH else None
    )
    return PublicWarning(
        hazard=hazard.code,
        hazard_name=hazard.name_en if english else hazard.name,
        level=warning.level,
        level_name=str(warning.get_level_display()),
        roman=ROMAN[warning.level],
        colour=COLOURS[warning.level],
        headline=(warning.headline_en if english else "") or warning.headline,
        description=(warning.description_en if english else "") or warning.description,
        instructions=(warning.instructions_en if english else "") or warning.instructions,
        areas=sorted(a.name for a in warning.areas.all()) or [warning.area.name],
        issuer=warning.issuer,
        onset=warning.onset,
        expires=warning.expires,
        issued_at=warning.issued_at,
        cap_url=cap_url,
    )


def public_data(params) -> PublicData:
    language = LANGUAGES.get(str(params.get("lang", "")).lower()[:2], settings.LANGUAGE_CODE)
    english = language == "en"
    lon = _coordinate(params.get("lon"), -180, 180)
    lat = _coordinate(params.get("lat"), -90, 90)
    if lon is None or lat is None:
        lon = lat = None
    districts = list(
        AdminArea.objects.filter(level=AreaLevel.DISTRICT).order_by("code").only("code", "name", "path")
    )
    code = str(params.get("area", ""))[:12]
    area = next((d for d in districts if d.code == code), None)
    point = Point(lon, lat, srid=4326) if lon is not None else None
    if area is None and point is not None:
        holding = AdminArea.objects.filter(level=AreaLevel.DISTRICT, boundary__contains=point)
        area = holding.only("code", "name", "path").first()
    data = PublicData(language=language, area=area, lon=lon, lat=lat, districts=districts)
    in_force = list(queries.public_in_force())
    chosen = queries.public_for_area(in_force, area, point)
    current = queries.current_versions(chosen)
    data.warnings = [_warning(w, english, current) for w in chosen]
    data.warnings.sort(key=lambda w: (-["blue", "yellow", "orange", "red"].index(w.level), w.hazard))
    if point is not None:
        for shelter, hit in queries.nearest_open_shelters(lon, lat, limit=MAX_SHELTERS):
            amap, baidu, geo = navigation_links(shelter.name, shelter.location.x, shelter.location.y)
            data.shelters.append(
                PublicShelter(
                    name=shelter.name,
                    address="".join(shelter.area.place_names()),
                    free_places=shelter.capacity - shelter.occupancy,
                    capacity=shelter.capacity,
                    lon=round(shelter.location.x, 6),
                    lat=round(shelter.location.y, 6),
                    distance_m=round(hit.distance_m),
                    minutes=max(1, round(hit.eta_s / 60)),
                    estimated=hit.eta_method != "road",
                    amap_url=amap,
                    baidu_url=baidu,
                    geo_uri=geo,
                )
            )
    return data


def _cached(response: HttpResponse) -> HttpResponse:
    patch_cache_control(response, public=True, max_age=settings.CITYWATCH_PUBLIC_MAX_AGE)
    response["Access-Control-Allow-Origin"] = "*"
    return response


# Answers kept in each process: key (kind, warnings' stamp, the normalised query) → (body, language,
# monotonic deadline). A change of any warning changes the stamp; an answer with a location (shelters'
# room changes without touching warnings) or a warning about to expire lives at most ``LOCAL_SECONDS``.
LOCAL_SECONDS = 15.0
MAX_ENTRIES = 4000
_answers: dict[tuple, tuple[bytes, str, float]] = {}


def _key(kind: str, params) -> tuple:
    lon = _coordinate(params.get("lon"), -180, 180)
    lat = _coordinate(params.get("lat"), -90, 90)
    language = LANGUAGES.get(str(params.get("lang", "")).lower()[:2], settings.LANGUAGE_CODE)
    return (kind, queries.public_stamp(), str(params.get("area", ""))[:12], lon, lat, language)


def _answer(kind: str, params, make) -> tuple[bytes, str]:
    key = _key(kind, params)
    now = time.monotonic()
    hit = _answers.get(key)
    if hit is not None and hit[2] > now:
        return hit[0], hit[1]
    data = public_data(params)
    with translation.override(data.language):
        body = make(data)
    deadline = now + LOCAL_SECONDS
    ends = [w.expires for w in data.warnings if w.expires is not None]
    if ends:
        deadline = min(deadline, now + max(0.0, (min(ends) - timezone.now()).total_seconds()))
    if len(_answers) >= MAX_ENTRIES:
        _answers.clear()
    _answers[key] = (body, data.language, deadline)
    return body, data.language


def _page_body(data: PublicData) -> bytes:
    # Rendered without the request: no context processor touches the session or the user, so the answer
    # carries no ``Vary: Cookie`` and one cached copy serves everyone.
    return render_to_string("warnings/public/index.html", {"data": data}).encode("utf-8")


@login_not_required
@require_GET
def page(request):
    body, language = _answer("html", request.GET, _page_body)
    response = HttpResponse(body)
    response["Content-Language"] = language
    return _cached(response)


def as_json(data: PublicData) -> dict:
    def stamp(value):
        return value.isoformat() if value else None

    return {
        "generated_at": stamp(data.generated_at),
        "language": data.language,
        "area": {"code": data.area.code, "name": data.area.name} if data.area else None,
        "location": {"lon": data.lon, "lat": data.lat} if data.lon is not None else None,
        "warnings": [
            {
                **{k: v for k, v in w.__dict__.items() if k not in ("onset", "expires", "issued_at")},
                "onset": stamp(w.onset),
                "expires": stamp(w.expires),
                "issued_at": stamp(w.issued_at),
            }
            for w in data.warnings
        ],
        "shelters": [s.__dict__ for s in data.shelters],
    }


def _json_body(data: PublicData) -> bytes:
    return json.dumps(as_json(data), ensure_ascii=False, cls=DjangoJSONEncoder).encode("utf-8")


@login_not_required
@require_GET
def data_json(request):
    body, language = _answer("json", request.GET, _json_body)
    response = HttpResponse(body, content_type="application/json")
    response["Content-Language"] = language
    return _cached(response)
