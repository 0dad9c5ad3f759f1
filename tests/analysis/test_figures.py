"""Figures: deterministic bytes, words on the axes, text inside the canvas and readable, any edition size."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from matplotlib import rc_context
from matplotlib.collections import QuadMesh
from matplotlib.colors import to_rgb
from matplotlib.text import Text

from itud import paths
from itud.analysis import coverage, figures
from itud.data.load import load_edition
from tests.synthetic_editions import write_edition

LARGE = 1000  # outcomes in the large SYNTHETIC edition


@pytest.fixture(scope="module")
def built():
    edition = load_edition(2019, paths.DATA_DIR)
    mapping = coverage.outcome_mapping(edition)
    return edition, mapping


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    """A SYNTHETIC edition of 1,000 outcomes under 30 priorities, one of them without outcomes."""
    data = tmp_path_factory.mktemp("large")
    write_edition(data, 2095, LARGE, objectives=30, empty_objectives=1)
    edition = load_edition(2095, data)
    assert edition.synthetic
    return edition, coverage.outcome_mapping(edition)


@pytest.fixture(scope="module")
def many(tmp_path_factory):
    """A SYNTHETIC edition with more priorities than a page holds rows."""
    data = tmp_path_factory.mktemp("many")
    write_edition(data, 2098, figures.MAX_ROWS * 3, objectives=figures.MAX_ROWS + 5)
    edition = load_edition(2098, data)
    return edition, coverage.outcome_mapping(edition)


@pytest.fixture(scope="module")
def with_empty(tmp_path_factory):
    """A small SYNTHETIC edition: 16 outcomes, a priority with no outcomes, a study group with no questions."""
    data = tmp_path_factory.mktemp("empty")
    write_edition(data, 2096, 16, objectives=5, empty_objectives=1, empty_study_groups=1)
    return load_edition(2096, data)


@pytest.fixture(scope="module")
def saved(built, tmp_path_factory) -> Path:
    """The 2019 figures, drawn afresh and saved once. (Not the shared `drawn` ones: a test that lays those out
    first, as `test_no_text_outside_the_canvas` does, runs constrained layout on them twice, which moves a
    label by a fraction of a point, and the files then depended on the order the tests ran in.)"""
    folder = tmp_path_factory.mktemp("saved")
    for figure in _all(*built):
        figures.save(figure, folder)
    return folder


def _draw(figure) -> None:
    """Lay out and draw without writing a file: every error a save would meet, at less cost."""
    with rc_context(figures.STYLE):
        figure.figure.draw_without_rendering()


def _all(edition, mapping):
    return figures.every_outcome_figure(edition, mapping)


@pytest.fixture(scope="module")
def drawn(request):
    """`drawn("large")`: every outcome figure of that edition fixture, drawn once for the tests that only
    inspect them (a large edition's figures take seconds)."""
    made: dict[str, list] = {}

    def figures_of(fixture: str) -> list:
        if fixture not in made:
            made[fixture] = _all(*request.getfixturevalue(fixture))
        return made[fixture]

    return figures_of


def _drawn_texts(figure) -> list[Text]:
    """Every text the figure draws: visible, not empty, and (for tick labels) inside the axis' view."""
    hidden = set()
    for ax in figure.axes:
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not low - 1e-9 <= tick.get_loc() <= high + 1e-9:
                    hidden |= {id(tick.label1), id(tick.label2)}
    return [t for t in figure.findobj(Text) if t.get_visible() and t.get_text().strip() and id(t) not in hidden]


def _wcag_luminance(colour) -> float:
    channels = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in to_rgb(colour)]
    return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]


