"""Load one edition from `data/` into a validated `Edition`.

Every problem found is collected (file, row, column, value, what is wrong) and
raised together as one `EditionError`, so an analyst fixes a file in one pass.
Ids are normalised here, once, with the functions of `itud.data.ids`.
"""

from __future__ import annotations

import csv
import io
import os
import tomllib
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd
import pandera.errors

from itud import paths
from itud.data import ids
from itud.data.corrections import CORRECTIONS_FILE, LINK_TABLES, Correction, apply_corrections, read_corrections
from itud.data.edition_file import as_meta, control_characters, parse_edition_file, toml_syntax_problem
from itud.data.grammar import listing
from itud.data.reference import ReferenceProvenance, completeness_problems, read_provenance
from itud.data.schemas import (
    ENTERED_BY_HAND,
    QUESTION_LINK_TABLES,
    READ_FROM_SOURCE,
    TABLES,
    KnownIds,
    Table,
    pandera_schema,
    reference_tables,
)
from itud.errors import EditionError, InputFileError, Problem
from itud.paths import data_dir_or_default, edition_dir, read_input

EDITION_FILE = "edition.toml"
REFERENCE_DIR = "reference"
NOT_PUBLISHED = str(ids.NOT_PUBLISHED)  # edition.toml's question_links.status when the data lack the links
QUESTION_LINK_STATES = ("published", NOT_PUBLISHED)
PARSED_TABLES = ("objectives", "outcomes", "outcome_sdg", "outcome_action_line", "study_groups")

_PANDERA_MESSAGES = {
    "field_uniqueness": "duplicate id (ids must be unique)",
    "column_in_dataframe": "required column is missing",
    "dtype('int64')": "must be a whole number",
    "dtype('str')": "must be text",
}


@dataclass
class Edition:
    """A validated edition: the mapping tables, the reference tables and the facts."""

    year: int
    meta: dict
    sdgs: pd.DataFrame
    action_lines: pd.DataFrame
    c7_sublines: pd.DataFrame
    itu_roles: pd.DataFrame
    sdg_targets: pd.DataFrame | None  # None in the inputs of versions made before the link audit
    sdg_goal_titles: pd.DataFrame | None
    objectives: pd.DataFrame
    outcomes: pd.DataFrame
    outcome_sdg: pd.DataFrame
    outcome_action_line: pd.DataFrame
    study_groups: pd.DataFrame
    questions: pd.DataFrame
    question_sdg: pd.DataFrame | None  # None when the source does not publish question links
    question_action_line: pd.DataFrame | None
    normalisations: pd.DataFrame | None  # the parser's log, when the tables came from `itud parse`
    files: dict[str, Path] = field(default_factory=dict)  # every input file, by role
    corrections: list[Correction] = field(default_factory=list)  # applied to the link tables above
    as_published: dict[str, pd.DataFrame] = field(default_factory=dict)  # link tables before corrections
    reference_dir: Path | None = None  # the reference folder read (where an absent sdg_targets.csv belongs)
    # Where the SDG texts come from, checked against reference/open-sdg/SOURCE.toml (`itud.data.reference`):
    # its `status` ("pinned", "changed locally", ...) and `statement()` are what a report may say of them.
    reference_provenance: ReferenceProvenance | None = None

    @property
    def question_links_status(self) -> str:
        return self.meta["question_links"]["status"]

    @property
    def question_links_published(self) -> bool:
        return self.question_links_status != NOT_PUBLISHED

    def question_link_origins(self) -> dict | None:
        """Where the question links come from (None when they are not published): how many were read from the
        source, added by a correction, or entered by hand, and each hand entry's who, when and reference."""
        if not self.question_links_published:
            return None
        rows = pd.concat([self.question_sdg, self.question_action_line], ignore_index=True).to_dict("records")
        hand = [r for r in rows if _given(r.get("entered_by"))]
        corrected = sum(r.get("annex") == "correction" for r in rows)
        entries: dict[tuple, int] = {}
        for r in hand:
            key = (str(r["entered_by"]), str(r["entered_on"]), str(r["reference"]))
            entries[key] = entries.get(key, 0) + 1
        return {
            "read_from_source": len(rows) - len(hand) - corrected,
            "corrected": corrected,
            "entered_by_hand": len(hand),
            "entries": [{"entered_by": b, "entered_on": o, "reference": r, "links": n}
                        for (b, o, r), n in entries.items()],  # fmt: skip
        }

    def questions_without_links(self) -> list[str]:
        """The questions with no SDG and no Action Line link: their links are not given (never zero coverage)."""
        if not self.question_links_published:
            return []
        linked = set(self.question_sdg["question"]) | set(self.question_action_line["question"])
        return [q for q in self.questions["question"] if q not in linked]

    @property
    def parent_kind(self) -> str:
        """What this edition calls the parents of its outcomes: 'objective' (2019) or 'priority'."""
        return str(self.objectives["kind"].iloc[0]) if len(self.objectives) else "objective"

    @property
    def synthetic(self) -> bool:
        return bool(self.meta.get("synthetic", False))

    def summary(self) -> dict[str, object]:
        """Row counts per table and the state of question links, for people and tests."""
        counts: dict[str, object] = {
            "objectives": len(self.objectives),
            "outcomes": len(self.outcomes),
            "outcome_sdg_links": len(self.outcome_sdg),
            "outcome_action_line_links": len(self.outcome_action_line),
            "study_groups": len(self.study_groups),
            "questions": len(self.questions),
        }
        if self.question_links_published:
            counts["question_sdg_links"] = len(self.question_sdg)
            counts["question_action_line_links"] = len(self.question_action_line)
        counts["question_links"] = self.question_links_status
        return counts


