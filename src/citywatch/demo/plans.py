"""The demo's emergency plans: typhoon and rainstorm for the city, after the structure of Xiamen's
flood-control and typhoon plan (``data/plans/``, synthetic, labelled as demo content), read by the plans
importer; the departments their checklists name are registered as organisations of the city first."""

from __future__ import annotations

from pathlib import Path

from citywatch.core import actions as core_actions
from citywatch.core.choices import OrganisationKind
from citywatch.core.models import AdminArea

DATA = Path(__file__).resolve().parent / "data" / "plans"
FILES = ("typhoon.csv", "rainstorm.csv")
DEPARTMENTS = (
    "市气象局",
    "市海洋发展局",
    "市住房和城乡建设局",
    "市消防救援支队",
    "市水利局",
    "市教育局",
    "市自然资源和规划局",
    "市交通运输局",
    "市公安局",
    "市人民政府办公厅",
    "市市政园林局",
)


def load_plans(city_code: str = "350200") -> dict:
    from citywatch.response.importers import import_sources

    city = AdminArea.objects.get(code=city_code)
    for name in DEPARTMENTS:
        core_actions.save_organisation(name=name, kind=OrganisationKind.DEPARTMENT, area=city)
    report = import_sources([(f, (DATA / f).read_bytes()) for f in FILES], user=None, demo=True)
    return {"created": report.created, "updated": report.updated, "unchanged": report.unchanged}
