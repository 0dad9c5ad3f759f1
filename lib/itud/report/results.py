"""What each notebook hands to the report, written by the notebooks and checked when the report reads it.

A notebook declares report items where it makes them:

    out.figure(fig, label="outcomes-per-sdg", section="coverage")       # a numbered figure
    out.table(df, label="coverage-by-objective", caption="...", section="coverage")
    out.number("pairs_linked", 130)                                     # a key number for the prose
    out.add(by_group=..., blanket=...)                                  # several key numbers at once

and `out.write()` saves them as `results/<notebook>.json` beside `figures/<label>.svg|png`:

    {"notebook", "year", "figures": [FigureItem], "tables": [TableItem], "numbers": {label: value}}

The report (`itud.report.document`) reads these files through `read_all`, which validates them against
the pydantic models below: a missing or ill-typed item is a `ResultsError` naming the notebook, the
item and what was expected. Missing data travels as the one marker `itud.data.ids.NOT_PUBLISHED`
(`{"not_published": true}` in JSON), never as a look-alike string.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from itud.data.ids import NOT_PUBLISHED, NotPublished
from itud.paths import output_dir_or_default

# Writing results happens in the notebooks, where pandas and matplotlib are loaded anyway;
# reading them (`read_all`, for the report) must stay cheap, so heavy imports are local.
if TYPE_CHECKING:
    import pandas as pd

    from itud.analysis import figures
    from itud.data.load import Edition

RESULTS_DIR = "results"
NOTEBOOK_LIBRARIES = (
    "itud.analysis.compare",
    "itud.analysis.coverage",
    "itud.analysis.figures",
    "itud.data.corrections",
    "itud.data.load",
    "itud.report.results",
    "itud.report.tables",
)
"""What the report's notebooks import, for the kernel server to import once for all of them (`itud.run`)."""
FIGURES_DIR = "figures"
LABEL = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
_MARKER_JSON = {"not_published": True}


class ResultsError(ValueError):
    """A notebook's results that the report cannot use; says which notebook, which item, what was expected."""


# --- JSON form of the values notebooks hand on ---------------------------------------------------


def _plain(value):
    """JSON-ready Python values from numpy/pandas scalars and the NOT_PUBLISHED marker."""
    if isinstance(value, NotPublished):
        return _MARKER_JSON
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (set, tuple)):
        return list(value)
    raise TypeError(f"cannot hand {type(value).__name__} to the report: {value!r}")


def _json(value):
    """A value as plain JSON types: what the results file will hold."""
    return json.loads(json.dumps(value, default=_plain))


def _revive(value):
    """JSON -> Python: `{"not_published": true}` becomes the NOT_PUBLISHED marker, at any depth."""
    if value == _MARKER_JSON:
        return NOT_PUBLISHED
    if isinstance(value, list):
        return [_revive(v) for v in value]
    if isinstance(value, dict):
        return {k: _revive(v) for k, v in value.items()}
    return value


def slug(*parts: object) -> str:
    """A report label from ids: `("outcomes", "D.1")` -> `outcomes-d-1`."""
    text = "-".join(str(p) for p in parts).lower()
    return "-".join(filter(None, "".join(c if c.isalnum() else "-" for c in text).split("-")))


def records(table: pd.DataFrame | NotPublished) -> list[dict] | NotPublished:
    """Rows of a statistics table as JSON-ready dicts (index included); NOT_PUBLISHED passes through."""
    if isinstance(table, NotPublished):
        return table
    return _json(table.reset_index().to_dict(orient="records"))


def readable(table: pd.DataFrame | NotPublished) -> pd.DataFrame | str:
    """A statistics table for people: lists as comma-separated text, shares as percentages."""
    if isinstance(table, NotPublished):
        return str(table)
    shown = table.copy()
    for column in shown.columns:
        if column.endswith("_share"):
            shown[column] = [f"{v:.0%}" if isinstance(v, float | int) else v for v in shown[column]]
        elif shown[column].map(lambda v: isinstance(v, list)).any():
            shown[column] = [(", ".join(str(x) for x in v) or "-") if isinstance(v, list) else v for v in shown[column]]
    return shown


# --- The contract ------------------------------------------------------------------------------

