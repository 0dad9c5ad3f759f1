"""Published report versions: reports/<year>/v<N>/, each with a manifest, never overwritten.

This module knows version folders and manifests: what a build depends on (its
inputs and their fingerprint), which versions exist, and the per-year lock under
which a new one is put in place. `itud.build` makes the report itself.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import platform
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

from itud import paths
from itud.execute import notebooks

MANIFEST = "manifest.json"
_VERSION = re.compile(r"^v(\d+)$")
_PACKAGE = "itud-wsis-report"


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
        files += sorted(p for p in (data_dir / edition).rglob("*") if p.is_file())  # with report/ overrides
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
    for path in sorted(paths.SECTIONS_DIR.glob("*.j2")):  # the report's wording
        found[f"report/sections/{path.name}"] = sha256(path)
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
