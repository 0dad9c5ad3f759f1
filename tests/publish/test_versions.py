"""Versions: a new one only when what readers see changed; reproducible from its manifest; verify, diff, index.

The build tests run the real notebooks on the SYNTHETIC 2090 edition (small, fast); they never
write into the project's reports/.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import stat
from pathlib import Path

import pytest

from itud import paths
from itud.cli import main
from itud.errors import BuildError, InputFileError
from itud.publish import build, versions
from itud.report import printer


def tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): versions.sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}




@pytest.fixture(scope="module")
def published_2090(published_by_notebook, tmp_path_factory):
    """SYNTHETIC 2090 published as v1 (by the publish notebook, tests/conftest.py), copied into a data folder
    and reports folder of this file's own, where its tests publish further versions."""
    data, reports = published_by_notebook.copy_to(tmp_path_factory.mktemp("versions"))
    return data, reports, build.BuildResult(2090, "built", reports / "2090" / "v1", 0.0)


def _outputs_of(version: Path, *, changed: bool = False):
    """A stand-in for the notebooks (`build._build_into`): `version`'s outputs, without running kernels; with
    one result `changed`, so that a new version is due."""

    def run(folder, *args):
        for part in ("notebooks", "figures", "results"):
            shutil.copytree(version / part, folder / part)
        if changed:
            result = folder / "results/01-mapping-tables.json"
            result.write_text(result.read_text().replace("SYNTHETIC", "SYNTHETIC (changed)", 1))

    return run


def _documents_from_outputs_of(version: Path, monkeypatch) -> None:
    """The notebooks stood in for by `version`'s outputs (`_outputs_of`); its Word document stands in for the
    one written, which embeds the figures' PNGs, and a version does not keep them."""
    from itud.report import render

    monkeypatch.setattr(build, "_build_into", _outputs_of(version))
    word = version / "report-2090.docx"
    monkeypatch.setattr(render, "write_docx", lambda document, path: shutil.copy(word, path))


def test_first_build_publishes_a_readable_version_with_a_true_manifest(published_2090):
    data, reports, first = published_2090
    assert sorted(p.name for p in (reports / "2090").glob("v*")) == ["v1"]
    manifest = json.loads((first.version / "manifest.json").read_text())
    assert manifest["outputs"] == {k: v for k, v in tree(first.version).items() if k != "manifest.json"}
    assert manifest["reason"] == "first version" and manifest["corrections"] == 0
    assert manifest["inputs"]["data/2090/outcome_sdg.csv"] == versions.sha256(data / "2090/outcome_sdg.csv")
    # the reference tables come from the project when the data folder has none, and are snapshotted
    assert (first.version / "inputs/data/reference/sdgs.csv").is_file()
    assert "data/reference/sdgs.csv" in manifest["inputs"]
    # what cannot change a report is not in the fingerprint: dev tools, the Python patch release
    assert "requirements.lock" not in manifest["inputs"]
    assert {"pytest", "ruff"}.isdisjoint(manifest["environment"]["packages"])
    assert manifest["environment"]["python"].count(".") == 1
    assert stat.S_IMODE(first.version.stat().st_mode) == 0o755
    assert {stat.S_IMODE(p.stat().st_mode) for p in first.version.rglob("*") if p.is_file()} == {0o644}
    assert (reports / "index.html").is_file()


def test_a_version_holds_no_path_of_the_machine_that_built_it(published_by_notebook):
    built_in = published_by_notebook.root  # where it was built (the other tests of this file use a copy)
    for path in (built_in / "reports" / "2090" / "v1").rglob("*"):
        if path.is_file():
            assert str(built_in).encode() not in path.read_bytes(), path


