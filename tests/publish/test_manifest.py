"""Manifests and versions are untrusted input: one schema for manifest.json, applied wherever a manifest is
read; a version of another year, or with files its manifest does not list, is refused by `itud diff` and
named by `itud verify`; a revision is checked against the versions before it; a PDF's bytes are excused
only by what it says. Every case on real copies of the committed 2019 versions."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import zlib
from pathlib import Path

import pytest

from itud import paths
from itud.cli import main
from itud.publish import build, index, manifest, versions
from itud.publish.revisions import revision_number, revision_of

COMMITTED = paths.REPORTS_DIR / "2019"


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    """A reports folder with a copy of every committed 2019 version and the committed index."""
    target = tmp_path / "reports"
    for _, folder in versions.versions(COMMITTED):
        shutil.copytree(folder, target / "2019" / folder.name)
    shutil.copy(paths.REPORTS_DIR / "index.html", target / "index.html")
    return target


def _edit_manifest(version: Path, **changes) -> None:
    data = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    data.update(changes)
    (version / "manifest.json").write_text(json.dumps(data, indent=2), encoding="utf-8")


def _tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): versions.sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def _run(argv: list[str], capsys) -> tuple[int, str, str]:
    status = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return status, out, err


# --- 1. one schema, wherever a manifest is read --------------------------------------------------------------


def test_every_committed_manifest_is_read_as_its_file_holds_it():
    """Old and new shapes alike: nothing invented for the keys the first versions lack, nothing dropped."""
    for _, version in versions.versions(COMMITTED):
        held = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
        assert versions.read_manifest(version) == held
    assert "revision" not in versions.read_manifest(COMMITTED / "v1")
    assert index.index_html(paths.REPORTS_DIR) == (paths.REPORTS_DIR / "index.html").read_text(encoding="utf-8")
    # The published history up to v13 (later versions follow the data, and are checked by the same rule).
    assert [revision_of(version) for _, version in versions.versions(COMMITTED)][:13] == [0, 0, 0, 0, 1, 2, 3, 4, 4,
                                                                                          5, 6, 7, 7]  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "key", "said"),
    [
        ({"build_record": "Pango 1.50.12"}, "build_record", "must be a table (a JSON object), not a JSON string"),
        ({"revision": "7"}, "revision", "must be a whole number, not a JSON string"),
        ({"revision": 7.5}, "revision", "must be a whole number"),
        ({"revision": -1}, "revision", "must be 0 or more"),
        ({"environment": {"python": "3.11", "packages": ["pandas"]}}, "environment.packages", "must be a table"),
        ({"note": None}, "note", "must not be null"),
    ],
)
def test_an_invalid_manifest_is_an_error_naming_the_file_and_the_key_everywhere_it_is_read(
    reports, capsys, changes, key, said
):
    v13 = reports / "2019" / "v13"
    _edit_manifest(v13, **changes)
    where = f"{v13 / 'manifest.json'}, key '{key}'"
    before = _tree(reports)

    status, out, _ = _run(["verify", "2019", "--reports-dir", str(reports)], capsys)
    assert status == 1 and where in out and said in out
    status, out, _ = _run(["diff", "2019", "v12", "v13", "--reports-dir", str(reports)], capsys)
    assert status == 1 and out.startswith("itud diff: not compared: 1 difference(s)") and where in out
    with pytest.raises(manifest.ManifestError, match=re.escape(where)):
        versions.read_manifest(v13)
    with pytest.raises(manifest.ManifestError, match=re.escape(where)):
        index.write_index(reports)
    # the next build stops before any work, saying which file and key; nothing is published
    status, _, err = _run(["report", "--year", "2019", "--reports-dir", str(reports), "--quiet"], capsys)
    assert status == 1 and err.startswith(f"itud report: {where}") and said in err
    assert _tree(reports) == before


def test_a_manifest_that_is_a_json_list_is_named_not_a_crash(reports, capsys):
    v5 = reports / "2019" / "v5"
    (v5 / "manifest.json").write_text("[]", encoding="utf-8")
    before = _tree(reports)
    status, out, _ = _run(["verify", "2019", "--reports-dir", str(reports)], capsys)
    assert status == 1
    assert f"{v5 / 'manifest.json'}: not a manifest (no 'outputs' table of file names and SHA-256)" in out
    assert "it is a JSON array" in out
    # an old version's manifest, too, is checked before publishing: the index could not list it afterwards
    status, _, err = _run(["report", "--year", "2019", "--reports-dir", str(reports), "--quiet"], capsys)
    assert status == 1 and f"{v5 / 'manifest.json'}: not a manifest" in err
    assert _tree(reports) == before
    status, out, _ = _run(["diff", "2019", "v12", "v13", "--reports-dir", str(reports)], capsys)
    assert status == 1 and "v5/manifest.json: not a manifest" in out  # v13's revision follows from v5's


# --- 2. a version of another year, or with other files than its manifest lists --------------------------------


def _as_a_2090_version(source: Path, target: Path) -> Path:
    """A version of a 2090 report, as a 2090 build publishes it (documents report-2090.*, its manifest naming
    2090 and listing exactly its files), copied into `target`."""
    shutil.copytree(source, target)
    for path in sorted(target.glob("report-2019.*")):
        path.rename(path.with_name(path.name.replace("2019", "2090")))
    data = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    data.update(year=2090, version=1, previous_version=None, revision=0, outputs=versions.output_hashes(target))
    data["parameters"]["year"] = 2090
    data["printed_from"] = {"report-2090.pdf": data["printed_from"]["report-2019.pdf"]}
    (target / "manifest.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    return target


def test_a_version_of_another_year_copied_in_is_named_by_verify_and_refused_by_diff(reports, capsys):
    count = len(versions.versions(reports / "2019"))  # the published versions, whatever their number
    copied = _as_a_2090_version(reports / "2019" / "v13", reports / "2019" / f"v{count + 1}")
    status, out, _ = _run(["verify", "2019", "--reports-dir", str(reports)], capsys)
    assert status == 1
    assert f"{copied / 'manifest.json'}, key 'year', value '2090': a version of the 2090 report" in out
    assert f"{copied / 'manifest.json'}, key 'parameters.year', value '2090'" in out
    assert f"{count + 1} version(s) checked, 2 difference(s)" in out
    status, out, _ = _run(["diff", "2019", "v13", copied.name, "--reports-dir", str(reports)], capsys)
    assert status == 1 and out.startswith("itud diff: not compared: 2 difference(s)")
    assert f"{copied / 'manifest.json'}, key 'year'" in out and "Changes from" not in out
    before = _tree(reports)
    status, _, err = _run(["report", "--year", "2019", "--reports-dir", str(reports), "--quiet"], capsys)
    assert status == 1 and f"{copied / 'manifest.json'}, key 'year'" in err and _tree(reports) == before


def test_a_version_whose_files_do_not_match_its_manifest_is_refused_by_diff(reports, capsys):
    table = sorted((reports / "2019" / "v12" / "tables").glob("*.csv"))[0]
    table.write_text(table.read_text(encoding="utf-8").replace("1", "7", 1), encoding="utf-8")
    status, out, _ = _run(["diff", "2019", "v12", "v13", "--reports-dir", str(reports)], capsys)
    assert status == 1
    assert f"  {table}: changed since publishing (SHA-256 differs from the manifest)\n" in out
    status, out, _ = _run(["verify", "2019", "--reports-dir", str(reports)], capsys)
    assert status == 1 and f"{table}: changed since publishing" in out


# --- 3. the revision is a claim, checked against the versions before it ------------------------------------


@pytest.mark.parametrize(
    ("claimed", "said"),
    [
        (999, "v12 is revision 7 and the text, tables, numbers and figures of v13 are v12's, so v13 is revision 7"),
        (8, "so v13 is revision 7"),  # plausible, but v13 changed only the form of v12
        (None, "missing: v12 records its revision, so must every version after it"),
    ],
)
def test_a_newest_manifest_claiming_another_revision_is_refused_not_continued(reports, capsys, claimed, said):
    v13 = reports / "2019" / "v13"
    data = json.loads((v13 / "manifest.json").read_text(encoding="utf-8"))
    if claimed is None:
        del data["revision"]
    else:
        data["revision"] = claimed
    (v13 / "manifest.json").write_text(json.dumps(data), encoding="utf-8")
    where = f"{v13 / 'manifest.json'}, key 'revision'"
    with pytest.raises(manifest.ManifestError, match=re.escape(said)) as refused:
        revision_number(v13)  # what the next version's number would come from: never 1000
    assert str(refused.value).startswith(where)
    status, out, _ = _run(["verify", "2019", "--reports-dir", str(reports)], capsys)
    assert status == 1 and f"{where}" in out and said in out
    status, out, _ = _run(["diff", "2019", "v12", "v13", "--reports-dir", str(reports)], capsys)
    assert status == 1 and where in out
    before = _tree(reports)
    status, _, err = _run(["report", "--year", "2019", "--reports-dir", str(reports), "--quiet"], capsys)
    assert status == 1 and where in err and _tree(reports) == before


def test_an_earlier_revision_claim_is_checked_too(reports, capsys):
    """v11 claims revision 7 (v10 is revision 5 and v11 says something else: 6); verify names v11 once."""
    _edit_manifest(reports / "2019" / "v11", revision=7)
    status, out, _ = _run(["verify", "2019", "--reports-dir", str(reports)], capsys)
    assert status == 1 and f"{len(versions.versions(reports / '2019'))} version(s) checked, 1 difference(s)" in out
    assert "v11/manifest.json, key 'revision', value '7': v10 is revision 5 and the text, tables, numbers and " \
           "figures of v11 differ from v10's, so v11 is revision 6" in out  # fmt: skip


# --- 3. a PDF's bytes are excused by what it says, never by what a manifest claims ----------------------------


def _edited_text(pdf: bytes) -> bytes:
    """The PDF with the first glyph its first page shows replaced by another (its text edited, its bytes
    recompressed): what a hand edit of the published PDF does."""
    match = re.search(rb"5 0 obj\s*<</Filter /FlateDecode/Length (\d+)>>\s*stream\n", pdf)
    start, length = match.end(), int(match[1])
    text = zlib.decompress(pdf[start : start + length])
    edited = re.sub(rb"\[<([0-9a-f]{4})>", lambda m: b"[<%04x>" % (int(m[1], 16) + 1), text, count=1)
    assert edited != text
    packed = zlib.compress(edited)
    head = pdf[: match.start()] + b"5 0 obj\n<</Filter /FlateDecode/Length %d>>\nstream\n" % len(packed)
    return head + packed + pdf[start + length :]


def test_pdf_text_is_what_the_pdf_says_not_its_bytes(tmp_path):
    v12, v13 = (COMMITTED / name / "report-2019.pdf" for name in ("v12", "v13"))
    laid_out_otherwise = tmp_path / "a.pdf"
    laid_out_otherwise.write_bytes(v13.read_bytes() + b"% laid out by another Pango\n")
    assert versions.same_pdf_text(v13, laid_out_otherwise)
    assert "Revision7tothisdocument" in versions.pdf_text(v13)
    assert not versions.same_pdf_text(v12, v13)  # Revision 7 says what changed since Revision 6: not the same
    edited = tmp_path / "b.pdf"
    edited.write_bytes(_edited_text(v13.read_bytes()))
    assert not versions.same_pdf_text(v13, edited)
    garbage = tmp_path / "c.pdf"
    garbage.write_bytes(b"%PDF-1.7\nnot a PDF at all")
    assert not versions.same_pdf_text(garbage, garbage)  # a PDF that shows nothing is not shown to be the same


class _Printer:
    """What `build._compare` asks of the PDF printer: the record of the PDF it printed last."""

    def __init__(self, page: str):
        self.record = {"page": page}


@pytest.mark.parametrize(("edit", "status"), [("comment", "reproduced content"), ("text", "differs")])
def test_a_pdf_whose_bytes_differ_is_reproduced_content_only_when_its_text_is_the_same(reports, edit, status):
    """A copy of v13 whose PDF was changed and whose manifest lists the new PDF and claims another Pango: the
    rebuild (here: the committed v13's files, as this machine builds them) differs in the PDF alone, printed
    from the same page. Only a PDF that says the same is excused; one whose text was edited is a difference."""
    v13 = reports / "2019" / "v13"
    pdf = v13 / "report-2019.pdf"
    if edit == "comment":
        pdf.write_bytes(pdf.read_bytes() + b"% laid out by another Pango\n")
    else:
        pdf.write_bytes(_edited_text(pdf.read_bytes()))
    data = json.loads((v13 / "manifest.json").read_text(encoding="utf-8"))
    data["outputs"]["report-2019.pdf"] = hashlib.sha256(pdf.read_bytes()).hexdigest()
    data["build_record"]["pdf_renderer"]["Pango"] = "1.0.0"
    (v13 / "manifest.json").write_text(json.dumps(data), encoding="utf-8")
    scratch = reports / "2019" / ".tmp-rebuild"
    scratch.mkdir()

    def render(previous=None, note="", kinds=None):
        shutil.copytree(COMMITTED / "v13", scratch, dirs_exist_ok=True)
        (scratch / "manifest.json").unlink()

    verdict = build._compare(
        render, scratch, reports / "2019", 13, versions.read_manifest(v13), _Printer(data["printed_from"]
                                                                                     ["report-2019.pdf"]),
        complete=True,
    )  # fmt: skip
    assert verdict.status == status
    if status == "reproduced content":
        assert any("v13 was built with 1.0.0" in why for why in verdict.why)


# --- 4. a version compared with itself ------------------------------------------------------------------------


def test_diff_of_a_version_with_itself_says_they_are_identical(reports, capsys):
    status, out, _ = _run(["diff", "2019", "v13", "v13", "--reports-dir", str(reports)], capsys)
    assert status == 0
    assert out == (
        "Changes from v13 to v13 of the 2019 report:\n"
        "  - none: v13 and v13 are identical (every file readers see: documents, tables, figures, results)\n"
    )
    assert "only the form changed" not in out
    status, out, _ = _run(["diff", "2019", "v12", "v13", "--reports-dir", str(reports)], capsys)
    assert status == 0 and "only the form changed" in out  # two versions that differ in form alone still say so
