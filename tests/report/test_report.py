"""The report: what the published 2019 version says, a failing notebook named, the documents' writers
(escaping, DOCX structure, deterministic PDF) and the PDF printer process. (Versions: test_versions.py;
several years at once: test_batch.py.)"""

from __future__ import annotations

import csv
import os
import re
import zipfile
from pathlib import Path

import pytest

from itud import paths
from itud.cli import main
from itud.publish import build, versions
from itud.publish.revisions import Revision
from itud.report import printer, render
from itud.report.document import Document, Paragraph, Section, TableBlock
from tests.conftest import GOLDEN_2019


def tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): versions.sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def leftovers(year_dir: Path) -> list[str]:
    return sorted(p.name for p in year_dir.iterdir() if p.name.startswith(".tmp-"))


@pytest.fixture(scope="module")
def published():
    """The newest published 2019 version: tests/test_committed_reports.py checks it is what the code builds."""
    number, newest, _ = versions.latest(paths.REPORTS_DIR / "2019")
    return paths.REPORTS_DIR, build.BuildResult(2019, "found", newest, 0.0)


def test_2019_report_says_only_what_is_true_about_the_source(published):
    html = (published[1].version / "report-2019.html").read_text()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "Our copy of the source document stops after the two study group headings of its Annex 2." in text
    assert "those links are not in our copy" in text
    assert "does not publish" not in text and "not published in the source" not in text
    assert "Outcome D.3-2 is linked to every SDG and every Action Line" in text
    questions = GOLDEN_2019["summary"]["questions"]
    assert f"The {questions} question titles come from the project&#39;s reference facts, not from the source" in text
    assert "Document: not given" in text and "Source: not given" in text


