"""Versions that tell the truth: a change of form keeps the revision number, and the changes block says so
only then; the reason a version was published names only the kinds of input that differ.

The versions here are small folders of real files (an HTML document, a results file, a figure, a table) with
manifests made from them, as `build` publishes them; the 2019 manifests are the committed ones."""

from __future__ import annotations

import json
from pathlib import Path

from itud import paths
from itud.publish.revisions import changed_inputs, changes, content, reason, revision_number
from itud.publish.versions import output_hashes, read_manifest, same_software

PAGE = """<html><body><nav><p>Contents</p></nav>
<p class="revision"><strong>{label}</strong></p>
<h2>{heading}</h2>
<p>The outcomes reach 16 of the SDGs.</p>
<table class="data" id="coverage"><tr><th>Objective</th><th>Outcomes</th></tr><tr><td>D.1</td><td>4</td></tr></table>
<figure id="bars"><svg/><figcaption><strong>Figure 1: Outcomes per SDG.</strong></figcaption></figure>
</body></html>"""
FIGURE = {"label": "bars", "section": "coverage", "title": "Outcomes per SDG", "caption": "c", "svg": "b.svg",
          "png": "b.png"}  # fmt: skip
HEAT = {**FIGURE, "label": "heat", "title": "Outcomes per objective and SDG", "svg": "h.svg", "png": "h.png"}
TABLE = {"label": "coverage", "section": "coverage", "caption": "Coverage", "columns": ["Objective", "Outcomes"],
         "rows": [["D.1", 4]], "marks": []}  # fmt: skip


def _results(items: list[dict], numbers: dict) -> str:
    """A notebook's results as `results.NotebookOutput.write` writes them: sorted keys, items in declared order."""
    figures = [i for i in items if "svg" in i]
    tables = [i for i in items if "svg" not in i]
    payload = {"notebook": "02-coverage", "year": 2090, "figures": figures, "tables": tables, "sheets": [],
               "numbers": numbers}  # fmt: skip
    return json.dumps(payload, indent=2, sort_keys=True) + "\n"


def _version(folder: Path, *, revision: int | None = None, heading: str = "Coverage", items=(FIGURE, HEAT, TABLE),
             numbers: dict | None = None, pdf: bytes = b"%PDF-1.7 laid out one way\n") -> Path:  # fmt: skip
    """A published version of SYNTHETIC 2090: its documents, a results file, a figure and a table, and a manifest
    listing their SHA-256 (and the revision it is, as manifests record it since 2019 v9)."""
    label = f"Revision {revision}" if revision else ""
    files = {
        "report-2090.html": PAGE.format(label=label, heading=heading),
        "report-2090.pdf": pdf.decode(),
        "results/02-coverage.json": _results(list(items), numbers or {"sdgs_reached": 16}),
        "figures/bars.svg": "<svg><rect width='4'/></svg>\n",
        "tables/coverage.csv": "Objective,Outcomes\nD.1,4\n",
    }
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    manifest = {"outputs": output_hashes(folder), **({"revision": revision} if revision is not None else {})}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


# --- 1. a change of form keeps the revision number ----------------------------------------------------------


def test_notebook_cells_declaring_items_swapped_keep_the_revision_and_say_only_the_form_changed(tmp_path):
    v16 = _version(tmp_path / "2090/v16", revision=10)
    v17 = _version(tmp_path / "2090/v17", revision=10, items=(HEAT, FIGURE, TABLE), pdf=b"%PDF-1.7 another form\n")
    assert (v16 / "results/02-coverage.json").read_bytes() != (v17 / "results/02-coverage.json").read_bytes()
    form_only = content(v16, 2090) == content(v17, 2090)
    assert form_only
    assert revision_number(v16, content_changed=not form_only) == 10  # v17 is still Revision 10
    assert changes(v16, v17, 2090) == ["The text, tables and numbers are those of Revision 10; only the form changed."]


def test_a_changed_heading_is_a_new_revision_and_the_changes_block_names_it(tmp_path):
    """A heading is neither a paragraph nor a table: the block names it rather than call the change one of form."""
    v16 = _version(tmp_path / "2090/v16", revision=10)
    v17 = _version(tmp_path / "2090/v17", heading="Coverage by objective")
    form_only = content(v16, 2090) == content(v17, 2090)
    assert not form_only and revision_number(v16, content_changed=not form_only) == 11
    assert changes(v16, v17, 2090) == [
        "text removed: \u201cCoverage\u201d", "text added: \u201cCoverage by objective\u201d"
    ]  # fmt: skip


def test_a_key_number_no_document_prints_is_a_new_revision_named_in_the_changes_block(tmp_path):
    v16 = _version(tmp_path / "2090/v16", revision=10)
    v17 = _version(tmp_path / "2090/v17", numbers={"sdgs_reached": 17})
    assert content(v16, 2090) != content(v17, 2090)
    assert changes(v16, v17, 2090) == ["key number sdgs_reached (notebook 02-coverage): 16 -> 17"]


def test_the_committed_2019_revisions_keep_their_number_across_a_change_of_form():
    """2019 v13 changed only the form of v12 (a caption that stays on a phone's screen): both are Revision 7."""
    year = paths.REPORTS_DIR / "2019"
    recorded = {n: read_manifest(year / f"v{n}")["revision"] for n in range(9, 14)}
    assert recorded == {9: 4, 10: 5, 11: 6, 12: 7, 13: 7}
    assert revision_number(year / "v12", content_changed=False) == 7


# --- 2. the reason names only what changed --------------------------------------------------------------------

