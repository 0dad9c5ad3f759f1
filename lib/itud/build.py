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
import warnings
from dataclasses import dataclass
from pathlib import Path

from itud import __version__, paths
from itud.errors import BuildError
from itud.execute import notebooks
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
) -> BuildResult:
    """Build the report of `year` as a new version, or say that the newest one is up to date.

    `kernels`: notebooks executed at once (default: the number of cores); the outputs do not depend on it.
    """
    started = time.perf_counter()
    data_dir, reports_dir = Path(data_dir).resolve(), Path(reports_dir).resolve()
    year = int(paths.edition_dir(data_dir, year).name)
    year_dir = reports_dir / str(year)
    year_dir.mkdir(parents=True, exist_ok=True)
    state = state_of(year, data_dir, notebooks_dir)
    print_ = _printer(progress)
    current = fingerprint(state)
    _, latest, latest_print = _latest_fingerprint(year_dir)
    if latest_print == current and not force:
        return BuildResult(year, "up to date", latest, time.perf_counter() - started)

    scratch = Path(tempfile.mkdtemp(prefix=".tmp-", dir=year_dir))
    try:
        outputs = _build_into(scratch, year, data_dir, notebooks_dir, progress, kernels or os.cpu_count() or 1)
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


def _printer(enabled: bool):
    return (lambda text: print(text, file=sys.stderr)) if enabled else (lambda text: None)


def _build_into(
    folder: Path, year: int, data_dir: Path, notebooks_dir: Path, progress: bool, kernels: int
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
    execute_all(jobs, parameters, cwd=folder, on_done=lambda source: bar.update(), kernels=kernels)
    meta = document.read_prose(data_dir / str(year) / "edition.toml")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", document.UnplacedItemWarning)
        try:
            report = document.build(
                results.read_all(folder), meta, folder / "figures", edition_dir=data_dir / str(year)
            )
        except (document.ReportError, results.ResultsError) as error:
            raise BuildError(f"report {year}: {error}") from None
    for warning in caught:
        print(f"warning: {warning.message}", file=sys.stderr)
    writers = {"html": render.write_html, "docx": render.write_docx, "pdf": render.write_pdf}
    for kind in _DOCUMENTS:
        bar.set_postfix_str(kind)
        try:
            writers[kind](report, folder / f"report-{year}.{kind}")
        except Exception as error:
            raise BuildError(f"rendering report-{year}.{kind} failed: {type(error).__name__}: {error}") from error
        bar.update()
    render.write_tables_csv(report, folder / "tables")
    render.write_xlsx(report, folder / f"tables-{year}.xlsx")
    bar.close()
    return {p.relative_to(folder).as_posix(): sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}
