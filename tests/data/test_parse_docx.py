"""Word contributions (issue 12): every layout gives exactly the tables of the equivalent plain text.

The .docx files are built in each test with python-docx from an annex written for these tests.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx
import pandas as pd
import pytest
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from itud.cli import main
from itud.data.parse import parse_annexes, parse_file
from itud.errors import AnnexParseError
from tests.conftest import SEED

needs_seed = pytest.mark.skipif(not SEED.exists(), reason="shared/seeds is not beside this checkout")

HEAD = [
    "Contribution body: prose, not data.",
    "ANNEX 1",
    "Test annex title",
    "Objectives",
    "D.1 First: Foster things",
    "D.2 Second: Foster more things",
    "Outcomes",
]
OUTCOMES = [
    [
        "D.1-1: First outcome.",
        "Contributes to achievement of SDG Goals 1, 3 and 17",
        "Contributes to facilitation of implementation of WSIS AL C1 and C11",
    ],
    [
        "D.2-1: Second outcome.",
        "Contributes to achievement of SDG Goals 2 - 4",
        "Contributes to facilitation of implementation of WSIS AL c7",
    ],
]
TAIL = ["ANNEX 2", "SG1: First group"]
TEXT_LINES = HEAD + [line for outcome in OUTCOMES for line in outcome] + TAIL


def _text_tables(lines: list[str] = TEXT_LINES) -> dict[str, pd.DataFrame]:
    return parse_annexes(lines, "annex.docx").tables()


def _save(document, tmp_path: Path, name: str = "annex.docx") -> Path:
    path = tmp_path / name
    document.save(str(path))
    return path


def _paragraphs(document, lines: list[str]) -> None:
    for line in lines:
        document.add_paragraph(line)


def _assert_same_tables_as_text(path: Path, lines: list[str] = TEXT_LINES) -> dict[str, pd.DataFrame]:
    """Every table equals the plain text's, row for row and line for line; only the place differs."""
    tables = parse_file(path).tables()
    expected = _text_tables(lines)
    assert list(tables) == list(expected)
    for name, table in tables.items():
        assert table["source_document"].str.startswith("annex.docx, ").all(), name
        pd.testing.assert_frame_equal(
            table.drop(columns="source_document"), expected[name].drop(columns="source_document")
        )
    return tables


def _places(table: pd.DataFrame) -> list[str]:
    return [value.removeprefix("annex.docx, ") for value in table["source_document"]]


def test_outcomes_as_paragraphs(tmp_path: Path):
    document = docx.Document()
    _paragraphs(document, TEXT_LINES)
    tables = _assert_same_tables_as_text(_save(document, tmp_path))
    assert _places(tables["outcomes"]) == ["paragraph 8", "paragraph 11"]
    assert tables["normalisations"][["source_document", "source_line", "kind"]].values.tolist() == [
        ["annex.docx, paragraph 12", 12, "sdg range expanded"],
        ["annex.docx, paragraph 13", 13, "action_line id normalised"],
    ]


def test_outcomes_in_a_table_one_row_per_outcome(tmp_path: Path):
    document = docx.Document()
    _paragraphs(document, HEAD)
    table = document.add_table(rows=len(OUTCOMES), cols=3)
    for row, outcome in zip(table.rows, OUTCOMES, strict=True):
        for cell, line in zip(row.cells, outcome, strict=True):
            cell.text = line
    _paragraphs(document, TAIL)
    tables = _assert_same_tables_as_text(_save(document, tmp_path))
    assert _places(tables["outcomes"]) == ["table 1, row 1, cell 1", "table 1, row 2, cell 1"]
    assert set(_places(tables["outcome_sdg"])) == {"table 1, row 1, cell 2", "table 1, row 2, cell 2"}
    assert set(_places(tables["outcome_action_line"])) == {"table 1, row 1, cell 3", "table 1, row 2, cell 3"}
    assert _places(tables["study_groups"]) == ["paragraph 9"]  # body paragraphs are counted around the table


