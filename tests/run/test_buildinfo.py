"""The build record and the PDF's independence from the machine: the same bytes whatever the clock says and
whether or not HarfBuzz's optional subsetter (`libharfbuzz-subset0`) is installed; what stays the machine's
(Pango, HarfBuzz, FreeType, fontconfig) is recorded and compared in words."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from itud import paths
from itud.report import render
from itud.run import buildinfo
from tests.conftest import TESTS_DIR
from tests.report.test_report import _tiny_document

EXPECTED = TESTS_DIR / "expected"

# The subsetter made unavailable as on a machine without libharfbuzz-subset0: WeasyPrint loads its libraries
# with cffi, so the test refuses that one library there, before WeasyPrint is imported.
_WITHOUT_SUBSETTER = """
import sys, cffi
from pathlib import Path
load = cffi.FFI.dlopen
def refuse_the_subsetter(ffi, name, *args, **kwargs):
    if name and "harfbuzz-subset" in str(name):
        raise OSError(f"{name}: hidden by the test")
    return load(ffi, name, *args, **kwargs)
cffi.FFI.dlopen = refuse_the_subsetter
import weasyprint.text.ffi
assert weasyprint.text.ffi.harfbuzz_subset is None
from itud.report import render
from tests.report.test_report import _tiny_document
render.write_pdf(_tiny_document("T <x>"), Path(sys.argv[1]))
"""


def test_the_pdf_is_the_same_whatever_the_clock_and_whether_or_not_the_subsetter_is_installed(tmp_path):
    page = render.html(_tiny_document("T <x>"), for_print=True)
    record = render.print_pdf(page, tmp_path / "first.pdf", render.figures_url(_tiny_document("T <x>")))
    time.sleep(1.1)  # fontTools stamped subset fonts with the current second
    subprocess.run(
        [sys.executable, "-c", _WITHOUT_SUBSETTER, str(tmp_path / "without.pdf")],
        cwd=paths.PROJECT_ROOT, check=True, timeout=120,
    )  # fmt: skip
    first = (tmp_path / "first.pdf").read_bytes()
    assert (tmp_path / "without.pdf").read_bytes() == first
    expected = json.loads((EXPECTED / "tiny-document.json").read_text(encoding="utf-8"))
    assert record["page"] == expected["page"]  # what the PDF says does not depend on the machine
    here = {k: record["pdf_renderer"][k] for k in buildinfo.system_libraries()} | {"fonts": record["fonts"]}
    there = {k: expected["pdf_renderer"][k] for k in buildinfo.system_libraries()} | {"fonts": expected["fonts"]}
    if here != there:
        pytest.skip("the committed PDF was printed with other system libraries: " + "; ".join(
            buildinfo.differences(expected, record, "the committed PDF")))  # fmt: skip
    assert first == (EXPECTED / "tiny-document.pdf").read_bytes()


def test_the_build_record_names_the_libraries_fonts_and_subsetter():
    record = buildinfo.record({"DejaVuSans.ttf": "ab"})
    libraries = buildinfo.system_libraries()
    assert set(libraries) == {"Pango", "HarfBuzz", "FreeType", "fontconfig"}
    assert all(version.count(".") == 2 for version in libraries.values()), libraries
    assert record["pdf_renderer"]["Pango"] == libraries["Pango"]
    assert record["pdf_renderer"]["HarfBuzz subsetter"].endswith("; not used (fontTools subsets the fonts)")
    assert record["pdf_renderer"]["font subsetting"].startswith("fontTools ")
    assert record["fonts"] == {"DejaVuSans.ttf": "ab"} and record["python"].startswith("3.11.")


def test_differences_are_said_in_words():
    old = buildinfo.record({"DejaVuSans.ttf": "a", "DejaVuSans-Bold.ttf": "b"})
    new = json.loads(json.dumps(old))
    assert buildinfo.differences(old, new, "v8") == []
    new["pdf_renderer"]["Pango"] = "1.56.3"
    old["pdf_renderer"]["Pango"] = "1.50.12"
    new["fonts"] = {"DejaVuSans.ttf": "c", "DejaVuSans-Oblique.ttf": "d"}
    assert buildinfo.differences(old, new, "v8") == [
        "this machine's Pango is 1.56.3, v8 was built with 1.50.12",
        "v8's PDF embeds the font DejaVuSans-Bold.ttf, which this one does not",
        "this PDF embeds the font DejaVuSans-Oblique.ttf, which v8's does not",
        "the font file DejaVuSans.ttf differs from the one v8 embedded (SHA-256)",
    ]
    assert buildinfo.differences(None, new, "v3") == [
        "v3 records no build environment (it was published before itud recorded one)"
    ]


def test_the_pdf_finds_only_the_pinned_fonts_and_dates_them_from_their_files(monkeypatch):
    import os

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "12")
    monkeypatch.delenv("FONTCONFIG_FILE", raising=False)
    with buildinfo.pinned_pdf_environment():
        conf = Path(os.environ["FONTCONFIG_FILE"]).read_text(encoding="utf-8")
        epoch = int(os.environ["SOURCE_DATE_EPOCH"])
    assert f"<dir>{buildinfo.font_dir()}</dir>" in conf and conf.count("<dir>") == 1
    assert epoch == buildinfo.font_epoch() and 0 < epoch < time.time()
    assert os.environ["SOURCE_DATE_EPOCH"] == "12" and "FONTCONFIG_FILE" not in os.environ  # restored after it


def write_expectation() -> None:
    """Print the tiny document again as the committed expectation (after a change to the report's template or
    to the pinned fonts): `.venv/bin/python -m tests.test_buildinfo`. Commit both files it writes."""
    page = render.html(_tiny_document("T <x>"), for_print=True)
    record = render.print_pdf(page, EXPECTED / "tiny-document.pdf", render.figures_url(_tiny_document("T <x>")))
    fields = {k: record[k] for k in ("fonts", "machine", "page", "pdf_renderer", "python")}
    (EXPECTED / "tiny-document.json").write_text(json.dumps(fields, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {EXPECTED / 'tiny-document.pdf'} and {EXPECTED / 'tiny-document.json'}")


if __name__ == "__main__":
    write_expectation()
