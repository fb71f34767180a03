"""``citywatch bench nearby|http|ingest|public|proposals [--quick]``: run a benchmark suite from
``benchmarks/`` and print JSON lines.

The benchmark code lives in the source tree's ``benchmarks/`` directory (next to ``src/``), so it is
available in a checkout (``pip install -e``), which is how the project is set up.
"""

import importlib.util
import inspect
import json
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

SUITES = {
    "nearby": "nearby.py",
    "http": "http_load.py",
    "ingest": "ingest.py",
    "public": "public.py",
    "proposals": "proposals.py",
}


def benchmarks_dir() -> Path:
    return Path(settings.BASE_DIR) / "benchmarks"


def load_suite(name: str):
    path = benchmarks_dir() / SUITES[name]
    if not path.is_file():
        raise CommandError(f"benchmark suite {name!r} not found at {path} (run from a source checkout)")
    spec = importlib.util.spec_from_file_location(f"citywatch_benchmarks_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


class Command(BaseCommand):
    help = "Run a benchmark suite; prints one JSON line per figure (name, value, unit, baseline, ratio)."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("suite", choices=sorted(SUITES))
        parser.add_argument("--quick", action="store_true", help="a small smoke run (seconds)")
        parser.add_argument("--seed", type=int, default=20240501)
        parser.add_argument(
            "--only", action="append", default=None, help="run only this benchmark (repeatable)"
        )
        parser.add_argument(
            "--workers", type=int, default=None, help="http: server processes (default: cores)"
        )

    def handle(self, *args, suite, quick=False, seed=20240501, only=None, workers=None, **options):
        module = load_suite(suite)
        unknown = sorted(set(only or ()) - set(module.BENCHMARKS))
        if unknown:
            raise CommandError(
                f"unknown benchmark {', '.join(unknown)}; one of {', '.join(module.BENCHMARKS)}"
            )
        extra = {"workers": workers} if "workers" in inspect.signature(module.run).parameters else {}
        for line in module.run(quick=quick, seed=seed, only=only, **extra):
            self.stdout.write(json.dumps(line, ensure_ascii=False))
            self.stdout.flush()
