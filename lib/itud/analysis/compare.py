"""What changed between two editions: ids added or removed, links gained or lost, coverage before and after."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from itud.analysis import coverage
from itud.data.ids import ALL_ACTION_LINES, ALL_SDGS, NOT_PUBLISHED
from itud.data.load import Edition, load_edition
from itud.paths import available_years, data_dir_or_default

ID_TABLES = (
    ("objective", "objectives"),
    ("outcome", "outcomes"),
    ("study_group", "study_groups"),
    ("question", "questions"),
)
LINK_TABLES = (
    ("outcome", "sdg", "outcome_sdg"),
    ("outcome", "action_line", "outcome_action_line"),
    ("question", "sdg", "question_sdg"),
    ("question", "action_line", "question_action_line"),
)


def previous_year(data_dir: Path, year: int) -> int | None:
    """The newest edition in `data_dir` older than `year`, if any."""
    older = [int(y) for y in available_years(data_dir) if int(y) < int(year)]
    return max(older) if older else None


def load_previous(edition: Edition, data_dir: str | Path = "") -> Edition | None:
    """The newest earlier edition, validated; None when there is none."""
    data_dir = data_dir_or_default(data_dir)
    year = previous_year(data_dir, edition.year)
    return load_edition(year, data_dir) if year is not None else None


def changed_ids(old: Edition, new: Edition) -> pd.DataFrame:
    """Objectives, outcomes, study groups and questions added or removed."""
    rows = []
    for column, table in ID_TABLES:
        before, after = list(getattr(old, table)[column]), list(getattr(new, table)[column])
        rows += [{"kind": _kind(old, column, i), "id": i, "change": "removed"} for i in before if i not in after]
        rows += [{"kind": _kind(new, column, i), "id": i, "change": "added"} for i in after if i not in before]
    return pd.DataFrame(rows, columns=["kind", "id", "change"])


def _kind(edition: Edition, column: str, identifier: str) -> str:
    """'objective' or 'priority' for parents, as the edition calls them; the column name otherwise."""
    if column != "objective":
        return column
    return str(edition.objectives.set_index("objective").loc[identifier, "kind"])


def _pairs(frame: pd.DataFrame | None, unit: str, target: str) -> set:
    return set() if frame is None else set(zip(frame[unit], frame[target], strict=True))


def changed_links(old: Edition, new: Edition) -> pd.DataFrame:
    """Links gained or lost between the two editions as corrected, each saying `by` what: "the source" (the
    new source has it and the old did not, or the reverse) or "a correction" (a correction made in one
    edition and not in the other: a correction carried over changes nothing). Question links only where
    both editions publish them."""
    rows = []
    for unit, target, table in LINK_TABLES:
        before, after = getattr(old, table), getattr(new, table)
        if before is None or after is None:
            continue
        source_before = _pairs(old.as_published.get(table, before), unit, target)
        source_after = _pairs(new.as_published.get(table, after), unit, target)
        pairs_before, pairs_after = _pairs(before, unit, target), _pairs(after, unit, target)
        kind = f"{unit} -> {target}"
        for change, pairs, in_source in (
            ("lost", pairs_before - pairs_after, source_before - source_after),
            ("gained", pairs_after - pairs_before, source_after - source_before),
        ):
            for u, t in sorted(pairs, key=lambda pair: (pair[0], str(pair[1]).zfill(3))):
                by = "the source" if (u, t) in in_source else "a correction"
                rows.append({"link": kind, "from": u, "to": t, "change": change, "by": by})
    return pd.DataFrame(rows, columns=["link", "from", "to", "change", "by"])


def question_links_comparable(old: Edition, new: Edition) -> bool:
    return old.question_links_published and new.question_links_published


def _figures(edition: Edition) -> dict[str, int]:
    mapping = coverage.outcome_mapping(edition)
    n_sdgs, n_lines = len(ALL_SDGS), len(ALL_ACTION_LINES)
    figures = {
        "objectives": len(edition.objectives),
        "outcomes": len(edition.outcomes),
        "outcome -> SDG links": len(edition.outcome_sdg),
        "outcome -> Action Line links": len(edition.outcome_action_line),
        "SDGs reached": n_sdgs - len(coverage.not_reached(mapping, "sdg")),
        "Action Lines reached": n_lines - len(coverage.not_reached(mapping, "action_line")),
        "SDGs reached without blanket outcomes": n_sdgs
        - len(coverage.not_reached(mapping, "sdg", exclude_blanket=True)),
        "Action Lines reached without blanket outcomes": n_lines
        - len(coverage.not_reached(mapping, "action_line", exclude_blanket=True)),
        "blanket outcomes": len(coverage.blanket_units(mapping)),
        "study groups": len(edition.study_groups),
        "questions": len(edition.questions),
    }
    if edition.question_links_published:
        figures["question -> SDG links"] = len(edition.question_sdg)
        figures["question -> Action Line links"] = len(edition.question_action_line)
    return figures


def coverage_before_after(old: Edition, new: Edition) -> pd.DataFrame:
    """Headline coverage figures of both editions side by side (NOT_PUBLISHED where missing)."""
    before, after = _figures(old), _figures(new)
    measures = list(dict.fromkeys([*before, *after]))
    rows = []
    for measure in measures:
        b, a = before.get(measure, NOT_PUBLISHED), after.get(measure, NOT_PUBLISHED)
        change = a - b if isinstance(a, int) and isinstance(b, int) else "not available"
        rows.append({"measure": measure, str(old.year): b, str(new.year): a, "change": change})
    return pd.DataFrame(rows)