def test_2019_tables_are_tidy_with_numeric_columns(published):
    with (published[1].version / "tables/coverage-by-objective.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:3] == ["Objective", "Outcomes", "SDG links"]  # one row per objective, numbers only
    assert all(float(cell) >= 0 for row in rows[1:] for cell in row[1:])
    workbook = zipfile.ZipFile(published[1].version / "tables-2019.xlsx").read("xl/workbook.xml").decode()
    assert re.findall(r'<sheet name="([^"]+)"', workbook)[0] == "notes"
    assert '<sheet name="coverage-by-objective"' in workbook and '<sheet name="outcome-sdg-links"' in workbook


def test_report_refuses_a_path_as_year(tmp_path, capsys):
    assert main(["report", "--year", "../../etc", "--reports-dir", str(tmp_path)]) == 2  # wrong usage
    assert "not a year (expected four digits such as 2019)" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_spreadsheet_safe_cells():
    assert [render.spreadsheet_safe(v) for v in ["=SUM(A1)", "+1+1", "-cmd", "@x", "-1", "3", "a=b"]] == [
        "'=SUM(A1)", "'+1+1", "'-cmd", "'@x", "-1", "3", "a=b",
    ]  # fmt: skip


def _tiny_document(title: str) -> Document:
    return Document(
        year=2090, synthetic=True, header=[("Group", "<b>G</b>")], title=title, summary="s & t", action_required="a",
        references=["r"], colophon="c",
        sections=[Section("S <i>", [Paragraph("one <script>alert(1)</script>", 1), Paragraph("note", None),
                                     TableBlock(1, "cap", ["<th>"], [["<td>"]]), Paragraph("two", 2)])],
        annexes=[],
    )  # fmt: skip


def test_html_escapes_every_field():
    html = render.html(_tiny_document("<script>x</script>"))
    assert "<script>" not in html and "<b>G</b>" not in html and "<i>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;td&gt;" in html and "s &amp; t" in html


def test_docx_has_real_headings_numbered_paragraphs_and_tables(tmp_path):
    path = render.write_docx(_tiny_document("T"), tmp_path / "t.docx")
    xml = zipfile.ZipFile(path).read("word/document.xml").decode()
    assert xml.count('<w:pStyle w:val="ListNumber"/>') == 2
    assert '<w:pStyle w:val="Heading1"/>' in xml and '<w:pStyle w:val="Title"/>' in xml
    assert xml.count("<w:tbl>") == 2  # header block and the data table
    assert "&lt;script&gt;" in xml
    assert {i.date_time for i in zipfile.ZipFile(path).infolist()} == {(1980, 1, 1, 0, 0, 0)}
    again = render.write_docx(_tiny_document("T"), tmp_path / "u.docx")
    assert path.read_bytes() == again.read_bytes()


def test_the_pdf_printer_process_prints_what_write_pdf_does_and_reports_errors(tmp_path):
    with printer.PdfPrinter(start=False) as pdf:  # as a build makes it: started later, or by its first print
        assert pdf.pid is None
        printed = pdf.print(_tiny_document("T <x>"), tmp_path / "printed.pdf").result(timeout=120)
        assert pdf.pid is not None
        assert printed.read_bytes() == render.write_pdf(_tiny_document("T <x>"), tmp_path / "here.pdf").read_bytes()
        with pytest.raises(printer.PdfError, match=r"^FileNotFoundError: .*no such folder/x\.pdf"):
            pdf.print(_tiny_document("T"), tmp_path / "no such folder" / "x.pdf").result(timeout=120)
        assert pdf.print(_tiny_document("T"), tmp_path / "again.pdf").result(timeout=120).is_file()


def test_a_pdf_printer_that_dies_or_is_closed_says_so_and_leaves_no_process(tmp_path):
    dying = printer.PdfPrinter()
    process = dying._process  # noqa: SLF001
    assert os.getsid(process.pid) != os.getsid(0)  # a session of its own: the terminal's Ctrl-C is not for it
    process.kill()
    with pytest.raises(printer.PdfError, match=r"^the PDF printer stopped \(exit status -9\)"):
        dying.print(_tiny_document("T"), tmp_path / "x.pdf").result(timeout=60)
    dying.close()
    working = printer.PdfPrinter()
    working.close()
    assert working._process.poll() is not None  # noqa: SLF001


def test_a_pdf_printer_closed_before_it_started_never_starts():
    never = printer.PdfPrinter(start=False)
    never.close()
    never.start()
    assert never.pid is None  # a build stopped before its first notebook was done: no process to stop


def test_pdf_is_deterministic_and_carries_no_dates(tmp_path):
    a = render.write_pdf(_tiny_document("T <x>"), tmp_path / "a.pdf").read_bytes()
    b = render.write_pdf(_tiny_document("T <x>"), tmp_path / "b.pdf").read_bytes()
    assert a == b and a.startswith(b"%PDF")


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_stop_python_dropped_during_rendering_still_publishes_nothing(synthetic_data, tmp_path, monkeypatch):
    """Ctrl-C while the main thread runs a finaliser: the handler's exception is lost, the build goes on,
    and it must not publish (seen: "Exception ignored in ... Stopped: 2", then "published .../v6")."""
    from itud import errors
    from itud.cli import Stopped

    class Finalised:
        def __del__(self):
            errors.stop(Stopped(2))

    def render_after_a_lost_stop(*args, **kwargs):  # the documents are not needed to see what follows
        Finalised()
        return Revision(0)

    monkeypatch.setattr(build, "_build_into", lambda *args: None)  # no notebooks needed either
    monkeypatch.setattr(build, "_render", render_after_a_lost_stop)
    with pytest.raises(Stopped):
        build.build_report(2090, synthetic_data, tmp_path, progress=False)
    year_dir = tmp_path / "2090"
    assert leftovers(year_dir) == [] and not list(year_dir.glob("v*"))  # no scratch folder, no version


@pytest.mark.slow
def test_a_stop_that_comes_as_the_version_is_renamed_into_place_ends_the_build_as_published(
    synthetic_data, tmp_path, monkeypatch
):
    """Too late to undo: the build finishes (index written, "built"), and no message says "nothing published"
    (seen: exit 130 and "nothing published" with the version in place and missing from the index)."""
    from itud import errors
    from itud.cli import Stopped

    rename = os.rename

    def rename_then_ctrl_c(source, target):
        rename(source, target)
        errors.stop(Stopped(2))  # what the signal handler does, a moment after the rename

    monkeypatch.setattr(build, "_build_into", lambda *args: None)  # neither notebooks nor documents are needed
    monkeypatch.setattr(build, "_render", lambda *args, **kwargs: Revision(0))
    monkeypatch.setattr(build.os, "rename", rename_then_ctrl_c)
    result = build.build_report(2090, synthetic_data, tmp_path, progress=False)  # conftest forgets the stop
    assert result.status == "built" and result.version == tmp_path / "2090" / "v1"
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<th scope="row"[^>]*>v1 <strong>\(current\)', index)
