"""Load one edition from `data/` into a validated `Edition`.

Every problem found is collected (file, row, column, value, what is wrong) and
raised together as one `EditionError`, so an analyst fixes a file in one pass.
Ids are normalised here, once, with the functions of `itud.ids`.
"""

from __future__ import annotations

import io
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pandera.errors

from itud import ids, paths
from itud.corrections import CORRECTIONS_FILE, LINK_TABLES, Correction, apply_corrections, read_corrections
from itud.errors import EditionError, Problem
from itud.paths import data_dir_or_default, edition_dir
from itud.schemas import QUESTION_LINK_TABLES, TABLES, KnownIds, Table, pandera_schema

EDITION_FILE = "edition.toml"
REFERENCE_DIR = "reference"
QUESTION_LINK_STATES = ("published", "not published")
NOT_PUBLISHED = "not published"
PARSED_TABLES = ("objectives", "outcomes", "outcome_sdg", "outcome_action_line", "study_groups")

_PANDERA_MESSAGES = {
    "field_uniqueness": "duplicate id (ids must be unique)",
    "multiple_fields_uniqueness": "duplicate row (the same link appears twice)",
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

    @property
    def question_links_status(self) -> str:
        return self.meta["question_links"]["status"]

    @property
    def question_links_published(self) -> bool:
        return self.question_links_status != NOT_PUBLISHED

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


def read_table(path: Path, table: Table, problems: list[Problem]) -> pd.DataFrame | None:
    """Read one CSV as text, strictly UTF-8; record problems instead of raising."""
    name = str(path)
    if not path.exists():
        hint = f"; write it with `itud parse SOURCE --year {path.parent.name}`" if table.name in PARSED_TABLES else ""
        problems.append(Problem(name, f"file is missing (table '{table.name}'){hint}"))
        return None
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        byte = raw[error.start : error.start + 1]
        problems.append(
            Problem(name, f"not UTF-8 text: byte {byte!r} at line {line}, offset {error.start}; save as UTF-8")
        )
        return None
    if not text.strip():
        problems.append(Problem(name, f"file is empty (expected a header: {', '.join(table.column_names)})"))
        return None
    try:
        frame = pd.read_csv(io.StringIO(text.removeprefix("\ufeff")), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, ValueError) as error:
        problems.append(Problem(name, f"not a readable CSV table: {error}"))
        return None
    return frame


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
            try:
                values.append(converter(value))
            except (ids.IdError, ValueError) as error:
                problems.append(Problem(name, str(error).split(":")[0], row, col.name, value))
                values.append(None)
        frame[col.name] = pd.array(values, dtype="Int64") if col.type == "integer" else values
    return frame


def _schema_problems(error: pandera.errors.SchemaErrors, name: str, frame: pd.DataFrame) -> list[Problem]:
    found = []
    for case in error.failure_cases.itertuples(index=False):
        message = _PANDERA_MESSAGES.get(str(case.check), str(case.check))
        if case.check == "column_in_dataframe":
            found.append(Problem(name, message, column=str(case.failure_case)))
            continue
        if case.index is None or pd.isna(case.failure_case):
            continue  # a value already reported as unreadable by _normalise_columns
        row = int(case.index) + 1
        if case.check == "multiple_fields_uniqueness" and any(p.row == row and p.message == message for p in found):
            continue  # one problem per duplicated row, not one per column
        found.append(Problem(name, message, row, case.column, case.failure_case))
    return found


def validate_table(frame: pd.DataFrame, table: Table, name: str, known: KnownIds) -> tuple[pd.DataFrame, list[Problem]]:
    """Normalise and validate one table; returns the clean frame and its problems."""
    missing = [c for c in table.column_names if c not in frame.columns]
    if missing:  # other checks would only echo the missing column (e.g. bogus duplicate rows)
        return frame, [Problem(name, "required column is missing", column=c) for c in missing]
    problems: list[Problem] = []
    frame = _normalise_columns(frame, table, name, problems)
    try:
        pandera_schema(table, known).validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as error:
        problems.extend(_schema_problems(error, name, frame))
    return frame, problems


def _load_tables(folder: Path, tables: list[Table], known: KnownIds, problems: list[Problem]) -> dict:
    loaded: dict[str, pd.DataFrame] = {}
    for table in tables:
        path = folder / f"{table.name}.csv"
        frame = read_table(path, table, problems)
        if frame is None:
            frame = pd.DataFrame(columns=table.column_names)
        frame, found = validate_table(frame, table, str(path), known)
        problems.extend(found)
        loaded[table.name] = frame
        for col in table.columns:
            if col.name in table.primary_key and col.name in frame.columns:
                known.values[(table.name, col.name)] = set(frame[col.name].dropna())
    return loaded


def read_meta(folder: Path, year: int, problems: list[Problem]) -> dict:
    """The edition's hand-entered facts (edition.toml), checked for the keys the code needs."""
    path = folder / EDITION_FILE
    name = str(path)
    try:
        meta = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(Problem(name, "file is missing (the edition's facts and report prose)"))
        return {"question_links": {"status": NOT_PUBLISHED}}
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        problems.append(Problem(name, f"not readable UTF-8 TOML: {error}"))
        return {"question_links": {"status": NOT_PUBLISHED}}
    problems.extend(_still_to_enter(meta, name))
    if meta.get("year") != year:
        problems.append(Problem(name, f"year must equal the folder name {year}", column="year", value=meta.get("year")))
    status = meta.get("question_links", {}).get("status")
    if status not in QUESTION_LINK_STATES:
        problems.append(
            Problem(name, "must be 'published' or 'not published'", column="question_links.status", value=status)
        )
        meta.setdefault("question_links", {})["status"] = NOT_PUBLISHED
    for key in ("report",):
        if not isinstance(meta.get(key), dict):
            problems.append(Problem(name, f"table [{key}] is missing", column=key))
    return meta


def _still_to_enter(meta: dict, name: str) -> list[Problem]:
    """The facts `itud new-edition` left for the analyst to enter."""
    from itud.editions import TO_ENTER, still_to_enter

    value = f"still to enter (itud new-edition left '{TO_ENTER}'): give the value and its source under [sources]"
    source = f"still to enter (itud new-edition left '{TO_ENTER}'): say where the value comes from"
    return [Problem(name, source if "sources." in key else value, column=key) for key in still_to_enter(meta)]


def roles_for_year(itu_roles: pd.DataFrame, year: int) -> pd.DataFrame:
    """ITU's role per Action Line in force in `year` (empty when no period covers it)."""
    in_force = (itu_roles["period_start"] <= year) & (itu_roles["period_end"] >= year)
    return itu_roles[in_force].reset_index(drop=True)


def load_edition(year: object, data_dir: str | Path = "", reference_dir: Path | None = None) -> Edition:
    """Load and validate edition `year` from `data_dir` ("" = the project's data/).

    Raises `EditionError` listing every problem.
    """
    data_dir = data_dir_or_default(data_dir)
    folder = edition_dir(data_dir, year)
    year = int(str(year).strip())
    reference_dir = Path(reference_dir) if reference_dir else paths.reference_dir(data_dir)
    problems: list[Problem] = []
    meta = read_meta(folder, year, problems)
    known = KnownIds()
    reference = _load_tables(reference_dir, [t for t in TABLES if t.scope == "reference"], known, problems)

    published = meta["question_links"]["status"] != NOT_PUBLISHED
    wanted = []
    for table in TABLES:
        if table.scope != "edition":
            continue
        present = (folder / f"{table.name}.csv").exists()
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
    tables = _load_tables(folder, wanted, known, problems)
    if problems:
        raise EditionError(problems, year)
    corrections_file = str(folder / CORRECTIONS_FILE)
    corrections = read_corrections(tables.pop("corrections", None), corrections_file, tables, problems)
    as_published = {name: tables[name] for name in LINK_TABLES if tables.get(name) is not None}
    tables.update(apply_corrections(as_published, corrections, corrections_file, problems))
    if problems:
        raise EditionError(sorted(problems, key=lambda p: p.row or 0), year)  # in the order of the file

    files = {"edition": folder / EDITION_FILE}
    files.update({f"reference/{t.name}": reference_dir / f"{t.name}.csv" for t in TABLES if t.scope == "reference"})
    files.update({t.name: folder / f"{t.name}.csv" for t in wanted})
    return Edition(
        year=year,
        meta=meta,
        sdgs=reference["sdgs"],
        action_lines=reference["action_lines"],
        c7_sublines=reference["c7_sublines"],
        itu_roles=roles_for_year(reference["itu_roles"], year),
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
    )
