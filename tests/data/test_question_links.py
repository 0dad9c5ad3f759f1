"""Question links with honest provenance (README, "Question links"): each link is read from the source (its
document and line) or entered by hand (by whom, when, from which reference), never a made-up line number; a
question without links is "not given", never zero; the report's words say where the links came from.
Everything here is a SYNTHETIC edition (tests/synthetic/2090) copied into tmp_path."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest

from itud import paths
from itud.analysis import coverage, figures
from itud.data.ids import NOT_GIVEN
from itud.data.load import load_edition
from itud.errors import EditionError
from itud.report import tables
from tests.conftest import SYNTHETIC_DIR

HAND = ["SYNTHETIC analyst", "2026-11-30", "SYNTHETIC meeting report, table 3"]


@pytest.fixture
def edition_dir(tmp_path: Path) -> Path:
    shutil.copytree(SYNTHETIC_DIR / "2090", tmp_path / "2090")
    shutil.copytree(paths.DATA_DIR / "reference", tmp_path / "reference")
    return tmp_path


def rewrite(path: Path, change) -> None:
    """The link table with the hand-entry columns added, each row as `change(row)` makes it (None: dropped)."""
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    columns = [*rows[0].keys(), "entered_by", "entered_on", "reference"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, lineterminator="\n", restval="")
    writer.writeheader()
    writer.writerows(r for r in (change(dict(row)) for row in rows) if r is not None)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def by_hand(row: dict) -> dict:
    """The row as a link typed in from a reference: no source document, annex or line."""
    return {**row, "source_document": "", "annex": "", "source_line": "",
            **dict(zip(["entered_by", "entered_on", "reference"], HAND, strict=True))}  # fmt: skip


def test_links_entered_by_hand_need_no_line_number_and_say_who_when_and_from_what(edition_dir: Path):
    first = {}

    def hand_first_two(row: dict) -> dict:
        first.setdefault("n", 0)
        first["n"] += 1
        return by_hand(row) if first["n"] <= 2 else row

    rewrite(edition_dir / "2090" / "question_sdg.csv", hand_first_two)
    edition = load_edition(2090, edition_dir)
    origins = edition.question_link_origins()
    assert origins["entered_by_hand"] == 2 and origins["corrected"] == 0
    assert origins["entries"] == [dict(zip(["entered_by", "entered_on", "reference"], HAND, strict=True), links=2)]
    sentence = tables.link_origins_sentence(origins)
    assert sentence.endswith(f"and 2 entered by hand (2 links by {HAND[0]} on {HAND[1]}, from {HAND[2]}).")
    mapping = coverage.question_mapping(edition)
    caption = figures.unit_by_target(edition, mapping, "sdg").caption
    assert "entered by hand" in caption and "the source links" not in caption


@pytest.mark.parametrize(
    ("change", "column", "words"),
    [
        (lambda row: {**row, "source_document": "", "source_line": ""}, "source_document", "neither read nor entered"),
        (lambda row: {**by_hand(row), "source_line": "1"}, "source_line", "both read from the source and entered"),
        (lambda row: {**by_hand(row), "entered_on": ""}, "entered_on", "value is empty: a link entered by hand"),
    ],
    ids=["neither", "both", "half-entered"],
)  # fmt: skip
def test_a_link_that_does_not_say_where_it_comes_from_is_named(edition_dir: Path, change, column, words):
    path = edition_dir / "2090" / "question_action_line.csv"
    rewrite(path, lambda row: change(row) if row["question"] == "Q2/1" else row)
    with pytest.raises(EditionError) as error:
        load_edition(2090, edition_dir)
    problem = error.value.problems[0]
    assert (problem.file, problem.column) == (str(path), column) and words in problem.message
    assert "README, 'Question links'" in problem.message or "value is empty" in problem.message


def test_a_question_without_links_is_not_given_never_zero(edition_dir: Path):
    for name in ("question_sdg", "question_action_line"):
        rewrite(edition_dir / "2090" / f"{name}.csv", lambda row: None if row["question"] == "Q2/1" else row)
    edition = load_edition(2090, edition_dir)
    assert edition.questions_without_links() == ["Q2/1"]
    units = coverage.coverage_by_unit(coverage.question_mapping(edition))
    assert units.loc["Q2/1", "sdgs_reached"] == NOT_GIVEN and units.loc["Q2/1", "sdgs"] == NOT_GIVEN
    assert units.loc["Q1/1", "sdgs_reached"] > 0
    annex = {t.label: t for t in tables.questions_per_study_group(edition)}
    frame = next(t.frame for t in annex.values() if "Q2/1" in set(t.frame.iloc[:, 0]))
    row = frame[frame.iloc[:, 0] == "Q2/1"].iloc[0]
    assert list(row.iloc[-2:]) == [NOT_GIVEN, NOT_GIVEN]
