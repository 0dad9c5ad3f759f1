"""The report's assembly without kernels: notebook-declared items placed by section templates, references
numbered after layout, the typed results contract, grammar helpers, and the table exports (xlsx, CSV)."""

from __future__ import annotations

import ast
import csv
import json
import re
import zipfile
from pathlib import Path

import pytest

from itud import paths
from itud.data import ids
from itud.report import document, render, results
from itud.report.document import FigureBlock, Paragraph, ReportError, TableBlock, UnplacedItemWarning
from itud.report.results import ResultsError

META = {"year": 2090, "synthetic": True, "report": {"title": "SYNTHETIC report"}}


def _figure(label: str, section: str = "coverage") -> dict:
    return {"label": label, "section": section, "title": f"Title {label}", "caption": f"Caption {label}",
            "svg": f"{label}.svg", "png": f"{label}.png"}  # fmt: skip


def _table(label: str, section: str = "coverage", **extra) -> dict:
    return {"label": label, "section": section, "caption": f"Caption {label}", "columns": ["Goal", "Outcomes"],
            "rows": [["SDG 1", 3], ["SDG 2", {"not_published": True}]], **extra}  # fmt: skip


def _results(folder: Path, notebook: str = "02-analysis", figures=(), tables=(), numbers=None) -> Path:
    """A results/<notebook>.json as a notebook writes it (SYNTHETIC), plus empty figure files."""
    (folder / "results").mkdir(parents=True, exist_ok=True)
    (folder / "figures").mkdir(exist_ok=True)
    for figure in figures:
        (folder / "figures" / figure["svg"]).write_text("<svg/>")
    payload = {"notebook": notebook, "year": 2090, "figures": list(figures), "tables": list(tables),
               "numbers": numbers if numbers is not None else {"reached": 3, "blanket": ["P.1-1"]}}  # fmt: skip
    (folder / "results" / f"{notebook}.json").write_text(json.dumps(payload))
    return folder


