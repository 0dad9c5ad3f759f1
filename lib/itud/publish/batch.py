"""Build the reports of several years at once, one process per year, failures kept apart.

Each year runs in its own process (spawned, so no kernel or event-loop state is
inherited) and its kernels talk over ipc sockets (see `itud.run.execute`), so
parallel years cannot collide on ports. A failing year is reported and the
others go on; the caller exits non-zero if any year failed.

Stopping (Ctrl-C, SIGTERM, any exception in the caller): the year processes ignore
the terminal's Ctrl-C and are stopped by the batch itself with SIGTERM, on which
each one kills its kernels and removes its scratch folder before it exits.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from itud import paths
from itud.data.grammar import plural
from itud.errors import USER_ERRORS, quiet_lost_stops, stop
from itud.run.execute import DEFAULT_TIMEOUT

_STOP_WAIT = 30.0
"""Seconds the batch waits for a stopped year process to clean up (it takes about one)."""


@dataclass
class YearResult:
    year: str
    ok: bool
    status: str  # "built", "up to date", "failed" or "stopped"
    version: str
    seconds: float
    message: str


class _Terminated(BaseException):
    """SIGTERM in a year process: unwinds the build, so its kernels and scratch folder go."""


_building = False  # in a year process: whether a build is running
_stopping = False  # in a year process: SIGTERM came; years not yet started are skipped
_events = None  # in a year process: the queue its builds tell the batch their notebooks and warnings on


def _on_sigterm(signum: int, frame) -> None:
    """A year process stops its build, if any, and then exits normally when the batch shuts it down.

    Not `os._exit`: a normal exit runs multiprocessing's finalizers (else the resource tracker
    warns about tqdm's semaphores on the terminal).
    """
    global _stopping
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _stopping = True
    if _building:
        stop(_Terminated())  # now, or once a kernel being launched is recorded


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Ctrl-C ignored while the year processes start: they inherit that from their first instant
    (their initializer would come too late for a Ctrl-C during their start-up, a traceback each)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _year_process_signals(events=None) -> None:
    """Initializer of each year process: Ctrl-C is the batch's to handle; SIGTERM stops the build; the
    process ends with the batch's; its builds report on `events` (a queue the batch reads)."""
    global _events
    _events = events
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _on_sigterm)
    sys.unraisablehook = quiet_lost_stops
    watch = threading.Thread(target=_end_with_the_batch, args=(os.getppid(),), name="itud-batch-watch", daemon=True)
    watch.start()


_WATCH_EVERY = 0.5
"""Seconds between a year process's checks that the batch's process is still there."""


def _end_with_the_batch(batch: int) -> None:
    """In a year process: once the batch's process is gone (killed with SIGKILL, it could not stop its
    years; seen: an orphaned year went on and published), stop the build as SIGTERM does (kernels
    killed, scratch folder removed), then exit. (Polling the parent's pid: Linux's "parent death
    signal" follows the thread that started the process, not the process.)"""
    while os.getppid() == batch:
        time.sleep(_WATCH_EVERY)
    os.kill(os.getpid(), signal.SIGTERM)  # the build, if one runs, unwinds in the main thread
    deadline = time.monotonic() + _STOP_WAIT
    while _building and time.monotonic() < deadline:
        time.sleep(0.1)
    os._exit(1)  # nobody is left to read a result