def test_outcomes_in_a_table_with_the_link_lines_as_column_headings(tmp_path: Path):
    """outcome | "Contributes to achievement of SDG Goals ..." | "... WSIS AL ...", the cells holding the lists."""
    document = docx.Document()
    _paragraphs(document, HEAD[:-1])
    table = document.add_table(rows=len(OUTCOMES) + 1, cols=3)
    headings = [
        "Outcomes",
        "Contributes to achievement of SDG Goals ...",
        "Contributes to facilitation of implementation of WSIS AL ...",
    ]
    for cell, text in zip(table.rows[0].cells, headings, strict=True):
        cell.text = text
    for row, outcome in zip(table.rows[1:], OUTCOMES, strict=True):
        row.cells[0].text = outcome[0]
        row.cells[1].text = outcome[1].removeprefix("Contributes to achievement of SDG Goals ")
        row.cells[2].text = outcome[2].removeprefix("Contributes to facilitation of implementation of WSIS AL ")
    _paragraphs(document, TAIL)
    parsed = parse_file(_save(document, tmp_path))
    tables, expected = parsed.tables(), _text_tables()
    for name in ("objectives", "outcomes", "outcome_sdg", "outcome_action_line", "study_groups"):
        pd.testing.assert_frame_equal(
            tables[name].drop(columns="source_document"), expected[name].drop(columns="source_document")
        )
    assert _places(tables["outcome_sdg"])[0] == "table 1, row 2, cell 2"
    logged = [(n.line, n.where, n.kind, n.before) for n in parsed.normalisations if "column heading" in n.kind]
    assert logged == [
        (7, "table 1, row 1", "table column headings read", " | ".join(headings)),
        (9, "table 1, row 2, cell 2", "table column heading applied", "1, 3 and 17"),
        (10, "table 1, row 2, cell 3", "table column heading applied", "C1 and C11"),
        (12, "table 1, row 3, cell 2", "table column heading applied", "2 - 4"),
        (13, "table 1, row 3, cell 3", "table column heading applied", "c7"),
    ]


def test_outcomes_in_a_table_one_line_per_cell(tmp_path: Path):
    document = docx.Document()
    _paragraphs(document, HEAD)
    lines = [line for outcome in OUTCOMES for line in outcome]
    table = document.add_table(rows=len(lines), cols=1)
    for row, line in zip(table.rows, lines, strict=True):
        row.cells[0].text = line
    _paragraphs(document, TAIL)
    tables = _assert_same_tables_as_text(_save(document, tmp_path))
    assert _places(tables["outcomes"]) == ["table 1, row 1, cell 1", "table 1, row 4, cell 1"]


def test_outcome_lines_as_paragraphs_of_one_cell(tmp_path: Path):
    document = docx.Document()
    _paragraphs(document, HEAD)
    table = document.add_table(rows=len(OUTCOMES), cols=1)
    for row, outcome in zip(table.rows, OUTCOMES, strict=True):
        cell = row.cells[0]
        cell.text = outcome[0]
        for line in outcome[1:]:
            cell.add_paragraph(line)
    _paragraphs(document, TAIL)
    tables = _assert_same_tables_as_text(_save(document, tmp_path))
    assert _places(tables["outcome_sdg"])[0] == "table 1, row 1, cell 1, paragraph 2"


def test_nested_table(tmp_path: Path):
    document = docx.Document()
    _paragraphs(document, HEAD)
    outer = document.add_table(rows=1, cols=1).rows[0].cells[0]
    inner = outer.add_table(rows=len(OUTCOMES), cols=3)
    outer._tc.remove(outer.paragraphs[0]._p)  # python-docx leaves an empty paragraph before and after it
    for row, outcome in zip(inner.rows, OUTCOMES, strict=True):
        for cell, line in zip(row.cells, outcome, strict=True):
            cell.text = line
    _paragraphs(document, TAIL)
    # A cell ends with a paragraph (Word requires it): an empty line after the nested table.
    lines = HEAD + [line for outcome in OUTCOMES for line in outcome] + [""] + TAIL
    tables = _assert_same_tables_as_text(_save(document, tmp_path), lines)
    assert _places(tables["outcomes"])[1] == "table 1, row 1, cell 1, table 1, row 2, cell 1"


