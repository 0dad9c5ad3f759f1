"""Editions of any size: a table longer than the documents print (`document.PRINTED_ROWS`) is cut in the HTML,
the page the PDF is printed from and the Word document, with a sentence naming the workbook sheet that holds
every row; the workbook and the CSV keep them all. Built without kernels, from a small SYNTHETIC edition and a
lowered limit (the `printed_rows` parameter), not from a slow build of a huge edition."""

from __future__ import annotations

import csv
import json
import re
import shutil
import zipfile
from pathlib import Path

import docx
from markupsafe import escape

from itud import paths
from itud.analysis import coverage, figures
from itud.data.load import load_edition
from itud.report import document, render, results
from itud.report.results import NotebookResults
from tests.synthetic_editions import write_edition

LIMIT = 10  # lowered for the test: the figure of outcomes per SDG has 17 rows of numbers
SENTENCE = ("Only its first 10 of 17 rows are printed here; all its numbers are, one row per value, in the "
            "workbook's sheet “figure-1” (and in tables/figure-1.csv).")  # fmt: skip


def _edition_with_one_figure(tmp_path: Path):
    """A SYNTHETIC edition of 60 outcomes, its figure of outcomes per SDG saved as a notebook saves it, and
    sections that place it and give its numbers their appendix (the project's own appendix template)."""
    data = tmp_path / "data"
    write_edition(data, 2095, 60)
    edition = load_edition(2095, data)
    out = tmp_path / "out"
    notebook = NotebookResults("02-synthetic-figures", edition, out)
    drawn = notebook.figure(figures.per_sdg(edition, coverage.outcome_mapping(edition)), section="coverage")
    notebook.write()
    sections = tmp_path / "sections"
    sections.mkdir()
    (sections / "20-coverage.md.j2").write_text(f"# Coverage\n\n{{{{ figure('{drawn.name}') }}}}\n")
    shutil.copy(paths.SECTIONS_DIR / "97-appendix-figure-data.md.j2", sections)
    return out, sections, drawn


def _build(out: Path, sections: Path, **limit) -> document.Document:
    meta = {"year": 2095, "synthetic": True, "report": {"title": "SYNTHETIC report"}}
    return document.build(results.read_all(out), meta, out / "figures", sections_dir=sections, **limit)


def test_a_long_figure_data_table_is_cut_in_the_documents_and_its_sheet_keeps_every_row(tmp_path):
    out, sections, drawn = _edition_with_one_figure(tmp_path)
    assert len(drawn.data) == 17 > LIMIT
    doc = _build(out, sections, printed_rows=LIMIT)
    [table] = doc.tables()
    assert len(table.rows) == LIMIT and table.total_rows == 17 and table.sheet == "figure-1"
    assert table.caption.endswith(SENTENCE)
    assert table.rows == [list(row) for row in drawn.data.astype(object).values.tolist()][:LIMIT]

    for page in (render.html(doc), render.html(doc, for_print=True)):  # read on screen; printed as the PDF
        body = re.search(rf'<table class="data" id="{table.label}">(.*?)</table>', page, re.S)[1]
        assert len(re.findall(r"<tr[ >]", body)) == 1 + LIMIT  # the header row and the rows printed
        assert str(escape(SENTENCE)) in page  # in the caption, as HTML writes the apostrophe
    word = docx.Document(str(render.write_docx(doc, tmp_path / "report.docx")))
    [printed] = [t for t in word.tables if [c.text for c in t.rows[0].cells] == table.columns]
    assert len(printed.rows) == 1 + LIMIT
    assert any(SENTENCE in paragraph.text for paragraph in word.paragraphs)

    # the workbook's sheet and the CSV hold every value the figure draws, one row each
    values = drawn.values if drawn.values is not None else drawn.data  # as the notebook saves them
    assert len(values) >= 17 and {str(v) for v in values.iloc[:, 0]} == {str(n) for n in range(1, 18)}
    workbook = zipfile.ZipFile(render.write_xlsx(doc, tmp_path / "tables.xlsx"))
    names = re.findall(r'<sheet name="([^"]+)"', workbook.read("xl/workbook.xml").decode())
    sheet = workbook.read(f"xl/worksheets/sheet{names.index('figure-1') + 1}.xml").decode()
    assert len(re.findall(r"<row ", sheet)) == 1 + len(values)
    csv_files = render.write_tables_csv(doc, tmp_path / "tables")
    [figure_csv] = [path for path in csv_files if path.name == "figure-1.csv"]
    with figure_csv.open(encoding="utf-8-sig") as handle:
        lines = list(csv.reader(handle))
    assert len(lines) == 1 + len(values) and {line[0] for line in lines[1:]} == {str(n) for n in range(1, 18)}


