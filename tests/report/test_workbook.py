"""The workbook and its CSVs for a statistician: a codes sheet naming every SDG and Action Line, one missing-value
rule (an empty cell is a value not given; a real none is written), the licence and the reference period on the
notes sheet, and one header convention (sentence case) across sheets."""

from __future__ import annotations

import copy
import csv
import re
import zipfile
from pathlib import Path

import pytest

from itud import paths
from itud.analysis import coverage, figures
from itud.data import ids
from itud.data.load import Edition, load_edition
from itud.report import render, sheets
from itud.report.document import Document, Sheet
from itud.report.results import DataTable


@pytest.fixture(scope="module")
def edition() -> Edition:
    return load_edition(2019, paths.DATA_DIR)  # read only


def _document(*tables: Sheet, notes: list[tuple[str, str]] | None = None) -> Document:
    return Document(
        year=2090, synthetic=True, header=[], title="SYNTHETIC report", summary="", action_required="",
        references=[], sections=[], annexes=[], colophon="", sheets=list(tables),
        notes=notes if notes is not None else [("Report", "SYNTHETIC report"), ("Licence", ids.NOT_GIVEN),
                                               ("Empty cells", "a value the source does not give"),
                                               ("Made by", "itud")],
    )  # fmt: skip


def _sheet(label: str, columns: list[str], rows: list[list]) -> Sheet:
    return Sheet(label, f"Title {label}", "one row per SYNTHETIC thing", DataTable(columns=columns, rows=rows))


def _notes_sheet(rows: list[list[str]]) -> Sheet:
    return _sheet(sheets.NOTES, ["item", "value"], rows)


def _csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


# --- The codes sheet ---------------------------------------------------------------------------------


def test_codes_name_every_sdg_action_line_and_c7_sub_line_with_the_source_of_each_name(edition):
    table = sheets.codes(edition)
    assert list(table.columns) == ["kind", "code", "position", "name", "name status", "source of the name"]
    assert table["kind"].value_counts().to_dict() == {"SDG": 17, "Action Line": 11, "C7 sub-line": 8}
    sdgs = table[table["kind"] == "SDG"]
    assert list(sdgs["code"]) == list(range(1, 18))  # numbers, as the SDG column of every other sheet
    assert list(sdgs["name"]) == list(edition.sdgs["short_name"])
    assert list(sdgs["source of the name"]) == list(edition.sdgs["source"])
    lines = table[table["kind"] == "Action Line"]
    assert list(lines["code"]) == [f"C{n}" for n in range(1, 12)] == list(edition.action_lines["action_line"])
    assert list(lines["name"]) == list(edition.action_lines["name"])
    assert list(lines["source of the name"]) == list(edition.action_lines["source"])
    sub = table[table["kind"] == "C7 sub-line"]
    assert set(sub["code"]) == {"C7"} and list(sub["position"]) == list(range(1, 9))
    assert list(sub["name"]) == list(edition.c7_sublines.sort_values("position")["name"])
    assert table.notna().all().all()  # no empty cell: every name and source is given


# --- The notes: reference period, licence, missing values -----------------------------------------------


def test_reference_period_is_the_edition_s_strategic_plan_and_study_period_and_says_what_is_not_given(edition):
    assert sheets.reference_period(edition.meta) == (
        "objectives and outcomes: ITU Strategic Plan 2020-2023; study groups and questions: study period "
        "2018-2021 (edition.toml)"
    )
    assert sheets.reference_period({"year": 2090}) == (
        "objectives and outcomes: strategic plan not given; study groups and questions: study period not given "
        "(edition.toml)"
    )


def test_licence_is_not_given_unless_edition_toml_states_one_and_quotes_the_sdg_texts_licence(edition):
    stated = sheets.licence(edition)
    assert stated.startswith("not given: neither edition.toml nor the repository states a licence")
    assert "pyproject.toml declares MIT for the itud-wsis-report Python package" in stated
    assert f"“{edition.reference_provenance.licence}”" in stated and edition.reference_provenance.repository in stated
    given = copy.copy(edition)
    given.meta = {**edition.meta, "report": {**edition.meta["report"], "licence": "SYNTHETIC licence 1.0"}}
    assert sheets.licence(given).startswith("SYNTHETIC licence 1.0. The SDG goal titles")


def test_notes_declare_reference_period_licence_empty_cells_and_codes(edition):
    notes = dict(sheets.notes(edition).itertuples(index=False))
    assert list(notes) == ["Reference period", "Licence", "Empty cells", "Codes"]
    assert notes["Empty cells"] == sheets.MISSING_VALUES
    assert notes["Empty cells"].startswith("an empty cell is a value not given")