Label = Annotated[
    str, Field(pattern=LABEL.pattern, description="lower-case words joined by '-', e.g. 'sdgs-per-outcome'")
]
Scalar = bool | int | float | str | None
Cell = Annotated[Scalar | list[int | str] | NotPublished, BeforeValidator(_revive)]


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class DataTable(_Item):
    """Numbers as a table: column names and rows of cells (a figure's numbers, a sheet of the workbook)."""

    columns: list[str] = Field(min_length=1)
    rows: list[list[Cell]]

    @model_validator(mode="after")
    def _rectangular(self) -> DataTable:
        for number, row in enumerate(self.rows, start=1):
            if len(row) != len(self.columns):
                raise ValueError(f"row {number} has {len(row)} cells for {len(self.columns)} columns")
        return self


def data_table(frame: pd.DataFrame) -> dict:
    """A data frame as the fields of a `DataTable` (validated with the item that holds it, so that a bad cell
    is a `ResultsError` naming the notebook): its index as a column when named, missing values empty."""
    frame = frame.reset_index() if frame.index.name else frame
    rows = _json(frame.astype(object).where(frame.notna(), None).values.tolist())
    return {"columns": [str(c) for c in frame.columns], "rows": rows}


class SheetItem(_Item):
    """A tidy table for the workbook and a CSV only (not printed in the report): one row per outcome,
    per link, per value; `title` and `description` say what a row is, on the workbook's notes sheet."""

    label: Label
    title: str
    description: str = ""
    data: DataTable


class FigureItem(_Item):
    """A figure for the report: files figures/<svg|png>, placed in `section`, numbered by the renderer."""

    label: Label
    section: Label
    title: str
    caption: str
    svg: str
    png: str
    layout: str = "full"  # "full" (every unit drawn), "summary" or "split" (itud.analysis.figures.LAYOUTS)
    note: str = ""  # how the figure was summarised or split; empty when full
    alt: str = ""  # what the figure shows, for readers who cannot see it (alt text); the caption when empty
    data: DataTable | None = None  # the numbers it draws, as the report's appendix prints them
    values: DataTable | None = None  # the same numbers, one row per value (its sheet of the workbook)


class CellMark(_Item):
    """A footnote on one cell of a table: `note` is printed under the table, the cell carries its mark,
    after `item` when the cell lists it (e.g. "4" in "1, 3, 4 and 17"), else at the cell's end."""

    row: int = Field(ge=0)
    column: str
    note: str
    item: str = ""


class TableItem(DataTable):
    """A table for the report: its columns and rows (rectangular, as every `DataTable`), where it goes, its
    caption and its footnotes."""

    label: Label
    section: Label
    caption: str
    marks: list[CellMark] = []  # per-cell footnotes (e.g. a corrected link), printed under the table

    @model_validator(mode="after")
    def _marks_on_cells(self) -> TableItem:
        for mark in self.marks:
            if mark.row >= len(self.rows) or mark.column not in self.columns:
                raise ValueError(f"mark on row {mark.row}, column {mark.column!r}: no such cell")
        return self


class NotebookOutput(_Item):
    """Everything one notebook hands to the report."""

    notebook: str
    year: int
    figures: list[FigureItem] = []
    tables: list[TableItem] = []
    sheets: list[SheetItem] = []
    numbers: dict[str, Annotated[Any, BeforeValidator(_revive)]] = {}

    @model_validator(mode="after")
    def _unique_labels(self) -> NotebookOutput:
        labels = [item.label for item in (*self.figures, *self.tables)]
        labels += [f"sheet {item.label}" for item in self.sheets]  # a sheet may share its table's label
        doubled = sorted({label for label in labels if labels.count(label) > 1})
        if doubled:
            raise ValueError(label_used_twice(doubled[0], "this notebook"))
        return self


def label_used_twice(label: str, where: str) -> str:
    """The message for a label that a table and a figure (or two of either) share, with its rule and fix."""
    from itud.report.notebooks import broken

    return broken("labels", f"the label {label!r} is used twice, in {where}")


# --- The key numbers the report's standard templates use, per notebook --------------------------
# Notebooks may declare more numbers (any JSON value); these are the ones report/sections/*.md.j2
# rely on, typed so that a missing or ill-typed one is named when the results are read.

Ids = list[int | str]
MaybeRows = Annotated[Any, BeforeValidator(_revive)]  # a list of rows, or NOT_PUBLISHED