def read_table(path: Path, table: Table, problems: list[Problem], root: Path | None = None) -> pd.DataFrame | None:
    """Read one CSV as text, strictly UTF-8; record problems instead of raising.

    `root` is the data folder: symbolic links that leave it are refused. The physical line of
    each data row (they differ from row + 1 after a quoted newline) is kept in `frame.attrs["lines"]`.
    """
    name = str(path)
    if not os.path.lexists(path):
        if table.name in PARSED_TABLES:
            hint = f"write it with `itud parse SOURCE --year {path.parent.name}`"
        elif table.scope == "reference":
            hint = (
                "copy it from the project's data/reference/, or leave out this reference/ folder to use the project's"
            )
        else:  # entered by hand: say what its first line is (data/datapackage.json describes each column)
            hint = f"enter it by hand, a CSV file whose header is: {','.join(table.column_names)}"
        problems.append(Problem(name, f"file is missing (table '{table.name}'); {hint}"))
        return None
    try:
        raw = read_input(path, root)
    except InputFileError as error:
        problems.append(error.problem)
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        byte = raw[error.start : error.start + 1]
        problems.append(
            Problem(name, f"not UTF-8 text: byte {byte!r} at line {line}, offset {error.start}; save as UTF-8")
        )
        return None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        problems.append(Problem(name, f"file is empty (expected a header: {', '.join(table.column_names)})"))
        return None
    layout = csv_layout(text)
    if layout is not None:
        found = layout.problems(name)
        problems.extend(found)
        if any(p.row is not None for p in found):
            return None  # a row with the wrong number of fields: its values cannot be trusted
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, ValueError) as error:
        problems.append(Problem(name, f"not a readable CSV table: {error}"))
        return None
    lines = layout.lines if layout is not None and len(layout.lines) == len(frame) else None
    frame.attrs["lines"] = lines
    problems.extend(_text_problems(frame, name, lines))
    return frame


@dataclass(frozen=True)
class CsvLayout:
    """The header of a CSV text and where each data row starts, as the `csv` module reads it."""

    header: list[str]
    lines: list[int]  # physical line (from 1) where each data row starts
    widths: list[int]  # number of fields of each data row

    def problems(self, name: str) -> list[Problem]:
        """Duplicate column names, and rows whose number of fields differs from the header's."""
        found = []
        for column, count in Counter(self.header).items():
            if count > 1:
                positions = ", ".join(str(i + 1) for i, c in enumerate(self.header) if c == column)
                found.append(
                    Problem(
                        name,
                        f"column name appears {count} times in the header (columns {positions}): "
                        "column names must be unique; rename or remove the extra column",
                        column=column,
                    )
                )
        for row, (line, width) in enumerate(zip(self.lines, self.widths, strict=True), start=1):
            if width != len(self.header):
                found.append(
                    Problem(
                        name,
                        f"has {width} fields but the header has {len(self.header)}: check the commas and quotes",
                        row=row,
                        line=line,
                    )
                )
        return found


