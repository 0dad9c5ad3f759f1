"""The report's tables, as data frames a notebook shows and declares with `out.table(...)`.

Column headers are the words the report prints; cells stay numbers where they are numbers (so the
workbook and the CSV exports get numeric columns), lists stay lists (printed as "1, 3 and 17"), and
missing data is the NOT_PUBLISHED marker. Counts of SDGs and Action Lines come from `itud.data.ids`.
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd

from itud.analysis import coverage
from itud.analysis.coverage import Mapping
from itud.data.ids import ALL_ACTION_LINES, ALL_SDGS, NOT_GIVEN, NOT_PUBLISHED, NotPublished
from itud.data.load import Edition
from itud.report.document import PRINTED_ROWS, plural_form
from itud.report.results import slug


class ReportTable(NamedTuple):
    """One of several tables a function makes: its frame, a label and a caption for `out.table`."""

    frame: pd.DataFrame
    label: str
    caption: str
    marks: list[dict] = []  # per-cell footnotes for `out.table(..., marks=...)`: corrected links


def sdg_list(values: list[int]) -> str:
    """SDG numbers as the source annex writes them; every SDG is `1-17 (all)`."""
    if tuple(values) == ALL_SDGS:
        return f"{ALL_SDGS[0]}-{ALL_SDGS[-1]} (all)"
    return _listing(values)


def action_line_list(values: list[str]) -> str:
    """Action Lines as the source annex writes them; every line is `C1-C11 (all)`."""
    if tuple(values) == ALL_ACTION_LINES:
        return f"{ALL_ACTION_LINES[0]}-{ALL_ACTION_LINES[-1]} (all)"
    return _listing(values)


def _listing(values: list) -> str:
    items = [str(v) for v in values]
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}" if items else "none"


def coverage_by_group(mapping: Mapping | NotPublished, group_name: str) -> pd.DataFrame | NotPublished:
    """Per objective (or study group): units, links and reach; `group_name` heads the first column."""
    table = coverage.coverage_by_group(mapping)
    if isinstance(table, NotPublished):
        return table
    unit = f"{mapping.unit}s"
    return pd.DataFrame(
        {
            group_name: table.index,
            unit.replace("_", " ").capitalize(): table[unit].to_numpy(),
            "SDG links": table["sdg_links"].to_numpy(),
            f"SDGs reached (of {len(ALL_SDGS)})": table["sdgs_reached"].to_numpy(),
            "Action Line links": table["action_line_links"].to_numpy(),
            f"Action Lines reached (of {len(ALL_ACTION_LINES)})": table["action_lines_reached"].to_numpy(),
            "SDGs not reached": table["sdgs_not_reached"].to_numpy(),
            "Action Lines not reached": table["action_lines_not_reached"].to_numpy(),
        }
    )


def parents(edition: Edition) -> ReportTable:
    """The objectives (or priorities) with their short names and texts."""
    kind = edition.parent_kind.capitalize()
    rows = edition.objectives
    frame = pd.DataFrame({kind: rows["objective"], "Short name": rows["short_name"], "Text": rows["text"]})
    return ReportTable(frame, "objectives", plural_form(edition.parent_kind).capitalize())


ALL_OUTCOMES = "outcomes-all"  # Annex 1 as one table, when its outcomes are too many to print by objective


def outcomes_per_parent(edition: Edition, mapping: Mapping) -> list[ReportTable]:
    """Annex 1: one table per objective, each outcome with its SDGs and Action Lines, corrections marked.

    An edition with more outcomes than the documents print of one table (`PRINTED_ROWS`) gets one table of
    all outcomes instead, labelled `ALL_OUTCOMES`, which the documents cut at that length, naming the sheet
    that holds every row (`all_outcomes_sheet`): one table per objective would print every row, a few
    hundred pages for 10,000 outcomes."""
    units = coverage.coverage_by_unit(mapping)
    texts = edition.outcomes.set_index("outcome")["text"]
    if len(units) > PRINTED_ROWS:
        caption = f"Outcomes of all {len(edition.objectives):,} {plural_form(edition.parent_kind)}"
        return [_outcome_table(edition, units, texts, ALL_OUTCOMES, caption, with_parent=True)]
    by_objective = dict(list(units.groupby("objective", sort=False)))  # one pass, not one per objective
    return [
        _outcome_table(edition, by_objective[o.objective], texts, slug("outcomes", o.objective),
                       f"Outcomes of {o.objective} {o.short_name}")  # fmt: skip
        for o in edition.objectives.itertuples()
        if o.objective in by_objective  # the annex says the objective has no outcomes; no empty table
    ]


def all_outcomes_sheet(tables: list[ReportTable]) -> pd.DataFrame | None:
    """The rows of Annex 1's single table (`ALL_OUTCOMES`) for a workbook sheet of the same label, which the
    documents name where they cut it; None when Annex 1 is one table per objective (every row printed)."""
    return next((t.frame for t in tables if t.label == ALL_OUTCOMES), None)


def _outcome_table(
    edition: Edition, rows: pd.DataFrame, texts: pd.Series, label: str, caption: str, with_parent: bool = False
) -> ReportTable:
    columns = {edition.parent_kind.capitalize(): rows["objective"].to_numpy()} if with_parent else {}
    frame = pd.DataFrame(
        {
            **columns,
            "Outcome": rows.index,
            "Text": texts.reindex(rows.index).to_numpy(),
            "Contributes to achievement of SDG Goals": [sdg_list(v) for v in rows["sdgs"]],
            "Contributes to facilitation of implementation of WSIS AL": [
                action_line_list(v) for v in rows["action_lines"]
            ],
        }
    )
    marks = correction_marks(edition, list(rows.index), list(frame.columns[-2:]))
    return ReportTable(frame, label, caption, marks)


def correction_marks(edition: Edition, outcomes: list[str], columns: list[str]) -> list[dict]:
    """A footnote on each cell of an Annex 1 table whose links a correction changed (`columns`: SDG, Action Line)."""
    column_of = {"outcome_sdg": columns[0], "outcome_action_line": columns[1]}
    marks = []
    for correction in edition.corrections:
        if correction.table in column_of and correction.unit in outcomes:
            note = (
                f"Correction {correction.number}: {correction.describe()} after the source "
                f"({correction.reason}; {correction.authority}, {correction.date}; {correction.reference})."
            )
            # An added link is marked where the cell lists it; a removed one, which it no longer lists, at the end.
            item = str(correction.target) if correction.action == "add" else ""
            row = outcomes.index(correction.unit)
            marks.append({"row": row, "column": column_of[correction.table], "note": note, "item": item})
    return marks


def questions_per_study_group(edition: Edition) -> list[ReportTable]:
    """Annex 2: one table per study group with questions; links NOT_PUBLISHED where the edition's data do not
    hold them."""
    mapping = coverage.question_mapping(edition)
    units = coverage.coverage_by_unit(mapping)
    tables = []
    for group in edition.study_groups.itertuples():
        questions = edition.questions[edition.questions["study_group"] == group.study_group]
        if questions.empty:  # the annex says the study group has no questions; no empty table
            continue
        status = [
            t + (f": {n}" if n else "")
            for t, n in zip(questions["title_status"], questions["status_note"], strict=True)
        ]
        if isinstance(units, NotPublished):
            sdgs = lines = [NOT_PUBLISHED] * len(questions)
        else:
            given = [q for q in questions["question"] if isinstance(units.loc[q, "sdgs"], list)]  # else NOT_GIVEN
            sdgs = [sdg_list(units.loc[q, "sdgs"]) if q in given else NOT_GIVEN for q in questions["question"]]
            lines = [action_line_list(units.loc[q, "action_lines"]) if q in given else NOT_GIVEN
                     for q in questions["question"]]  # fmt: skip
        frame = pd.DataFrame(
            {
                "Question": questions["question"].to_numpy(),
                "Title": questions["title"].to_numpy(),
                "Title status": status,
                "SDGs": sdgs,
                "WSIS Action Lines": lines,
            }
        )
        tables.append(ReportTable(frame, slug("questions", group.study_group), f"{group.study_group}: {group.name}"))
    return tables


def readable_kind(kind: str) -> str:
    """A normalisation's kind as the parser logs it (`action_line range expanded`) in words for readers."""
    return kind.replace("action_line", "Action Line").replace("sdg", "SDG").replace("_", " ")