def _contrast(a, b) -> float:
    light, dark = sorted((_wcag_luminance(a), _wcag_luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.slow
def test_same_data_gives_byte_identical_svg_and_png(built, saved: Path, tmp_path: Path):
    """A bar chart and a heatmap drawn again (every figure of a build is compared with the published
    ones by tests/test_committed_reports.py)."""
    assert sorted(p.stem for p in saved.glob("*.svg")) == sorted(p.stem for p in saved.glob("*.png"))
    for figure in (figures.per_sdg(*built), figures.sdg_by_action_line(*built)):
        for name in figures.save(figure, tmp_path).values():
            assert (saved / name).read_bytes() == (tmp_path / name).read_bytes(), name


def test_no_dates_or_software_strings_in_metadata(built, tmp_path: Path):
    figure = figures.per_sdg(*built)
    files = figures.save(figure, tmp_path)
    svg = (tmp_path / files["svg"]).read_text()
    assert "<dc:date>" not in svg and "Matplotlib v" not in svg
    png = (tmp_path / files["png"]).read_bytes()
    assert b"Software" not in png and b"matplotlib" not in png.lower()


def test_svg_keeps_text_as_text_in_fonts_every_viewer_has(saved: Path):
    for path in saved.glob("*.svg"):
        svg = path.read_text()
        assert "<text" in svg and 'id="DejaVuSans-' not in svg, path.name  # no glyphs drawn as paths
        assert "font-family: 'DejaVu Sans'" in svg and ", sans-serif" in svg, path.name
    svg = (saved / "outcomes-per-sdg.svg").read_text()
    assert ">17 Partnerships for the goals</text>" in svg  # a reader's search finds the goal


def test_figures_are_titled_captioned_and_sized_for_a4(drawn):
    for figure in drawn("built"):
        assert figure.title and figure.caption.endswith(".")
        assert figure.layout == "full" and figure.note == ""
        width, height = figure.figure.get_size_inches()
        assert width == pytest.approx(6.3) and height <= figures.A4_TEXT_HEIGHT


def test_axis_labels_are_words(built):
    sdg_bars = figures.per_sdg(*built).figure.axes[0]
    labels = [t.get_text() for t in sdg_bars.get_yticklabels()]
    assert labels[0] == "17 Partnerships for the goals" and labels[-1] == "1 No poverty"
    assert sdg_bars.get_xlabel() == "number of outcomes linked to the goal"
    heat = figures.unit_by_target(*built, "action_line")
    assert [t.get_text() for t in heat.figure.axes[0].get_xticklabels()][1] == "C2"  # the code, the name in the key
    assert "C2 Information and communication infrastructure;" in heat.caption
    lines = figures.per_action_line(*built).figure.axes[0]
    assert [t.get_text() for t in lines.get_yticklabels()][-1].replace("\n", " ") == (
        "C1 The role of public governance authorities and all stakeholders in the promotion of ICTs for development "
        "[co-facilitator]"
    )  # the whole name, wrapped, never cut with "…"


@pytest.mark.slow
@pytest.mark.parametrize("edition_fixture", ["built", "large", "many"])
def test_every_text_prints_at_8_pt_or_more_and_no_label_is_cut(drawn, edition_fixture):
    printed = 17 / (figures.A4_TEXT_WIDTH * 2.54)  # figures are drawn 6.3 in wide, printed 17 cm wide
    assert printed >= 1 and figures.A4_TEXT_HEIGHT * 2.54 * printed <= 23.3  # the print CSS's max-height
    for figure in drawn(edition_fixture):
        for text in _drawn_texts(figure.figure):
            assert text.get_fontsize() * printed >= 8, (figure.name, text.get_text(), text.get_fontsize())
            assert "\u2026" not in text.get_text(), (figure.name, text.get_text())


def test_each_figure_says_what_it_shows_and_carries_its_numbers(built):
    for figure in _all(*built):
        assert figure.alt and figure.alt != figure.caption, figure.name
        assert figure.data is not None and len(figure.data), figure.name
    bars = figures.per_sdg(*built)
    assert "most: SDG 17 Partnerships for the goals" in bars.alt
    assert list(bars.data.columns) == ["SDG", "name", "outcomes linked", "specific outcomes", "blanket outcomes"]
    assert bars.data["outcomes linked"].tolist() == bars.data["specific outcomes"].add(
        bars.data["blanket outcomes"]).tolist()  # fmt: skip
    matrix = figures.sdg_by_action_line(*built)
    assert matrix.values.shape == (17 * 11, 3)  # one row per value: SDG, Action Line, count
    counts = coverage.sdg_action_line_matrix(built[1])
    again = matrix.values.set_index(["SDG", "Action Line"]).iloc[:, 0].unstack()[list(counts.columns)]
    assert again.equals(counts.rename_axis(index="SDG", columns="Action Line"))


def test_values_are_written_on_the_marks(built):
    texts = [t.get_text() for t in figures.per_sdg(*built).figure.axes[0].texts]
    assert "13  (12 + 1 blanket)" in texts and "1  (0 + 1 blanket)" in texts
    matrix = coverage.sdg_action_line_matrix(built[1])
    shown = figures.sdg_by_action_line(*built).figure.axes[0]
    assert len(shown.texts) == int((matrix > 0).to_numpy().sum())


def test_sparse_matrix_leaves_zero_cells_blank(built):
    specific = coverage.sdg_action_line_matrix(built[1], exclude_blanket=True)
    assert (specific == 0).to_numpy().any()  # the 2019 matrix without blanket outcomes is sparse
    ax = figures.sdg_by_action_line(*built, exclude_blanket=True).figure.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert "0" not in texts and len(texts) == int((specific > 0).to_numpy().sum())


@pytest.mark.slow
@pytest.mark.parametrize("edition_fixture", ["built", "large", "many"])
def test_no_text_outside_the_canvas(request, drawn, edition_fixture):
    edition, mapping = request.getfixturevalue(edition_fixture)
    pages = figures.unit_by_target_pages(edition, mapping, "sdg")
    specific = figures.sdg_by_action_line(edition, mapping, exclude_blanket=True)
    for figure in [*drawn(edition_fixture), specific, pages[0], pages[-1]]:
        with rc_context(figures.STYLE):
            figure.figure.draw_without_rendering()
            renderer = figure.figure._get_renderer()
            canvas = figure.figure.bbox
            for text in _drawn_texts(figure.figure):
                box = text.get_window_extent(renderer)
                inside = (
                    box.x0 >= canvas.x0 - 0.5
                    and box.y0 >= canvas.y0 - 0.5
                    and box.x1 <= canvas.x1 + 0.5
                    and box.y1 <= canvas.y1 + 0.5
                )
                assert inside, f"{figure.name}: {text.get_text()!r} at {box.extents} outside {canvas.extents}"


@pytest.mark.slow
@pytest.mark.parametrize("edition_fixture", ["built", "large"])
def test_digits_contrast_with_their_cell(drawn, edition_fixture):
    checked, kinds = 0, set()
    for figure in drawn(edition_fixture):
        for ax in figure.figure.axes:
            meshes = [c for c in ax.collections if isinstance(c, QuadMesh)]
            if not meshes:
                continue
            mesh = meshes[0]
            rows, cols = mesh.get_coordinates().shape[:2]
            mesh.update_scalarmappable()
            colours = mesh.get_facecolors()  # one RGBA per cell, row by row
            for text in ax.texts:
                x, y = text.get_position()
                if not (text.get_text().isdigit() or text.get_text() == "×") or not 0 < x < cols - 1:
                    continue  # not a cell's number or mark (e.g. the words across an empty row, a margin count)
                cell = colours[int(y) * (cols - 1) + int(x)]
                ratio = _contrast(text.get_color(), cell[:3])
                assert ratio >= 4.5, f"{figure.name}: {text.get_text()!r} at {ratio:.2f}:1"
                checked += 1
                kinds.add(figure.name)
    assert {"sdg-by-action-line", "sdg-by-action-line-gaps", "objective-by-sdg"} <= kinds
    if edition_fixture == "large":
        assert "outcome-by-sdg" in kinds  # the summary's percentages


def test_axis_limits_fit_the_data(built):
    edition, mapping = built
    for figure, dimension in ((figures.per_sdg(*built), "sdg"), (figures.per_action_line(*built), "action_line")):
        ax = figure.figure.axes[0]
        total = coverage.coverage_by_target(mapping, dimension)["outcomes"].max()
        low, high = ax.get_xlim()
        assert low == 0 and total < high < 2 * total  # room for the value labels, not a fixed factor
        with rc_context(figures.STYLE):
            figure.figure.draw_without_rendering()
            renderer = figure.figure._get_renderer()
            right = ax.get_window_extent(renderer).x1
            assert all(t.get_window_extent(renderer).x1 <= right + 0.5 for t in ax.texts), figure.name
    heat = figures.unit_by_target(*built, "sdg").figure.axes[0]
    assert heat.get_xlim() == (0, 17) and heat.get_ylim() == (len(mapping.units), 0)


def test_gap_view_marks_pairs_no_specific_outcome_reaches(built):
    specific = coverage.sdg_action_line_matrix(built[1], exclude_blanket=True)
    figure = figures.sdg_action_line_gaps(*built)
    assert figure.name == "sdg-by-action-line-gaps" and "not the UN WSIS-SDG Matrix" in figure.caption
    texts = [t.get_text() for t in figure.figure.axes[0].texts]
    assert texts.count("×") == int((specific == 0).to_numpy().sum())
    assert texts.count("1") >= int((specific == 1).to_numpy().sum())
    pairs = coverage.least_reached_pairs(built[1])
    assert len(pairs) == 17 * 11 and pairs["outcomes"].is_monotonic_increasing
    assert (pairs["outcomes"] == 0).sum() == (specific == 0).to_numpy().sum()


def test_matrix_is_not_taken_for_the_official_un_matrix(built):
    for exclude in (False, True):
        figure = figures.sdg_by_action_line(*built, exclude_blanket=exclude)
        assert "not the UN WSIS-SDG Matrix" in figure.title and "ITU-D" in figure.title


def test_dollar_in_a_name_is_shown_literally(tmp_path: Path):
    name = "$5 or $10^2$"  # mathtext would set '5 or ' in italics and 10 squared
    write_edition(tmp_path / "data", 2097, 16, short_name=name)
    edition = load_edition(2097, tmp_path / "data")
    mapping = coverage.outcome_mapping(edition)
    figure = figures.group_by_sdg(edition, mapping)
    files = figures.save(figure, tmp_path / "out")
    svg = (tmp_path / "out" / files["svg"]).read_text()
    assert f">P.1 {name}</text>" in svg
    label = next(t for t in figure.figure.axes[0].get_yticklabels() if t.get_text().startswith("P.1"))
    assert label._preprocess_math(label.get_text()) == (f"P.1 {name}", False)
    assert figures.literal("a $b$ c") == r"a \$b\$ c"


@pytest.mark.slow
def test_empty_objective_and_study_group_are_shown_not_errors(with_empty):
    edition = with_empty
    outcomes = coverage.outcome_mapping(edition)
    questions = coverage.question_mapping(edition)
    empty_priority = edition.objectives["objective"].iloc[-1]
    empty_group = edition.study_groups["study_group"].iloc[-1]
    assert coverage.empty_groups(outcomes) == [empty_priority]
    assert coverage.empty_groups(questions) == [empty_group]
    for mapping, empty in ((outcomes, empty_priority), (questions, empty_group)):
        table = coverage.coverage_by_group(mapping)
        assert table.loc[empty, f"{mapping.unit}s"] == 0 and table.loc[empty, "sdgs_reached"] == 0
        assert table.loc[empty, "sdgs_not_reached"] == list(range(1, 18))
        assert coverage.group_target_share(mapping, "sdg").loc[empty].isna().all()
        coverage.group_overlap(mapping, "sdg")
        coverage.role_coverage(mapping, edition.itu_roles)
        for figure in _all(edition, mapping):
            _draw(figure)
        for figure in (figures.unit_by_target(edition, mapping, "sdg"), figures.group_by_sdg(edition, mapping)):
            texts = [t.get_text() for t in figure.figure.axes[0].texts]
            assert f"{empty}: no {mapping.unit}s" in texts, figure.name
            assert f"no {mapping.unit}s" in figure.caption


def test_no_units_at_all_draws_empty_figures(with_empty):
    mapping = coverage.outcome_mapping(with_empty)
    nothing = coverage.Mapping(
        mapping.unit,
        mapping.group,
        mapping.units.iloc[:0],
        mapping.groups,
        {k: v.iloc[:0] for k, v in mapping.links.items()},
    )
    assert coverage.coverage_by_group(nothing)["outcomes"].sum() == 0
    assert coverage.not_reached(nothing, "sdg") == list(range(1, 18))
    assert len(coverage.least_reached_pairs(nothing)) == 187
    for figure in _all(with_empty, nothing):
        _draw(figure)


@pytest.mark.slow
def test_large_edition_figures_fit_a4_and_say_how_they_were_reduced(large, drawn):
    edition, mapping = large
    for figure in drawn("large"):
        assert figure.figure.get_size_inches()[1] <= figures.A4_TEXT_HEIGHT, figure.name
        assert figure.layout in figures.LAYOUTS
    summary = figures.unit_by_target(edition, mapping, "sdg")
    assert summary.layout == "summary" and f"{LARGE:,} outcomes" in summary.note
    assert summary.caption.endswith(summary.note) and summary.name == "outcome-by-sdg"
    pages = figures.unit_by_target_pages(edition, mapping, "action_line")
    assert len(pages) > 1 and {p.layout for p in pages} == {"split"}
    assert pages[0].note.startswith(f"Part 1 of {len(pages)}")
    shown = []
    for page in pages:
        ticks = [t.get_text() for t in page.figure.axes[0].get_yticklabels()]
        assert len(ticks) <= figures.MAX_ROWS and page.figure.get_size_inches()[1] <= figures.A4_TEXT_HEIGHT
        shown += [t.removesuffix("  (blanket)") for t in ticks]
    expected = list(mapping.units["outcome"]) + coverage.empty_groups(mapping)
    assert sorted(shown) == sorted(expected)  # every outcome once, and the empty priority's row


def test_many_groups_become_a_spread_summary(many):
    edition, mapping = many
    for figure in (figures.group_by_sdg(edition, mapping), figures.unit_by_target(edition, mapping, "sdg")):
        assert figure.layout == "summary" and "too many" in figure.note
        assert figure.figure.get_size_inches()[1] <= figures.A4_TEXT_HEIGHT
        _draw(figure)


def _png_size(data: bytes) -> tuple[int, int]:
    return struct.unpack(">II", data[16:24])


def test_notebook_shows_a_light_png_and_files_stay_at_print_quality(built, tmp_path: Path):
    figure = figures.unit_by_target(*built, "sdg")
    files = figures.save(figure, tmp_path)
    printed = (tmp_path / files["png"]).read_bytes()
    shown = figure._repr_png_()
    width, height = figure.figure.get_size_inches()
    assert _png_size(printed) == (round(width * figures.DPI), round(height * figures.DPI))
    assert _png_size(shown) == (round(width * figures.DISPLAY_DPI), round(height * figures.DISPLAY_DPI))
    assert len(shown) < len(printed) / 2  # a quarter of the pixels, both with 256 colours
    assert np.isclose(figures.contrast_ratio("black", "white"), 21)


def test_synthetic_editions_never_go_into_data():
    with pytest.raises(ValueError, match="SYNTHETIC editions never go into"):
        write_edition(paths.DATA_DIR, 2094, 16)
    assert not (paths.DATA_DIR / "2094").exists()


def test_showing_a_figure_before_saving_it_changes_no_byte(built, saved: Path, tmp_path: Path):
    figure = figures.sdg_by_action_line(*built)
    shown = figure._repr_png_()
    files = figures.save(figure, tmp_path)
    for name in files.values():
        assert (tmp_path / name).read_bytes() == (saved / name).read_bytes(), name
    assert figure._repr_png_() == shown


def test_a_build_s_kernels_draw_no_preview_and_the_files_are_the_same(built, saved: Path, tmp_path, monkeypatch):
    monkeypatch.setenv(paths.FIGURE_PREVIEWS, "off")
    figure = figures.sdg_by_action_line(*built)
    assert figure._repr_png_() is None  # IPython then shows the text alone
    files = figures.save(figure, tmp_path)
    for name in files.values():
        assert (tmp_path / name).read_bytes() == (saved / name).read_bytes(), name


def test_saved_svg_geometry_is_rounded_and_text_is_not():
    svg = (
        '<path d="M 10.123456 20.654321 L 50 20 z" transform="scale(0.015625 -0.015625)"/>'
        '<text x="5.123456" style="font: 10.000001px">Share 12.345678</text>'
    )
    assert figures._rounded(svg) == (  # noqa: SLF001
        '<path d="M 10.12 20.65 L 50 20 z" transform="scale(0.01562 -0.01562)"/>'
        '<text x="5.12" style="font: 10px">Share 12.345678</text>'
    )


@pytest.mark.parametrize("size", [(2.01, 3.005), (6.07, 2.0), (6.3, 5.6)])
def test_raw_drawing_has_the_size_agg_gives_whatever_the_rounding(size):
    """2.01 in x 200 dpi is 401.99999... pixels: Agg makes 402 columns; reading them as 401 would shear the image."""
    import io

    from matplotlib.figure import Figure as MplFigure
    from PIL import Image, ImageChops

    figure = MplFigure(figsize=size)
    figure.add_subplot().plot([1, 2])
    png = io.BytesIO()
    with rc_context(figures.STYLE):  # as `_drawn` draws
        figure.savefig(png, format="png", dpi=figures.DPI)
    expected = Image.open(png).convert("RGB")
    drawn = figures._drawn(figure, figures.DPI)  # noqa: SLF001
    assert drawn.size == expected.size
    assert ImageChops.difference(drawn, expected).getbbox() is None  # the same pixels


def test_an_analysts_own_chart_is_saved_in_the_report_style(tmp_path: Path):
    from itud.report.results import NotebookResults

    edition = load_edition(2019)
    chart, ax = figures.chart("outcomes-per-objective", "Outcomes per objective", "One bar per objective.", height=2.5)
    counts = edition.outcomes.groupby("objective").size()
    ax.bar(counts.index, counts.values)
    out = NotebookResults("02-coverage-by-objective", edition, tmp_path)
    out.figure(chart, section="coverage")
    (item,) = out.figures
    assert (item.label, item.title, item.caption) == (
        "outcomes-per-objective",
        "Outcomes per objective",
        "One bar per objective.",
    )
    svg = (tmp_path / "figures" / "outcomes-per-objective.svg").read_text(encoding="utf-8")
    assert ">D.4</text>" in svg  # real text, as the report's own
    assert "Outcomes per objective" not in svg  # the documents' caption gives the title; the drawing does not repeat it
    assert chart.figure.get_figwidth() == figures.A4_TEXT_WIDTH
