"""Loading and validation: the real 2019 counts, and a clear message for every kind of bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from itud import paths
from itud.cli import main
from itud.data.load import load_edition
from itud.errors import EditionError
from tests.conftest import GOLDEN_2019


def problems_of(data_dir: Path, year: object = 2019) -> list[str]:
    with pytest.raises(EditionError) as error:
        load_edition(year, data_dir)
    return [str(p) for p in error.value.problems]


def rewrite(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def test_2019_edition_summary_as_the_source_gives_it():
    """Source fidelity: what Annex 1 of the seed says (corrections, data of their own, are left out)."""
    edition = load_edition(2019, paths.DATA_DIR, corrections=False)
    assert edition.summary() == GOLDEN_2019["summary"]
    assert edition.question_sdg is None and edition.question_action_line is None
    assert not edition.synthetic
    assert edition.objectives["objective"].tolist() == ["D.1", "D.2", "D.3", "D.4"]
    assert edition.questions["title_status"].value_counts().to_dict() == GOLDEN_2019["question_title_status"]
    assert edition.itu_roles.set_index("action_line")["role"].to_dict() == {
        "C1": "co-facilitator", "C2": "facilitator", "C3": "co-facilitator", "C4": "co-facilitator",
        "C5": "facilitator", "C6": "facilitator", "C7": "co-facilitator", "C8": "partner", "C9": "partner",
        "C10": "none", "C11": "co-facilitator",
    }  # fmt: skip


def test_every_link_row_carries_provenance():
    edition = load_edition(2019, paths.DATA_DIR, corrections=False)
    for table in (edition.outcome_sdg, edition.outcome_action_line, edition.outcomes, edition.objectives):
        assert set(table["source_document"]) == {"000_b35b5415e02ee5de.txt"}
        assert set(table["annex"]) == {"Annex 1"}
        assert table["source_line"].between(70, 130).all()
    # D.3-2's "1 - 17" is line 109 of the source.
    d32 = edition.outcome_sdg[edition.outcome_sdg["outcome"] == "D.3-2"]
    assert d32["source_line"].unique().tolist() == [109] and len(d32) == 17


def test_validate_command_prints_the_summary(capsys):
    assert main(["validate", "--year", "2019"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Edition 2019: 24th meeting of TDAG - valid"
    rows = {line[:32].strip(): line[32:].strip() for line in out[1:8]}
    counts = load_edition(2019, paths.DATA_DIR).summary()  # with any corrections, as validate counts them
    assert rows == {
        "objectives": str(counts["objectives"]),
        "outcomes": str(counts["outcomes"]),
        "outcome -> SDG links": str(counts["outcome_sdg_links"]),
        "outcome -> Action Line links": str(counts["outcome_action_line_links"]),
        "study groups": str(counts["study_groups"]),
        "questions": str(counts["questions"]),
        "question links": "not published",
    }


def test_missing_column(data_copy: Path):
    rewrite(data_copy / "2019/outcome_sdg.csv", "outcome,sdg,", "outcome,goal,")
    assert problems_of(data_copy) == [f"{data_copy}/2019/outcome_sdg.csv, column 'sdg': required column is missing"]


def test_sdg_18(data_copy: Path):
    rewrite(data_copy / "2019/outcome_sdg.csv", "D.1-1,3,", "D.1-1,18,")
    assert problems_of(data_copy) == [
        f"{data_copy}/2019/outcome_sdg.csv, row 2 (line 3), column 'sdg', value '18': not an SDG (1-17)"
    ]


def test_action_line_c12(data_copy: Path):
    rewrite(data_copy / "2019/outcome_action_line.csv", "D.1-1,C11,", "D.1-1,C12,")
    assert problems_of(data_copy) == [
        f"{data_copy}/2019/outcome_action_line.csv, row 2 (line 3), column 'action_line', value 'C12': "
        "not a WSIS Action Line (C1-C11)"
    ]


def test_duplicate_outcome_id(data_copy: Path):
    path = data_copy / "2019/outcomes.csv"
    path.write_text(path.read_text() + path.read_text().splitlines()[1] + "\n")
    assert problems_of(data_copy) == [
        f"{data_copy}/2019/outcomes.csv, row 17 (line 18), column 'outcome', value 'D.1-1': "
        "duplicate id (ids must be unique)"
    ]


def test_duplicate_link(data_copy: Path):
    path = data_copy / "2019/outcome_sdg.csv"
    path.write_text(path.read_text() + "D.4-4,13,000_b35b5415e02ee5de.txt,Annex 1,128\n")
    assert problems_of(data_copy) == [
        f"{data_copy}/2019/outcome_sdg.csv, row 112 (line 113): "
        "duplicate row: the same outcome 'D.4-4' and sdg '13' as an earlier row (each may appear only once)"
    ]


def test_link_to_unknown_outcome(data_copy: Path):
    rewrite(data_copy / "2019/outcome_action_line.csv", "D.4-4,C7,", "D.4-9,C7,")
    assert problems_of(data_copy) == [
        f"{data_copy}/2019/outcome_action_line.csv, row 53 (line 54), column 'outcome', value 'D.4-9': "
        "not a known outcome (no such row in outcomes)"
    ]


def test_outcome_under_unknown_objective(data_copy: Path):
    rewrite(data_copy / "2019/outcomes.csv", "D.4-4,D.4,", "D.4-4,D.5,")
    assert problems_of(data_copy) == [
        f"{data_copy}/2019/outcomes.csv, row 16 (line 17), column 'objective', value 'D.5': "
        "not a known objective (no such row in objectives)"
    ]


def test_empty_file(data_copy: Path):
    (data_copy / "2019/outcomes.csv").write_text("")
    problems = problems_of(data_copy)
    assert problems[0] == (
        f"{data_copy}/2019/outcomes.csv: file is empty (expected a header: outcome, objective, text, "
        "source_document, annex, source_line)"
    )
    # The links to outcomes are not checked against an unreadable table (every one would be "unknown"): said
    # once a table, not once a link.
    assert problems[1:] == [
        f"{data_copy}/2019/{table}.csv, column 'outcome': not checked against outcomes.csv, which could not be read"
        for table in ("outcome_sdg", "outcome_action_line")
    ]


def test_non_utf8_bytes(data_copy: Path):
    path = data_copy / "2019/questions.csv"
    path.write_bytes(path.read_bytes().replace(b"Q6/2,SG2,ICTs", b"Q6/2,SG2,\xe9ICTs"))
    assert problems_of(data_copy)[0] == (
        f"{data_copy}/2019/questions.csv: not UTF-8 text: byte b'\\xe9' at line 14, offset 2926; save as UTF-8"
    )


def test_all_problems_of_a_file_are_reported_together(data_copy: Path):
    rewrite(data_copy / "2019/outcome_sdg.csv", "D.1-1,3,", "D.1-1,18,")
    rewrite(data_copy / "2019/outcome_sdg.csv", "D.4-4,13,", "D.4-4,0,")
    rewrite(data_copy / "2019/outcome_sdg.csv", "D.4-2,2,", "D.4-2,two,")
    assert [p.split(": ", 1)[1] for p in problems_of(data_copy)] == [
        "not an SDG (1-17)",
        "not an SDG number",
        "not an SDG (1-17)",
    ]


def test_year_with_no_edition_folder(data_copy: Path):
    assert problems_of(data_copy, 1901) == [
        f"{data_copy}/1901: no edition folder for 1901 (editions in {data_copy}: "
        f"{', '.join(paths.available_years(data_copy))})"
    ]


@pytest.mark.parametrize("year", ["../../etc", "2019/../2019", "19", "", "twenty"])
def test_year_argument_that_is_not_a_year(data_copy: Path, year: str):
    assert problems_of(data_copy, year) == [
        f"<year argument>, value {year!r}: not a year (expected four digits such as 2019)"
    ]


def test_question_links_file_contradicting_edition_toml(data_copy: Path):
    (data_copy / "2019/question_sdg.csv").write_text("question,sdg,source_document,annex,source_line\n")
    assert problems_of(data_copy) == [
        f"{data_copy}/2019/question_sdg.csv: file present but edition.toml says question links are 'not published'"
    ]


def test_validate_command_reports_problems_and_fails(data_copy: Path, capsys):
    rewrite(data_copy / "2019/outcome_sdg.csv", "D.1-1,3,", "D.1-1,18,")
    assert main(["validate", "--year", "2019", "--data-dir", str(data_copy)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("itud validate: edition 2019: 1 problem(s) in the data:\n")
    assert "column 'sdg', value '18': not an SDG (1-17)" in err


def test_a_column_the_table_does_not_have_is_an_error_naming_it(data_copy: Path):
    path = data_copy / "2019/outcome_sdg.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0] + ",note", *(line + "," for line in lines[1:])]) + "\n", encoding="utf-8")
    assert problems_of(data_copy) == [
        f"{path}, column 'note': unknown column: the table's columns are outcome, sdg, source_document, annex, "
        "source_line; remove or rename it"
    ]