class _Row(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, arbitrary_types_allowed=True)


class Summary(_Row):
    objectives: int
    outcomes: int
    outcome_sdg_links: int
    outcome_action_line_links: int
    study_groups: int
    questions: int


class ParentRow(_Row):
    objective: str
    kind: str
    short_name: str
    text: str


class NameRow(_Row):
    study_group: str
    name: str


class SdgName(_Row):
    sdg: int
    short_name: str


class ActionLineName(_Row):
    action_line: str
    name: str


class Normalisation(_Row):
    source_line: int
    kind: str
    before: str
    after: str


class GroupRow(_Row):
    objective: str
    outcomes: int
    sdg_links: int
    sdgs_reached: int
    sdg_share: float
    action_line_links: int
    action_lines_reached: int
    action_line_share: float


class SdgRow(_Row):
    sdg: int
    outcomes: int
    objectives: int


class ActionLineRow(_Row):
    action_line: str
    outcomes: int
    objectives: int


class OverlapRow(_Row):
    objective_a: str
    objective_b: str
    n_shared: int
    jaccard: float


class RoleRow(_Row):
    role: str
    action_lines: list[str]
    n_action_lines: int
    n_reached: int
    links: int
    outcomes: int


class PairRow(_Row):
    sdg: int
    action_line: str
    outcomes: int


class IdChange(_Row):
    kind: str
    id: str
    change: str


class LinkChange(_Row):
    link: str
    change: str
    by: str = "the source"  # or "a correction" (results written before it was recorded: the source)


class _Numbers(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, arbitrary_types_allowed=True)


class MappingNumbers(_Numbers):
    summary: Summary
    links_in_source: dict[str, int] = {}  # rows of each link table as the source gives them (before corrections)
    corrections: list[str] = []  # each correction applied to the source's links, described (corrections.describe_all)
    source_document: dict[str, str]
    question_links: dict[str, str]
    objectives: list[ParentRow]
    study_groups: list[NameRow]
    questions: list[dict[str, Any]]
    title_status_counts: dict[str, int]
    normalisations: list[Normalisation]
    sdg_names: list[SdgName]
    action_line_names: list[ActionLineName]


class BlanketRow(_Row):
    all_sdgs: bool
    all_action_lines: bool


class CoverageNumbers(_Numbers):
    blanket: list[str]
    blanket_table: list[BlanketRow]
    by_group: list[GroupRow]
    by_group_without_blanket: list[GroupRow]
    by_sdg: list[SdgRow]
    by_action_line: list[ActionLineRow]
    sdgs_not_reached: list[int]
    action_lines_not_reached: list[str]
    sdgs_only_through_blanket: list[int]
    action_lines_only_through_blanket: list[str]
    overlap_sdg: list[OverlapRow]


class StudyGroupNumbers(_Numbers):
    questions_per_study_group: dict[str, int]
    blanket: MaybeRows
    by_group: MaybeRows
    links_origin: str = ""  # where the question links come from (read, corrected, entered by hand); "" unpublished
    questions_without_links: list[str] = []  # questions whose links the data do not give


class MatrixNumbers(_Numbers):
    pairs_linked: int
    pairs_linked_without_blanket: int
    strongest_pairs: list[PairRow] = Field(min_length=1)
    roles: list[RoleRow]


class ChangeNumbers(_Numbers):
    previous_year: int | None
    changed_ids: list[IdChange] = []
    changed_links: list[LinkChange] = []
    question_links_compared: bool = False


class EvaluationRow(_Row):
    method: str
    precision_at_3: float | None = Field(alias="precision at 3")
    area_under_the_roc_curve: float | None = Field(alias="area under the ROC curve")