def test_manual_line_breaks_split_lines_and_tabs_are_spaces(tmp_path: Path):
    document = docx.Document()
    _paragraphs(document, HEAD)
    for outcome in OUTCOMES:
        document.add_paragraph("\n".join(outcome).replace(": ", ":\t", 1))  # python-docx writes w:br and w:tab
    _paragraphs(document, TAIL)
    tables = parse_file(_save(document, tmp_path)).tables()
    expected = _text_tables()
    for name in ("objectives", "outcomes", "outcome_sdg", "outcome_action_line", "study_groups"):
        pd.testing.assert_frame_equal(
            tables[name].drop(columns="source_document"), expected[name].drop(columns="source_document")
        )
    assert _places(tables["outcomes"]) == ["paragraph 8, line 1", "paragraph 9, line 1"]
    assert _places(tables["outcome_action_line"])[0] == "paragraph 8, line 3"
    assert tables["outcomes"]["text"].tolist() == ["First outcome.", "Second outcome."]


def _tracked(kind: str, text: str, number: int):
    """A w:ins or w:del holding one run of `text`."""
    change = OxmlElement(f"w:{kind}")
    change.set(qn("w:id"), str(number))
    change.set(qn("w:author"), "Editor")
    run = OxmlElement("w:r")
    piece = OxmlElement("w:delText" if kind == "del" else "w:t")
    piece.text = text
    run.append(piece)
    change.append(run)
    return change


def test_tracked_deletions_are_ignored_and_insertions_read(tmp_path: Path):
    document = docx.Document()
    _paragraphs(document, HEAD)
    document.add_paragraph(OUTCOMES[0][0])
    # A whole line deleted with its paragraph mark: the accepted text has no such line.
    gone = document.add_paragraph()
    gone._p.append(_tracked("del", "D.1-9: A withdrawn outcome.", 1))
    mark = OxmlElement("w:rPr")
    mark.append(_tracked("del", "", 2))
    gone._p.get_or_add_pPr().append(mark)
    # Part of a line replaced: "1, 3[, 4] and 17".
    edited = document.add_paragraph("Contributes to achievement of SDG Goals 1, 3")
    edited._p.append(_tracked("del", ", 4", 3))
    edited._p.append(_tracked("ins", " and 17", 4))
    document.add_paragraph(OUTCOMES[0][2])
    _paragraphs(document, OUTCOMES[1][:2])
    inserted = document.add_paragraph()
    inserted._p.append(_tracked("ins", OUTCOMES[1][2], 5))  # a whole line inserted
    _paragraphs(document, TAIL)
    parsed = parse_file(_save(document, tmp_path))
    tables = parsed.tables()
    expected = _text_tables()
    for name in ("objectives", "outcomes", "outcome_sdg", "outcome_action_line", "study_groups"):
        pd.testing.assert_frame_equal(
            tables[name].drop(columns="source_document"), expected[name].drop(columns="source_document")
        )
    changes = [(n.line, n.kind, n.before, n.after) for n in parsed.normalisations if "tracked" in n.kind]
    assert changes == [
        (9, "tracked changes in the document", "2 insertion(s) read, 3 deletion(s) ignored", "read as if accepted"),
        (
            9,
            "tracked changes accepted",
            "[-D.1-9: A withdrawn outcome.-][-\u00b6-]Contributes to achievement of SDG Goals 1, 3[-, 4-]{+ and 17+}",
            "Contributes to achievement of SDG Goals 1, 3 and 17",
        ),
        (
            13,
            "tracked changes accepted",
            "{+Contributes to facilitation of implementation of WSIS AL c7+}",
            "Contributes to facilitation of implementation of WSIS AL c7",
        ),
    ]