def _sections(folder: Path, **templates: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in templates.items():
        (folder / f"{name.replace('_', '-')}.md.j2").write_text(text)
    return folder


COVERAGE = """{% set a = notebook("02-analysis") %}
# Coverage

{{ para("intro") }}The outcomes reach {{ plural(a.reached, "SDG") }} ({{ refs("one", "two") }}).

{{ figure("one") }}
{{ figure("two") }}

See {{ ref("intro") }} and {{ ref("tab") }}.

{{ table("tab") }}
"""


def _build(tmp_path: Path, sections: dict[str, str], **items) -> document.Document:
    out = _results(tmp_path / "out", **items)
    return document.build(
        results.read_all(out), META, out / "figures", sections_dir=_sections(tmp_path / "s", **sections)
    )


def _blocks(doc: document.Document) -> list:
    return [b for part in doc.sections + doc.annexes for b in part.blocks]


def test_templates_place_items_and_references_are_numbered_after_layout(tmp_path):
    doc = _build(tmp_path, {"20_coverage": COVERAGE}, figures=[_figure("one"), _figure("two")], tables=[_table("tab")])
    paragraphs = [b for b in _blocks(doc) if isinstance(b, Paragraph)]
    assert paragraphs[0].text == "The outcomes reach 3 SDGs (Figures 1 and 2)."
    assert paragraphs[1].text == "See paragraph 1 and Table 1."
    assert [(type(b).__name__, b.number) for b in _blocks(doc)] == [
        ("Paragraph", 1), ("FigureBlock", 1), ("FigureBlock", 2), ("Paragraph", 2), ("TableBlock", 1),
    ]  # fmt: skip


def test_an_earlier_figure_renumbers_every_later_reference(tmp_path):
    """One more figure declared by a notebook for an earlier section: the later ones and their references move."""
    earlier = "# Introduction\n\nFirst section.\n"
    items = {
        "figures": [_figure("new", section="introduction"), _figure("one"), _figure("two")],
        "tables": [_table("tab")],
    }
    with pytest.warns(
        UnplacedItemWarning, match=r"notebook 02-analysis: figure 'new' is not placed by .*10-introduction"
    ):
        doc = _build(tmp_path, {"10_introduction": earlier, "20_coverage": COVERAGE}, **items)
    figures = [b for b in _blocks(doc) if isinstance(b, FigureBlock)]
    assert [(f.label, f.number) for f in figures] == [("new", 1), ("one", 2), ("two", 3)]
    assert doc.sections[0].blocks[-1].label == "new"  # placed at the end of its own section
    assert doc.sections[1].blocks[0].text == "The outcomes reach 3 SDGs (Figures 2 and 3)."


def test_template_placing_an_item_no_notebook_produced_names_the_template_and_label(tmp_path):
    text = "# Coverage\n\n{{ figure('missing-figure') }}\n"
    with pytest.raises(ReportError, match=r"20-coverage\.md\.j2: places figure 'missing-figure', which no notebook "
                                          r"produced \(figures produced: 02-analysis: one\)"):  # fmt: skip
        _build(tmp_path, {"20_coverage": text}, figures=[_figure("one")])


def test_reference_to_an_unknown_label_names_the_template(tmp_path):
    text = "# Coverage\n\nSee {{ ref('nowhere') }}.\n\n{{ figure('one') }}\n"
    with pytest.raises(ReportError, match=r"20-coverage\.md\.j2: refers to 'nowhere', which no notebook produced"):
        _build(tmp_path, {"20_coverage": text}, figures=[_figure("one")])


def test_missing_key_number_names_the_notebook_and_the_label(tmp_path):
    text = '# Coverage\n\n{{ notebook("02-analysis").pairs_linked }} pairs.\n'
    with pytest.raises(ReportError, match=r"key number 'pairs_linked' of notebook 02-analysis, which the notebook did "
                                          r"not declare"):  # fmt: skip
        _build(tmp_path, {"20_coverage": text})


def test_item_for_an_unknown_section_is_an_error(tmp_path):
    with pytest.raises(ReportError, match=r"notebook 02-analysis: figure 'one' is for section 'nowhere', which no "
                                          r"template has \(sections: coverage\)"):  # fmt: skip
        _build(tmp_path, {"20_coverage": "# Coverage\n\nText.\n"}, figures=[_figure("one", section="nowhere")])


def test_edition_override_replaces_a_section_and_adds_its_own(tmp_path):
    edition = tmp_path / "data" / "2090"
    _sections(edition / "report", **{"20_coverage": "# Coverage, this edition's words\n\nOwn text.\n",
                                     "15_narrative": "# Background\n\nThe edition's narrative.\n"})  # fmt: skip
    out = _results(tmp_path / "out")
    doc = document.build(results.read_all(out), META, out / "figures", edition_dir=edition,
                         sections_dir=_sections(tmp_path / "s", **{"20_coverage": COVERAGE}))  # fmt: skip
    assert [s.title for s in doc.sections] == ["Background", "Coverage, this edition's words"]
    assert [b.number for b in _blocks(doc)] == [1, 2]


def test_text_from_data_is_not_markdown(tmp_path):
    out = _results(tmp_path / "out", numbers={"name": "*not bold* <b>x</b> [link](y) # no heading"})
    sections = _sections(tmp_path / "s", **{"20_coverage": '# C\n\n{{ notebook("02-analysis").name }}\n'})
    doc = document.build(results.read_all(out), META, out / "figures", sections_dir=sections)
    assert doc.sections[0].blocks[0].text == "*not bold* <b>x</b> [link](y) # no heading"


def test_unnumbered_sections_and_bold_lead_ins(tmp_path):
    text = "<!-- paragraphs: unnumbered -->\n# Method\n\n**Source.** Read from the copy.\n\n- one\n- two\n"
    doc = _build(tmp_path, {"60_method": text})
    assert [(b.lead, b.text, b.number) for b in doc.sections[0].blocks] == [
        ("Source.", "Read from the copy.", None), ("", "one", None), ("", "two", None),
    ]  # fmt: skip


def test_revision_block_and_corrections_reach_the_templates(tmp_path):
    text = ("{% if revision %}# Changes in this revision\n\n{% for c in revision.changes %}- {{ c }}\n{% endfor %}"
            "{% endif %}")  # fmt: skip
    method = "# Method\n\n{{ plural(corrections, 'correction') }}: {{ listing(corrections) }}.\n"
    out = _results(tmp_path / "out")
    sections = _sections(tmp_path / "s", **{"05_changes": text, "60_method": method})
    plain = document.build(results.read_all(out), META, out / "figures", sections_dir=sections)
    assert [s.title for s in plain.sections] == ["Method"] and plain.revision == ""
    assert plain.sections[0].blocks[0].text == "0 corrections: nothing."
    revised = document.build(results.read_all(out), META, out / "figures", sections_dir=sections,
                             revision={"number": 1, "of": "TDAG-90/1", "changes": ["Link D.2-1 -> SDG 4 added."]},
                             corrections=["D.2-1 -> SDG 4 added"])  # fmt: skip
    assert revised.revision == "Revision 1 to Document TDAG-90/1"
    assert [b.text for b in revised.sections[0].blocks] == ["Link D.2-1 -> SDG 4 added."]
    assert revised.sections[1].blocks[0].text == "1 correction: D.2-1 -> SDG 4 added."


def test_a_mark_follows_the_item_of_a_list_it_is_about_and_two_marks_in_a_cell_both_show(tmp_path):
    rows = [["P.1-1", "1, 3, 4 and 17"], ["P.1-2", "1-17 (all)"]]
    marks = [
        {"row": 0, "column": "Outcomes", "note": "SDG 4 added.", "item": "4"},
        {"row": 0, "column": "Outcomes", "note": "SDG 2 removed.", "item": ""},  # no longer listed: at the end
        {"row": 1, "column": "Outcomes", "note": "SDG 1 added.", "item": "1"},  # not in "1-17 (all)" as an item
    ]
    template = {"20_coverage": "# C\n\n{{ table('tab') }}\n"}
    doc = _build(tmp_path, template, tables=[_table("tab", rows=rows, marks=marks)])
    table = doc.tables()[0]
    assert table.text_rows() == [["P.1-1", "1, 3, 4a and 17b"], ["P.1-2", "1-17 (all)c"]]
    assert table.notes == ["a SDG 4 added.", "b SDG 2 removed.", "c SDG 1 added."]
    assert '<td>1, 3, 4<sup class="mark">a</sup> and 17<sup class="mark">b</sup></td>' in render.html(doc)


def test_per_cell_footnote_marks_are_printed_under_the_table(tmp_path):
    marked = _table("tab", marks=[{"row": 0, "column": "Outcomes", "note": "Corrected: see the method note."}])
    doc = _build(tmp_path, {"20_coverage": "# C\n\n{{ table('tab') }}\n"}, tables=[marked])
    table = doc.tables()[0]
    assert table.text_rows() == [["SDG 1", "3a"], ["SDG 2", "not available"]]
    assert table.notes == ["a Corrected: see the method note."]
    assert "a Corrected: see the method note." in render.html(doc)


def test_a_footnote_mark_is_a_superscript_beside_its_cell_not_part_of_the_number(tmp_path):
    import zipfile

    marked = _table("tab", marks=[{"row": 0, "column": "Outcomes", "note": "Corrected: see the method note."}])
    doc = _build(tmp_path, {"20_coverage": "# C\n\n{{ table('tab') }}\n"}, tables=[marked])
    assert '<td>3<sup class="mark">a</sup></td>' in render.html(doc)  # "3" with mark a, not "3a"
    xml = zipfile.ZipFile(render.write_docx(doc, tmp_path / "t.docx")).read("word/document.xml").decode()
    assert '<w:vertAlign w:val="superscript"/></w:rPr><w:t>a</w:t>' in xml


# --- the typed contract ------------------------------------------------------------------------


def test_ill_typed_item_names_notebook_item_and_expectation(tmp_path):
    out = _results(tmp_path / "out", tables=[{**_table("tab"), "rows": [["SDG 1"]]}])
    with pytest.raises(ResultsError, match=r"notebook 02-analysis: results/02-analysis\.json 'tables\.0': Value error, "
                                           r"row 1 has 1 cells for 2 columns"):  # fmt: skip
        results.read_all(out)


def test_missing_field_of_a_figure_is_named(tmp_path):
    figure = _figure("one")
    del figure["caption"]
    with pytest.raises(ResultsError, match=r"notebook 02-analysis: results/02-analysis\.json 'figures\.0\.caption': "
                                           r"missing: the notebook did not declare it"):  # fmt: skip
        results.read_all(_results(tmp_path / "out", figures=[figure]))


def test_report_numbers_are_typed_per_notebook(tmp_path):
    numbers = {"pairs_linked": "many", "pairs_linked_without_blanket": 3, "strongest_pairs": [], "roles": []}
    out = _results(tmp_path / "out", notebook="04-sdg-action-line-matrix", numbers=numbers)
    output = results.read_all(out)["04-sdg-action-line-matrix"]
    with pytest.raises(ResultsError) as error:
        results.typed_numbers(output)
    assert str(error.value).splitlines() == [
        "notebook 04-sdg-action-line-matrix: key number 'pairs_linked': Input should be a valid integer, unable to "
        "parse string as an integer (got 'many')",
        "notebook 04-sdg-action-line-matrix: key number 'strongest_pairs': List should have at least 1 item after "
        "validation, not 0",
    ]


def test_not_published_is_one_marker_through_json():
    assert results._revive(results._json({"a": [ids.NOT_PUBLISHED, 1]})) == {"a": [ids.NOT_PUBLISHED, 1]}
    assert str(ids.NOT_PUBLISHED) == "not published" and not ids.NOT_PUBLISHED
    assert document.cell_text(ids.NOT_PUBLISHED) == "not available"


# --- grammar -------------------------------------------------------------------------------------


def test_grammar_one_many_none():
    assert [document.listing(x) for x in ([], ["a"], ["a", "b"], [1, 2, 3])] == [
        "nothing",
        "a",
        "a and b",
        "1, 2 and 3",
    ]
    assert [document.plural(n, "link") for n in (0, 1, 2)] == ["0 links", "1 link", "2 links"]
    assert document.plural([], "outcome", none="no outcome") == "no outcome"
    assert f"{document.listing([])} {document.agree([], 'was', 'were')} added" == "nothing was added"
    assert document.agree(["a", "b"], "was", "were") == "were" and document.agree(1, "was", "were") == "was"


def test_no_count_of_sdgs_or_action_lines_is_typed_in_the_report_code():
    for module in ("document", "compare", "results", "tables"):  # render.py's 11 and 17 are points and centimetres
        tree = ast.parse(next(paths.PACKAGE_DIR.rglob(f"{module}.py")).read_text())
        literals = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and n.value in (17, 11, 187)]
        assert literals == [], module
    for template in paths.SECTIONS_DIR.glob("*.j2"):
        assert not re.search(r"\b(17|11|187)\b", template.read_text()), template.name


