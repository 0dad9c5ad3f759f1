"""Published report versions: reports/<year>/v<N>/, each with a manifest, never overwritten.

This module knows version folders and manifests:
- what a build depends on: its inputs, read once into a `Snapshot` (the bytes the
  build uses are the bytes it hashed), and the fingerprint of inputs, code and
  environment. The fingerprint decides whether to *rebuild*; whether to *publish*
  is decided by the outputs (`reader_outputs`): a new version only when what
  readers see changed (as in owid/etl, where a checksum decides what is dirty);
- which versions exist, the per-year lock under which a new one is put in place,
  and `verify`, which checks every published file against its manifest.
`itud.publish.build` makes the report itself.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import platform
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from itud import paths
from itud.errors import BuildError
from itud.paths import read_input
from itud.run.execute import notebooks

MANIFEST = "manifest.json"
INPUTS_DIR = "inputs"  # the snapshot of the data a version was built from, inside the version
_VERSION = re.compile(r"^v(\d+)$")
_PACKAGE = "itud-wsis-report"
_NOT_IN_A_BUILD = {"jupyterlab", "nbval"}  # direct dependencies for people, not for building a report
# Outputs that are records of the build rather than what readers see: they do not make a new version.
_NOT_READER_FACING = ("notebooks/", f"{INPUTS_DIR}/", MANIFEST)
EDITION_FILE = "edition.toml"
OVERRIDES_DIR = "report"  # data/<year>/report/: the edition's own section templates


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def notebook_source_digest(data: bytes) -> str:
    """Digest of what a notebook does (cell types, sources, tags), not of its stored outputs."""
    notebook = json.loads(data.decode("utf-8"))
    cells = [(c["cell_type"], "".join(c["source"]), c.get("metadata", {}).get("tags", [])) for c in notebook["cells"]]
    return hashlib.sha256(json.dumps(cells, sort_keys=True).encode()).hexdigest()


@dataclass
class Snapshot:
    """The inputs of one build, read once: data files by their name under data/, notebooks by file name."""

    data: dict[str, bytes] = field(default_factory=dict)  # "2019/outcomes.csv", "reference/sdgs.csv"
    notebooks: dict[str, bytes] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)  # files in an edition folder that are not inputs

    def write(self, folder: Path) -> None:
        """Lay the data out under `folder` as a data folder the notebooks can read."""
        for name, data in self.data.items():
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)


def edition_input_names() -> list[str]:
    """The files of an edition folder that are inputs: edition.toml and the catalogue's tables."""
    from itud.data.schemas import TABLES

    return [EDITION_FILE, *(f"{t.name}.csv" for t in TABLES if t.scope == "edition")]


def snapshot(year: int, data_dir: Path, notebooks_dir: Path) -> Snapshot:
    """Read every input of the report of `year` once. Stray files (an editor's lock file) are listed, not read.

    Each input must be a regular file of sane size inside its folder (`paths.read_input`).
    """
    from itud.data.schemas import reference_tables

    taken = Snapshot()
    reference = paths.reference_dir(data_dir)
    for table in reference_tables(reference):
        taken.data[f"reference/{table.name}.csv"] = read_input(reference / f"{table.name}.csv", reference)
    wanted = set(edition_input_names())
    older = [y for y in paths.available_years(data_dir) if int(y) < year]
    for edition in [*older[-1:], str(year)]:  # the previous edition feeds the year-over-year section
        folder = Path(data_dir) / edition
        for path in sorted(folder.iterdir()):
            if path.name in wanted:
                taken.data[f"{edition}/{path.name}"] = read_input(path, Path(data_dir))
            elif path.name == OVERRIDES_DIR and path.is_dir():  # the edition's own report wording
                for override in sorted(path.glob("*.j2")):
                    taken.data[f"{edition}/{OVERRIDES_DIR}/{override.name}"] = read_input(override, Path(data_dir))
            elif edition == str(year):
                taken.ignored.append(str(path))
    for path in notebooks(notebooks_dir):
        taken.notebooks[path.name] = read_input(path, notebooks_dir)
    return taken