def test_deleted_table_row_is_ignored(tmp_path: Path):
    document = docx.Document()
    _paragraphs(document, HEAD)
    table = document.add_table(rows=len(OUTCOMES) + 1, cols=3)
    rows = [OUTCOMES[0], ["D.1-9: Withdrawn.", "Contributes to achievement of SDG Goals 9", "nonsense"], OUTCOMES[1]]
    for row, outcome in zip(table.rows, rows, strict=True):
        for cell, line in zip(row.cells, outcome, strict=True):
            cell.text = line
    properties = table.rows[1]._tr.get_or_add_trPr()
    properties.append(_tracked("del", "", 1))
    _paragraphs(document, TAIL)
    parsed = parse_file(_save(document, tmp_path))
    assert parsed.outcomes["outcome"].tolist() == ["D.1-1", "D.2-1"]
    assert parsed.normalisations[0].before == "0 insertion(s) read, 1 deletion(s) ignored"


def _text_box_paragraph(document, text: str) -> None:
    """A paragraph whose only text sits in a text box (w:pict), which the parser does not read."""
    run = document.add_paragraph().add_run()
    pict = OxmlElement("w:pict")
    box = OxmlElement("w:txbxContent")
    inner = OxmlElement("w:p")
    inner_run = OxmlElement("w:r")
    piece = OxmlElement("w:t")
    piece.text = text
    inner_run.append(piece)
    inner.append(inner_run)
    box.append(inner)
    pict.append(box)
    run._r.append(pict)


def test_annex_content_that_cannot_be_read_is_an_error(tmp_path: Path):
    document = docx.Document()
    _paragraphs(document, HEAD)
    _text_box_paragraph(document, "\n".join(OUTCOMES[0]))
    for outcome in OUTCOMES[1:]:
        _paragraphs(document, outcome)
    _paragraphs(document, TAIL)
    with pytest.raises(AnnexParseError) as error:
        parse_file(_save(document, tmp_path))
    expected = "paragraph 8: content the parser cannot read: <pict> (a text box, drawing or equation with text)"
    assert f"annex.docx, line 8: {expected}" in str(error.value)


def test_an_embedded_object_in_an_annex_is_an_error(tmp_path: Path):
    document = docx.Document()
    _paragraphs(document, HEAD)
    document.add_paragraph().add_run()._r.append(OxmlElement("w:object"))  # e.g. a pasted spreadsheet
    for outcome in OUTCOMES:
        _paragraphs(document, outcome)
    _paragraphs(document, TAIL)
    with pytest.raises(AnnexParseError) as error:
        parse_file(_save(document, tmp_path))
    assert (
        "annex.docx, line 8: paragraph 8: content the parser cannot read: <object> (an embedded object or document)"
        in str(error.value)
    )


def test_a_picture_in_an_annex_is_logged(tmp_path: Path):
    from PIL import Image

    image = tmp_path / "logo.png"
    Image.new("RGB", (4, 4), "white").save(image)
    document = docx.Document()
    _paragraphs(document, HEAD[:3])
    document.add_picture(str(image))
    _paragraphs(document, HEAD[3:] + [line for outcome in OUTCOMES for line in outcome] + TAIL)
    parsed = parse_file(_save(document, tmp_path))
    assert len(parsed.outcomes) == 2
    assert [(n.line, n.kind, n.before, n.where) for n in parsed.normalisations][:1] == [
        (4, "picture ignored", "<drawing> (a picture)", "paragraph 4")
    ]


def test_a_text_box_outside_the_annexes_is_prose(tmp_path: Path):
    document = docx.Document()
    _text_box_paragraph(document, "Cover page box")
    _paragraphs(document, TEXT_LINES)
    assert len(parse_file(_save(document, tmp_path)).outcomes) == 2


def test_annex_heading_without_outcomes_is_an_error_naming_what_was_found(tmp_path: Path):
    document = docx.Document()
    _paragraphs(document, HEAD + TAIL)
    with pytest.raises(AnnexParseError) as error:
        parse_file(_save(document, tmp_path))
    assert str(error.value).splitlines() == [
        "annex.docx: 1 line(s) could not be read:",
        "  annex.docx, line 2: paragraph 2: Annex 1 has no outcomes read "
        "(found 2 objective(s) or priorit(ies), 0 outcome(s), 1 title line(s)): ''",
    ]