class AuditNumbers(_Numbers):
    audited: bool = True  # False when the data folder's reference/ has no SDG targets (nothing to audit against)
    evaluation: list[EvaluationRow] = []
    units_evaluated: int = 0
    text_beats_baselines: bool = False  # the best text method's AUC is above both baselines' by `audit.MARGIN`+
    best_text_method: str = ""
    margin: float | None = None  # its AUC less the better baseline's
    better_baseline: str = ""  # the baseline with the higher AUC, the one `margin` is measured against
    better_from: float | None = None  # `audit.MARGIN`: the least margin the report calls better (a convention)
    auc_interval: list[float] = []  # bootstrap interval over the units of the best text method's AUC: [low, high]
    difference_interval: list[float] = []  # ... of its AUC less the better baseline's (paired)
    interval_percent: int = 0  # the intervals' coverage (95)
    resamples: int = 0  # the bootstrap's resamples
    places_in_top: int = 0  # SDGs ranked among the 3 best of all units evaluated (3 x units): precision at 3's divisor
    linked_in_top: dict[str, int] = {}  # per method: how many of them the unit is linked to
    top_difference_interval: list[int] = []  # bootstrap interval of the best text method's count less the baseline's
    links_to_add: int = 0
    links_to_check: int = 0
    blanket: list[str] = []
    question_links_audited: bool = False
    targets: int = 0  # how many SDG target texts were read
    targets_source: str = ""  # where they come from (repository, file, commit, licence)
    targets_changed_locally: str = ""  # why the texts were changed on purpose (SOURCE.toml); "" when they were not
    not_run: str = ""  # why the audit was not run (a reference file absent); "" when it ran


REPORT_NUMBERS: dict[str, type[_Numbers]] = {
    "01-mapping-tables": MappingNumbers,
    "02-coverage-by-objective": CoverageNumbers,
    "03-coverage-by-study-group": StudyGroupNumbers,
    "04-sdg-action-line-matrix": MatrixNumbers,
    "05-changes-since-previous-edition": ChangeNumbers,
    "06-link-audit": AuditNumbers,
}


def typed_numbers(output: NotebookOutput) -> _Numbers:
    """A notebook's key numbers, checked against what the report's templates expect of that notebook."""
    model = REPORT_NUMBERS.get(output.notebook, _Numbers)
    try:
        return model.model_validate(output.numbers)
    except ValidationError as error:
        raise ResultsError(_explain(output.notebook, "key number", error)) from None


# --- Writing (in the notebooks) --------------------------------------------------------------------


MAX_ITEMS = {"figures": 100, "tables": 200, "sheets": 200, "numbers": 2000}  # per notebook (2019: 5, 9, 60 at most)


