"""Build the reports of several years at once, one process per year, failures kept apart.

Each year runs in its own process (spawned, so no kernel or event-loop state is
inherited) and its kernels talk over ipc sockets (see `itud.execute`), so
parallel years cannot collide on ports. A failing year is reported and the
others go on; the caller exits non-zero if any year failed.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from itud import paths
from itud.errors import USER_ERRORS


@dataclass
class YearResult:
    year: str
    ok: bool
    status: str  # "built", "up to date" or "failed"
    version: str
    seconds: float
    message: str


def _one_year(year: str, data_dir: Path, reports_dir: Path, force: bool) -> YearResult:
    from itud.build import build_report

    started = time.perf_counter()
    try:
        # One kernel per year: the batch's parallelism comes from building several years at once.
        result = build_report(year, data_dir, reports_dir, force=force, progress=False, kernels=1)
    except USER_ERRORS as error:
        first = str(error).strip().splitlines()
        return YearResult(year, False, "failed", "-", time.perf_counter() - started, " ".join(first[:3]))
    except Exception as error:  # an unexpected failure of one year must not stop the others
        return YearResult(year, False, "failed", "-", time.perf_counter() - started, f"{type(error).__name__}: {error}")
    version = result.version.name if result.version else "-"
    return YearResult(year, True, result.status, version, result.seconds, result.message)


def run_batch(
    years: list[str] | None,
    data_dir: Path = paths.DATA_DIR,
    reports_dir: Path = paths.REPORTS_DIR,
    *,
    jobs: int | None = None,
    force: bool = False,
    progress: bool = True,
) -> list[YearResult]:
    """Build each year (default: every edition in `data_dir`); results in year order."""
    from tqdm import tqdm

    years = [str(y) for y in (years or paths.available_years(data_dir))]
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(years) or 1))
    results: list[YearResult] = []
    context = multiprocessing.get_context("spawn")
    with (
        ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool,
        tqdm(
            total=len(years),
            desc=f"{len(years)} years, {jobs} at a time",
            unit="year",
            disable=not progress,
            file=sys.stderr,
        ) as bar,  # fmt: skip
    ):
        futures = {pool.submit(_one_year, year, Path(data_dir), Path(reports_dir), force): year for year in years}
        for future in as_completed(futures):
            result = future.result()
            results.append(result)
            bar.set_postfix_str(f"{result.year} {result.status}")
            bar.update()
    return sorted(results, key=lambda r: r.year)


def format_results(results: list[YearResult]) -> str:
    """A summary table, one line per year."""
    lines = [f"{'year':<6} {'status':<11} {'version':<8} {'seconds':>8}  message"]
    for r in results:
        lines.append(f"{r.year:<6} {r.status:<11} {r.version:<8} {r.seconds:>8.1f}  {r.message}")
    failed = [r.year for r in results if not r.ok]
    lines.append(
        f"{len(results) - len(failed)} of {len(results)} years ok"
        + (f"; failed: {', '.join(failed)}" if failed else "")
    )
    return "\n".join(lines)