CODE = {"lib/itud/figures.py": "f1", "lib/itud/load.py": "l1", "report/sections/20-coverage.md.j2": "w1"}
DATA = {"data/2090/edition.toml": "e1", "data/2090/outcomes.csv": "o1", "notebooks/02-coverage.ipynb": "n1"}
ENVIRONMENT = {"python": "3.11", "packages": {"pandas": "2.2.3", "weasyprint": "70.0"},
               "system": {"Pango": "1.50.12", "HarfBuzz": "6.0.0"}}  # fmt: skip


def _manifest(inputs: dict[str, str], environment: dict = ENVIRONMENT, document: str = "a") -> dict:
    return {"inputs": inputs, "environment": environment, "outputs": {"report-2090.html": document}}


def test_a_correction_alone_is_the_only_reason_even_after_the_code_moved_with_its_bytes():
    before = _manifest({**CODE, **DATA})
    moved = {("lib/itud/analysis/figures.py" if name == "lib/itud/figures.py" else name): digest
             for name, digest in CODE.items()}  # fmt: skip
    after = _manifest({**moved, **DATA, "data/2090/corrections.csv": "c1"}, document="b")
    assert changed_inputs(before["inputs"], after["inputs"]) == {"data/2090/corrections.csv"}
    assert reason(before, after) == "a correction to the data"


def test_moved_code_whose_bytes_changed_is_a_change_of_the_code():
    before = _manifest({**CODE, **DATA})
    moved = {**CODE, "lib/itud/analysis/figures.py": "f2"}
    del moved["lib/itud/figures.py"]
    after = _manifest({**DATA, **moved, "data/2090/corrections.csv": "c1"}, document="b")
    assert reason(before, after) == "a change to the corrections and the report's code changed what the documents say"


def test_the_software_is_named_only_when_what_both_manifests_record_differs():
    first = {"python": "3.11.7", "packages": {"pandas": "2.2.3", "weasyprint": "70.0", "jupyterlab": "4.0.0"}}
    assert same_software(first, ENVIRONMENT)  # a patch release, a tool a build does not use, no system recorded
    assert same_software(ENVIRONMENT, json.loads(json.dumps(ENVIRONMENT)))
    assert not same_software(ENVIRONMENT, {**ENVIRONMENT, "packages": {"pandas": "2.2.3", "weasyprint": "71.0"}})
    assert not same_software(ENVIRONMENT, {**ENVIRONMENT, "packages": {**ENVIRONMENT["packages"], "scipy": "1.17"}})
    assert not same_software(ENVIRONMENT, {**ENVIRONMENT, "system": {"Pango": "1.56.3", "HarfBuzz": "6.0.0"}})
    assert not same_software(ENVIRONMENT, {**ENVIRONMENT, "python": "3.12"})
    corrected = {**DATA, **CODE, "data/2090/corrections.csv": "c1"}
    assert reason(_manifest({**DATA, **CODE}, first), _manifest(corrected, document="b")) == "a correction to the data"
    newer = {**ENVIRONMENT, "system": {"Pango": "1.56.3", "HarfBuzz": "6.0.0"}}
    assert reason(_manifest({**DATA, **CODE}), _manifest(corrected, newer, "b")) == (
        "a change to the corrections and the software the report is built with changed what the documents say"
    )


def test_a_kind_of_input_the_older_manifest_did_not_record_is_not_a_change():
    """The first versions recorded requirements.lock and no section templates; later ones the reverse."""
    first = {**DATA, "lib/itud/figures.py": "f1", "requirements.lock": "r1"}
    later = {**DATA, **CODE, "data/2090/outcomes.csv": "o2"}
    assert changed_inputs(first, later) == {"data/2090/outcomes.csv", "lib/itud/load.py"}
    assert changed_inputs(first, {**first, "requirements.lock": "r2"}) == {"requirements.lock"}
    assert reason(_manifest(first), _manifest({**first, "requirements.lock": "r2"}, document="b")) == (
        "a change to the software the report is built with changed what the documents say"
    )


def test_the_committed_2019_reasons_from_v11_on_are_what_the_manifests_say():
    """v9's recorded reason named the software because v9 was the first to record the system libraries, and
    v10's says "the data" for an edition.toml of facts and prose: both were written by older code."""
    year = paths.REPORTS_DIR / "2019"
    for number in (11, 12, 13):
        before, after = read_manifest(year / f"v{number - 1}"), read_manifest(year / f"v{number}")
        form_only = after["revision"] == before["revision"]
        assert reason(before, after, form_only=form_only) == after["reason"]
    v8, v9 = read_manifest(year / "v8"), read_manifest(year / "v9")
    assert reason(v8, v9, form_only=True).startswith("a change to the report's wording and the report's code; only")


def test_an_identifier_kept_on_one_line_is_no_rewording(tmp_path):
    from itud.publish.revisions import paragraph_changes
    from itud.report.render import unbroken_ids

    old, new = tmp_path / "v1", tmp_path / "v2"
    old.mkdir(), new.mkdir()
    text = "Objectives D.3 and D.4, which share 14 SDGs; Q1/1 too."
    (old / "report-2090.html").write_text(f'<p class="numbered"><span class="number">1.</span>{text}</p>')
    (new / "report-2090.html").write_text(f'<p class="numbered"><span class="number">1.</span>{unbroken_ids(text)}</p>')
    assert 'D.4</span>, which' in (new / "report-2090.html").read_text()
    assert paragraph_changes(old, new, 2090) == []  # the same words: said as unchanged
