"""The workbook's tidy tables: one row per objective, outcome, link, study group, question or coverage figure.

The report's own tables are written for reading (an outcome's SDGs as "1, 3, 5 and 17", outcomes split
by objective); a spreadsheet user wants to filter and count, so the notebooks also declare these long
tables with `out.sheet(...)`: identifiers as text, numbers as numbers, and the provenance columns of the
data tables kept. `itud.report.render.write_xlsx` writes each as an Excel table with filters, after a notes
sheet; `write_tables_csv` writes each as a CSV.

One missing-value rule (`MISSING_VALUES`): an empty cell is a value not given (None, NaN); a real "none" is
written as a word ("none", "no") or a number (0), never left empty. A sheet labelled `NOTES` is not a table:
its rows (item, value) are lines of the workbook's notes sheet (and of tables/notes.csv).
"""

from __future__ import annotations

import pandas as pd

from itud.analysis.coverage import Mapping, coverage_by_group
from itud.data.ids import NOT_GIVEN, NotPublished
from itud.data.load import Edition

NOTES = "notes"  # the label of the sheet whose rows (item, value) the workbook's notes sheet adds
MISSING_VALUES = (
    "an empty cell is a value not given (by the source document or the project's data); a real none is written "
    'as such ("none", "no" or 0), never left empty'
)
PROVENANCE = ["source_document", "annex", "source_line"]  # where each row of a parsed table was read
COLUMN_WORDS = {
    "sdg": "SDG", "action_line": "Action Line", "short_name": "short name", "study_group": "study group",
    "title_status": "title status", "source_document": "source document", "source_line": "source line",
    "sdg_links": "SDG links", "sdgs_reached": "SDGs reached", "sdg_share": "share of the SDGs reached",
    "action_line_links": "Action Line links", "action_lines_reached": "Action Lines reached",
    "action_line_share": "share of the Action Lines reached",
}  # fmt: skip
LINK_TABLE_WORDS = {
    "outcome_sdg": "outcome -> SDG", "outcome_action_line": "outcome -> Action Line",
    "question_sdg": "question -> SDG", "question_action_line": "question -> Action Line",
}  # fmt: skip


def in_reader_words(frame: pd.DataFrame) -> pd.DataFrame:
    """The table with its column names as a reader says them ("SDG", "source line"), not as code does."""
    return frame.rename(columns=COLUMN_WORDS)


def objectives(edition: Edition) -> pd.DataFrame:
    """One row per objective (or priority): id, kind, short name, text, where it was read."""
    return in_reader_words(edition.objectives[["objective", "kind", "short_name", "text", *PROVENANCE]]).reset_index(
        drop=True
    )


def outcomes(edition: Edition) -> pd.DataFrame:
    """One row per outcome, with its objective: all outcomes in one table, not one per objective."""
    return in_reader_words(edition.outcomes[["outcome", "objective", "text", *PROVENANCE]]).reset_index(drop=True)


def outcome_links(edition: Edition, dimension: str) -> pd.DataFrame:
    """One row per outcome -> SDG (or Action Line) link, as corrected, with the target's name."""
    if dimension == "sdg":
        links, names = edition.outcome_sdg, edition.sdgs.set_index("sdg")["short_name"]
    else:
        links, names = edition.outcome_action_line, edition.action_lines.set_index("action_line")["name"]
    frame = links[["outcome", dimension, *PROVENANCE]].reset_index(drop=True)
    frame.insert(2, "name", [names[t] for t in frame[dimension]])
    return in_reader_words(frame)


def unit_links(mapping: Mapping, dimension: str) -> pd.DataFrame:
    """One row per unit -> SDG (or Action Line) link of a mapping, with the unit's group (question links)."""
    return in_reader_words(mapping.linked(dimension))


def study_groups(edition: Edition) -> pd.DataFrame:
    return in_reader_words(edition.study_groups[["study_group", "name", *PROVENANCE]]).reset_index(drop=True)


def questions(edition: Edition) -> pd.DataFrame:
    """One row per question: its study group, its title and how sure that title is."""
    frame = edition.questions[["question", "study_group", "title", "title_status", "source"]]
    return in_reader_words(frame).reset_index(drop=True)