def test_same_inputs_are_up_to_date_and_say_where_the_report_is(published_2090, capsys):
    """(A rebuild that reproduces a version byte for byte: tests/test_committed_reports.py, on every edition.)"""
    data, reports, first = published_2090
    before = tree(reports)
    assert main(["report", "--year", "2090", "--data-dir", str(data), "--reports-dir", str(reports), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "2090: up to date (" in out
    for kind in ("html", "docx", "pdf"):
        assert f"  {first.version}/report-2090.{kind}\n" in out  # where the report is
    assert tree(reports) == before  # nothing written


def _version(folder: Path, report: str, figures: dict[str, str], html: str = "") -> Path:
    """A fake version folder: a manifest naming its document's hash, figures/<label>.svg, report-2090.html."""
    (folder / "figures").mkdir(parents=True)
    for label, svg in figures.items():
        (folder / "figures" / f"{label}.svg").write_text(svg, encoding="utf-8")
    (folder / "report-2090.html").write_text(html, encoding="utf-8")
    (folder / "manifest.json").write_text(json.dumps({"outputs": {"report-2090.html": report}}), encoding="utf-8")
    return folder


def test_revision_notes_name_redrawn_figures_as_the_document_numbers_them(tmp_path):
    from itud.publish.revisions import changes, document_name

    numbered = '<figure id="{}"><svg/><figcaption><strong>Figure {}: T.</strong></figcaption></figure>'
    html = "".join(numbered.format(label, n) for n, label in enumerate(["bars", "heat", "gone-later"], 1))
    old = _version(tmp_path / "2090/v1", "a", {"bars": "1", "heat": "1", "gone": "1"}, html)
    new = _version(tmp_path / "2090/v2", "b", {"bars": "2", "heat": "2", "new": "1"}, html)
    assert (document_name(old), document_name(new)) == ("the original document", "Revision 1")
    assert changes(old, new, 2090) == [
        "The text, tables and numbers are those of the original document.",
        "figures redrawn: Figures 1 and 2",
        "figure added: new",
        "figure removed: gone",
    ]
    same = _version(tmp_path / "2090/v3", "b", {"bars": "2", "heat": "3", "new": "1"}, html)
    assert document_name(same) == "Revision 1"  # its documents are those of v2: no new revision
    assert changes(new, same, 2090)[1] == "figure redrawn: Figure 2"


def test_a_pdf_laid_out_by_other_system_libraries_reproduces_the_content_and_says_why(
    published_2090, tmp_path, capsys, monkeypatch
):
    """Another machine's Pango lays the same page out otherwise: the PDF's bytes differ, what it says does not.
    Simulated by a copy of v1 whose PDF and build record are another machine's, its printed page the same.
    (The notebooks' outputs are v1's: the documents are what is compared here.)"""
    from itud.run.buildinfo import font_dir, system_libraries

    data, reports, first = published_2090
    copy = tmp_path / "reports"
    v1 = copy / "2090" / "v1"
    shutil.copytree(first.version, v1)  # v1 alone: other tests of this file publish more versions beside it
    manifest = json.loads((v1 / "manifest.json").read_text())
    assert manifest["environment"]["system"] == system_libraries()  # a new Pango means a rebuild
    assert set(manifest["build_record"]["pdf_renderer"]) >= {"Pango", "HarfBuzz", "FreeType", "fontconfig"}
    assert manifest["build_record"]["fonts"]["DejaVuSans.ttf"] == versions.sha256(font_dir() / "DejaVuSans.ttf")
    pdf = v1 / "report-2090.pdf"
    pdf.write_bytes(pdf.read_bytes() + b"% laid out by another Pango\n")
    manifest["outputs"]["report-2090.pdf"] = versions.sha256(pdf)
    manifest["build_record"]["pdf_renderer"]["Pango"] = "1.0.0"
    (v1 / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    arguments = ["report", "--year", "2090", "--data-dir", str(data), "--reports-dir", str(copy), "--quiet"]


    _documents_from_outputs_of(v1, monkeypatch)
    assert main([*arguments, "--force"]) == 0
    out = capsys.readouterr().out
    here = system_libraries()["Pango"]
    assert "2090: reproduced v1's content (text, tables, numbers, figures); the PDF's bytes differ because " in out
    assert f"this machine's Pango is {here}, v1 was built with 1.0.0; nothing written" in out
    assert sorted(p.name for p in (copy / "2090").glob("v*")) == ["v1"]
    # a PDF printed from another page says something else: it is a difference, and the check names the environment
    manifest["printed_from"]["report-2090.pdf"] = "0" * 64
    (v1 / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert main([*arguments, "--check"]) == 1
    out = capsys.readouterr().out
    assert "2090: a rebuild differs from " in out and "  report-2090.pdf\n" in out
    assert f"The build environment differs: this machine's Pango is {here}, v1 was built with 1.0.0." in out


def test_verify_finds_a_tampered_copy(published_2090, tmp_path, capsys):
    _, reports, first = published_2090
    copy = tmp_path / "reports"
    shutil.copytree(reports, copy)
    v1 = copy / "2090" / "v1"
    (v1 / "report-2090.html").write_text("edited by hand", encoding="utf-8")
    (v1 / "tables").rename(v1 / "moved")
    (v1 / "stray.txt").write_text("x", encoding="utf-8")
    assert main(["verify", "2090", "--reports-dir", str(copy)]) == 1
    out = capsys.readouterr().out
    assert f"{v1}/report-2090.html: changed since publishing (SHA-256 differs from the manifest)" in out
    assert f"{v1}/stray.txt: not in the manifest (added after publishing?)" in out
    assert "/tables/" in out and ": missing (the manifest lists it)" in out


def test_diff_names_an_unknown_version(published_2090, capsys):
    _, reports, _ = published_2090
    with pytest.raises(SystemExit) as stop:
        main(["diff", "2090", "v1", "v9", "--reports-dir", str(reports)])
    assert str(stop.value).startswith(f"itud diff: no version 'v9' of 2090 in {reports / '2090'} (published: v1")


def test_a_stray_named_like_a_version_stops_the_build_before_any_work(tmp_path, synthetic_data):
    year_dir = tmp_path / "2090"
    year_dir.mkdir()
    (year_dir / "v3").write_text("not a version", encoding="utf-8")
    with pytest.raises(BuildError, match=r"v3: named like a version but not a version folder; move it away"):
        build.build_report(2090, synthetic_data, tmp_path, progress=False)
    assert sorted(p.name for p in year_dir.iterdir()) == ["v3"]


def test_editor_lock_files_are_not_inputs(synthetic_data, tmp_path):
    stray = synthetic_data / "2090" / ".~lock.outcomes.csv#"
    stray.write_text("user,host", encoding="utf-8")
    taken = versions.snapshot(2090, synthetic_data, paths.NOTEBOOKS_DIR)
    assert "2090/.~lock.outcomes.csv#" not in taken.data and taken.ignored == [str(stray)]
    assert "2090/outcomes.csv" in taken.data


@pytest.mark.parametrize("kind", ["fifo", "directory", "outside link"])
def test_inputs_that_are_not_files_in_the_data_folder_are_refused(synthetic_data, tmp_path, kind):
    table = synthetic_data / "2090" / "outcomes.csv"
    table.unlink()
    if kind == "fifo":
        os.mkfifo(table)
        expected = "not a regular file"
    elif kind == "directory":
        table.mkdir()
        expected = "not a regular file"
    else:
        outside = tmp_path / "elsewhere.csv"
        outside.write_text("outcome\n", encoding="utf-8")
        table.symlink_to(outside)
        expected = "outside"
    with pytest.raises(InputFileError, match=expected):
        versions.snapshot(2090, synthetic_data, paths.NOTEBOOKS_DIR)


def test_the_lock_never_follows_a_symlink(tmp_path):
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me", encoding="utf-8")
    (tmp_path / ".lock").symlink_to(precious)
    with pytest.raises(BuildError, match=r"\.lock: cannot open the lock file"), versions.locked(tmp_path):
        pass
    assert precious.read_text(encoding="utf-8") == "keep me"


def test_executed_notebooks_carry_no_timestamps_and_relative_paths(published_2090):
    notebook = json.loads((published_2090[2].version / "notebooks/02-coverage-by-objective.ipynb").read_text())
    text = json.dumps(notebook)
    assert "start_time" not in text and "end_time" not in text and "duration" not in text
    assert list(notebook["metadata"]["papermill"]) == ["parameters"]
    parameters = notebook["metadata"]["papermill"]["parameters"]
    assert parameters == {"year": 2090, "data_dir": "inputs/data", "output_dir": "."}


def test_the_first_edition_has_no_year_over_year_section(published_2090):
    first = published_2090[2].version
    changes = json.loads((first / "results/05-changes-since-previous-edition.json").read_text())
    assert changes["numbers"] == {"previous_year": None}
    assert "Changes since" not in (first / "report-2090.html").read_text()


def test_text_from_data_is_escaped_in_html(published_2090):
    html = (published_2090[2].version / "report-2090.html").read_text()
    assert "<script>" not in html
    assert "<title>SYNTHETIC report 2090 &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</title>" in html
    assert "Include &lt;b&gt;all&lt;/b&gt;" in html
    assert "SYNTHETIC TEST EDITION" in html


def test_spreadsheet_tables_do_not_start_formulas(published_2090):
    cells = []
    for path in sorted((published_2090[2].version / "tables").glob("*.csv")):
        with path.open(encoding="utf-8-sig") as handle:
            cells += [cell for row in csv.reader(handle) for cell in row]
    assert "'=1+1 SYNTHETIC outcome three" in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "@") and not c.lstrip("+-").replace(".", "").isdigit()]


def test_failure_while_rendering_leaves_no_partial_version(published_2090, monkeypatch):
    from itud.report import render

    data, reports, first = published_2090
    before = tree(reports)


    def broken(document, path):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(build, "_build_into", _outputs_of(first.version))
    monkeypatch.setattr(render, "write_html", broken)
    with pytest.raises(BuildError, match=r"rendering report-2090\.html failed: OSError: disk full \(simulated\)"):
        build.build_report(2090, data, reports, force=True, progress=False)
    assert tree(reports) == before
    assert not [p for p in (reports / "2090").iterdir() if p.name.startswith(".tmp-")]


class _Printer:
    """Stands in for `printer.PdfPrinter`: `write(document, path)` runs in this process; its result or error
    is the future's (a future that never ends when `write` is None)."""

    def __init__(self, write):
        self.write = write
        self.record = {}  # no build record: nothing was printed by WeasyPrint

    def print(self, document, path):
        from concurrent.futures import Future

        future = Future()
        if self.write is not None:
            try:
                future.set_result(self.write(document, path))
            except Exception as error:
                future.set_exception(error)
        return future

    def start(self):
        pass

    def close(self):
        pass


@pytest.mark.parametrize(
    ("write", "message"),
    [
        (lambda document, path: (_ for _ in ()).throw(OSError("no room (simulated)")),
         r"rendering report-2090\.pdf failed: OSError: no room \(simulated\)"),
        (None, r"printing report-2090\.pdf did not finish within its time limit of 5 s; give more time with --timeout"),
    ],
    ids=["fails", "hangs"],
)  # fmt: skip
def test_a_pdf_that_fails_or_hangs_stops_the_build_and_leaves_nothing(published_2090, monkeypatch, write, message):
    from itud.report import render

    data, reports, first = published_2090
    before = tree(reports)


    monkeypatch.setattr(build, "_build_into", _outputs_of(first.version, changed=True))
    for other in ("write_docx", "write_html", "write_xlsx"):  # only the printer is timed: the rest is instantaneous
        monkeypatch.setattr(render, other, lambda document, path: path)  # v1 keeps no PNG for Word pictures
    monkeypatch.setattr(printer, "PdfPrinter", lambda **_: _Printer(write))
    with pytest.raises(BuildError, match=message):
        build.build_report(2090, data, reports, force=True, progress=False, timeout=5)
    assert tree(reports) == before
    assert not [p for p in (reports / "2090").iterdir() if p.name.startswith(".tmp-")]


def test_two_runs_started_at_once_publish_one_version(published_2090, tmp_path, monkeypatch):
    """Two builds of one year in threads, released together at the publishing step: the per-year lock, the
    re-check of the newest version under it and the one-step rename must leave exactly one v1. The notebooks'
    outputs are v1's and the Word and PDF writers write placeholders: concurrency is what is tested here."""
    import threading

    from itud.report import render

    data, _, first = published_2090
    started = threading.Barrier(2)

    def notebooks_as_built(folder, *args):
        for part in ("notebooks", "figures", "results"):
            shutil.copytree(first.version / part, folder / part)
        started.wait(timeout=60)

    def placeholder(document, path):
        path.write_bytes(b"placeholder")
        return path

    monkeypatch.setattr(build, "_build_into", notebooks_as_built)
    monkeypatch.setattr(render, "write_docx", placeholder)
    monkeypatch.setattr(printer, "PdfPrinter", lambda **_: _Printer(placeholder))
    reports = tmp_path / "reports"
    results: list = []
    threads = [
        threading.Thread(target=lambda: results.append(build.build_report(2090, data, reports, progress=False)))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(r.status for r in results) == ["built", "reproduced"]  # one publishes v1, the other reproduces it
    assert sorted(p.name for p in (reports / "2090").iterdir()) == [".lock", "v1"]
    manifest = json.loads((reports / "2090/v1/manifest.json").read_text())
    assert manifest["outputs"] == {k: v for k, v in tree(reports / "2090/v1").items() if k != "manifest.json"}


def test_a_reworded_paragraph_is_quoted_from_just_before_its_change(tmp_path):
    from itud.publish.revisions import paragraph_changes

    text = "20. By goal, the outcomes reach 16 of the SDGs, and one goal is reached by no outcome at all, which {}."
    old = _version(tmp_path / "2090/v1", "a", {}, f"<p>{text.format('the figure shows')}</p><p>Kept.</p>")
    new = _version(tmp_path / "2090/v2", "b", {}, f"<p>{text.format('Figure 6 shows')}</p><p>Kept.</p>")
    assert paragraph_changes(old, new, 2090) == [
        "paragraph reworded: \u201c\u2026 by no outcome at all, which Figure 6 shows.\u201d"
    ]


def test_a_reworded_report_is_printed_once_as_its_new_version_not_also_to_compare_it(
    published_by_notebook, tmp_path, monkeypatch
):
    """The notebooks' outputs are v1's and an edition template adds a paragraph: the HTML differs, so v2 is
    published without printing a PDF of the page as v1 (the comparison stops at the HTML)."""
    from itud.report import printer

    own, copy = published_by_notebook.copy_to(tmp_path)  # v1 alone: other tests here publish beside it
    _documents_from_outputs_of(copy / "2090" / "v1", monkeypatch)
    printed = []
    print_ = printer.PdfPrinter.print
    monkeypatch.setattr(printer.PdfPrinter, "print", lambda self, *args: printed.append(args) or print_(self, *args))
    (own / "2090" / "report").mkdir()
    (own / "2090" / "report" / "15-extra.md.j2").write_text("# Extra\n\nA SYNTHETIC paragraph.\n", encoding="utf-8")
    result = build.build_report(2090, own, copy, progress=False)
    assert (result.status, result.version.name, len(printed)) == ("built", "v2", 1)
    assert "A SYNTHETIC paragraph." in (result.version / "report-2090.html").read_text(encoding="utf-8")


def test_an_edition_template_that_tries_to_run_code_fails_the_build_naming_the_analyst_s_file(
    published_2090, capsys, monkeypatch
):
    """A template in data/<year>/report/ is data someone else may send: the sandbox refuses it, the message
    names that file (not the build's copy, gone by then), and nothing is published. (The notebooks' outputs
    are v1's: the template is what is tested.)"""
    data, reports, first = published_2090
    before = tree(reports)


    monkeypatch.setattr(build, "_build_into", _outputs_of(first.version))
    override = data / "2090" / "report" / "15-extra.md.j2"
    override.parent.mkdir()
    override.write_text('# Extra\n\n{{ cycler.__init__.__globals__.os.system("touch PWNED") }}\n', encoding="utf-8")
    try:
        code = main(["report", "--year", "2090", "--data-dir", str(data), "--reports-dir", str(reports), "--quiet"])
    finally:
        shutil.rmtree(override.parent)
    err = capsys.readouterr().err
    assert code == 1
    assert f"{override}, line 3: SecurityError: access to attribute '__init__'" in err and ".tmp-" not in err
    assert tree(reports) == before and not Path("PWNED").exists()


def test_diff_and_verify_name_every_kind_of_tampering_and_never_crash(published_2090, tmp_path, capsys):
    """A version received from others may be tampered with: `diff` compares only versions that match their
    manifests, and `verify` reads any manifest, of any shape, without a traceback."""
    _, reports, first = published_2090
    copy = tmp_path / "reports"
    for name in ("v1", "v2"):
        shutil.copytree(first.version, copy / "2090" / name)
    v2 = copy / "2090" / "v2"
    results = sorted((v2 / "results").glob("*.json"))
    results[0].write_text("{not json", encoding="utf-8")  # unreadable
    results[1].unlink()  # missing
    results[2].write_text(results[2].read_text().replace("1", "2", 1), encoding="utf-8")  # a value edited
    diff = ["diff", "2090", "v1", "v2", "--reports-dir", str(copy)]
    assert main(diff) == 1
    out = capsys.readouterr().out
    assert out.startswith("itud diff: not compared: 3 difference(s) from the versions' manifests:\n")
    assert f"{results[0]}: changed since publishing" in out and f"{results[1]}: missing" in out
    assert f"{results[2]}: changed since publishing" in out and "only the form changed" not in out
    manifest = json.loads((v2 / "manifest.json").read_text())
    manifest["outputs"]["../../../etc/passwd"] = "0" * 64
    (v2 / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (copy / "2090" / "v1" / "manifest.json").write_text("[]", encoding="utf-8")
    assert main(["verify", "2090", "--reports-dir", str(copy)]) == 1
    out = capsys.readouterr().out
    assert f"{copy}/2090/v1/manifest.json: not a manifest (no 'outputs' table of file names and SHA-256)" in out
    assert f"{v2}/manifest.json: lists '../../../etc/passwd', which is outside the version" in out
    assert "missing" not in out.split("passwd")[1].split("\n")[0]
    (copy / "2090" / "v1" / "manifest.json").write_bytes(b"\xff\xfe not text")
    assert main(["verify", "2090", "--reports-dir", str(copy)]) == 1
    assert "v1/manifest.json: not readable (UnicodeDecodeError" in capsys.readouterr().out


_NUMBERED = re.compile(r"\b(Tables?|Figures?) ([0-9]+(?:(?:, | and )[0-9]+)*)")


def _shifted(text: str) -> str:
    """The text with every table and figure number one higher: as after one table and one figure were
    declared before all the others."""
    return _NUMBERED.sub(lambda m: m[1] + " " + re.sub(r"[0-9]+", lambda n: str(int(n[0]) + 1), m[2]), text)


def test_a_table_and_a_figure_declared_at_the_start_renumber_every_item_and_reference(published_2090, tmp_path):
    """What an analyst's `out.table(...)` and `out.figure(...)` for the first section do: the new items are
    Table 1 and Figure 1, every other item and every reference to it moves up by one, numbering stays
    consecutive, and each reference still names the item it names now. (No test asserts a number.)"""
    from itud.report import document, results
    from itud.report.document import FigureBlock, Paragraph, TableBlock

    _, _, first = published_2090
    folder = tmp_path / "built"
    for part in ("results", "figures"):
        shutil.copytree(first.version / part, folder / part)
    edition = first.version / "inputs" / "data" / "2090"
    meta = document.read_prose(edition / "edition.toml")

    def laid_out():
        built = document.build(results.read_all(folder), meta, folder / "figures", edition_dir=edition)
        blocks = [b for section in built.sections + built.annexes + built.appendices for b in section.blocks]
        paragraphs = [b.text for b in blocks if isinstance(b, Paragraph)]
        items = [(type(b).__name__, b.number, b.label) for b in blocks if isinstance(b, TableBlock | FigureBlock)]
        return paragraphs, items

    before_text, before_items = laid_out()
    declared = json.loads((folder / "results" / "01-mapping-tables.json").read_text(encoding="utf-8"))
    figure = json.loads(next((folder / "results").glob("02-*.json")).read_text(encoding="utf-8"))["figures"][0]
    shutil.copy(folder / "figures" / figure["svg"], folder / "figures" / "delegate-question.svg")  # (no PNG kept)
    own = {key: value for key, value in figure.items() if key not in ("data", "values")}  # an analyst's own chart
    declared["figures"].insert(0, {**own, "label": "delegate-question", "section": "introduction",
                                   "svg": "delegate-question.svg", "png": "delegate-question.png"})  # fmt: skip
    declared["tables"].insert(0, {"label": "delegate-table", "section": "introduction", "caption": "SYNTHETIC",
                                  "columns": ["Goal"], "rows": [["SDG 1"]], "marks": []})  # fmt: skip
    (folder / "results" / "01-mapping-tables.json").write_text(json.dumps(declared), encoding="utf-8")
    after_text, after_items = laid_out()

    for kind in ("TableBlock", "FigureBlock"):
        numbers = [number for k, number, _ in after_items if k == kind]
        assert numbers == list(range(1, len(numbers) + 1))  # consecutive, in reading order
    assert sorted(i for i in after_items if i[2] in ("delegate-table", "delegate-question")) == [
        ("FigureBlock", 1, "delegate-question"), ("TableBlock", 1, "delegate-table")
    ]  # fmt: skip
    moved = {label: number for _, number, label in after_items}
    assert all(moved[label] == number + 1 for _, number, label in before_items if number is not None)
    assert [t for t in after_text] == [_shifted(t) for t in before_text]  # every reference follows its item


def test_a_renumbering_is_not_a_rewording_and_tables_are_named_by_number_and_title(tmp_path):
    from itud.publish.revisions import paragraph_changes, table_changes

    caption = '<caption id="caption-{}">Table {}: {}</caption>'
    old = _version(tmp_path / "2090/v1", "a", {}, "<p>As Table 1 shows.</p><p>Kept.</p>" + caption.format("t", 1, "T"))
    new = _version(
        tmp_path / "2090/v2", "b", {},
        "<p>As Table 2 shows.</p><p>Kept, but reworded.</p>" + caption.format("n", 1, "New &amp; first")
        + caption.format("t", 2, "T"),
    )  # fmt: skip
    for folder, tables in ((old, ["t"]), (new, ["n", "t"])):
        table = '<table class="data" id="{}"><tr><th>A</th></tr><tr><td>x</td></tr></table>'
        rows = "".join(table.format(label) for label in tables)
        page = folder / "report-2090.html"
        page.write_text(page.read_text(encoding="utf-8") + rows, encoding="utf-8")
    assert paragraph_changes(old, new, 2090) == [
        "paragraph reworded: \u201cKept, but reworded.\u201d",
        "tables or figures renumbered: 1 paragraph names them by their new numbers, in unchanged words",
    ]
    assert table_changes(old, new, 2090) == ["table added: Table 1: New & first"]


@pytest.mark.parametrize("writer", ["write_docx", "write_html", "write_xlsx"])
def test_a_document_writer_that_hangs_is_stopped_by_the_time_limit_naming_its_file(published_2090, monkeypatch, writer):
    import time

    from itud.report import render

    data, reports, first = published_2090
    before = tree(reports)


    monkeypatch.setattr(build, "_build_into", _outputs_of(first.version, changed=True))
    # Only the writer under test is slow (it hangs); every other writer is instantaneous, and the real work
    # left (the document's templates) has a time limit of 5 s, room enough on a busy machine.
    for other in ("write_docx", "write_html", "write_xlsx"):
        monkeypatch.setattr(render, other, lambda document, path: path)  # v1 keeps no PNG for Word pictures
    monkeypatch.setattr(printer, "PdfPrinter", lambda **_: _Printer(lambda document, path: path))
    monkeypatch.setattr(render, writer, lambda *args: time.sleep(600))
    name = {"write_docx": r"report-2090\.docx", "write_html": r"report-2090\.html", "write_xlsx": r"tables-2090\.xlsx"}
    started = time.monotonic()
    with pytest.raises(BuildError, match=rf"^writing {name[writer]} did not finish within its time limit of 5 s; give"):
        build.build_report(2090, data, reports, force=True, progress=False, timeout=5)
    assert time.monotonic() - started < 300  # stopped by the limit, long before the writer's 600 s
    assert tree(reports) == before and not [p for p in (reports / "2090").iterdir() if p.name.startswith(".tmp-")]


def test_the_reason_names_every_kind_of_input_that_changed():
    from itud.publish.revisions import reason

    before = {"inputs": {"data/2090/edition.toml": "a", "lib/itud/report/x.py": "a", "report/sections/x.md.j2": "a"},
              "outputs": {"report-2090.html": "a"}}  # fmt: skip
    after = {"inputs": {"data/2090/edition.toml": "b", "lib/itud/report/x.py": "b", "report/sections/x.md.j2": "b"},
             "outputs": {"report-2090.html": "b"}}  # fmt: skip
    assert reason(before, after) == (
        "a change to the edition's facts and prose (edition.toml), the report's wording and the report's code "
        "changed what the documents say"
    )
    tables = {"inputs": {**after["inputs"], "data/2090/outcomes.csv": "b"}, "outputs": after["outputs"]}
    assert reason({**before, "inputs": {**before["inputs"], "data/2090/outcomes.csv": "a"}}, tables).startswith(
        "a change to the data, ")  # fmt: skip
    corrected = {"inputs": {**before["inputs"], "data/2090/corrections.csv": "b"}, "outputs": after["outputs"]}
    assert reason(before, corrected) == "a correction to the data"


def test_a_number_written_with_other_decimals_is_one_line_not_a_change_per_cell(tmp_path):
    from itud.publish.revisions import table_changes

    table = '<table class="data" id="t"><tr><th>Method</th><th>AUC</th></tr><tr><td>a</td><td>{}</td></tr>' \
            '<tr><td>b</td><td>{}</td></tr></table>'  # fmt: skip
    old = _version(tmp_path / "2090/v1", "a", {}, table.format("0.77", "0.5"))
    new = _version(tmp_path / "2090/v2", "b", {}, table.format("0.770", "0.6"))
    assert table_changes(old, new, 2090) == [
        "table t, b, AUC: 0.5 -> 0.6", "numbers rewritten: 1 table cells show the same values with other decimals"
    ]
