"""Dependencies point down: the geo library imports nothing of the project, its API and importers use only
core's shared mechanisms, and core imports no domain app (read from the source, every import counted —
module level or inside a function)."""

from __future__ import annotations

import ast
from pathlib import Path

import citywatch

SRC = Path(citywatch.__file__).parent
GEO_EDGE = ("api.py", "importers.py", "apps.py", "management")
# Every app of the project but the two at the bottom (and the API hub and URL map above them all).
DOMAIN_APPS = tuple(p.parent.name for p in SRC.glob("*/__init__.py") if p.parent.name not in ("core", "geo"))
ABOVE = (*DOMAIN_APPS, "api", "urls")


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name.startswith("citywatch.")}


def _modules(app: str):
    for path in sorted((SRC / app).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path.relative_to(SRC / app), _imports(path)


def _is_edge(relative: Path) -> bool:
    return relative.parts[0] in GEO_EDGE


def test_the_geo_library_imports_nothing_of_the_project():
    leaks = {
        str(rel): sorted(n for n in names if not n.startswith("citywatch.geo"))
        for rel, names in _modules("geo")
        if not _is_edge(rel)
    }
    assert {k: v for k, v in leaks.items() if v} == {}


def test_the_geo_api_and_importers_use_core_and_no_domain_app():
    leaks = {
        str(rel): sorted(n for n in names if n.split(".")[1] in ABOVE)
        for rel, names in _modules("geo")
        if _is_edge(rel)
    }
    assert {k: v for k, v in leaks.items() if v} == {}


def test_core_imports_no_domain_app_and_only_the_geo_library():
    edge = tuple(f"citywatch.geo.{name.removesuffix('.py')}" for name in GEO_EDGE)
    leaks = {
        str(rel): sorted(n for n in names if n.split(".")[1] in ABOVE or n.startswith(edge))
        for rel, names in _modules("core")
    }
    assert {k: v for k, v in leaks.items() if v} == {}


def test_the_check_knows_the_apps_and_sees_an_import_inside_a_function(tmp_path):
    assert {"resources", "incidents", "demo"} <= set(DOMAIN_APPS)
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from citywatch.resources import queries\n", encoding="utf-8")
    assert "citywatch.resources" in _imports(module)