def corrections(edition: Edition) -> pd.DataFrame | None:
    """One row per correction made to the source's links: which link, added or removed, why, on whose word,
    when, where it is written, and the edition that first made it; None when the edition has none."""
    if not edition.corrections:
        return None
    rows = [
        {"correction": c.number, "link table": LINK_TABLE_WORDS[c.table], "unit": c.unit, "target": str(c.target),
         "action": {"add": "added", "remove": "removed"}[c.action], "reason": c.reason, "authority": c.authority,
         "date": c.date, "reference": c.reference, "first made in": int(c.first_made or edition.year)}
        for c in edition.corrections
    ]  # fmt: skip
    return pd.DataFrame(rows)


def coverage_figures(mapping: Mapping | NotPublished, group: str) -> pd.DataFrame | None:
    """One row per objective (or study group): the counts and shares of the coverage table, without the
    lists of ids (the link sheets hold those, one row per link); None when the links are not published."""
    if isinstance(mapping, NotPublished):
        return None
    table = coverage_by_group(mapping)
    counts = [f"{mapping.unit}s", "sdg_links", "sdgs_reached", "sdg_share", "action_line_links", "action_lines_reached",
              "action_line_share"]  # fmt: skip
    frame = table[[c for c in counts if c in table.columns]].copy()
    return in_reader_words(frame.rename_axis(group).reset_index())


def codes(edition: Edition) -> pd.DataFrame:
    """One row per code the other sheets use: the SDGs (1-17), the WSIS Action Lines (C1-C11) and the sub-lines
    of C7, each with its name, how sure that name is and where it comes from (the reference tables' own
    columns). An SDG's code is its number, as in every sheet; a C7 sub-line's code is C7, its place in C7 the
    position column."""
    sdgs = edition.sdgs
    rows = [
        *(("SDG", int(r.sdg), int(r.sdg), r.short_name, r.name_status, r.source) for r in sdgs.itertuples()),
        *(("Action Line", r.action_line, int(r.action_line[1:]), r.name, r.status, r.source)
          for r in edition.action_lines.itertuples()),
        *(("C7 sub-line", r.action_line, int(r.position), r.name, r.status, r.source)
          for r in edition.c7_sublines.sort_values("position").itertuples()),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["kind", "code", "position", "name", "name status", "source of the name"])


def reference_period(meta: dict) -> str:
    """What the edition's tables cover: the strategic plan of its objectives and outcomes and the study period of
    its study groups and questions, as edition.toml gives them ("not given" for either it does not give)."""
    plan = meta.get("strategic_plan") or f"strategic plan {NOT_GIVEN}"
    period = f"study period {meta['study_period']}" if meta.get("study_period") else f"study period {NOT_GIVEN}"
    return f"objectives and outcomes: {plan}; study groups and questions: {period} (edition.toml)"


NO_DATA_LICENCE = (
    f"{NOT_GIVEN}: neither edition.toml nor the repository states a licence for these tables or the data they "
    "are made from (pyproject.toml declares MIT for the itud-wsis-report Python package; it says nothing of data/)"
)


def licence(edition: Edition) -> str:
    """The licence of the tables as edition.toml's [report] `licence` states it, else that none is stated; and
    the licence SOURCE.toml records for the SDG texts the link audit reads, quoted."""
    stated = str((edition.meta.get("report") or {}).get("licence") or "").strip() or NO_DATA_LICENCE
    texts = edition.reference_provenance
    if texts is not None and texts.source is not None and texts.licence:
        where = "/".join(texts.source.parts[-3:])  # reference/open-sdg/SOURCE.toml
        stated += (f". The SDG goal titles and target texts the link audit reads come from {texts.repository}, "
                   f"whose licence {where} gives as “{texts.licence}”")  # fmt: skip
    return stated


def notes(edition: Edition) -> pd.DataFrame:
    """The workbook's notes that the edition gives (declared with label `NOTES`): the reference period, the
    licence, the missing-value rule and where the codes are named."""
    rows = [
        ("Reference period", reference_period(edition.meta)),
        ("Licence", licence(edition)),
        ("Empty cells", MISSING_VALUES),
        ("Codes", "the sheet “codes” (tables/codes.csv) names every SDG, WSIS Action Line and C7 sub-line, with the "
                  "source of each name"),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["item", "value"])