def normalisations(edition: Edition) -> pd.DataFrame:
    """The parser's normalisations of identifiers, ranges and lists (layout-only changes to spaces left out)."""
    log = edition.normalisations
    if log is None:
        return pd.DataFrame(columns=["Line", "Kind", "Source text", "Read as"])
    shown = log[~log["kind"].str.contains("spaces")]
    return pd.DataFrame(
        {
            "Line": shown["source_line"].to_numpy(),
            "Kind": [readable_kind(k) for k in shown["kind"]],
            "Source text": shown["before"].to_numpy(),
            "Read as": shown["after"].to_numpy(),
        }
    )


def coverage_before_after(table: pd.DataFrame) -> pd.DataFrame:
    """compare.coverage_before_after with the report's headers."""
    return table.rename(columns={"measure": "Measure", "change": "Change"})


def links_gained_and_lost(table: pd.DataFrame) -> pd.DataFrame:
    """compare.changed_links in reader words: the outcome or question, what it is linked to ("SDG 9",
    "Action Line C1"), gained or lost, and whether in the source or by a correction."""
    linked_to = [
        f"SDG {to}" if link.endswith("sdg") else f"Action Line {to}"
        for link, to in zip(table["link"], table["to"], strict=True)
    ]
    return pd.DataFrame({
        "Outcome or question": table["from"], "Linked to": linked_to, "Change": table["change"],
        "Through": list(table["by"]) if "by" in table else ["the source"] * len(table),
    })  # fmt: skip