def test_the_default_limit_cuts_nothing_of_this_size_and_a_table_no_sheet_holds_is_printed_whole(tmp_path):
    out, sections, _ = _edition_with_one_figure(tmp_path)
    assert document.PRINTED_ROWS > 28  # the longest table 2019 prints has 28 rows: 2019 is never cut
    [table] = _build(out, sections).tables()
    assert len(table.rows) == 17 and table.total_rows is None and "Only its first" not in table.caption

    # a notebook's table is cut only when a sheet of the same label holds its rows
    rows = [[f"P.1-{n}", n] for n in range(1, 31)]
    payload = {"notebook": "07-synthetic-tables", "year": 2095, "figures": [], "numbers": {},
               "tables": [{"label": label, "section": "coverage", "caption": f"SYNTHETIC {label}",
                           "columns": ["outcome", "SDG"], "rows": rows} for label in ("in-sheet", "alone")],
               "sheets": [{"label": "in-sheet", "title": "SYNTHETIC", "description": "one row per link",
                           "data": {"columns": ["outcome", "SDG"], "rows": rows}}]}  # fmt: skip
    (out / "results" / "07-synthetic-tables.json").write_text(json.dumps(payload))
    (sections / "20-coverage.md.j2").write_text(
        "# Coverage\n\n{{ figure('outcomes-per-sdg') }}\n\n{{ table('in-sheet') }}\n\n{{ table('alone') }}\n"
    )
    doc = _build(out, sections, printed_rows=LIMIT)
    cut = {t.label: t for t in doc.tables()}
    assert len(cut["in-sheet"].rows) == LIMIT and cut["in-sheet"].caption == (
        "SYNTHETIC in-sheet. Only its first 10 of 30 rows are printed here; every row is in the workbook's sheet "
        "“in-sheet” (and in tables/in-sheet.csv)."
    )
    assert len(cut["alone"].rows) == 30 and cut["alone"].caption == "SYNTHETIC alone"  # complete: no sheet has it


def test_annex_1_of_more_outcomes_than_a_printed_table_holds_is_one_table_whose_sheet_keeps_every_row(tmp_path):
    from itud.report import tables

    write_edition(tmp_path, 2095, document.PRINTED_ROWS + 50)  # 250 outcomes under 10 priorities
    edition = load_edition(2095, tmp_path)
    mapping = coverage.outcome_mapping(edition)
    [table] = tables.outcomes_per_parent(edition, mapping)
    assert table.label == tables.ALL_OUTCOMES and len(table.frame) == len(edition.outcomes)
    assert table.caption == f"Outcomes of all {len(edition.objectives)} priorities"
    assert list(table.frame["Outcome"]) == list(coverage.coverage_by_unit(mapping).index)
    assert set(table.frame["Priority"]) == set(edition.outcomes["objective"])
    assert tables.all_outcomes_sheet([table]) is table.frame  # the sheet the documents name where they cut it

    write_edition(tmp_path, 2096, 60)  # few enough to print: one table per priority, no sheet of its own
    small = load_edition(2096, tmp_path)
    per_priority = tables.outcomes_per_parent(small, coverage.outcome_mapping(small))
    assert [t.label for t in per_priority] == [f"outcomes-{o.lower().replace('.', '-')}" for o in
                                               small.objectives["objective"]][: len(per_priority)]
    assert sum(len(t.frame) for t in per_priority) == 60 and tables.all_outcomes_sheet(per_priority) is None