# --- exports -------------------------------------------------------------------------------------


def _sheet(label: str, **extra) -> dict:
    return {"label": label, "title": f"Title {label}", "description": "one row per SYNTHETIC link",
            "data": {"columns": ["outcome", "SDG", "note"],
                     "rows": [["P.1-1", 3, "=1+1"], ["P.1-2", 17, None], ["P.1-3", 4, "-"]]}, **extra}  # fmt: skip


def _with_sheets(tmp_path: Path, sheets: list[dict], figures=()) -> document.Document:
    out = _results(tmp_path / "out", figures=figures)
    payload = json.loads((out / "results" / "02-analysis.json").read_text())
    payload["sheets"] = sheets
    (out / "results" / "02-analysis.json").write_text(json.dumps(payload))
    sections = {"20_coverage": "# C\n\n" + "".join(f"{{{{ figure('{f['label']}') }}}}\n" for f in figures)}
    folder = _sections(tmp_path / "s", **sections)
    return document.build(results.read_all(out), META, out / "figures", sections_dir=folder)


def test_workbook_has_a_notes_sheet_then_one_excel_table_per_tidy_table_with_fixed_bytes(tmp_path):
    doc = _with_sheets(tmp_path, [_sheet("links"), _sheet("more-links")])
    first = render.write_xlsx(doc, tmp_path / "a.xlsx")
    second = render.write_xlsx(doc, tmp_path / "b.xlsx")
    assert first.read_bytes() == second.read_bytes()
    archive = zipfile.ZipFile(first)
    assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    workbook = archive.read("xl/workbook.xml").decode()
    assert re.findall(r'<sheet name="([^"]+)"', workbook) == ["notes", "links", "more-links"]
    notes = archive.read("xl/sharedStrings.xml").decode()
    for words in ("Source document", "Version", "Licence", "Title links", "SYNTHETIC link"):
        assert words in notes
    sheet = archive.read("xl/worksheets/sheet2.xml").decode()
    assert re.search(r'<c r="B2"( s="\d+")?><v>3</v></c>', sheet)  # a number, not text
    assert '<c r="A2"' in sheet and 't="s"' in sheet  # the id as text
    assert '<c r="C3"' not in sheet  # a missing value is an empty cell
    table = archive.read("xl/tables/table1.xml").decode()
    assert 'ref="A1:C4"' in table and "<autoFilter" in table  # an Excel table with filters
    core = archive.read("docProps/core.xml").decode()
    assert "dcterms:created" not in core and "dcterms:modified" not in core and "<dc:title>" in core