def test_notes_sheet_merges_the_declared_notes_and_the_notes_sheet_is_no_table(tmp_path):
    declared = _notes_sheet([["Licence", "SYNTHETIC licence"], ["Empty cells", "SYNTHETIC rule"],
                             ["Reference period", "SYNTHETIC 2090-2093"]])  # fmt: skip
    doc = _document(_sheet("links", ["outcome", "SDG"], [["P.1-1", 3]]), declared)
    assert render.workbook_notes(doc) == [
        ("Report", "SYNTHETIC report"), ("Licence", "SYNTHETIC licence"), ("Empty cells", "SYNTHETIC rule"),
        ("Reference period", "SYNTHETIC 2090-2093"), ("Made by", "itud"),
    ]  # fmt: skip
    workbook = zipfile.ZipFile(render.write_xlsx(doc, tmp_path / "tables.xlsx"))
    assert re.findall(r'<sheet name="([^"]+)"', workbook.read("xl/workbook.xml").decode()) == ["notes", "links"]
    strings = workbook.read("xl/sharedStrings.xml").decode()
    assert "SYNTHETIC licence" in strings and "SYNTHETIC 2090-2093" in strings
    assert "a value the source does not give" not in strings and ">not given<" not in strings
    written = render.write_tables_csv(doc, tmp_path / "tables")
    assert [p.name for p in written] == ["links.csv", "notes.csv"]
    assert _csv(tmp_path / "tables" / "notes.csv")[0] == ["Item", "Value"]
    assert ["Reference period", "SYNTHETIC 2090-2093"] in _csv(tmp_path / "tables" / "notes.csv")


def test_without_declared_notes_the_document_s_notes_are_written_as_they_are(tmp_path):
    doc = _document(_sheet("links", ["outcome", "SDG"], [["P.1-1", 3]]))
    assert render.workbook_notes(doc) == doc.notes
    render.write_tables_csv(doc, tmp_path / "tables")
    assert _csv(tmp_path / "tables" / "notes.csv")[1:] == [list(item) for item in doc.notes]


# --- One missing-value rule, one header convention -----------------------------------------------------


def test_an_empty_cell_is_a_value_not_given_and_an_empty_list_is_written_none(tmp_path):
    rows = [["P.1-1", ["water", "energy"], None], ["P.1-2", [], 0], ["P.1-3", ids.NOT_PUBLISHED, 2]]
    doc = _document(_sheet("words", ["outcome", "shared words", "links"], rows))
    render.write_tables_csv(doc, tmp_path)
    assert _csv(tmp_path / "words.csv")[1:] == [["P.1-1", "water, energy", ""], ["P.1-2", "none", "0"],
                                                ["P.1-3", "", "2"]]  # fmt: skip
    sheet = zipfile.ZipFile(render.write_xlsx(doc, tmp_path / "t.xlsx")).read("xl/worksheets/sheet2.xml").decode()
    assert '<c r="C2"' not in sheet and '<c r="B4"' not in sheet  # not given: no cell at all
    assert re.search(r'<c r="C3"( s="\d+")?><v>0</v></c>', sheet)  # a real zero is a number


def test_headers_are_in_sentence_case_in_every_sheet_and_csv(tmp_path):
    doc = _document(
        _sheet("coverage", ["objective", "outcomes", "SDG links", "share of the SDGs reached"], [["P.1", 2, 3, 0.5]]),
        _sheet("changes", ["Outcome or question", "Linked to"], [["P.1-1", "SDG 5"]]),
        _sheet("roles", ["ITU's role", "% of the objective's outcomes linked"], [["partner", 50.0]]),
    )
    render.write_tables_csv(doc, tmp_path)
    assert _csv(tmp_path / "coverage.csv")[0] == ["Objective", "Outcomes", "SDG links", "Share of the SDGs reached"]
    assert _csv(tmp_path / "changes.csv")[0] == ["Outcome or question", "Linked to"]  # already so: unchanged
    assert _csv(tmp_path / "roles.csv")[0] == ["ITU's role", "% of the objective's outcomes linked"]
    workbook = zipfile.ZipFile(render.write_xlsx(doc, tmp_path / "t.xlsx"))
    table = workbook.read("xl/tables/table1.xml").decode()
    assert re.findall(r'<tableColumn id="\d+" name="([^"]+)"', table) == [
        "Objective", "Outcomes", "SDG links", "Share of the SDGs reached"]  # fmt: skip
    styles = workbook.read("xl/styles.xml").decode()
    assert 'formatCode="0.0%"' in styles  # a share is still shown as a percentage


def test_objective_by_sdg_figure_values_say_what_they_count(edition):
    mapping = coverage.outcome_mapping(edition)
    figure = figures.group_by_sdg(edition, mapping)
    assert list(figure.values.columns) == ["objective", "SDG", "outcomes of the objective linked to the SDG"]
    # its cells are the outcomes of the row's objective linked to the column's SDG
    links = mapping.linked("sdg")
    counts = {(o, int(s)): n for (o, s), n in links.groupby(["objective", "sdg"]).size().items()}
    values = {(o, int(s)): int(n) for o, s, n in figure.values.itertuples(index=False)}
    assert {key: n for key, n in values.items() if n} == counts and len(values) == 4 * 17
    pair = figures.sdg_by_action_line(edition, mapping)
    assert list(pair.values.columns) == ["SDG", "Action Line", "outcomes linked to both"]
