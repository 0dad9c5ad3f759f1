#!/usr/bin/env python3
"""Benchmark of report builds: whole processes, median of several runs. Not a test.

    .venv/bin/python bench/bench.py [--runs 3]

(a) the full report for one year (`itud report --force`)
(b) the same notebooks with their code cells emptied, executed by the papermill
    command one after another (`papermill nb.ipynb out.ipynb -p year 2019`, as an
    analyst runs them): the floor the goal is measured against
(b') the same emptied notebooks through papermill's API in one process, one kernel
    per notebook: a stricter floor, printed for comparison. It varies from run to
    run because papermill shuts each kernel down gracefully and waits for it
(b'') the same emptied notebooks through itud's own executor (a fresh kernel per
    notebook, started ahead, killed at once): no goal; (a) / (b'') shows the real work
    above bare kernels
(c) a batch of four editions, serially (--jobs 1) and in parallel (--jobs 2)
(d) an up-to-date rerun (`itud report` with nothing changed)

Goals: (a) <= 1.5 x (b); (d) <= 1 s; parallel <= 0.65 x serial on 2 cores.

The batch uses the real 2019 edition and the SYNTHETIC test editions 2090 and
2091 (and 2092, a copy of 2091 made here), so the batch has an even number of
years for two cores. Everything is written under a temporary folder.

    .venv/bin/python bench/bench.py --kernels [--runs 5]

runs only `kernel_benchmark`: (a) against (b') in paired runs (one of each, in
alternating order, so a busy spell of a shared machine weighs on both); goal: the
median of the ratios <= 1.0 (issue 8, one fresh kernel per notebook). It also gives
the CPU time (user + system, all processes) of each, which other work on the
machine does not inflate.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ITUD = str(BIN / "itud")


def timed(command: list[str], runs: int, prepare=None) -> tuple[float, list[float]]:
    """Median wall time of `command` over `runs` runs (each a fresh process)."""
    times = []
    for _ in range(runs):
        if prepare:
            prepare()
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times), times


def show(label: str, median: float, times: list[float], digits: int = 2) -> None:
    each = ", ".join(f"{t:.{digits}f}" for t in times)
    print(f"{label:<34} {median:7.{digits}f} s   (runs: {each})", flush=True)


def emptied_notebooks(target: Path) -> list[Path]:
    """Copies of the report's notebooks with every code cell emptied."""
    target.mkdir(parents=True)
    copies = []
    for source in sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb")):
        notebook = json.loads(source.read_text())
        for cell in notebook["cells"]:
            if cell["cell_type"] == "code":
                cell["source"], cell["outputs"], cell["execution_count"] = "", [], None
        copy = target / source.name
        copy.write_text(json.dumps(notebook))
        copies.append(copy)
    return copies


def batch_data(target: Path) -> Path:
    shutil.copytree(ROOT / "data" / "reference", target / "reference")
    shutil.copytree(ROOT / "data" / "2019", target / "2019")
    for year in ("2090", "2091"):
        shutil.copytree(ROOT / "tests" / "synthetic" / year, target / year)
    shutil.copytree(target / "2091", target / "2092")
    toml = target / "2092" / "edition.toml"
    toml.write_text(toml.read_text().replace("2091", "2092"))
    return target


_PAPERMILL_API_FLOOR = (
    "import sys, papermill\n"
    "for p in sys.argv[2:]: papermill.execute_notebook(p, sys.argv[1] + '/x.ipynb', "
    "parameters={'year': 2019}, progress_bar=False)\n"
)


