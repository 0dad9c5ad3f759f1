"""What each notebook hands on: its key figures (JSON) and its figure files.

The report is rendered from these files without recomputing anything, so the
numbers a reader sees in the document are the ones the notebooks showed.
Layout of a notebook's output folder:

    figures/<name>.svg, figures/<name>.png
    results/<notebook>.json    {"notebook", "year", "figures": [...], "key_figures": {...}}
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from itud.paths import output_dir_or_default

# Writing results happens in the notebooks, where pandas and matplotlib are loaded anyway;
# reading them (`read_all`, for the report) must stay cheap, so heavy imports are local.
if TYPE_CHECKING:
    import pandas as pd

    from itud import coverage, figures
    from itud.load import Edition

RESULTS_DIR = "results"
FIGURES_DIR = "figures"


def _plain(value):
    """JSON-ready Python values from numpy/pandas scalars."""
    from itud.coverage import NotPublished

    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value) if isinstance(value, NotPublished) else value


def records(table: pd.DataFrame | coverage.NotPublished) -> list[dict] | str:
    """Rows of a statistics table as JSON-ready dicts (index included); 'not published' passes through."""
    from itud.coverage import NotPublished

    if isinstance(table, NotPublished):
        return str(table)
    return json.loads(json.dumps(table.reset_index().to_dict(orient="records"), default=_plain))


def readable(table: pd.DataFrame | coverage.NotPublished) -> pd.DataFrame | str:
    """A statistics table for people: lists as comma-separated text, shares as percentages."""
    from itud.coverage import NotPublished

    if isinstance(table, NotPublished):
        return "not published in the source"
    shown = table.copy()
    for column in shown.columns:
        if column.endswith("_share"):
            shown[column] = [f"{v:.0%}" for v in shown[column]]
        elif shown[column].map(lambda v: isinstance(v, list)).any():
            shown[column] = [", ".join(str(x) for x in v) if v else "-" for v in shown[column]]
    return shown


class NotebookResults:
    """Collects one notebook's figures and key figures and writes them to its output folder."""

    def __init__(self, notebook: str, edition: Edition, output_dir: str | Path):
        self.notebook = notebook
        self.year = edition.year
        self.output_dir = output_dir_or_default(output_dir)
        self.figures: list[dict] = []
        self.key_figures: dict = {}

    def figure(self, figure: figures.Figure) -> figures.Figure:
        """Save a figure (SVG + PNG) and record its title and caption; returns it for display."""
        from itud.figures import save

        files = save(figure, self.output_dir / FIGURES_DIR)
        self.figures.append({"name": figure.name, "title": figure.title, "caption": figure.caption, "files": files})
        return figure

    def add(self, **key_figures) -> None:
        """Record key figures (tables become lists of records)."""
        import pandas as pd

        for key, value in key_figures.items():
            self.key_figures[key] = (
                records(value) if isinstance(value, pd.DataFrame) else json.loads(json.dumps(value, default=_plain))
            )

    def write(self) -> Path:
        """Write results/<notebook>.json (sorted keys, so the same results give the same bytes)."""
        path = self.output_dir / RESULTS_DIR / f"{self.notebook}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "notebook": self.notebook,
            "year": self.year,
            "figures": self.figures,
            "key_figures": self.key_figures,
        }
        path.write_text(json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
        return path


def read_all(output_dir: Path) -> dict[str, dict]:
    """Every notebook's results in an output folder, by notebook name."""
    return {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted((Path(output_dir) / RESULTS_DIR).glob("*.json"))
    }
