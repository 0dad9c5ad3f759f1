"""Where the project's folders are. Overridable per call; these are the defaults."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from itud.errors import EditionError, InputFileError, Problem

# lib/itud/paths.py -> the repository root (the package is installed editable from it).
PACKAGE_DIR = Path(__file__).resolve().parent  # lib/itud: the code and its templates
PROJECT_ROOT = PACKAGE_DIR.parents[1]
DATA_DIR = PROJECT_ROOT / "data"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
REPORTS_DIR = PROJECT_ROOT / "reports"
SEEDS_DIR = PROJECT_ROOT.parent / "shared" / "seeds"
NOTEBOOK_OUTPUT_DIR = PROJECT_ROOT / "build" / "notebooks"
SECTIONS_DIR = PROJECT_ROOT / "report" / "sections"  # the report's section templates (its wording)
FIGURE_PREVIEWS = "ITUD_FIGURE_PREVIEWS"  # "off": figures show no picture in a notebook (a build's kernels)


def data_dir_or_default(data_dir: str | Path) -> Path:
    """A notebook's `data_dir` parameter: "" means the project's data/, from any working directory."""
    return Path(data_dir) if str(data_dir) else DATA_DIR


def output_dir_or_default(output_dir: str | Path) -> Path:
    """A notebook's `output_dir` parameter: "" means the project's build/notebooks/ (not committed)."""
    return Path(output_dir) if str(output_dir) else NOTEBOOK_OUTPUT_DIR


def reference_dir(data_dir: str | Path) -> Path:
    """The reference tables of `data_dir`, or the project's own (data/reference/) when it has none."""
    own = Path(data_dir) / "reference"
    return own if own.is_dir() else DATA_DIR / "reference"


YEAR = re.compile(r"^[0-9]{4}\Z")  # ASCII digits only (\d would accept "٢٠٢٠"); \Z: no trailing newline


def edition_dir(data_dir: Path, year: object) -> Path:
    """The folder of edition `year`, refusing anything that is not a four-digit year."""
    text = str(year).strip()
    if not YEAR.match(text):
        raise EditionError([Problem("<year argument>", "not a year (expected four digits such as 2019)", value=year)])
    folder = Path(data_dir) / text
    if not folder.is_dir():
        present = ", ".join(available_years(data_dir)) or "none"
        raise EditionError([Problem(str(folder), f"no edition folder for {text} (editions in {data_dir}: {present})")])
    return folder


def available_years(data_dir: Path) -> list[str]:
    """Years that have an edition folder in `data_dir`, oldest first."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        return []
    return sorted(p.name for p in data_dir.iterdir() if p.is_dir() and YEAR.match(p.name))


# Every input of an edition is a small text table: 20 MB is about 1000 times the 2019 files, far
# above any real edition and far below what would exhaust memory.
MAX_INPUT_BYTES = 20 * 1024 * 1024

_NOT_REGULAR = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def input_limit() -> int:
    """The largest input file read, in bytes: MAX_INPUT_BYTES, or ITUD_MAX_INPUT_MB megabytes when set."""
    raw = os.environ.get("ITUD_MAX_INPUT_MB", "").strip()
    return int(float(raw) * 1024 * 1024) if raw.replace(".", "", 1).isdigit() else MAX_INPUT_BYTES


_RAISE = "is it the right file? (a larger limit: set ITUD_MAX_INPUT_MB)"


def _kind(mode: int) -> str:
    return next((name for test, name in _NOT_REGULAR if test(mode)), "not a regular file")


def read_input(path: Path, root: Path | None = None, limit: int | None = None) -> bytes:
    """The bytes of input file `path`, refusing anything that is not a regular file of sane size.

    `root`: the data folder; a symbolic link (or linked folder) that leads outside it is refused.
    The file is checked with `os.stat` before it is opened (a FIFO would block, a device never
    ends), opened without blocking, checked again on the open descriptor, and read up to
    `limit` + 1 bytes (default `MAX_INPUT_BYTES`). Raises `InputFileError` naming the file.
    """
    limit = input_limit() if limit is None else limit

    def refuse(message: str) -> InputFileError:
        return InputFileError(Problem(str(path), message))

    if root is not None:
        target, inside = Path(os.path.realpath(path)), Path(os.path.realpath(root))
        if not target.is_relative_to(inside):
            raise refuse(
                f"is a symbolic link to {target}, outside the data folder {inside}: "
                "put a copy of the file in the data folder instead"
            )
    try:
        before = os.stat(path)
    except FileNotFoundError as error:
        raise refuse("file is missing") from error
    except OSError as error:
        raise refuse(f"cannot be read: {error.strerror}") from error
    if not stat.S_ISREG(before.st_mode):
        raise refuse(f"is {_kind(before.st_mode)}, not a regular file: replace it with the file itself")
    if before.st_size > limit:
        raise refuse(f"is {before.st_size} bytes, over the limit of {limit} bytes for an input file: {_RAISE}")
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as error:
        raise refuse(f"cannot be read: {error.strerror}") from error
    with os.fdopen(descriptor, "rb") as stream:
        mode = os.fstat(stream.fileno()).st_mode
        if not stat.S_ISREG(mode):  # replaced between the two checks
            raise refuse(f"is {_kind(mode)}, not a regular file: replace it with the file itself")
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise refuse(f"is over the limit of {limit} bytes for an input file: {_RAISE}")
    return data


def resolve_year(year: int | str, data_dir: str | Path = "") -> int:
    """A notebook's `year` parameter: 0 means the newest edition in `data_dir` (the project's data/ if empty)."""
    if str(year).strip() not in ("0", ""):
        return int(edition_dir(data_dir_or_default(data_dir), year).name)
    years = available_years(data_dir_or_default(data_dir))
    if not years:
        raise EditionError([Problem(str(data_dir_or_default(data_dir)), "no edition folder (such as 2019/) in it")])
    return int(years[-1])


# --- Folders a run owns, named by its process id ----------------------------------------------------


def remove_folders_of_dead_runs(parent: Path, prefix: str) -> list[Path]:
    """Remove the folders `<prefix><pid>-*` in `parent` whose run was killed (process `pid` is gone);
    returns them. A folder whose process is alive, on this machine, is left alone, as is one without a
    process id in its name (made by an older itud: it cannot be told apart)."""
    import shutil

    removed = []
    for folder in sorted(parent.glob(f"{prefix}*")):
        pid = folder.name[len(prefix) :].split("-")[0]
        if folder.is_dir() and not folder.is_symlink() and pid.isascii() and pid.isdigit() and not alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def alive(pid: int) -> bool:
    """Whether process `pid` exists (signal 0 checks without sending anything)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by another user
        return True
    return True
