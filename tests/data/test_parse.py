"""The annex parser: the seed reproduces data/2019 byte for byte; every typo form is read and logged."""

from __future__ import annotations

from pathlib import Path

import pytest

from itud import paths
from itud.cli import main
from itud.data.parse import parse_annexes, parse_file, write_tables
from itud.errors import AnnexParseError
from tests.conftest import SEED

needs_seed = pytest.mark.skipif(not SEED.exists(), reason="shared/seeds is not beside this checkout")

# An annex written for these tests, with every typo form the 2019 seed has (and a priority kind).
TYPO_ANNEX = """\
Body text that is not data: D.9-9: ignored.
ANNEX 1
Test annex title
\tPriorities
\tD.1 First:  Foster things
\tD-2 Second: Foster more things\t
\tOutcomes
\tD.1.5:  First outcome.
Contributes to achievement of SDG Goals 1 - 17
Contributes to facilitation of implementation of WSIS AL C1 - C11
D-2-1: Second outcome.
Contributes to achievement of SDG Goals  2, 3, and 17<3 trailing spaces>
Contributes to facilitation of implementation of WSIS AL C2 and C6 and C7
D.2-2: Third outcome.
Contributes to achievement of SDG Goals 4 and 4
Contributes to facilitation of implementation of WSIS AL C1,  C9, and C11
ANNEX 2
Annex two title
SG2: Second  group
SG1: First group
""".replace("<3 trailing spaces>", "   ")


def test_typo_annex_tables():
    parsed = parse_annexes(TYPO_ANNEX.splitlines(), "typos.txt")
    assert parsed.objectives[["objective", "kind", "short_name", "text"]].values.tolist() == [
        ["D.1", "priority", "First", "Foster things"],
        ["D.2", "priority", "Second", "Foster more things"],
    ]
    assert parsed.outcomes[["outcome", "objective", "source_line"]].values.tolist() == [
        ["D.1-5", "D.1", 8],
        ["D.2-1", "D.2", 11],
        ["D.2-2", "D.2", 14],
    ]
    sdg = parsed.outcome_sdg.groupby("outcome", sort=False)["sdg"].apply(list).to_dict()
    assert sdg == {"D.1-5": list(range(1, 18)), "D.2-1": [2, 3, 17], "D.2-2": [4]}
    al = parsed.outcome_action_line.groupby("outcome", sort=False)["action_line"].apply(list).to_dict()
    assert al == {"D.1-5": [f"C{n}" for n in range(1, 12)], "D.2-1": ["C2", "C6", "C7"], "D.2-2": ["C1", "C9", "C11"]}
    assert parsed.study_groups[["study_group", "name", "source_line"]].values.tolist() == [
        ["SG1", "First group", 20],
        ["SG2", "Second group", 19],
    ]
    assert parsed.annex_titles == {"Annex 1": "Test annex title", "Annex 2": "Annex two title"}
    assert parsed.question_rows == 0


def test_typo_annex_logs_every_normalisation_with_its_line():
    parsed = parse_annexes(TYPO_ANNEX.splitlines(), "typos.txt")
    assert [(n.line, n.kind, n.before, n.after) for n in parsed.normalisations] == [
        (5, "doubled spaces collapsed", "D.1 First:  Foster things", "D.1 First: Foster things"),
        (6, "trailing spaces removed", "D-2 Second: Foster more things\t", "D-2 Second: Foster more things"),
        (6, "priority id normalised", "D-2", "D.2"),
        (8, "doubled spaces collapsed", "D.1.5:  First outcome.", "D.1.5: First outcome."),
        (8, "outcome id normalised", "D.1.5", "D.1-5"),
        (9, "sdg range expanded", "1 - 17", ", ".join(str(n) for n in range(1, 18))),
        (10, "action_line range expanded", "C1 - C11", ", ".join(f"C{n}" for n in range(1, 12))),
        (11, "outcome id normalised", "D-2-1", "D.2-1"),
        (
            12,
            "trailing spaces removed",
            "Contributes to achievement of SDG Goals  2, 3, and 17   ",
            "Contributes to achievement of SDG Goals  2, 3, and 17",
        ),
        (
            12,
            "doubled spaces collapsed",
            "Contributes to achievement of SDG Goals  2, 3, and 17",
            "Contributes to achievement of SDG Goals 2, 3, and 17",
        ),
        (13, "list joined by 'and' read", "C2 and C6 and C7", "C2 and C6 and C7"),
        (15, "repeated item dropped", "4 and 4", "[4]"),
        (
            16,
            "doubled spaces collapsed",
            "Contributes to facilitation of implementation of WSIS AL C1,  C9, and C11",
            "Contributes to facilitation of implementation of WSIS AL C1, C9, and C11",
        ),
        (19, "doubled spaces collapsed", "SG2: Second  group", "SG2: Second group"),
    ]


