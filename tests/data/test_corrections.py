"""Corrections: links added or removed with their own provenance, after loading; the source's tables untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from itud.cli import main
from itud.data.load import load_edition
from itud.data.schemas import DATE_RULE
from itud.errors import EditionError

HEADER = "action,table,unit,target,reason,authority,date,reference\n"


def correct(data: Path, *rows: str) -> Path:
    path = data / "2090" / "corrections.csv"
    path.write_text(HEADER + "".join(row + "\n" for row in rows), encoding="utf-8")
    return path


def problems(data: Path) -> list[str]:
    with pytest.raises(EditionError) as error:
        load_edition(2090, data)
    return [str(p) for p in error.value.problems]


def test_a_correction_adds_and_removes_links_and_keeps_the_source_tables(synthetic_data):
    plain = load_edition(2090, synthetic_data)
    correct(
        synthetic_data,
        "add,outcome_sdg,P.1-1,SDG 5,SYNTHETIC reason,SYNTHETIC authority,2025-01-02,SYNTHETIC ref",
        "remove,outcome_action_line,P.1-2,c2,SYNTHETIC reason,SYNTHETIC authority,2025-01-02,SYNTHETIC ref",
    )
    edition = load_edition(2090, synthetic_data)
    assert len(edition.outcome_sdg) == len(plain.outcome_sdg) + 1
    assert len(edition.outcome_action_line) == len(plain.outcome_action_line) - 1
    added = edition.outcome_sdg[(edition.outcome_sdg["outcome"] == "P.1-1") & (edition.outcome_sdg["sdg"] == 5)]
    assert added[["source_document", "annex", "source_line"]].values.tolist() == [["corrections.csv", "correction", 2]]
    assert edition.as_published["outcome_sdg"].equals(plain.outcome_sdg)  # what the source says, unchanged
    assert [c.describe() for c in edition.corrections] == ["added: P.1-1 -> SDG 5", "removed: P.1-2 -> Action Line C2"]


def test_corrections_that_do_not_apply_are_errors_naming_the_row(synthetic_data):
    path = correct(
        synthetic_data,
        "add,outcome_sdg,P.1-1,9,already there,SYNTHETIC,2025-01-02,ref",
        "remove,outcome_sdg,P.1-1,1,never there,SYNTHETIC,2025-01-02,ref",
        "add,outcome_sdg,P.9-9,3,no such outcome,SYNTHETIC,2025-01-02,ref",
        "add,outcome_sdg,P.1-1,18,no such goal,SYNTHETIC,2025-01-02,ref",
        "change,outcome_sdg,P.1-1,2,bad action,SYNTHETIC,2 January,ref",
        "add,outcome_sdg,P.1-1,3,no such day,SYNTHETIC,2019-02-30,ref",
        "add,outcome_sdg,P.1-1,4,decided in the future,SYNTHETIC,2999-01-01,ref",
    )
    assert problems(synthetic_data) == [
        f"{path}, row 5 (line 6), column 'action', value 'change': must be one of add, remove",
        f"{path}, row 5 (line 6), column 'date', value '2 January': {DATE_RULE}",
        f"{path}, row 6 (line 7), column 'date', value '2019-02-30': {DATE_RULE}",
        f"{path}, row 7 (line 8), column 'date', value '2999-01-01': {DATE_RULE}",
    ]
    correct(synthetic_data, *[line for line in path.read_text().splitlines()[1:5]])
    assert problems(synthetic_data) == [
        f"{path}, row 1 (line 2), column 'target', value '9': adds a link the table already has (nothing to correct)",
        f"{path}, row 2 (line 3), column 'target', value '1': removes a link the table does not have",
        f"{path}, row 3 (line 4), column 'unit', value 'P.9-9': not a known outcome (no such row in outcomes)",
        f"{path}, row 4 (line 5), column 'target', value '18': not an SDG (1-17)",
    ]


def test_validate_prints_the_corrections(synthetic_data, capsys):
    correct(synthetic_data, "add,outcome_sdg,P.1-1,5,SYNTHETIC reason,SYNTHETIC body,2025-01-02,SYNTHETIC letter")
    assert main(["validate", "--year", "2090", "--data-dir", str(synthetic_data)]) == 0
    out = capsys.readouterr().out
    assert "  1 correction(s) applied (data/2090/corrections.csv; counts above include them):\n" in out
    assert "    [1] added: P.1-1 -> SDG 5 (SYNTHETIC reason; SYNTHETIC body, 2025-01-02; SYNTHETIC letter)" in out


def test_missing_reference_tables_stop_at_that_cause(synthetic_data):
    """A data folder with its own reference/ that lacks the tables: the error names them, not every link."""
    import shutil

    shutil.rmtree(synthetic_data / "reference")
    (synthetic_data / "reference").mkdir()
    assert problems(synthetic_data) == [
        f"{synthetic_data}/reference/{name}.csv: file is missing (table '{name}'); copy it from the project's "
        "data/reference/, or leave out this reference/ folder to use the project's"
        for name in ("sdgs", "action_lines", "c7_sublines", "itu_roles")  # the link audit's tables are optional
    ]


def test_a_data_folder_without_reference_uses_the_projects(synthetic_data):
    import shutil

    shutil.rmtree(synthetic_data / "reference")
    assert load_edition(2090, synthetic_data).files["reference/sdgs"].parent.parent.name == "data"


def test_a_correction_given_twice_is_one_problem_naming_what_it_repeats(synthetic_data):
    row = "add,outcome_sdg,P.1-1,5,SYNTHETIC reason,SYNTHETIC authority,2025-01-02,SYNTHETIC ref"
    path = correct(synthetic_data, row, row)
    assert problems(synthetic_data) == [
        f"{path}, row 2 (line 3): duplicate row: the same table 'outcome_sdg', unit 'P.1-1' and target '5' as an "
        "earlier row (each may appear only once)"
    ]


@pytest.mark.parametrize(
    ("second", "what"),
    [
        ('remove,outcome_sdg,"P.1-1 ","SDG 4"', "undoes"),  # the same link, written otherwise
        ("add,outcome_sdg,p-1-1,SDG Goal 4", "repeats"),
    ],
)
def test_corrections_are_compared_after_their_ids_are_normalised(synthetic_data, second, what):
    tail = ",SYNTHETIC reason,SYNTHETIC authority,2025-01-02,SYNTHETIC ref"
    path = correct(synthetic_data, "add,outcome_sdg,P.1-1,4" + tail, second + tail)
    found = problems(synthetic_data)
    assert len(found) == 1 and found[0].startswith(f"{path}, row 2 (line 3), column 'unit', value ")
    assert found[0].endswith(f": {what} correction 1 (row 1: added: P.1-1 -> SDG 4); one link, one correction")


@pytest.mark.parametrize(
    ("digit", "code"), [("\uff14", "U+FF14 FULLWIDTH DIGIT FOUR"), ("\u0664", "U+0664 ARABIC-INDIC DIGIT FOUR")]
)
def test_a_look_alike_digit_in_a_correction_is_an_error_naming_it(synthetic_data, digit, code):
    path = correct(synthetic_data, f"add,outcome_sdg,P.1-1,{digit},SYNTHETIC reason,SYNTHETIC a,2025-01-02,SYNTHETIC r")
    assert problems(synthetic_data) == [
        f"{path}, row 1 (line 2), column 'target', value {digit!r}: a look-alike digit {digit!r} ({code}); ids "
        "are written in ASCII, digits 0-9"
    ]


def test_year_over_year_tells_changes_in_the_source_from_corrections_and_a_carried_one_changes_nothing(
    synthetic_data,
):
    from itud.analysis import compare
    from itud.report import tables

    plain = compare.changed_links(load_edition(2090, synthetic_data), load_edition(2091, synthetic_data))
    assert set(plain["by"]) == {"the source"}
    row = "add,outcome_sdg,P.1-1,5,SYNTHETIC reason,SYNTHETIC authority,2025-01-02,SYNTHETIC ref"
    correct(synthetic_data, row)  # made in 2090 only
    links = compare.changed_links(load_edition(2090, synthetic_data), load_edition(2091, synthetic_data))
    made = links[links["by"] == "a correction"]
    assert made[["from", "to", "change"]].values.tolist() == [["P.1-1", 5, "lost"]]
    assert links[links["by"] == "the source"].reset_index(drop=True).equals(plain)  # the source's changes as before
    shown = tables.links_gained_and_lost(made)
    assert shown.values.tolist() == [["P.1-1", "SDG 5", "lost", "a correction"]]  # in reader words
    (synthetic_data / "2091" / "corrections.csv").write_text(HEADER + row + "\n", encoding="utf-8")  # carried
    carried = compare.changed_links(load_edition(2090, synthetic_data), load_edition(2091, synthetic_data))
    assert carried.equals(plain)