def csv_layout(text: str) -> CsvLayout | None:
    """Header, row start lines and row widths of `text`; None when the `csv` module cannot read it.

    The `csv` module is used besides pandas because pandas reports neither where a row starts
    (it counts rows, not lines, so a quoted newline shifts every later line number) nor
    duplicate column names (it silently renames the second `sdg` to `sdg.1`).
    """
    reader = csv.reader(io.StringIO(text, newline=None))
    header: list[str] | None = None
    lines: list[int] = []
    widths: list[int] = []
    previous = 0
    try:
        for record in reader:
            if record:  # pandas skips blank lines too
                if header is None:
                    header = record
                else:
                    lines.append(previous + 1)
                    widths.append(len(record))
            previous = reader.line_num
    except csv.Error:
        return None  # pandas reports it (e.g. an unterminated quote) with its own message
    return CsvLayout(header or [], lines, widths)


# A table cell is printed in a narrow column of the report's tables; a cell taller than a PDF
# page cannot be laid out. The longest 2019 text is 350 characters.
MAX_CELL_CHARACTERS = 1000


def _text_problems(frame: pd.DataFrame, name: str, lines: list[int] | None) -> list[Problem]:
    """Every cell the report cannot show: control characters (DOCX refuses them), or too long."""
    found = []
    for column in frame.columns:
        for row, value in enumerate(frame[column], start=1):
            if not isinstance(value, str):
                continue
            line = lines[row - 1] if lines else None
            bad = control_characters(value)
            if bad:
                message = f"control character(s) {', '.join(bad)} in the text: remove them"
                found.append(Problem(name, message, row, str(column), value, line))
            if len(value) > MAX_CELL_CHARACTERS:
                message = (
                    f"text is {len(value)} characters, over the limit of {MAX_CELL_CHARACTERS} "
                    "(a table cell must fit on one PDF page): shorten it"
                )
                found.append(Problem(name, message, row, str(column), value[:60] + "...", line))
    return found


def _normalise_columns(frame: pd.DataFrame, table: Table, name: str, problems: list[Problem]) -> pd.DataFrame:
    """Canonical ids and integers; a value that cannot be read becomes a problem (and NA)."""
    frame = frame.copy()
    for col in table.columns:
        if col.name not in frame.columns:
            continue  # reported by the schema as a missing column
        converter = col.normalise or (int if col.type == "integer" else None)
        if converter is None:
            continue
        values = []
        for row, value in enumerate(frame[col.name], start=1):
            if not col.required and not str(value).strip():
                values.append(None)  # an optional value left empty: missing, not an error
                continue
            try:
                values.append(converter(value))
            except (ids.IdError, ValueError) as error:
                problems.append(Problem(name, str(error).split(":")[0], row, col.name, value))
                values.append(None)
        frame[col.name] = pd.array(values, dtype="Int64") if col.type == "integer" else values
    return frame


def _schema_problems(error: pandera.errors.SchemaErrors, name: str, frame: pd.DataFrame, table: Table) -> list[Problem]:
    found = []
    for case in error.failure_cases.itertuples(index=False):
        message = _PANDERA_MESSAGES.get(str(case.check), str(case.check))
        if case.check == "column_in_dataframe":
            found.append(Problem(name, message, column=str(case.failure_case)))
            continue
        if case.index is None or pd.isna(case.failure_case):
            continue  # a value already reported as unreadable by _normalise_columns
        row = int(case.index) + 1
        if case.check == "multiple_fields_uniqueness":
            if not any(p.row == row for p in found if p.message.startswith("duplicate row")):
                found.append(Problem(name, _duplicate_row(frame.iloc[row - 1], table.primary_key), row))
            continue  # one problem per duplicated row, not one per column of its key
        found.append(Problem(name, message, row, case.column, case.failure_case))
    return found