def test_docx_without_an_annex_heading_is_an_error(tmp_path: Path, capsys):
    document = docx.Document()
    _paragraphs(document, ["Just a letter.", "Nothing else."])
    assert main(["parse", str(_save(document, tmp_path)), "--out", str(tmp_path / "out")]) == 1
    assert capsys.readouterr().err == (
        "itud parse: annex.docx: no 'ANNEX 1' heading found (2 line(s) read); is this a TDAG contribution?\n"
    )
    assert not (tmp_path / "out").exists()


def test_problems_in_a_docx_name_the_place(tmp_path: Path):
    document = docx.Document()
    _paragraphs(document, HEAD)
    table = document.add_table(rows=1, cols=3)
    for cell, line in zip(
        table.rows[0].cells, [OUTCOMES[0][0], "Contributes to achievement of SDG Goals 18", OUTCOMES[0][2]], strict=True
    ):
        cell.text = line
    _paragraphs(document, TAIL)
    with pytest.raises(AnnexParseError) as error:
        parse_file(_save(document, tmp_path))
    assert "annex.docx, line 9: table 1, row 1, cell 2: not an SDG (1-17): '18': '18'" in str(error.value)


# --- Files that are not Word documents, and zip bombs (issues 10 and 11) ---------------------------


def _parse_error(path: Path, capsys, *extra: str) -> str:
    assert main(["parse", str(path), "--out", str(path.parent / "out"), *extra]) == 1
    assert not (path.parent / "out").exists()
    return capsys.readouterr().err


def test_corrupt_docx_is_not_a_word_document(tmp_path: Path, capsys):
    document = docx.Document()
    _paragraphs(document, TEXT_LINES)
    path = _save(document, tmp_path)
    path.write_bytes(path.read_bytes()[:2000])
    assert _parse_error(path, capsys) == (
        "itud parse: annex.docx: not a Word document: a .docx is a zip archive and this file is not one\n"
    )


def test_text_named_docx_is_not_a_word_document(tmp_path: Path, capsys):
    path = tmp_path / "annex.docx"
    path.write_text("\n".join(TEXT_LINES), encoding="utf-8")
    assert "annex.docx: not a Word document: a .docx is a zip archive and this file is not one" in _parse_error(
        path, capsys
    )


def test_zip_that_is_not_a_docx(tmp_path: Path, capsys):
    path = tmp_path / "annex.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert _parse_error(path, capsys) == (
        "itud parse: annex.docx: not a Word document: a zip archive without word/document.xml\n"
    )


def test_docx_with_broken_xml(tmp_path: Path, capsys):
    document = docx.Document()
    _paragraphs(document, TEXT_LINES)
    good = _save(document, tmp_path, "good.docx")
    path = tmp_path / "annex.docx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(path, "w") as target:
        for member in source.infolist():
            data = source.read(member)
            target.writestr(member, data[:200] if member.filename == "word/document.xml" else data)
    assert _parse_error(path, capsys).startswith("itud parse: annex.docx: not a readable Word document: ")


def _inflating_docx(path: Path, megabytes: int) -> Path:
    """A real .docx plus a member of `megabytes` MB of zeros (a few hundred kB compressed)."""
    document = docx.Document()
    _paragraphs(document, TEXT_LINES)
    document.save(str(path))
    with (
        zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("word/media/padding.bin", "w", force_zip64=True) as member,
    ):
        for _ in range(megabytes):
            member.write(bytes(1_000_000))
    return path


def test_a_docx_that_inflates_past_the_limit_is_refused_before_reading(tmp_path: Path, capsys):
    path = _inflating_docx(tmp_path / "annex.docx", 201)
    assert path.stat().st_size < 2_000_000
    with zipfile.ZipFile(path) as archive:
        inflated = sum(member.file_size for member in archive.infolist()) / 1_000_000
    assert _parse_error(path, capsys) == (
        f"itud parse: annex.docx: refused: it inflates to {inflated:,.1f} MB when unzipped; the limit is 200 MB; "
        "if the file is genuine, raise it with `itud parse --max-source-mb N` "
        "or the ITUD_MAX_SOURCE_MB environment variable\n"
    )