def test_csv_is_tidy_named_by_sheet_and_guards_formulas_only(tmp_path):
    doc = _with_sheets(tmp_path, [_sheet("outcome-sdg-links")])
    path, notes = render.write_tables_csv(doc, tmp_path / "tables")
    assert (path.name, notes.name) == ("outcome-sdg-links.csv", "notes.csv")
    with path.open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    # numbers as numbers, the empty value empty (not "-"), text starting like a formula quoted; headers in sentence case
    assert rows == [["Outcome", "SDG", "Note"], ["P.1-1", "3", "'=1+1"], ["P.1-2", "17", ""], ["P.1-3", "4", "'-"]]
    assert path.read_text(encoding="utf-8-sig").splitlines()[2] == "P.1-2,17,"


def test_each_figure_s_numbers_are_a_table_of_the_appendix_named_in_both_captions(tmp_path):
    figure = dict(_figure("one"), data={"columns": ["SDG", "outcomes"], "rows": [["1", 3], ["2", 0]]},
                  values={"columns": ["SDG", "outcomes"], "rows": [[1, 3], [2, 0]]})  # fmt: skip
    out = _results(tmp_path / "out", figures=[figure])
    sections = {"20_coverage": "# C\n\n{{ figure('one') }}\n",
                "97_appendix_figure_data": "# Appendix: numbers\n\nThe numbers.\n"}  # fmt: skip
    folder = _sections(tmp_path / "s", **sections)
    doc = document.build(results.read_all(out), META, out / "figures", sections_dir=folder)
    [block] = doc.figures()
    [table] = doc.tables()
    assert table.caption == "The numbers of Figure 1: Title one" and table.rows == [["1", 3], ["2", 0]]
    assert block.caption == f"Caption one Its numbers are in Table {table.number}."
    assert [(s.label, s.title) for s in doc.sheets] == [("figure-1", "Figure 1: Title one")]
    assert doc.sheets[0].data.rows == [[1, 3], [2, 0]]