def code_files() -> dict[str, str]:
    """The package's code and templates, and the report's section templates (its wording), with their SHA-256."""
    found = {
        f"lib/itud/{path.relative_to(paths.PACKAGE_DIR).as_posix()}": sha256(path)
        for path in sorted(paths.PACKAGE_DIR.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }
    for path in sorted(paths.SECTIONS_DIR.glob("*.j2")):
        found[f"report/sections/{path.name}"] = sha256(path)
    return found


def inputs(taken: Snapshot) -> dict[str, str]:
    """Every input of a build with its SHA-256, by a name that does not depend on where the checkout is."""
    found = {f"data/{name}": hashlib.sha256(data).hexdigest() for name, data in sorted(taken.data.items())}
    found.update({f"notebooks/{n}": notebook_source_digest(d) for n, d in sorted(taken.notebooks.items())})
    found.update(code_files())
    return found


def _runtime_packages() -> dict[str, str]:
    """Versions of the packages the report's code runs on: the runtime dependencies, transitively.

    Test and lint tools (pytest, ruff) are extras, and the tools to edit and test notebooks
    (JupyterLab, nbval) take no part in a build: left out, they cannot change a report.
    """
    found: dict[str, str] = {}
    pending = [_PACKAGE]
    while pending:
        name = pending.pop()
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for requirement in requires:
            if "extra ==" in requirement:
                continue
            dependency = re.split(r"[ ;<>=!~\[(]", requirement, maxsplit=1)[0].lower().replace("_", "-")
            if dependency in found or dependency in _NOT_IN_A_BUILD:
                continue
            try:
                found[dependency] = metadata.version(dependency)
            except metadata.PackageNotFoundError:
                continue  # a dependency for another platform or Python
            pending.append(dependency)
    return dict(sorted(found.items()))


def environment() -> dict:
    """Python (major.minor: a patch release does not change a report), the runtime packages and the system
    libraries the PDF is printed with (`buildinfo.system_libraries`): a change in any of them means a rebuild."""
    from itud.run.buildinfo import system_libraries

    return {
        "python": ".".join(platform.python_version_tuple()[:2]),
        "packages": _runtime_packages(),
        "system": system_libraries(),
    }


def _minor(python: str) -> str:
    """Python's major.minor ("3.11") of a recorded version, which the first versions recorded as "3.11.7"."""
    return ".".join(python.split(".")[:2])


def _build_packages(environment: dict) -> dict[str, str]:
    """The packages an `environment` lists that take part in a build (the first versions also listed tools)."""
    return {name: version for name, version in environment.get("packages", {}).items() if name not in _NOT_IN_A_BUILD}


def same_software(before: dict | None, after: dict | None) -> bool:
    """Whether two manifests' `environment`s name the same software, in what both record: Python's
    major.minor, the packages a build uses and their versions, and the system libraries (which the versions
    before 2019 v9 did not record: not a change)."""
    if not before or not after:
        return True
    if "python" in before and "python" in after and _minor(before["python"]) != _minor(after["python"]):
        return False
    if _build_packages(before) != _build_packages(after):
        return False
    old, new = before.get("system", {}), after.get("system", {})
    return all(old[name] == new[name] for name in set(old) & set(new))


def fingerprint(state: dict) -> str:
    return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()


def state_of(year: int, taken: Snapshot) -> dict:
    """What a build depends on; its fingerprint decides whether a rebuild is needed."""
    return {
        "parameters": {"year": year, "notebooks": [Path(n).stem for n in sorted(taken.notebooks)]},
        "inputs": inputs(taken),
        "environment": environment(),
    }


BUILT_FROM = ("data", "notebooks", "report", "lib")  # the folders a version is built from, which git must hold


def _git(*arguments: str) -> str:
    return subprocess.run(
        ["git", *arguments], cwd=paths.PROJECT_ROOT, capture_output=True, text=True, check=True, timeout=60
    ).stdout


def uncommitted() -> list[str] | None:
    """The files of `BUILT_FROM` with changes git has not committed (new files included); None outside git."""
    try:
        listed = _git("status", "--porcelain", "--untracked-files=all", "--", *BUILT_FROM)
    except (OSError, subprocess.SubprocessError):
        return None
    return [line[3:] for line in listed.splitlines() if line.strip()]


def code_commit() -> str:
    """The git commit of the code, marked when the working tree has changes; 'unknown' outside git."""
    try:
        head = _git("rev-parse", "HEAD").strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + (" (with uncommitted changes)" if uncommitted() else "")


def versions(year_dir: Path) -> list[tuple[int, Path]]:
    """Published versions of a year, oldest first."""
    if not year_dir.is_dir():
        return []
    found = [(int(m[1]), p) for p in year_dir.iterdir() if (m := _VERSION.match(p.name)) and p.is_dir()]
    return sorted(found)


def check_next_name_free(year_dir: Path) -> None:
    """Refuse, before any work, a stray file or folder named like a version that is not one."""
    for path in sorted(year_dir.iterdir()) if year_dir.is_dir() else []:
        if _VERSION.match(path.name) and (not path.is_dir() or path.is_symlink()):
            raise BuildError(f"{path}: named like a version but not a version folder; move it away and run again")
        if _VERSION.match(path.name) and not (path / MANIFEST).is_file():
            raise BuildError(f"{path}: a version folder without {MANIFEST}; move it away and run again")


def read_manifest(version: Path) -> dict:
    try:
        return json.loads((version / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BuildError(f"{version / MANIFEST}: not readable ({error})") from None


def latest(year_dir: Path) -> tuple[int, Path | None, dict]:
    """The newest version of a year: (number, folder, manifest); (0, None, {}) when there is none."""
    published = versions(year_dir)
    if not published:
        return 0, None, {}
    number, path = published[-1]
    return number, path, read_manifest(path)


def reader_outputs(outputs: dict[str, str]) -> dict[str, str]:
    """The outputs readers see (documents, tables, figures, results), without build records or intermediates."""
    return {
        name: digest
        for name, digest in outputs.items()
        if not name.startswith(_NOT_READER_FACING) and not is_intermediate(name)
    }


def differing(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """The files readers see that differ between two {file: sha256} maps (changed, added or removed)."""
    before, after = reader_outputs(before), reader_outputs(after)
    return sorted(name for name in set(before) | set(after) if before.get(name) != after.get(name))


def is_intermediate(name: str) -> bool:
    """A file a build makes for its own use and does not publish: the figures' PNG renderings, which only
    the Word document needs (it embeds them; the SVGs are the figures readers get)."""
    return name.startswith("figures/") and name.endswith(".png")


def output_hashes(folder: Path) -> dict[str, str]:
    """{file under folder: sha256} for every file but the manifest."""
    return {
        p.relative_to(folder).as_posix(): sha256(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }


@contextmanager
def locked(year_dir: Path) -> Iterator[None]:
    """An exclusive lock per year, so concurrent runs publish one at a time.

    Opened with O_NOFOLLOW and never truncated: a `.lock` that is a symlink is refused instead of
    clobbering what it points to. (filelock truncates its file on open, hence fcntl by hand.)
    """
    path = year_dir / ".lock"
    try:
        handle = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    except OSError as error:
        raise BuildError(f"{path}: cannot open the lock file ({error.strerror}); remove it and run again") from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # closing releases the lock


def make_readable(folder: Path) -> None:
    """Folders 0755 and files 0644, so other users can read a published version (mkdtemp makes 0700)."""
    folder.chmod(0o755)
    for path in folder.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)


def verify_version(version: Path) -> list[str]:
    """Every way a published version differs from its manifest, each naming the file: edited, missing,
    added, unreadable, or listed outside the version (a manifest received from others is not trusted: any
    shape of it is a finding, never a crash)."""
    try:
        manifest = json.loads((version / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        return [f"{version / MANIFEST}: not readable ({type(error).__name__}: {error})"]
    recorded = manifest.get("outputs") if isinstance(manifest, dict) else None
    if not isinstance(recorded, dict) or not all(isinstance(v, str) for v in recorded.values()):
        return [f"{version / MANIFEST}: not a manifest (no 'outputs' table of file names and SHA-256)"]
    problems = []
    inside = version.resolve()
    for name in sorted(recorded):
        path = (version / name).resolve()
        if not path.is_relative_to(inside) or Path(name).is_absolute() or ".." in Path(name).parts:
            problems.append(f"{version / MANIFEST}: lists {name!r}, which is outside the version")
    try:
        present = output_hashes(version)
    except OSError as error:
        return [*problems, f"{error.filename or version}: not readable ({error.strerror})"]
    for name in sorted(set(recorded) | set(present)):
        if any(name in problem for problem in problems):
            continue
        if name not in present:
            problems.append(f"{version / name}: missing (the manifest lists it)")
        elif name not in recorded:
            problems.append(f"{version / name}: not in the manifest (added after publishing?)")
        elif present[name] != recorded[name]:
            problems.append(f"{version / name}: changed since publishing (SHA-256 differs from the manifest)")
    return problems


def verify(year_dir: Path) -> list[str]:
    """Every difference between the published versions of a year and their manifests."""
    return [problem for _, version in versions(year_dir) for problem in verify_version(version)]