def _duplicate_row(row: pd.Series, key: tuple[str, ...]) -> str:
    """What a row repeats: `duplicate row: the same outcome 'D.4-4' and sdg '13' as an earlier row ...`."""
    same = listing(f"{column} {str(row[column])!r}" for column in key)
    return f"duplicate row: the same {same} as an earlier row (each may appear only once)"


def validate_table(frame: pd.DataFrame, table: Table, name: str, known: KnownIds) -> tuple[pd.DataFrame, list[Problem]]:
    """Normalise and validate one table; returns the clean frame and its problems."""
    for col in table.columns:
        if col.may_be_left_out and col.name not in frame.columns:
            frame = frame.assign(**{col.name: ""})
    missing = [c for c in table.column_names if c not in frame.columns]
    if missing:  # other checks would only echo the missing column (e.g. bogus duplicate rows)
        return frame, [Problem(name, "required column is missing", column=c) for c in missing]
    known_columns = ", ".join(table.column_names)
    problems: list[Problem] = [  # no report would show it: a misspelt or misplaced column, not a note
        Problem(name, f"unknown column: the table's columns are {known_columns}; remove or rename it", column=str(c))
        for c in frame.columns
        if c not in table.column_names
    ]
    frame = _normalise_columns(frame, table, name, problems)
    try:
        pandera_schema(table, known).validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as error:
        problems.extend(_schema_problems(error, name, frame, table))
    return frame, problems


def load_tables(
    folder: Path, tables: list[Table], known: KnownIds, problems: list[Problem], root: Path | None = None
) -> dict:
    """Read and validate `tables` from `folder`, recording problems; ids of primary keys go into `known`."""
    loaded: dict[str, pd.DataFrame] = {}
    for table in tables:
        path = folder / f"{table.name}.csv"
        frame = read_table(path, table, problems, root)
        lines = frame.attrs.get("lines") if frame is not None else None
        if frame is None:  # its problem is recorded; the tables that link to it are not checked against it
            known.unreadable.add(table.name)
            frame = pd.DataFrame(columns=table.column_names)
        frame, found = validate_table(frame, table, str(path), known)
        problems.extend(_with_lines(found, lines))
        problems.extend(
            Problem(str(path), f"not checked against {col.references[0]}.csv, which could not be read", column=col.name)
            for col in table.columns
            if col.references and col.references[0] in known.unreadable and table.name not in known.unreadable
        )
        frame.attrs["lines"] = lines
        loaded[table.name] = frame
        for col in table.columns:
            if col.name in table.primary_key and col.name in frame.columns:
                known.values[(table.name, col.name)] = set(frame[col.name].dropna())
    return loaded


def _with_lines(problems: list[Problem], lines: list[int] | None) -> list[Problem]:
    """Add the physical line where each problem's row starts (known from `csv_layout`)."""
    if not lines:
        return problems
    return [
        replace(p, line=lines[p.row - 1]) if p.row is not None and p.line is None and p.row <= len(lines) else p
        for p in problems
    ]


def _line(frame: pd.DataFrame, row: int) -> int | None:
    lines = frame.attrs.get("lines")
    return lines[row - 1] if lines and row <= len(lines) else None