def _one_year(year: str, data_dir: Path, reports_dir: Path, force: bool, timeout: float) -> YearResult:
    global _building
    from itud.publish.build import build_report

    started = time.perf_counter()
    if _stopping:
        return YearResult(year, False, "stopped", "-", 0.0, "the batch was stopped")
    try:
        _building = True
        # One kernel per year: the batch's parallelism comes from building several years at once.
        tell = (lambda kind, text: _events.put((year, kind, text))) if _events is not None else None
        result = build_report(
            year, data_dir, reports_dir, force=force, progress=False, kernels=1, timeout=timeout, on_event=tell
        )
    except _Terminated:  # kernels and scratch folder are gone on the way here
        return YearResult(year, False, "stopped", "-", time.perf_counter() - started, "the batch was stopped")
    except USER_ERRORS as error:
        first = str(error).strip().splitlines()
        return YearResult(year, False, "failed", "-", time.perf_counter() - started, " ".join(first[:3]))
    except Exception as error:  # an unexpected failure of one year must not stop the others
        return YearResult(year, False, "failed", "-", time.perf_counter() - started, f"{type(error).__name__}: {error}")
    finally:
        _building = False
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
    timeout: float = DEFAULT_TIMEOUT,
) -> list[YearResult]:
    """Build each year (default: every edition in `data_dir`); results in year order.

    `timeout`: seconds each notebook may take. Interrupted, it stops every year process
    (each cleans up after itself) before the exception goes on.
    """
    years = [str(y) for y in (years or paths.available_years(data_dir))]
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(years) or 1))
    results: list[YearResult] = []
    context = multiprocessing.get_context("spawn")
    events = context.Queue()
    pool = ProcessPoolExecutor(
        max_workers=jobs, mp_context=context, initializer=_year_process_signals, initargs=(events,)
    )
    shown = _Progress(years, jobs, progress)
    reader = threading.Thread(target=shown.follow, args=(events,), name="itud-batch-progress", daemon=True)
    reader.start()
    try:
        arguments = (Path(data_dir), Path(reports_dir), force, timeout)
        with _sigint_ignored():  # the year processes start here, and inherit it
            futures = {pool.submit(_one_year, year, *arguments): year for year in years}
        for future in as_completed(futures):
            result = future.result()
            results.append(result)
            shown.year_done(result)
    except BaseException:
        _stop_year_processes(pool)
        raise
    finally:
        events.put(None)  # the reader's last item
        reader.join(5)
        shown.close()
    pool.shutdown()
    return sorted(results, key=lambda r: r.year)


class _Progress:
    """What a batch shows while it runs: one bar over every notebook of every year (a year found up to
    date counts as done at once), or, where standard error is no terminal (a pipe, a log), one line a
    notebook and a line a year; each warning once, prefixed with its year, above the bar."""

    def __init__(self, years: list[str], jobs: int, enabled: bool) -> None:
        import shutil

        from tqdm import tqdm

        from itud.run.execute import notebooks

        self.per_year = max(1, len(notebooks(paths.NOTEBOOKS_DIR)))
        self.counted: dict[str, int] = dict.fromkeys(years, 0)
        self.enabled, self.terminal = enabled, sys.stderr.isatty()
        self.warned: set[str] = set()
        self.lock = threading.Lock()
        # A terminal that reports no size (0 columns) still gets a bar of 80 columns.
        columns = shutil.get_terminal_size((0, 0)).columns or 80
        self.bar = tqdm(
            total=len(years) * self.per_year, desc=f"{plural(len(years), 'year')}, {jobs} at a time",
            unit="notebook", disable=not (enabled and self.terminal), file=sys.stderr, ncols=columns,
            dynamic_ncols=False,
        )  # fmt: skip

    def _line(self, text: str) -> None:
        if not self.enabled:
            return
        if self.terminal:
            self.bar.write(text, file=sys.stderr)  # above the bar, which is drawn again below it
        else:
            print(text, file=sys.stderr, flush=True)

    def follow(self, events) -> None:
        """Read the year processes' events until the batch ends (None)."""
        while (event := events.get()) is not None:
            year, kind, text = event
            with self.lock:
                if kind == "notebook" and self.counted.get(year, 0) < self.per_year:
                    self.counted[year] += 1
                    self.bar.update()
                    if not self.terminal:
                        self._line(f"{year}: {text} done ({self.counted[year]} of {self.per_year} notebooks)")
                elif kind == "warning" and f"{year}: {text}" not in self.warned:
                    self.warned.add(f"{year}: {text}")
                    self._line(f"warning: {year}: {text}")

    def year_done(self, result: YearResult) -> None:
        with self.lock:
            self.bar.update(self.per_year - self.counted.get(result.year, 0))
            self.counted[result.year] = self.per_year
            self.bar.set_postfix_str(f"{result.year} {result.status}")
            if not self.terminal:
                self._line(f"{result.year}: {result.status} {result.version} ({result.seconds:.1f} s)")

    def close(self) -> None:
        self.bar.close()


def _stop_year_processes(pool: ProcessPoolExecutor) -> None:
    """SIGTERM every year process, drop the queued years, and wait until each has cleaned up and exited.

    `ProcessPoolExecutor` has no public way to signal its processes before Python 3.14
    (`terminate_workers`, which does not let them clean up), hence its `_processes` mapping here.
    """
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        if process.is_alive():
            process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.join(_STOP_WAIT)
        if process.is_alive():
            process.kill()
    pool.shutdown(wait=True)


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
