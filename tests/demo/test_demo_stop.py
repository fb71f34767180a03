"""`citywatch demo` stops its children (web and worker) when it gets SIGTERM, SIGINT or SIGHUP, and
they die with it when it is killed outright.

The demo's own runner (`run_children`) is driven in a separate process with two stand-in children: one
that exits on SIGTERM, and one that ignores SIGTERM and has started a child of its own (killed after the
timeout, with its whole process group)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

PARENT = textwrap.dedent(
    """
    import os, sys
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citywatch.settings")
    import django
    django.setup()
    from citywatch.demo.management.commands.demo import run_children

    polite, stubborn = sys.argv[1], sys.argv[2]
    children = {"web": [sys.executable, "-c", polite], "worker": [sys.executable, "-c", stubborn]}
    sys.exit(1 if run_children(children, timeout=1.0) else 0)
    """
)

POLITE = "import os, time; open({pidfile!r}, 'w').write(str(os.getpid())); time.sleep(300)"

STUBBORN = textwrap.dedent(
    """
    import os, signal, subprocess, sys, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    open({pidfile!r}, "w").write(f"{{os.getpid()}} {{grandchild.pid}}")
    time.sleep(60)
    """
)


def alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def read_pids(path: Path, count: int) -> list[int] | None:
    """The pids a stand-in child wrote, once all ``count`` are there."""
    try:
        pids = [int(p) for p in path.read_text().split()]
    except (FileNotFoundError, ValueError):
        return None
    return pids if len(pids) == count else None


def wait_for(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_parent_signal_stops_every_child(tmp_path, signum):
    polite_file, stubborn_file = tmp_path / "polite.pid", tmp_path / "stubborn.pid"
    parent = subprocess.Popen(  # noqa: S603 - our own interpreter
        [
            sys.executable,
            "-c",
            PARENT,
            POLITE.format(pidfile=str(polite_file)),
            STUBBORN.format(pidfile=str(stubborn_file)),
        ],
    )
    try:
        assert wait_for(lambda: read_pids(polite_file, 1) and read_pids(stubborn_file, 2), 120)
        pids = read_pids(polite_file, 1) + read_pids(stubborn_file, 2)
        assert all(alive(pid) for pid in pids)
        parent.send_signal(signum)
        # SIGTERM to both children, SIGKILL to the stubborn one's group after the 1 s timeout.
        assert parent.wait(timeout=60) == 0  # a bound for a hang: a loaded machine exits slowly
        assert wait_for(lambda: not any(alive(pid) for pid in pids), 20), [p for p in pids if alive(p)]
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()


def test_child_that_fails_stops_the_other(tmp_path):
    from citywatch.demo.management.commands.demo import run_children

    pidfile = tmp_path / "polite.pid"
    started = time.monotonic()
    failed = run_children(
        {
            "web": [sys.executable, "-c", "import sys; sys.exit(3)"],
            "worker": [sys.executable, "-c", POLITE.format(pidfile=str(pidfile))],
        },
        env=dict(os.environ),
        timeout=2.0,
    )
    assert failed == "the web process exited with status 3"
    assert time.monotonic() - started < 120  # stopped, not waited out (the worker would sleep 300 s)
    pids = read_pids(pidfile, 1)
    if pids:
        assert wait_for(lambda: not alive(pids[0]), 30)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_parent_killed_outright_takes_its_children_with_it(tmp_path):
    polite_file = tmp_path / "polite.pid"
    parent = subprocess.Popen(  # noqa: S603 - our own interpreter
        [
            sys.executable,
            "-c",
            PARENT,
            POLITE.format(pidfile=str(polite_file)),
            "import time; time.sleep(300)",
        ],
    )
    try:
        assert wait_for(lambda: read_pids(polite_file, 1), 120)
        (pid,) = read_pids(polite_file, 1)
        parent.kill()  # SIGKILL: no handler runs in the parent
        parent.wait()
        assert wait_for(lambda: not alive(pid), 30), "the child outlived its parent"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