def read_meta(folder: Path, year: int, problems: list[Problem], root: Path | None = None) -> dict:
    """The edition's hand-entered facts (edition.toml), checked against the typed model of the file.

    On any problem, returns the minimal facts the rest of the loading needs (the question links'
    state), so that the tables are still checked and every problem is reported in one pass.
    """
    path = folder / EDITION_FILE
    name = str(path)
    if not os.path.lexists(path):
        problems.append(Problem(name, "file is missing (the edition's facts and report prose)"))
        return {"question_links": {"status": NOT_PUBLISHED}}
    try:
        text = read_input(path, root).decode("utf-8")
        raw = tomllib.loads(text)
    except InputFileError as error:
        problems.append(error.problem)
        return {"question_links": {"status": NOT_PUBLISHED}}
    except UnicodeDecodeError as error:
        problems.append(Problem(name, f"not readable UTF-8 TOML: {error}"))
        return {"question_links": {"status": NOT_PUBLISHED}}
    except tomllib.TOMLDecodeError as error:
        problems.append(toml_syntax_problem(name, text, error))
        return {"question_links": {"status": NOT_PUBLISHED}}
    model, found = parse_edition_file(raw, name)
    to_enter = _still_to_enter(raw, name)
    if to_enter:  # a placeholder is reported as such, not also as a value of the wrong type
        placeholders = {p.key for p in to_enter}
        found = [*to_enter, *(p for p in found if p.key not in placeholders)]
    stated = raw.get("year")
    if type(stated) is int and stated != year:  # any other type is the model's problem
        problems.append(Problem(name, f"must equal the folder name {year}", key="year", value=stated))
    problems.extend(found)
    if model is None:
        links = raw.get("question_links")
        status = links.get("status") if isinstance(links, dict) else None
        return {"question_links": {"status": status if status in QUESTION_LINK_STATES else NOT_PUBLISHED}}
    return as_meta(model)


def edition_problems(tables: dict[str, pd.DataFrame], meta: dict, folder: Path) -> list[Problem]:
    """What the report needs beyond each table's own rules: something to report on, and links.

    An outcome with no SDG (or no Action Line) link is an error unless edition.toml lists it under
    [outcome_links] (with the source that says so): a missing link is far more often a slip
    than a fact, and the report would silently count the outcome as reaching nothing.
    """
    found = link_provenance_problems(tables, folder)
    for table, what in (("objectives", "objective (or priority)"), ("outcomes", "outcome")):
        if tables[table].empty:
            found.append(Problem(str(folder / f"{table}.csv"), f"has no rows: an edition needs at least one {what}"))
    stated = meta.get("outcome_links", {})
    outcomes = tables["outcomes"]
    known = set(outcomes["outcome"].dropna())
    for links, key, what in (
        ("outcome_sdg", "without_sdg", "SDG"),
        ("outcome_action_line", "without_action_line", "Action Line"),
    ):
        linked = set(tables[links]["outcome"].dropna())
        listed = stated.get(key, [])
        for row, outcome in enumerate(outcomes["outcome"], start=1):
            if outcome not in linked and outcome not in listed:
                found.append(
                    Problem(
                        str(folder / "outcomes.csv"),
                        f"outcome has no {what} link in {links}.csv: add its links, or, if the source "
                        f"gives none, list it under [outcome_links] {key} in {EDITION_FILE} with the source",
                        row,
                        "outcome",
                        outcome,
                        _line(outcomes, row),
                    )
                )
        for outcome in listed:
            if outcome not in known or outcome in linked:
                state = "is not an outcome" if outcome not in known else f"has {what} links in {links}.csv"
                found.append(
                    Problem(
                        str(folder / EDITION_FILE),
                        f"listed as having no {what} link but {state}: remove it from the list",
                        key=f"outcome_links.{key}",
                        value=outcome,
                    )
                )
    return found


def _given(value: object) -> bool:
    return not pd.isna(value) and str(value).strip() != ""  # None, NaN and pandas' NA are all not given


