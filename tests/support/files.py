"""Register files the import tests write: shelters in 思明区 as CSV or XLSX rows."""

from __future__ import annotations

import csv
import io

import openpyxl
from django.contrib.gis.geos import Point

from citywatch.core.models import AdminArea

SHELTER_HEADER = [
    "external_id",
    "name",
    "lon",
    "lat",
    "area_code",
    "kind",
    "capacity",
    "facilities",
    "status",
    "contact_phone",
]
HULI_PT = (118.12, 24.52)  # inside 湖里区, well outside 思明区


def siming_places():
    """(area code, lon, lat) of 思明区 and every street and community beneath it (synthetic points that
    lie inside the district)."""
    rows = AdminArea.objects.filter(path__startswith="350200.350203.", point__isnull=False).order_by("code")
    places = [(a.code, round(a.point.x, 6), round(a.point.y, 6)) for a in rows]
    district = AdminArea.objects.get(code="350203")
    assert places and all(district.boundary.contains(Point(x, y)) for _, x, y in places)
    return places


def shelter_rows(n, prefix="SH"):
    places = siming_places()
    rows = []
    for i in range(n):
        code, lon, lat = places[i % len(places)]
        rows.append(
            [
                f"{prefix}-{i:04d}",
                f"避难场所{i:04d}",
                lon,
                lat,
                code,
                "disaster_point",
                100 + i,
                "water;toilets",
                "open",
                "0592-5550000",
            ]
        )
    return rows


def write_xlsx(path, header, rows):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def write_csv(path, header, rows, encoding="utf-8"):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))
    return path
