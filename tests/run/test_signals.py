"""Whole commands stopped (Ctrl-C, SIGTERM) or killed outright (SIGKILL), run as a user runs them, in a
process group of their own: what they leave (processes, scratch folders, versions) and what they say. They
build the SYNTHETIC editions of tests/synthetic/ in a subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from itud import paths
from itud.run.execute import KERNEL_LOG

ITUD = str(Path(sys.executable).parent / "itud")

pytestmark = pytest.mark.slow  # every test here starts kernels


def descendants(pid: int) -> set[int]:
    """Every process below `pid` (kernels run in sessions of their own, but are still its children)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def kernels_of(pid: int) -> set[int]:
    """The kernels below `pid`: processes writing to a kernel's log (a forked kernel's command line is the
    kernel server's, so it does not say "ipykernel")."""
    kernels = set()
    for child in descendants(pid):
        try:
            if os.readlink(f"/proc/{child}/fd/1").endswith(KERNEL_LOG):
                kernels.add(child)
        except OSError:
            pass
    return kernels


def alive(pid: int) -> bool:
    """`paths.alive`, and not a zombie (dead, only waiting for its parent to read its status)."""
    if not paths.alive(pid):
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


REPORT = ["report", "--year", "2090"]
BATCH = ["batch", "2090", "2091", "--jobs", "2"]


def first_notebook_written(reports: Path) -> bool:
    return any(reports.glob("*/.tmp-*/notebooks/*.ipynb"))


@pytest.mark.parametrize(
    ("command", "signum", "after_first_notebook", "message"),
    [
        (REPORT, signal.SIGINT, False, "itud report: stopped by SIGINT; kernels shut down, nothing published"),
        (REPORT, signal.SIGTERM, True, "itud report: stopped by SIGTERM; kernels shut down, nothing published"),
        (
            BATCH,
            signal.SIGINT,
            False,
            "itud batch: stopped by SIGINT; kernels shut down, unfinished years not published",
        ),
    ],
)
def test_a_signal_during_a_build_stops_it_cleanly(
    command, signum, after_first_notebook, message, synthetic_data, tmp_path
):
    """Sent as soon as kernels run, or once a notebook is done and the next ones run."""
    reports = tmp_path / "reports"
    process = subprocess.Popen(
        [ITUD, *command, "--data-dir", str(synthetic_data), "--reports-dir", str(reports), "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, MPLBACKEND="Agg"),
        start_new_session=True,  # a process group of its own, as a command run at a terminal
    )
    try:
        deadline = time.monotonic() + 120
        kernels: set[int] = set()
        while time.monotonic() < deadline and process.poll() is None:
            kernels = kernels_of(process.pid)
            if kernels and (first_notebook_written(reports) or not after_first_notebook):
                break
            time.sleep(0.05)
        assert kernels, "no kernel was running"
        if signum == signal.SIGINT:  # Ctrl-C: the terminal signals the whole process group
            os.killpg(process.pid, signum)
        else:  # `kill PID`
            process.send_signal(signum)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 128 + signum
    assert err.splitlines() == [message] and out == ""
    assert not [p for p in reports.rglob("*") if p.name.startswith((".tmp-", "v"))]
    assert not [pid for pid in kernels if alive(pid)]  # killed before the command exited


def test_a_batch_killed_outright_leaves_no_year_running_and_publishes_nothing(synthetic_data, tmp_path):
    """SIGKILL of the batch's own process (it cannot stop its years): each year process sees the batch gone,
    stops its build as on SIGTERM, and exits; nothing it started is left, nothing is published."""
    reports = tmp_path / "reports"
    process = subprocess.Popen(
        [ITUD, *BATCH, "--data-dir", str(synthetic_data), "--reports-dir", str(reports), "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=dict(os.environ, MPLBACKEND="Agg"),
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None and not kernels_of(process.pid):
            time.sleep(0.05)
        started = descendants(process.pid)  # the year processes, their servers, printers and kernels
        assert kernels_of(process.pid), "no kernel was running"
        process.kill()
        process.wait()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and [pid for pid in started if alive(pid)]:
            time.sleep(0.1)
    finally:
        if process.poll() is None:
            process.kill()
    left = [pid for pid in started if alive(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == []
    assert not [p for p in reports.rglob("*") if p.name.startswith((".tmp-", "v"))]
