"""The comparison of a version's build record with this machine names only real differences: never "None" or
"not recorded" against a record that has the value, and fonts compared as the font files a PDF embeds.

The records are real: made here by `buildinfo.record` from the pinned font files, and the committed record of
the tiny document's PDF (tests/expected/tiny-document.json)."""

from __future__ import annotations

import copy
import hashlib
import json

from itud.run import buildinfo
from tests.conftest import TESTS_DIR

FONTS = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf")  # what the report's PDF embeds


def _pinned(name: str) -> str:
    return hashlib.sha256((buildinfo.font_dir() / name).read_bytes()).hexdigest()


def _here() -> dict:
    """The build record a PDF printed here with the report's three fonts has."""
    return buildinfo.record({name: _pinned(name) for name in FONTS})


def test_a_build_that_printed_no_pdf_is_compared_as_this_machine_and_its_pinned_fonts():
    """A build that stops at the HTML (or publishes) has an empty record: its Python, libraries and fonts are
    still this machine's, so a version built here an hour before agrees with it."""
    here = _here()
    for empty in ({}, {"page": "0" * 64}, {"python": None, "pdf_renderer": {}, "fonts": {}}):
        assert buildinfo.differences(here, empty, "v17") == []


def test_a_record_without_a_value_is_never_said_as_none_or_not_recorded():
    here = _here()
    older = copy.deepcopy(here)
    del older["pdf_renderer"]["HarfBuzz subsetter"], older["pdf_renderer"]["cairo"], older["python"]
    older["pdf_renderer"]["Pango"] = "0.0.1"
    said = buildinfo.differences(older, here, "v9")
    assert said == [
        f"this machine's Pango is {here['pdf_renderer']['Pango']}, v9 was built with 0.0.1",
        "v9 did not record its python, HarfBuzz subsetter, cairo",
    ]
    assert not [line for line in said if "None" in line or "not recorded" in line]
    newer = copy.deepcopy(here)
    newer["pdf_renderer"]["a library no longer recorded"] = "1.0"
    assert buildinfo.differences(newer, here, "v18") == []


def test_the_committed_record_is_compared_with_this_machine_without_a_pdf_printed_here():
    committed = json.loads((TESTS_DIR / "expected" / "tiny-document.json").read_text(encoding="utf-8"))
    said = buildinfo.differences(committed, {}, "the committed PDF")
    assert said == buildinfo.differences(committed, {**_here(), "fonts": committed["fonts"]}, "the committed PDF")
    assert not [line for line in said if "None" in line or "not recorded" in line or "embeds the font" in line]


def test_fonts_are_compared_by_their_bytes_not_by_how_their_files_are_named():
    here = _here()
    named_otherwise = {**here, "fonts": {f"/usr/share/fonts/truetype/{name}": _pinned(name) for name in FONTS}}
    assert buildinfo.differences(named_otherwise, here, "v17") == []
    other = {**here, "fonts": {**here["fonts"], "DejaVuSans-Bold.ttf": "b" * 64, "Inter.ttf": "c" * 64}}
    del other["fonts"]["DejaVuSans-Oblique.ttf"]
    assert buildinfo.differences(other, here, "v17") == [
        "the font file DejaVuSans-Bold.ttf differs from the one v17 embedded (SHA-256)",
        "this PDF embeds the font DejaVuSans-Oblique.ttf, which v17's does not",
        "v17's PDF embeds the font Inter.ttf, which this one does not",
    ]
    assert buildinfo.differences(other, {}, "v17") == [  # no PDF printed here: this machine's pinned fonts
        "the font file DejaVuSans-Bold.ttf differs from the one v17 embedded (SHA-256)",
        "v17's PDF embeds the font Inter.ttf, which is not among this machine's pinned fonts",
    ]