def test_unreadable_lines_are_errors_naming_every_line():
    text = TYPO_ANNEX.replace("D.2-2: Third outcome.", "D.2-2 Third outcome without colon").replace(
        "SDG Goals 1 - 17", "SDG Goals 1 - 18"
    )
    with pytest.raises(AnnexParseError) as error:
        parse_annexes(text.splitlines(), "broken.txt")
    message = str(error.value)
    assert message.splitlines()[0] == "broken.txt: 4 line(s) could not be read:"
    assert "broken.txt, line 9: not an SDG (1-17): 18: '1 - 18'" in message
    assert "broken.txt, line 14: not an outcome line ('D.1-1: text') nor an SDG/WSIS AL line" in message
    assert "line 15: sdg line before any outcome" not in message  # belongs to D.2-1, reported as second line
    assert "line 15: second sdg line for outcome D.2-1" in message
    assert "line 16: second action_line line for outcome D.2-1" in message


def test_question_rows_in_annex_2_are_not_guessed():
    with pytest.raises(AnnexParseError) as error:
        parse_annexes((TYPO_ANNEX + "Q1/1: Broadband, SDG 9, C2\n").splitlines(), "q.txt")
    assert "q.txt, line 21: question row in Annex 2: its layout is not known to this parser" in str(error.value)


def test_docx_form_is_read(tmp_path: Path):
    import docx

    document = docx.Document()
    for line in TYPO_ANNEX.splitlines():
        document.add_paragraph(line)
    path = tmp_path / "contribution.docx"
    document.save(str(path))
    parsed = parse_file(path)
    assert len(parsed.outcome_sdg) == 17 + 3 + 1
    assert parsed.source_document == "contribution.docx"


@needs_seed
def test_seed_reproduces_committed_2019_tables_byte_for_byte(tmp_path: Path):
    written = write_tables(parse_file(SEED), tmp_path)
    assert [p.name for p in written] == [
        "objectives.csv",
        "outcomes.csv",
        "outcome_sdg.csv",
        "outcome_action_line.csv",
        "study_groups.csv",
        "normalisations.csv",
    ]
    for path in written:
        assert path.read_bytes() == (paths.DATA_DIR / "2019" / path.name).read_bytes(), path.name


@needs_seed
def test_seed_counts_and_normalisations():
    parsed = parse_file(SEED)
    assert {k: len(v) for k, v in parsed.tables().items()} == {
        "objectives": 4,
        "outcomes": 16,
        "outcome_sdg": 111,
        "outcome_action_line": 53,
        "study_groups": 2,
        "normalisations": 28,
    }
    not_spaces = [(n.line, n.kind, n.before, n.after) for n in parsed.normalisations if "spaces" not in n.kind]
    assert not_spaces == [
        (91, "outcome id normalised", "D.1.5", "D.1-5"),
        (109, "sdg range expanded", "1 - 17", ", ".join(str(n) for n in range(1, 18))),
        (110, "action_line range expanded", "C1 - C11", ", ".join(f"C{n}" for n in range(1, 12))),
        (118, "outcome id normalised", "D-4-1", "D.4-1"),
        (120, "list joined by 'and' read", "C2 and C6 and C7", "C2 and C6 and C7"),
    ]
    doubled = [n.line for n in parsed.normalisations if n.kind == "doubled spaces collapsed"]
    assert doubled == [74, 79, 97, 118, 122, 136]
    trailing = [n.line for n in parsed.normalisations if n.kind == "trailing spaces removed"]
    assert trailing == [70, 74, 75, 76, 83, 87, 90, 95, 102, 105, 109, 110, 111, 114, 119, 127, 134]


@needs_seed
def test_parse_command_prints_normalisations(tmp_path: Path, capsys):
    assert main(["parse", str(SEED), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "000_b35b5415e02ee5de.txt: line 91: outcome id normalised: 'D.1.5' -> 'D.1-5'" in out
    assert "28 normalisation(s) made" in out
    assert f"wrote {tmp_path / 'outcome_sdg.csv'} (111 rows)" in out
    assert "Annex 2: no question rows in 000_b35b5415e02ee5de.txt: set question_links.status = 'not published'" in out


def test_parse_command_refuses_a_bad_year(capsys):
    with pytest.raises(SystemExit) as error:
        main(["parse", "x.txt", "--year", "../../etc"])
    assert "not a year: '../../etc'" in str(error.value)


def test_a_failed_parse_names_no_staging_folder(tmp_path, monkeypatch):
    """The tables are checked in a staging folder that is removed before the message is read: a message
    that named a file there names the table alone."""
    from itud.data import load, parse
    from itud.errors import EditionError, Problem

    real = load.load_tables

    def naming_the_staging_file(folder, tables, known, problems):
        real(folder, tables, known, problems)
        if any(t.name == "outcomes" for t in tables):
            problems.append(Problem(str(folder / "outcomes.csv"), f"could not be read ({folder}/outcomes.csv: x)"))

    monkeypatch.setattr(load, "load_tables", naming_the_staging_file)
    with pytest.raises(EditionError) as error:
        parse.write_tables(parse_annexes(TYPO_ANNEX.splitlines(), "typos.txt"), tmp_path / "2090")
    assert parse.STAGING_PREFIX not in str(error.value) and "could not be read (outcomes.csv: x)" in str(error.value)
    assert not (tmp_path / "2090").exists()