def link_provenance_problems(tables: dict[str, pd.DataFrame], folder: Path) -> list[Problem]:
    """Each question link says where it comes from: read from the source (`source_document` and
    `source_line`) or entered by hand (`entered_by`, `entered_on` and `reference`), and not both half-way: a
    made-up line number for a link typed by hand would say that the source gives it."""
    found = []
    for name in QUESTION_LINK_TABLES:
        frame = tables.get(name)
        if frame is None:
            continue
        for row, values in enumerate(frame.to_dict("records"), start=1):
            read = [c for c in READ_FROM_SOURCE if _given(values.get(c))]
            typed = [c for c in ENTERED_BY_HAND if _given(values.get(c))]
            if read and typed or not read and not typed:
                why = "both read from the source and entered by hand" if read else "neither read nor entered"
                found.append(Problem(
                    str(folder / f"{name}.csv"),
                    f"link is {why}: give source_document and source_line for a link read from the source, or "
                    "entered_by, entered_on and reference for a link entered by hand (README, 'Question links')",
                    row, (read or typed or ["source_document"])[0], None, _line(frame, row),
                ))  # fmt: skip
            elif read and len(read) < len(READ_FROM_SOURCE) or typed and len(typed) < len(ENTERED_BY_HAND):
                wanted = READ_FROM_SOURCE if read else ENTERED_BY_HAND
                missing = next(c for c in wanted if c not in (read or typed))
                how = "read from the source" if read else "entered by hand"
                found.append(Problem(str(folder / f"{name}.csv"), f"value is empty: a link {how} gives "
                                     f"{', '.join(wanted)}", row, missing, "", _line(frame, row)))  # fmt: skip
    return found


def role_period_problems(itu_roles: pd.DataFrame, name: str) -> list[Problem]:
    """One ITU role per Action Line and period: periods run forwards and never overlap."""
    found = []
    rows = itu_roles.assign(_row=range(1, len(itu_roles) + 1))
    for _, row in rows.iterrows():
        if row["period_end"] < row["period_start"]:
            found.append(
                Problem(
                    name,
                    f"period_end is before period_start {row['period_start']}",
                    row["_row"],
                    "period_end",
                    row["period_end"],
                    _line(itu_roles, row["_row"]),
                )
            )
    for action_line, periods in rows.sort_values(["action_line", "period_start"]).groupby("action_line"):
        previous = None
        for _, row in periods.iterrows():
            if previous is not None and row["period_start"] <= previous["period_end"]:
                found.append(
                    Problem(
                        name,
                        f"{action_line} is '{row['role']}' from {row['period_start']} but already "
                        f"'{previous['role']}' in {previous['period_start']}-{previous['period_end']} (row "
                        f"{previous['_row']}): one ITU role per Action Line and period; fix the periods",
                        row["_row"],
                        "period_start",
                        row["period_start"],
                        _line(itu_roles, row["_row"]),
                    )
                )
            if previous is None or row["period_end"] > previous["period_end"]:
                previous = row
    return found


def _still_to_enter(meta: dict, name: str) -> list[Problem]:
    """The facts `itud new-edition` left for the analyst to enter."""
    from itud.data.editions import TO_ENTER, still_to_enter

    value = f"still to enter (itud new-edition left '{TO_ENTER}'): give the value and its source under [sources]"
    source = f"still to enter (itud new-edition left '{TO_ENTER}'): say where the value comes from"
    return [Problem(name, source if "sources." in key else value, key=key) for key in still_to_enter(meta)]


def roles_for_year(itu_roles: pd.DataFrame, year: int) -> pd.DataFrame:
    """ITU's role per Action Line in force in `year` (empty when no period covers it)."""
    in_force = (itu_roles["period_start"] <= year) & (itu_roles["period_end"] >= year)
    return itu_roles[in_force].reset_index(drop=True)