def test_the_size_limit_can_be_set_by_variable_or_option(tmp_path: Path, capsys, monkeypatch):
    path = _inflating_docx(tmp_path / "annex.docx", 5)
    monkeypatch.setenv("ITUD_MAX_SOURCE_MB", "3")
    assert "MB when unzipped; the limit is 3 MB; if the file is genuine" in _parse_error(path, capsys)
    assert main(["parse", str(path), "--out", str(tmp_path / "out"), "--max-source-mb", "10"]) == 0
    assert len(pd.read_csv(tmp_path / "out" / "outcomes.csv")) == 2
    monkeypatch.setenv("ITUD_MAX_SOURCE_MB", "lots")
    assert (
        _parse_error(tmp_path / "other" / "annex.docx", capsys)
        == "itud parse: ITUD_MAX_SOURCE_MB: not a number of megabytes: 'lots'\n"
    )


# --- The 2019 contribution as Word, Annex 1's outcomes in a table ----------------------------------


def _seed_as_word(tmp_path: Path) -> Path:
    """The seed's lines as paragraphs, except Annex 1's outcomes: a table, one row per outcome,
    its three lines in three cells (outcome | SDG line | WSIS AL line)."""
    lines = SEED.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "Outcomes") + 1
    end = next(i for i, line in enumerate(lines) if line.strip() == "ANNEX 2")
    outcome_lines = [line for line in lines[start:end] if line.strip()]
    rows = [outcome_lines[i : i + 3] for i in range(0, len(outcome_lines), 3)]
    assert all(row[1].startswith("Contributes to achievement") for row in rows)
    document = docx.Document()
    _paragraphs(document, lines[:start])
    table = document.add_table(rows=len(rows), cols=3)
    for row, cells in zip(table.rows, rows, strict=True):
        for cell, line in zip(row.cells, cells, strict=True):
            cell.text = line
    _paragraphs(document, lines[end:])
    return _save(document, tmp_path, "contribution-2019.docx")


@needs_seed
def test_2019_seed_as_word_with_annex_1_in_a_table_gives_the_seed_tables(tmp_path: Path):
    from_word = parse_file(_seed_as_word(tmp_path)).tables()
    from_text = parse_file(SEED).tables()
    counts = {name: len(from_word[name]) for name in ("objectives", "outcomes", "outcome_sdg", "outcome_action_line")}
    assert counts == {"objectives": 4, "outcomes": 16, "outcome_sdg": 111, "outcome_action_line": 53}
    data = {
        "objectives": ["objective", "kind", "short_name", "text", "annex"],
        "outcomes": ["outcome", "objective", "text", "annex"],
        "outcome_sdg": ["outcome", "sdg", "annex"],
        "outcome_action_line": ["outcome", "action_line", "annex"],
        "study_groups": ["study_group", "name", "annex"],
    }
    for name, columns in data.items():
        pd.testing.assert_frame_equal(from_word[name][columns], from_text[name][columns])
    assert from_word["outcomes"]["source_document"].iloc[-1] == "contribution-2019.docx, table 1, row 16, cell 1"
    kinds = lambda tables: tables["normalisations"]["kind"].value_counts().to_dict()  # noqa: E731
    assert kinds(from_word) == kinds(from_text)


@needs_seed
def test_2019_seed_as_word_through_the_command(tmp_path: Path, capsys):
    path = _seed_as_word(tmp_path)
    assert main(["parse", str(path), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "contribution-2019.docx: line 91 (table 1, row 5, cell 1): outcome id normalised: 'D.1.5' -> 'D.1-5'" in out
    assert f"wrote {tmp_path / 'out' / 'outcome_sdg.csv'} (111 rows)" in out
    assert f"wrote {tmp_path / 'out' / 'outcome_action_line.csv'} (53 rows)" in out