class NotebookResults:
    """Collects one notebook's report items and writes them to its output folder.

    A notebook declares at most `MAX_ITEMS` of each kind: one more is refused at once, before it is drawn
    (a notebook that declared 10,000 figures ran into its time limit, ten minutes later)."""

    def __init__(self, notebook: str, edition: Edition, output_dir: str | Path):
        self.notebook = notebook
        self.year = edition.year
        self.output_dir = output_dir_or_default(output_dir)
        self.figures: list[FigureItem] = []
        self.tables: list[TableItem] = []
        self.sheets: list[SheetItem] = []
        self.numbers: dict = {}

    def figure(
        self,
        figure: figures.Figure,
        *,
        section: str,
        label: str = "",
        caption: str = "",
        title: str = "",
        alt: str = "",
    ) -> figures.Figure:
        """Save a figure (SVG + PNG) for the report's `section`; returns it for display.

        `label` (default: the figure's name) is how templates place it and refer to it; `caption`
        and `title` default to the figure's own; `alt` (what the figure shows, in words) to the
        figure's `alt` or `description` attribute if it has one, else the caption is the alt text.
        """
        from itud.analysis.figures import save

        self._room_for("figures", len(self.figures))
        label = label or figure.name
        named = replace(figure, name=label)  # the files are named after the label
        files = save(named, self.output_dir / FIGURES_DIR)
        figure.png = named.png
        alt = alt or getattr(figure, "alt", "") or getattr(figure, "description", "")
        item = dict(
            label=label, section=section, title=title or figure.title, caption=caption or figure.caption,
            layout=figure.layout, note=figure.note,
        )  # fmt: skip
        if alt:
            item["alt"] = alt
        data = getattr(figure, "data", None)  # an analyst's own chart may have no numbers attached
        if data is not None:
            values = figure.values if getattr(figure, "values", None) is not None else data
            item.update(data=data_table(data), values=data_table(values))
        self.figures.append(self._checked(FigureItem, **item, **files))
        return figure

    def sheet(self, table: pd.DataFrame, *, label: str, title: str, description: str = "") -> pd.DataFrame:
        """Declare a tidy table for the workbook and a CSV (one row per outcome, link or value; numbers as
        numbers, missing values empty); returns it for display. Not printed in the report."""
        self._room_for("sheets", len(self.sheets))
        self.sheets.append(
            self._checked(SheetItem, label=label, title=title, description=description, data=data_table(table))
        )
        return table

    def table(
        self, table: pd.DataFrame, *, label: str, caption: str, section: str, marks: list[dict] = ()
    ) -> pd.DataFrame:
        """Declare a table for the report: its columns as headers, its rows as cells; returns it for display.

        Cells may be numbers, text, lists (printed as "1, 3 and 17") or NOT_PUBLISHED. `marks`:
        per-cell footnotes, `{"row": 0, "column": "SDGs", "note": "..."}`.
        """
        self._room_for("tables", len(self.tables))
        self.tables.append(
            self._checked(TableItem, label=label, section=section, caption=caption, marks=list(marks),
                          **data_table(table))  # fmt: skip
        )
        return table

    def number(self, label: str, value) -> object:
        """Declare one key number (or list, or table) for the report's prose; returns it for display."""
        self.add(**{label: value})
        return value

    def add(self, **numbers) -> None:
        """Declare several key numbers at once (data frames become lists of records)."""
        import pandas as pd

        for key, value in numbers.items():
            if key not in self.numbers:
                self._room_for("numbers", len(self.numbers))
            self.numbers[key] = records(value) if isinstance(value, pd.DataFrame) else _json(value)

    def _room_for(self, kind: str, declared: int) -> None:
        if declared >= MAX_ITEMS[kind]:
            raise ResultsError(
                f"notebook {self.notebook}: declares more than {MAX_ITEMS[kind]} {kind}, the most one notebook "
                f"may give the report; put fewer in one (a table can hold many values, a figure many series)"
            )

    def _checked(self, model: type[_Item], **fields) -> _Item:
        what = f"{model.__name__.removesuffix('Item').lower()} {fields.get('label')!r}"
        taken = {**{f.label: "figure" for f in self.figures}, **{t.label: "table" for t in self.tables}}
        if model in (FigureItem, TableItem) and fields.get("label") in taken:  # said in the cell that declares it
            kind = taken[fields["label"]]
            raise ResultsError(f"notebook {self.notebook}: {what}: " + label_used_twice(
                fields["label"], f"this notebook, which already declared a {kind} with it"))  # fmt: skip
        try:
            return model(**fields)
        except ValidationError as error:
            raise ResultsError(_explain(self.notebook, what, error)) from None

    def write(self) -> Path:
        """Write results/<notebook>.json (sorted keys, so the same results give the same bytes)."""
        path = self.output_dir / RESULTS_DIR / f"{self.notebook}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "notebook": self.notebook,
            "year": self.year,
            "figures": [f.model_dump(exclude_defaults=True) for f in self.figures],  # no "alt" key unless given
            "tables": _json([t.model_dump() for t in self.tables]),
            "sheets": _json([t.model_dump() for t in self.sheets]),
            "numbers": self.numbers,
        }
        path.write_text(json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
        return path


# --- Reading (for the report) -------------------------------------------------------------------


def _explain(notebook: str, what: str, error: ValidationError) -> str:
    """A pydantic error as one line per problem: the notebook, the item (and where in it), what was expected."""
    lines = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"])
        given = problem.get("input")
        shown = "" if isinstance(given, (dict, list)) or problem["type"] == "missing" else f" (got {given!r})"
        message = "missing: the notebook did not declare it" if problem["type"] == "missing" else problem["msg"]
        lines.append(f"notebook {notebook}: {what}{f' {where!r}' if where else ''}: {message}{shown}")
    return "\n".join(lines)


def read(path: Path) -> NotebookOutput:
    """One notebook's results file, validated."""
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise ResultsError(f"notebook {path.stem}: results file {path.name} unreadable: {error}") from None
    try:
        return NotebookOutput.model_validate(payload)
    except ValidationError as error:
        raise ResultsError(_explain(path.stem, f"results/{path.name}", error)) from None


def read_all(output_dir: Path) -> dict[str, NotebookOutput]:
    """Every notebook's results in an output folder, by notebook name, validated."""
    return {path.stem: read(path) for path in sorted((Path(output_dir) / RESULTS_DIR).glob("*.json"))}