def test_long_summary_still_lays_out_in_the_pdf(tmp_path):
    import weasyprint

    sentence = "This SYNTHETIC summary sentence is long enough to fill a line of the box. "
    for summary in ("\n\n".join([sentence * 12] * 9), sentence * 110):  # many paragraphs, and one long one
        doc = document.Document(year=2090, synthetic=True, header=[("Group", "G")], title="T", summary=summary,
                                action_required="a", references=["r"], sections=[], annexes=[],
                                colophon="c")  # fmt: skip
        assert render.write_pdf(doc, tmp_path / "long.pdf").read_bytes().startswith(b"%PDF")
        pages = weasyprint.HTML(string=render.html(doc)).render().pages
        assert len(pages) >= 2  # the boxed summary split across pages instead of failing


def test_tableblock_cells_print_lists_and_numbers():
    block = TableBlock(1, "c", ["a", "b", "c"], [[[1, 2, 3], 0.5, True]])
    assert block.text_rows() == [["1, 2 and 3", "0.5", "yes"]]


def test_year_zero_means_the_newest_edition(synthetic_data):
    newest = paths.available_years(synthetic_data)[-1]
    assert paths.resolve_year(0, synthetic_data) == int(newest)
    assert paths.resolve_year(0, "") == int(paths.available_years(paths.DATA_DIR)[-1])
    assert paths.resolve_year("2090", synthetic_data) == 2090
    with pytest.raises(Exception, match="no edition folder for 2050"):
        paths.resolve_year(2050, synthetic_data)


def test_error_inside_a_template_names_its_file_and_line(tmp_path):
    text = '# Coverage\n\nFine.\n\n{{ notebook("02-analysis").blanket | percent }}\n'
    with pytest.raises(ReportError, match=r"20-coverage\.md\.j2, line 5: TypeError: "):
        _build(tmp_path, {"20_coverage": text})


def test_every_paragraph_of_the_2019_narrative_cites_the_source_paragraphs_it_retells():
    """The 2019 edition's own sections retell the source: each numbered paragraph says where it comes from."""
    narrative = sorted((paths.DATA_DIR / "2019" / "report").glob("1*.md.j2"))
    assert narrative
    for template in narrative:
        paragraphs = [p for p in template.read_text().split("\n\n") if p.startswith("{{ para(")]
        assert paragraphs, template.name
        for paragraph in paragraphs:
            assert re.search(r"\(source paragraphs? \d+", paragraph), (template.name, paragraph[:60])
