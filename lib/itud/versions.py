"""Published report versions: reports/<year>/v<N>/, each with a manifest, never overwritten.

A build:
1. fingerprints its inputs (data files, notebook sources, code, pinned
   dependencies, Python and package versions, parameters). If the newest
   version has the same fingerprint, it says "up to date" and writes nothing.
2. builds everything in a private temporary folder beside the versions
   (executed notebooks, figures, results, the HTML/DOCX/PDF documents, CSV tables).
3. under an exclusive lock, takes the next version number and renames the
   folder into place in one step. A failure removes the temporary folder; a
   published version is never touched again.

Nothing time-dependent goes into a version, so a forced rebuild with the same
inputs gives byte-identical files.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from itud import __version__, paths
from itud.errors import BuildError
from itud.execute import notebooks

MANIFEST = "manifest.json"
_VERSION = re.compile(r"^v(\d+)$")
_PACKAGE = "itud-wsis-report"
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


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def notebook_source_digest(path: Path) -> str:
    """Digest of what a notebook does (cell types, sources, tags), not of its stored outputs."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cells = [(c["cell_type"], "".join(c["source"]), c.get("metadata", {}).get("tags", [])) for c in notebook["cells"]]
    return hashlib.sha256(json.dumps(cells, sort_keys=True).encode()).hexdigest()


def _edition_files(data_dir: Path, year: int) -> list[Path]:
    files = sorted((data_dir / "reference").glob("*.csv"))
    older = [y for y in paths.available_years(data_dir) if int(y) < year]
    for edition in [*older[-1:], str(year)]:  # the previous edition feeds the year-over-year section
        files += sorted(p for p in (data_dir / edition).iterdir() if p.is_file())
    return files


def inputs(year: int, data_dir: Path, notebooks_dir: Path) -> dict[str, str]:
    """Every input of a build with its SHA-256, by a name that does not depend on where the checkout is."""
    found: dict[str, str] = {}
    for path in _edition_files(data_dir, year):
        found[f"data/{path.relative_to(data_dir).as_posix()}"] = sha256(path)
    for path in notebooks(notebooks_dir):
        found[f"notebooks/{path.name}"] = notebook_source_digest(path)
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*")):
        if path.is_file() and path.suffix in {".py", ".j2"}:
            found[f"lib/itud/{path.relative_to(package).as_posix()}"] = sha256(path)
    lock = paths.PROJECT_ROOT / "requirements.lock"
    if lock.exists():
        found["requirements.lock"] = sha256(lock)
    return found


def environment() -> dict:
    """Python and the versions of the project's direct dependencies, as installed."""
    names = sorted({re.split(r"[ ;<>=!\[]", r)[0] for r in metadata.requires(_PACKAGE) or []})
    packages = {}
    for name in names:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = "not installed"
    return {"python": platform.python_version(), "packages": packages}


def fingerprint(state: dict) -> str:
    return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()


def code_commit() -> str:
    """The git commit of the code, marked when the working tree has changes; 'unknown' outside git."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=paths.PROJECT_ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "lib", "notebooks", "data", "requirements.lock"],
            cwd=paths.PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" (with uncommitted changes)" if dirty else "")


def versions(year_dir: Path) -> list[tuple[int, Path]]:
    """Published versions of a year, oldest first."""
    if not year_dir.is_dir():
        return []
    found = [(int(m[1]), p) for p in year_dir.iterdir() if (m := _VERSION.match(p.name)) and p.is_dir()]
    return sorted(found)


def _latest_fingerprint(year_dir: Path) -> tuple[int, Path | None, str | None]:
    published = versions(year_dir)
    if not published:
        return 0, None, None
    number, path = published[-1]
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return number, path, None
    return number, path, manifest.get("fingerprint")


@contextmanager
def _locked(year_dir: Path) -> Iterator[None]:
    """An exclusive lock per year, so concurrent runs publish one at a time."""
    with open(year_dir / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def state_of(year: int, data_dir: Path, notebooks_dir: Path) -> dict:
    """What a build depends on; its fingerprint decides whether a new version is needed."""
    return {
        "parameters": {"year": year, "notebooks": [p.stem for p in notebooks(notebooks_dir)]},
        "inputs": inputs(year, data_dir, notebooks_dir),
        "environment": environment(),
    }


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
