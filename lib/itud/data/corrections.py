"""Corrections to a source's links: data with their own provenance, applied after loading.

The parser's tables say exactly what the source says. When the Bureau (or anyone
with authority) says a link is wrong, the analyst does not edit those tables: a
row in `data/<year>/corrections.csv` adds or removes one link and says why, on
whose authority, when and where that was said. `apply_corrections` checks each
row against the tables as published (adding a link that is already there, or
removing one that is not, is an error naming the row) and returns the corrected
tables; the report lists every correction and marks each corrected link.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from itud import paths
from itud.data import ids
from itud.errors import Problem

CORRECTIONS_FILE = "corrections.csv"
ACTIONS = ("add", "remove")
# The link tables a correction may change, with the column of the unit and the target and how to read a target.
LINK_TABLES: dict[str, tuple[str, str, object]] = {
    "outcome_sdg": ("outcome", "sdg", ids.sdg_id),
    "outcome_action_line": ("outcome", "action_line", ids.action_line_id),
    "question_sdg": ("question", "sdg", ids.sdg_id),
    "question_action_line": ("question", "action_line", ids.action_line_id),
}
UNIT_TABLES = {"outcome": ("outcomes", ids.outcome_id), "question": ("questions", ids.question_id)}
# The first edition of this report (data/2019; `new-edition` only starts later ones): no correction was
# made before it. An edition entered before 2019 would lower this.
FIRST_EDITION = 2019


@dataclass(frozen=True)
class Correction:
    """One applied correction: which link, added or removed, and its provenance."""

    number: int  # the row of corrections.csv, counted from 1: the footnote number in the report
    line: int  # the physical line of corrections.csv the row starts on
    action: str
    table: str
    unit: str
    target: int | str
    reason: str
    authority: str
    date: str
    reference: str
    first_made: str = ""  # the earlier edition a carried correction was first made in ("" for this one)

    @property
    def dimension(self) -> str:
        return LINK_TABLES[self.table][1]

    def describe(self) -> str:
        """`added: D.2-1 -> SDG 4` / `removed: D.1-2 -> Action Line C7`."""
        target = f"SDG {self.target}" if self.dimension == "sdg" else f"Action Line {self.target}"
        verb = "added" if self.action == "add" else "removed"
        return f"{verb}: {self.unit} -> {target}"


def _read_row(
    row: int, line: int, record: dict, name: str, tables: dict[str, pd.DataFrame], problems: list
) -> Correction | None:
    """One row of corrections.csv as a `Correction`, or None after recording what is wrong with it."""
    table = record["table"]
    if table not in LINK_TABLES:
        return None  # reported by the schema (enum)
    unit_column, target_column, read_target = LINK_TABLES[table]
    unit_table, read_unit = UNIT_TABLES[unit_column]
    try:
        unit = read_unit(record["unit"])
    except ids.IdError as error:
        problems.append(Problem(name, str(error).split(":")[0], row, "unit", record["unit"], line))
        return None
    try:
        target = read_target(record["target"])
    except ids.IdError as error:
        problems.append(Problem(name, str(error).split(":")[0], row, "target", record["target"], line))
        return None
    if tables.get(unit_table) is None or unit not in set(tables[unit_table][unit_column]):
        problems.append(
            Problem(name, f"not a known {unit_column} (no such row in {unit_table})", row, "unit", unit, line)
        )
        return None
    if tables.get(table) is None:
        problems.append(Problem(name, f"the edition has no {table} table to correct", row, "table", table, line))
        return None
    return Correction(
        row, line, record["action"], table, unit, target, record["reason"], record["authority"], record["date"],
        record["reference"], str(record.get("first_made") or ""),
    )  # fmt: skip


def _editions_before(name: str) -> tuple[int | None, list[int]]:
    """The edition corrections.csv `name` belongs to (its folder's name; None when that is not a year) and the
    earlier editions its data folder holds."""
    folder = Path(name).parent
    if not paths.YEAR.match(folder.name):
        return None, []
    year = int(folder.name)
    return year, [int(y) for y in paths.available_years(folder.parent) if int(y) < year]


def first_made_problem(value: str, year: int | None, earlier: list[int]) -> str | None:
    """What is wrong with `first_made` `value` (four digits, schema-checked) of a correction carried into
    edition `year`, or None. It must be an earlier edition: one of `earlier` (the editions the data folder
    holds before `year`) when it falls in their span; before that span (a build's copy of the data holds only
    the previous edition), a year from FIRST_EDITION on."""
    made = int(value)
    if year is not None and made >= year:
        return f"must be an edition before this one ({year}): a carried correction was first made earlier"
    if made < FIRST_EDITION:
        return f"is before the first edition of this report ({FIRST_EDITION}): no correction was made then"
    if earlier and made >= earlier[0] and made not in earlier:
        listed = ", ".join(map(str, earlier))
        return f"names no edition of the data folder (the editions before {year} are {listed})"
    return None


def _first_made_problems(frame: pd.DataFrame, name: str, lines: list[int]) -> list[Problem]:
    """One problem per row whose `first_made` does not name an earlier edition."""
    if "first_made" not in frame.columns:
        return []
    year, earlier = _editions_before(name)
    found = []
    for row, value in enumerate(frame["first_made"], start=1):
        text = "" if pd.isna(value) else str(value).strip()
        message = first_made_problem(text, year, earlier) if text else None
        if message:
            found.append(Problem(name, message, row, "first_made", text, lines[row - 1]))
    return found


def read_corrections(frame: pd.DataFrame | None, name: str, tables: dict, problems: list[Problem]) -> list[Correction]:
    """The validated rows of corrections.csv (already schema-checked) as `Correction`s.

    `name` is the file's path, data/<year>/corrections.csv: `first_made` is checked against the editions of
    that data folder before <year>."""
    if frame is None or frame.empty:
        return []
    found = []
    lines = frame.attrs.get("lines") or [row + 1 for row in range(1, len(frame) + 1)]
    problems.extend(_first_made_problems(frame, name, lines))
    seen: dict[tuple, Correction] = {}  # the link, in canonical ids, -> the first correction of it
    for row, record in enumerate(frame.to_dict(orient="records"), start=1):
        correction = _read_row(row, lines[row - 1], record, name, tables, problems)
        if correction is None:
            continue
        link = (correction.table, correction.unit, correction.target)
        if link in seen:  # compared after normalising: "D.1-1 " and "SDG 4" are D.1-1 and 4
            first = seen[link]
            what = "repeats" if first.action == correction.action else "undoes"
            problems.append(Problem(
                name, f"{what} correction {first.number} (row {first.number}: {first.describe()}); one link, "
                "one correction", row, "unit", record["unit"], correction.line,
            ))  # fmt: skip
            continue
        seen[link] = correction
        found.append(correction)
    return found


def apply_corrections(
    tables: dict[str, pd.DataFrame], corrections: list[Correction], name: str, problems: list[Problem]
) -> dict[str, pd.DataFrame]:
    """The link tables with every correction applied; a correction that does not apply is a problem.

    An added link carries the correction as its provenance: `source_document` is corrections.csv,
    `annex` is 'correction' and `source_line` the line of corrections.csv it was read from.
    """
    corrected = dict(tables)
    found: list[Problem] = []
    for correction in corrections:
        unit_column, target_column, _ = LINK_TABLES[correction.table]
        frame = corrected[correction.table]
        present = (frame[unit_column] == correction.unit) & (frame[target_column] == correction.target)
        if correction.action == "add":
            if present.any():
                found.append(
                    Problem(
                        name,
                        "adds a link the table already has (nothing to correct)",
                        correction.number,
                        "target",
                        correction.target,
                        correction.line,
                    )
                )
                continue
            row = {
                unit_column: correction.unit,
                target_column: correction.target,
                "source_document": CORRECTIONS_FILE,
                "annex": "correction",
                "source_line": correction.line,
            }
            added = pd.DataFrame([row])
            for column, kind in frame.dtypes.items():  # the table's own types (an empty table: text and Int64)
                numeric = column in (target_column, "source_line") and isinstance(row[column], int)
                added[column] = added[column].astype("Int64" if numeric else kind if len(frame) else object)
            after = int(frame.index[frame[unit_column] == correction.unit].max()) + 1 if (
                frame[unit_column] == correction.unit).any() else len(frame)  # fmt: skip
            frame = pd.concat([frame.iloc[:after], added, frame.iloc[after:]], ignore_index=True)
        else:
            if not present.any():
                found.append(
                    Problem(
                        name,
                        "removes a link the table does not have",
                        correction.number,
                        "target",
                        correction.target,
                        correction.line,
                    )
                )
                continue
            frame = frame[~present]
        corrected[correction.table] = frame.reset_index(drop=True)
    problems.extend(sorted(found, key=lambda p: p.row or 0))
    return corrected


def corrections_table(corrections: list[Correction]) -> pd.DataFrame:
    """The applied corrections as a table (for notebooks, the report and `itud validate`)."""
    columns = ["number", "action", "table", "unit", "target", "reason", "authority", "date", "reference"]
    return pd.DataFrame([{c: getattr(k, c) for c in columns} for k in corrections], columns=columns)


def describe_all(corrections: list[Correction]) -> list[str]:
    """One line per correction, as `itud validate` prints them and the report lists them."""
    return [
        f"[{c.number}] {c.describe()} ({c.reason}; {c.authority}, {c.date}; {c.reference}"
        + (f"; first made in the {c.first_made} edition" if c.first_made else "") + ")"
        for c in corrections
    ]