def links_to_review(review: pd.DataFrame, unit: str = "outcome") -> pd.DataFrame:
    """`audit.review` in reader words: the unit, the SDG, add or check, the score and the evidence."""
    return pd.DataFrame({
        unit.capitalize(): review[unit], "SDG": review["SDG"],
        "Suggestion": ["add" if s.startswith("add") else "check" for s in review["suggestion"]],
        "Score": [f"{v:.3f}" for v in review["score"]], "Best-matching targets": [list(m) for m in review["matched"]],
        "Shared words": [", ".join(w) if w else "no distinctive word" for w in review["shared words"]],
    })  # fmt: skip


def audit_evaluation(evaluation: pd.DataFrame) -> pd.DataFrame:
    """`audit.evaluate` for the report: method, what it ranks by, precision and recall at k, AUC; each
    precision with its counts beside it ("0.689 (31 of 45)": linked SDGs among the SDGs ranked among the k best)."""
    counts = [c for c in evaluation.columns if c.endswith(" evaluated") or " among the " in c]
    shown = evaluation.drop(columns=counts)
    for column in shown.columns[2:]:  # three decimals throughout, as the text quotes them
        shown[column] = ["" if v is None or v != v else f"{v:.3f}" for v in shown[column]]
        k = column.removeprefix("precision at ")
        if column.startswith("precision at ") and f"SDGs ranked among the {k} best" in evaluation:
            linked = evaluation[f"linked SDGs among the {k} best"]
            ranked = evaluation[f"SDGs ranked among the {k} best"]
            shown[column] = [f"{v} ({n} of {m})" if v else v
                             for v, n, m in zip(shown[column], linked, ranked, strict=True)]
    shown.columns = [c[0].upper() + c[1:] for c in shown.columns]
    return shown


def link_origins_sentence(origins: dict) -> str:
    """Where an edition's question links come from, in one sentence for the report: how many were read from
    the source, added by corrections, and entered by hand (by whom, when, from which reference)."""
    from itud.data.grammar import agree, listing, plural

    total = origins["read_from_source"] + origins["corrected"] + origins["entered_by_hand"]
    parts = [f"{origins['read_from_source']} {agree(origins['read_from_source'], 'was', 'were')} read from the source"]
    if origins["corrected"]:
        parts.append(f"{origins['corrected']} added by corrections")
    if origins["entered_by_hand"]:
        entries = [f"{plural(e['links'], 'link')} by {e['entered_by']} on {e['entered_on']}, from {e['reference']}"
                   for e in origins["entries"]]  # fmt: skip
        parts.append(f"{origins['entered_by_hand']} entered by hand ({'; '.join(entries)})")
    return f"Of the {plural(total, 'question link')}, {listing(parts)}."
