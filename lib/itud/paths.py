"""Where the project's folders are. Overridable per call; these are the defaults."""

from __future__ import annotations

import re
from pathlib import Path

from itud.errors import EditionError, Problem

# lib/itud/paths.py -> the repository root (the package is installed editable from it).
PROJECT_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = PROJECT_ROOT / "data"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
REPORTS_DIR = PROJECT_ROOT / "reports"
SEEDS_DIR = PROJECT_ROOT.parent / "shared" / "seeds"
NOTEBOOK_OUTPUT_DIR = PROJECT_ROOT / "build" / "notebooks"
SECTIONS_DIR = PROJECT_ROOT / "report" / "sections"  # the report's section templates (its wording)


def data_dir_or_default(data_dir: str | Path) -> Path:
    """A notebook's `data_dir` parameter: "" means the project's data/, from any working directory."""
    return Path(data_dir) if str(data_dir) else DATA_DIR


def output_dir_or_default(output_dir: str | Path) -> Path:
    """A notebook's `output_dir` parameter: "" means the project's build/notebooks/ (not committed)."""
    return Path(output_dir) if str(output_dir) else NOTEBOOK_OUTPUT_DIR


YEAR = re.compile(r"^\d{4}$")


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


def resolve_year(year: int | str, data_dir: str | Path = "") -> int:
    """A notebook's `year` parameter: 0 means the newest edition in `data_dir` (the project's data/ if empty)."""
    if str(year).strip() not in ("0", ""):
        return int(edition_dir(data_dir_or_default(data_dir), year).name)
    years = available_years(data_dir_or_default(data_dir))
    if not years:
        raise EditionError([Problem(str(data_dir_or_default(data_dir)), "no edition folder (such as 2019/) in it")])
    return int(years[-1])