def load_edition(
    year: object, data_dir: str | Path = "", reference_dir: Path | None = None, *, corrections: bool = True
) -> Edition:
    """Load and validate edition `year` from `data_dir` ("" = the project's data/).

    `corrections=False` gives the links exactly as the source has them (data/<year>/corrections.csv ignored).

    Raises `EditionError` listing every problem.
    """
    data_dir = data_dir_or_default(data_dir)
    folder = edition_dir(data_dir, year)
    year = int(str(year).strip())
    reference_dir = Path(reference_dir) if reference_dir else paths.reference_dir(data_dir)
    problems: list[Problem] = []
    meta = read_meta(folder, year, problems, data_dir)
    known = KnownIds()
    held = reference_tables(reference_dir)
    reference = load_tables(reference_dir, held, known, problems, reference_dir)
    if not problems:
        problems.extend(role_period_problems(reference["itu_roles"], str(reference_dir / "itu_roles.csv")))
    problems.extend(completeness_problems(reference, reference_dir, problems))  # every SDG, title, target
    provenance = read_provenance(reference_dir, problems)  # the SHA-256 that open-sdg/SOURCE.toml pins
    if any(Path(p.file).parent == reference_dir for p in problems):
        # Every link of the edition would fail against missing references: stop at the cause.
        raise EditionError(problems, year)

    published = meta["question_links"]["status"] != NOT_PUBLISHED
    wanted = []
    for table in TABLES:
        if table.scope != "edition":
            continue
        present = os.path.lexists(folder / f"{table.name}.csv")  # a broken link is reported, not skipped
        if table.optional and table.name not in QUESTION_LINK_TABLES and not present:
            continue
        if table.name in QUESTION_LINK_TABLES and not published:
            if present:
                problems.append(
                    Problem(
                        str(folder / f"{table.name}.csv"),
                        "file present but edition.toml says question links are 'not published'",
                    )
                )
            continue
        wanted.append(table)
    tables = load_tables(folder, wanted, known, problems, data_dir)
    if problems:
        raise EditionError(problems, year)
    corrections_file = str(folder / CORRECTIONS_FILE)
    applied = tables.pop("corrections", None) if corrections else None
    corrections = read_corrections(applied, corrections_file, tables, problems)
    as_published = {name: tables[name] for name in LINK_TABLES if tables.get(name) is not None}
    tables.update(apply_corrections(as_published, corrections, corrections_file, problems))
    problems.sort(key=lambda p: p.row or 0)  # the corrections' problems in the order of their file
    problems.extend(edition_problems(tables, meta, folder))  # the edition-wide rules, on the corrected tables
    if problems:
        raise EditionError(problems, year)
    for frame in [*reference.values(), *tables.values()]:
        frame.attrs.pop("lines", None)  # only for messages; not carried into the analysis

    files = {"edition": folder / EDITION_FILE}
    files.update({f"reference/{t.name}": reference_dir / f"{t.name}.csv" for t in held})
    files.update({t.name: folder / f"{t.name}.csv" for t in wanted})
    return Edition(
        year=year,
        meta=meta,
        sdgs=reference["sdgs"],
        action_lines=reference["action_lines"],
        c7_sublines=reference["c7_sublines"],
        itu_roles=roles_for_year(reference["itu_roles"], year),
        sdg_targets=reference.get("sdg_targets"),
        sdg_goal_titles=reference.get("sdg_goal_titles"),
        objectives=tables["objectives"],
        outcomes=tables["outcomes"],
        outcome_sdg=tables["outcome_sdg"],
        outcome_action_line=tables["outcome_action_line"],
        study_groups=tables["study_groups"],
        questions=tables["questions"],
        question_sdg=tables.get("question_sdg"),
        question_action_line=tables.get("question_action_line"),
        normalisations=tables.get("normalisations"),
        files=files,
        corrections=corrections,
        as_published=as_published,
        reference_dir=reference_dir,
        reference_provenance=provenance,
    )


def source_checksum(edition: Edition, seeds_dir: Path = paths.SEEDS_DIR) -> str:
    """What `itud validate` says of `[source_document] sha256`: checked against the source file when that
    file is at hand (in `seeds_dir`), so a mistyped checksum is not printed in the report as the source's.

    Raises `EditionError` naming the key when the file's checksum differs. Not part of loading: the
    source file is not an input of the report, and may be absent on a machine that only rebuilds it.
    """
    import hashlib

    document = edition.meta.get("source_document", {})
    given, name = document.get("sha256"), document.get("file", "")
    if not given or given == "not given":
        return "no SHA-256 given in edition.toml"
    path = Path(seeds_dir) / name
    if not name or not path.is_file():
        return f"SHA-256 not checked: the source file is not in {seeds_dir}"
    actual = hashlib.sha256(path.read_bytes()).hexdigest()
    if actual != given:
        message = f"does not match the source file {path}, whose SHA-256 is {actual}"
        problem = Problem(str(edition.files["edition"]), message, key="source_document.sha256", value=given)
        raise EditionError([problem], edition.year)
    return f"SHA-256 matches {path}"
