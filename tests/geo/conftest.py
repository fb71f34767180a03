"""Fixtures of the geo tests: a private data directory per test, and the geo importers registered.

The geo library has no models, so these tests need no database. ``citywatch.geo`` registers its
importers from its AppConfig; importing the module here makes the tests independent of whether the
app is listed in INSTALLED_APPS yet.
"""

from __future__ import annotations

import io

import pytest

import citywatch.geo.importers  # noqa: F401  (registers "roads" and "population")


@pytest.fixture
def data_dir(settings, tmp_path):
    """settings.DATA_DIR pointed at an empty directory for this test."""
    path = tmp_path / "data"
    path.mkdir()
    settings.DATA_DIR = path
    return path


@pytest.fixture
def run_import():
    """``run_import(kind, *args)`` → (stdout, stderr) of ``citywatch import kind args…`` (files, options)."""
    from django.core.management import call_command

    def run(kind, *args):
        out, err = io.StringIO(), io.StringIO()
        try:
            call_command("import", kind, *map(str, args), stdout=out, stderr=err)
        finally:
            run.stderr = err.getvalue()
        return out.getvalue(), err.getvalue()

    return run