def _wall_and_cpu(command: list[str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system of the command and everything it started) of one run."""
    before = os.times()
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = os.times()
    return wall, (after.children_user - before.children_user) + (after.children_system - before.children_system)


def kernel_benchmark(runs: int) -> int:
    """The full 2019 report against the papermill API floor, in `runs` paired runs; prints ratios and spread."""
    scratch = Path(tempfile.mkdtemp(prefix="itud-bench-kernels-"))
    try:
        copies = emptied_notebooks(scratch / "empty")
        out = scratch / "empty-out"
        out.mkdir()
        report = [ITUD, "report", "--year", "2019", "--force", "--quiet", "--reports-dir", str(scratch / "reports")]
        floor = [sys.executable, "-c", _PAPERMILL_API_FLOOR, str(out), *map(str, copies)]
        print(f"{runs} paired runs: (a) full 2019 report, (b') papermill API floor; scratch: {scratch}", flush=True)
        pairs, cpus = [], []
        for run in range(runs):
            order = [("a", report), ("b'", floor)] if run % 2 == 0 else [("b'", floor), ("a", report)]
            measured = {name: _wall_and_cpu(command) for name, command in order}
            (full_s, full_cpu), (floor_s, floor_cpu) = measured["a"], measured["b'"]
            pairs.append((full_s, floor_s))
            cpus.append((full_cpu, floor_cpu))
            print(
                f"  pair {run + 1}: (a) {full_s:6.2f} s  (b') {floor_s:6.2f} s  ratio {full_s / floor_s:5.2f}"
                f"   CPU (a) {full_cpu:5.2f} s  (b') {floor_cpu:5.2f} s",
                flush=True,
            )
        ratios = [a / b for a, b in pairs]
        full, api = statistics.median(a for a, _ in pairs), statistics.median(b for _, b in pairs)
        ratio = statistics.median(ratios)
        full_cpu, floor_cpu = statistics.median(a for a, _ in cpus), statistics.median(b for _, b in cpus)
        print(f"(a) median {full:.2f} s, (b') median {api:.2f} s")
        print(f"CPU time: (a) median {full_cpu:.2f} s, (b') median {floor_cpu:.2f} s, ratio {full_cpu / floor_cpu:.2f}")
        print(f"(a) / (b') median of {runs} paired ratios: {ratio:.2f} (spread {min(ratios):.2f} to {max(ratios):.2f})")
        print(f"goal <= 1.0: {'met' if ratio <= 1.0 else 'NOT met'}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median is reported)")
    parser.add_argument("--kernels", action="store_true", help="only the paired (a) / (b') kernel benchmark")
    args = parser.parse_args()
    if args.kernels:
        return kernel_benchmark(args.runs)
    runs = args.runs
    scratch = Path(tempfile.mkdtemp(prefix="itud-bench-"))
    try:
        reports = scratch / "reports"
        print(f"runs per figure: {runs}; scratch: {scratch}", flush=True)

        full, full_all = timed(
            [ITUD, "report", "--year", "2019", "--force", "--quiet", "--reports-dir", str(reports)], runs
        )
        show("(a) full report, 2019", full, full_all)

        copies = emptied_notebooks(scratch / "empty")
        out = scratch / "empty-out"
        reset = lambda: (shutil.rmtree(out, ignore_errors=True), out.mkdir())  # noqa: E731
        papermill = str(BIN / "papermill")
        commands = " && ".join(
            f"{papermill} --no-progress-bar -p year 2019 {c} {out / c.name} 2>/dev/null" for c in copies
        )
        floor, floor_all = timed(["bash", "-c", commands], runs, prepare=reset)
        show("(b) papermill command per notebook", floor, floor_all)
        script = (
            "import sys, papermill\n"
            "for p in sys.argv[2:]: papermill.execute_notebook(p, sys.argv[1] + '/x.ipynb', "
            "parameters={'year': 2019}, progress_bar=False)\n"
        )
        floor_api, api_all = timed(
            [sys.executable, "-c", script, str(out), *map(str, copies)], max(runs, 5), prepare=reset
        )
        show("(b') papermill API, one process", floor_api, api_all)
        ours = (
            "import sys; from pathlib import Path; from itud.execute import execute_all\n"
            "execute_all([(Path(p), Path(sys.argv[1]) / Path(p).name) for p in sys.argv[2:]], {'year': 2019})\n"
        )
        floor_ours, ours_all = timed([sys.executable, "-c", ours, str(out), *map(str, copies)], runs, prepare=reset)
        show("(b'') itud's executor, fresh kernels", floor_ours, ours_all)

        uptodate, up_all = timed(
            [ITUD, "report", "--year", "2019", "--quiet", "--reports-dir", str(reports)], max(runs, 5)
        )
        show("(d) up-to-date rerun", uptodate, up_all, digits=3)

        data = batch_data(scratch / "batch-data")
        base = [ITUD, "batch", "--data-dir", str(data), "--force", "--quiet"]
        serial, serial_all = timed([*base, "--jobs", "1", "--reports-dir", str(scratch / "serial")], runs)
        show("(c) batch of 4, serial", serial, serial_all)
        parallel, parallel_all = timed([*base, "--jobs", "2", "--reports-dir", str(scratch / "parallel")], runs)
        show("(c) batch of 4, parallel (2 jobs)", parallel, parallel_all)

        print()
        checks = [
            ("(a) / (b)", full / floor, 1.5),
            ("(a) / (b') stricter", full / floor_api, 1.5),
            ("(d) seconds", uptodate, 1.0),
            ("parallel / serial", parallel / serial, 0.65),
        ]
        for name, value, goal in checks:
            print(f"{name:<22} {value:6.2f}   goal <= {goal:<5} {'met' if value <= goal else 'NOT met'}")
        label = "(a) / (b'') no goal"
        print(f"{label:<22} {full / floor_ours:6.2f}   work above a bare kernel in itud's own pipeline")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
