"""Build one year's report into a private folder and publish it as the next version.

A build:
1. fingerprints its inputs (data files, notebook sources, code, pinned
   dependencies, Python and package versions, parameters). If the newest
   version has the same fingerprint, it says "up to date" and writes nothing.
2. builds everything in a private temporary folder beside the versions
   (executed notebooks, figures, results, the HTML/DOCX/PDF documents, CSV tables).
3. under the year's lock (`itud.versions`), takes the next version number and
   renames the folder into place in one step. A failure removes the temporary
   folder; a published version is never touched again.

Nothing time-dependent goes into a version, so a forced rebuild with the same
inputs gives byte-identical files.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from itud import __version__, paths
from itud.errors import BuildError
from itud.execute import DEFAULT_TIMEOUT, notebooks
from itud.versions import (
    MANIFEST,
    _latest_fingerprint,
    _locked,
    code_commit,
    fingerprint,
    sha256,
    state_of,
)

_DOCUMENTS = ("html", "docx", "pdf")
_SCRATCH = ".tmp-"


@dataclass
class BuildResult:
    year: int
    status: str  # "built" or "up to date"
    version: Path | None
    seconds: float

    @property
    def message(self) -> str:
        if self.status == "up to date":
            return f"{self.year}: up to date ({self.version}); nothing written"
        return f"{self.year}: built {self.version} in {self.seconds:.1f} s"


def build_report(
    year: object,
    data_dir: Path = paths.DATA_DIR,
    reports_dir: Path = paths.REPORTS_DIR,
    *,
    notebooks_dir: Path = paths.NOTEBOOKS_DIR,
    force: bool = False,
    progress: bool = True,
    kernels: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> BuildResult:
    """Build the report of `year` as a new version, or say that the newest one is up to date.

    `kernels`: notebooks executed at once (default: the number of cores); the outputs do not depend on it.
    `timeout`: seconds each notebook may take.
    """
    started = time.perf_counter()
    data_dir, reports_dir = Path(data_dir).resolve(), Path(reports_dir).resolve()
    year = int(paths.edition_dir(data_dir, year).name)
    year_dir = reports_dir / str(year)
    year_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_scratch(year_dir)  # no lock needed: a folder is only removed once its run is gone
    state = state_of(year, data_dir, notebooks_dir)
    print_ = _printer(progress)
    current = fingerprint(state)
    _, latest, latest_print = _latest_fingerprint(year_dir)
    if latest_print == current and not force:
        return BuildResult(year, "up to date", latest, time.perf_counter() - started)

    scratch = make_scratch(year_dir)
    try:
        cores = kernels or os.cpu_count() or 1
        outputs = _build_into(scratch, year, data_dir, notebooks_dir, progress, cores, timeout)
        with _locked(year_dir):
            number, latest, latest_print = _latest_fingerprint(year_dir)
            if latest_print == current and not force:  # a concurrent run published the same thing first
                shutil.rmtree(scratch)
                return BuildResult(year, "up to date", latest, time.perf_counter() - started)
            manifest = {
                "year": year,
                "version": number + 1,
                "previous_version": latest.name if latest else None,
                "built_by": f"itud {__version__}",
                "code_commit": code_commit(),
                "fingerprint": current,
                **state,
                "outputs": outputs,
            }
            (scratch / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            target = year_dir / f"v{number + 1}"
            os.rename(scratch, target)  # atomic on one file system; fails rather than overwrite
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    print_(f"published {target}")
    return BuildResult(year, "built", target, time.perf_counter() - started)


def make_scratch(year_dir: Path) -> Path:
    """A private build folder `.tmp-<pid>-<random>` beside the versions; the pid tells whether its run is alive."""
    return Path(tempfile.mkdtemp(prefix=f"{_SCRATCH}{os.getpid()}-", dir=year_dir))


def remove_stale_scratch(year_dir: Path) -> list[Path]:
    """Remove the build folders of runs that were killed (their process is gone); returns them.

    A folder of a run still alive, on this machine, is left alone, as is a `.tmp-*` folder
    without a process id in its name (made by an older itud: it cannot be told apart).
    """
    removed = []
    for folder in sorted(year_dir.glob(f"{_SCRATCH}*")):
        pid = folder.name[len(_SCRATCH) :].split("-")[0]
        if folder.is_dir() and not folder.is_symlink() and pid.isascii() and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _alive(pid: int) -> bool:
    """Whether process `pid` exists (signal 0 checks without sending anything)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by another user
        return True
    return True


def _printer(enabled: bool):
    return (lambda text: print(text, file=sys.stderr)) if enabled else (lambda text: None)


def _build_into(
    folder: Path, year: int, data_dir: Path, notebooks_dir: Path, progress: bool, kernels: int, timeout: float
) -> dict[str, str]:
    """Execute the notebooks and render the documents into `folder`; returns {output: sha256}."""
    from tqdm import tqdm

    from itud import document, render, results
    from itud.execute import execute_all

    sources = notebooks(notebooks_dir)
    steps = [*[s.stem for s in sources], *[f"report-{year}.{kind}" for kind in _DOCUMENTS]]
    bar = tqdm(steps, desc=f"report {year}", unit="step", disable=not progress, file=sys.stderr, leave=False)
    (folder / "notebooks").mkdir()
    # Paths relative to the build folder: the same from .tmp-*/ and from the published v<N>/.
    parameters = {"year": year, "data_dir": os.path.relpath(data_dir, folder), "output_dir": "."}
    jobs = [(source, folder / "notebooks" / source.name) for source in sources]
    try:
        execute_all(jobs, parameters, cwd=folder, on_done=lambda source: bar.update(), kernels=kernels, timeout=timeout)
    except BaseException:
        bar.close()  # clears its line, so the error message is not printed after the bar
        raise
    meta = document.read_prose(data_dir / str(year) / "edition.toml")
    report = document.build(results.read_all(folder), meta, folder / "figures")
    writers = {"html": render.write_html, "docx": render.write_docx, "pdf": render.write_pdf}
    for kind in _DOCUMENTS:
        bar.set_postfix_str(kind)
        try:
            writers[kind](report, folder / f"report-{year}.{kind}")
        except Exception as error:
            raise BuildError(f"rendering report-{year}.{kind} failed: {type(error).__name__}: {error}") from error
        bar.update()
    render.write_tables_csv(report, folder / "tables")
    bar.close()
    return {p.relative_to(folder).as_posix(): sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}
