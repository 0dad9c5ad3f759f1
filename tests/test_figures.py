"""Figures: deterministic bytes, no volatile metadata, words on the axes."""

from __future__ import annotations

from pathlib import Path

import pytest

from itud import coverage, figures, paths
from itud.load import load_edition


@pytest.fixture(scope="module")
def built():
    edition = load_edition(2019, paths.DATA_DIR)
    mapping = coverage.outcome_mapping(edition)
    return edition, mapping


def _all(edition, mapping):
    return [
        figures.per_sdg(edition, mapping),
        figures.per_action_line(edition, mapping),
        figures.unit_by_target(edition, mapping, "sdg"),
        figures.unit_by_target(edition, mapping, "action_line"),
        figures.group_by_sdg(edition, mapping),
        figures.sdg_by_action_line(edition, mapping),
    ]


def test_same_data_gives_byte_identical_svg_and_png(built, tmp_path: Path):
    for run in ("a", "b"):
        for figure in _all(*built):
            figures.save(figure, tmp_path / run)
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert len(names) == 12
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_no_dates_or_software_strings_in_metadata(built, tmp_path: Path):
    figure = figures.per_sdg(*built)
    files = figures.save(figure, tmp_path)
    svg = (tmp_path / files["svg"]).read_text()
    assert "<dc:date>" not in svg and "Matplotlib v" not in svg
    png = (tmp_path / files["png"]).read_bytes()
    assert b"Software" not in png and b"matplotlib" not in png.lower()


def test_figures_are_titled_captioned_and_sized_for_a4(built):
    for figure in _all(*built):
        assert figure.title and figure.caption.endswith(".")
        width, height = figure.figure.get_size_inches()
        assert width == pytest.approx(6.3) and height <= 9.5


def test_axis_labels_are_words(built):
    sdg_bars = figures.per_sdg(*built).figure.axes[0]
    labels = [t.get_text() for t in sdg_bars.get_yticklabels()]
    assert labels[0] == "17 Partnerships for the goals" and labels[-1] == "1 No poverty"
    assert sdg_bars.get_xlabel() == "number of outcomes linked to the goal"
    heat = figures.unit_by_target(*built, "action_line").figure.axes[0]
    assert [t.get_text() for t in heat.get_xticklabels()][1] == "C2 Information and\ncommunication infrastructure"


def test_values_are_written_on_the_marks(built):
    texts = [t.get_text() for t in figures.per_sdg(*built).figure.axes[0].texts]
    assert "13  (12 + 1 blanket)" in texts and "1  (0 + 1 blanket)" in texts
    matrix = figures.sdg_by_action_line(*built).figure.axes[0]
    assert len(matrix.texts) == 17 * 11
