"""Figures of the coverage statistics, readable in colour and in greyscale print, at any edition size.

Every mark carries its value or a symbol, so no figure depends on colour alone;
digits are black or white, whichever contrasts more with their cell (WCAG ratio
at least 4.5:1), and cells with nothing to count stay blank. Sizes fit an A4
page: 6.3 in wide and at most `A4_TEXT_HEIGHT` tall. A per-outcome figure with
more rows than fit a page legibly (`MAX_ROWS`) becomes a summary per objective
(`layout="summary"`), or is drawn as one page per group of objectives by
`unit_by_target_pages` (`layout="split"`); the figure's `note` says which, and
ends its caption, so the report says it too.

`save` writes SVG (text kept as text, DejaVu Sans named with fallbacks) and a
print PNG that are byte-identical for the same data: fixed `svg.hashsalt`, no
dates or software strings in the metadata, fixed dpi, fonts shipped with
matplotlib. Jupyter shows a light PNG at `DISPLAY_DPI`, so executed notebooks
stay small. Names from the data are shown literally (`$` is not TeX).
"""

from __future__ import annotations

import io
import math
import os
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb, to_rgba
from matplotlib.figure import Figure as MplFigure
from matplotlib.layout_engine import PlaceHolderLayoutEngine
from matplotlib.legend_handler import HandlerTuple
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FixedLocator, MaxNLocator
from PIL import Image

from itud import paths
from itud.analysis import coverage
from itud.analysis.coverage import Mapping
from itud.data.grammar import listing, plural_form
from itud.data.load import Edition

A4_TEXT_WIDTH = 6.3  # inches: A4 (8.27 in) less 2 cm margins each side
A4_TEXT_HEIGHT = 8.6  # inches: the tallest figure; printed 1.06 x (17 cm wide), it leaves room for its caption
DPI = 200  # the files saved for the report
DISPLAY_DPI = 100  # what a notebook shows (630 px wide): readable, and light enough for executed notebooks
assert DPI % DISPLAY_DPI == 0, "the notebook's picture is the print one reduced by a whole factor"
HEADER = 2.0  # inches above and below the rows of a heatmap: title, column labels, legend
ROW_HEIGHT = 0.24  # inches per heatmap row when there is room
MIN_ROW_HEIGHT = 0.18  # inches per row at the smallest legible size (8 pt labels, 13 pt apart)
MAX_ROWS = int((A4_TEXT_HEIGHT - HEADER) / MIN_ROW_HEIGHT) - 1  # rows one A4 page holds legibly
SMALL = 8  # points: the smallest text of any figure. Figures are drawn 6.3 in wide and printed 17 cm (PDF, Word)
# wide, so every label prints at 8 pt or more (issue: labels of 6.5 pt printed at 6.9 pt were too small).
FONTS = ["DejaVu Sans", "Bitstream Vera Sans", "Arial", "Helvetica", "Liberation Sans"]
STYLE = {
    # DejaVu Sans ships with matplotlib, so PNGs are the same everywhere; SVGs keep their text as text and
    # name fallbacks of equal or smaller width, then the generic family, for viewers without DejaVu.
    "font.family": "sans-serif",
    "font.sans-serif": FONTS,
    "font.size": SMALL,
    "axes.titlesize": 10,
    "axes.labelsize": 8.5,
    "figure.titlesize": 10.5,
    "legend.fontsize": SMALL,
    "svg.hashsalt": "itud-report",
    "svg.fonttype": "none",
    "figure.dpi": DPI,  # lay out at print resolution: hinted text is a little wider than at screen dpi
    "savefig.dpi": DPI,
    "figure.constrained_layout.w_pad": 5 / 72,  # a margin for text drawn at other resolutions or fonts
    "figure.constrained_layout.h_pad": 5 / 72,
}
LAYOUTS = ("full", "summary", "split")
# Hatches made of straight lines: a dotted hatch ("...") is drawn as thousands of tiny circles, which made
# one figure's SVG 130 KB and its PDF page slow to render. Vertical lines, not horizontal ones: the
# legend's swatch is wide and short, and its top and bottom edges can hide horizontal lines.
ROLE_HATCH = {"facilitator": "", "co-facilitator": "///", "partner": "|||", "none": "xx"}
ROLE_GREY = {"facilitator": "#303030", "co-facilitator": "#707070", "partner": "#a8a8a8", "none": "#d8d8d8"}
EMPTY_CELL = "#eeeeee"  # the row of a group with no units
GAP_LEVELS = [  # (label, colour, symbol) for 0, 1, 2 and 3 or more specific units; greys keep the order
    ("× no specific {unit}: a gap", "#b2182b", "×"),
    ("1 specific {unit}", "#ef8a62", "1"),
    ("2 specific {unit}s", "#fddbc7", "2"),
    ("3 or more: blank", "#ffffff", ""),
]


@dataclass
class Figure:
    """A figure with the words that go with it in the notebook and the report."""

    name: str  # file stem
    title: str
    caption: str
    figure: MplFigure
    png: bytes | None = None  # the light PNG Jupyter shows, drawn once
    layout: str = "full"  # one of LAYOUTS: every unit drawn, a summary, or one page of several
    note: str = ""  # how the figure was summarised or split (empty when "full"); also ends the caption
    alt: str = ""  # what the figure shows, in words: its largest and smallest values and its pattern
    data: pd.DataFrame | None = None  # the numbers it draws, as the report's appendix prints them
    values: pd.DataFrame | None = None  # the same numbers one row per value (the workbook's sheet); `data` if None

    def __repr__(self) -> str:  # stable text, so notebook outputs hold no memory addresses
        return f"<Figure {self.name}: {self.title}>"

    def _repr_png_(self) -> bytes | None:
        """A light PNG for the notebook (DISPLAY_DPI, 64 colours); `save` makes it from its own drawing.
        None (no picture, only the text) where `paths.FIGURE_PREVIEWS` is "off": in a build's kernels, whose notebooks
        a version keeps with their figures by reference (its figures/ folder has them)."""
        if os.environ.get(paths.FIGURE_PREVIEWS) == "off":
            return None
        if self.png is None:
            _freeze_layout(self.figure)  # the layout `save` uses, whichever comes first
            self.png = _palette_png(_drawn(self.figure, DISPLAY_DPI))
        return self.png


def _freeze_layout(figure: MplFigure, drawn: bool = False) -> None:
    """Lay the figure out once at print dpi (constrained layout), then keep that layout for every output.
    `drawn`: it was just drawn at print dpi, which laid it out (`save` took its title off first)."""
    if figure.get_layout_engine() is not None and not isinstance(figure.get_layout_engine(), PlaceHolderLayoutEngine):
        if not drawn:
            _without_title(figure)
            with rc_context(STYLE):
                figure.set_dpi(DPI)
                figure.draw_without_rendering()
        figure.set_layout_engine("none")


def _without_title(figure: MplFigure) -> None:
    """The documents' caption gives the figure's title ("Figure 3: <title>. <caption>"), so the saved drawing
    does not say it again. Only before the layout is frozen: after, its room would stay as a blank band."""
    if isinstance(figure.get_layout_engine(), PlaceHolderLayoutEngine) or figure.get_layout_engine() is None:
        return
    suptitle = getattr(figure, "_suptitle", None)  # matplotlib keeps no public handle on it
    if suptitle is not None:
        suptitle.set_visible(False)
        suptitle.set_in_layout(False)
    for ax in figure.axes:
        for loc in ("left", "center", "right"):
            ax.set_title("", loc=loc)


def _drawn(figure: MplFigure, dpi: int) -> Image.Image:
    """The figure drawn by Agg at `dpi`, as an RGB image (raw pixels: no PNG written and read back)."""
    buffer = io.BytesIO()
    with rc_context(STYLE):
        figure.savefig(buffer, format="rgba", dpi=dpi)
    pixels = buffer.getvalue()
    # Raw pixels carry no size: Agg's canvas is the figure's size in pixels, rounded one way or the other.
    wide, high = figure.get_figwidth() * dpi, figure.get_figheight() * dpi
    count = len(pixels) // 4
    for width in sorted({math.floor(wide), math.ceil(wide)}, key=lambda w: abs(w - wide)):
        if count % width == 0 and abs(count // width - high) <= 1:
            return Image.frombuffer("RGBA", (width, count // width), pixels).convert("RGB")
    raise RuntimeError(f"Agg drew {count} pixels for a figure of {wide:g} x {high:g} pixels")


_LONG_DECIMAL = re.compile(r"(-?\d+\.\d{3,})")
_GEOMETRY = ("d", "x", "y", "width", "height", "x1", "x2", "y1", "y2", "cx", "cy", "r", "transform", "points",
             "style", "viewBox")  # fmt: skip
_GEOMETRY_ATTRIBUTE = re.compile(r"(\s(?:" + "|".join(_GEOMETRY) + r')=")([^"]*)(")')


def _round_number(match: re.Match) -> str:
    """A coordinate to a hundredth of a point; a small factor (a scale of 0.015625) keeps 4 significant digits."""
    value = float(match[1])
    text = f"{value:.2f}" if abs(value) >= 1 else f"{value:.4g}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _rounded(svg: str) -> str:
    """SVG with its geometry to a hundredth of a point: matplotlib writes six decimals and has no setting
    for it. Only geometric attributes are touched (never the text a reader sees); the difference is
    invisible, the file (and the HTML and PDF that embed it) smaller."""
    return _GEOMETRY_ATTRIBUTE.sub(lambda m: m[1] + _LONG_DECIMAL.sub(_round_number, m[2]) + m[3], svg)


_FONT_FAMILY = re.compile(r"font-family: ([^;\"]*)(?:; |(?=\"))")


def _shared_font_family(svg: str) -> str:
    """SVG whose text elements name their fonts once, in its style sheet, instead of each in its own
    `style` (matplotlib repeats the list of fallback fonts on every label: a third of a heatmap's bytes).
    Left as it is when the labels use different fonts."""
    families = set(_FONT_FAMILY.findall(svg))
    if len(families) != 1 or '<style type="text/css">' not in svg:
        return svg
    (family,) = families
    svg = _FONT_FAMILY.sub("", svg).replace('; "', '"')
    return svg.replace('<style type="text/css">', f'<style type="text/css">text{{font-family: {family}}}', 1)


def _palette_png(image: Image.Image) -> bytes:
    """The PNG with a 64-colour palette: the figures' colours are flat and their edges anti-aliased, so the
    change does not show, and the file is a third of the size. Fast octree quantisation at zlib's default
    level: a third of the time of median cut with `optimize` (0.15 s against 0.86 s for the 2019 figures),
    files 7% smaller, a mean error of about 1 in 255 per channel."""
    buffer = io.BytesIO()
    image.quantize(colors=64, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(
        buffer, format="PNG", compress_level=6
    )
    return buffer.getvalue()


def literal(text: str) -> str:
    """Text that matplotlib shows as written: every `$` escaped, so no mathtext (TeX) is parsed."""
    return str(text).replace("$", r"\$")


def _wrap(text: str, width: int) -> str:
    """Text wrapped at `width` characters onto as many lines as it needs: a label is never cut short."""
    return literal("\n".join(textwrap.wrap(str(text), width, break_on_hyphens=False)))


def sdg_labels(sdgs: pd.DataFrame, width: int = 34) -> dict[int, str]:
    """`{1: '1 No poverty', ...}` from the SDG reference table (the goals' short names: 41 characters at most)."""
    return {int(r.sdg): _wrap(f"{int(r.sdg)} {r.short_name}", width) for r in sdgs.itertuples()}


def action_line_labels(action_lines: pd.DataFrame, width: int = 34, codes: bool = False) -> dict[str, str]:
    """`{'C1': 'C1 The role of public governance\\nauthorities and ...', ...}` from the Action Line reference
    table; `codes`: the defined short names alone (`{'C1': 'C1'}`), for columns too narrow for the names,
    whose figure then carries `action_line_key` in its caption."""
    if codes:
        return {r.action_line: r.action_line for r in action_lines.itertuples()}
    return {r.action_line: _wrap(f"{r.action_line} {r.name}", width) for r in action_lines.itertuples()}


def action_line_key(action_lines: pd.DataFrame) -> str:
    """The key to a figure whose columns are named by Action Line codes: every code with its full name."""
    return "Action Lines: " + "; ".join(f"{r.action_line} {r.name}" for r in action_lines.itertuples()) + "."


def relative_luminance(colour) -> float:
    """WCAG 2 relative luminance of a colour (0 black to 1 white)."""
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in to_rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a, b) -> float:
    """WCAG 2 contrast ratio of two colours (1 to 21)."""
    light, dark = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def ink(background) -> str:
    """Black or white, whichever contrasts more with `background`: always at least 4.58:1."""
    return "black" if contrast_ratio("black", background) >= contrast_ratio("white", background) else "white"


def _new(width: float, height: float) -> tuple[MplFigure, Axes]:
    with rc_context(STYLE):
        figure = MplFigure(figsize=(width, min(height, A4_TEXT_HEIGHT)), layout="constrained")
        return figure, figure.add_subplot()


def chart(name: str, title: str, caption: str, height: float = 4.0) -> tuple[Figure, Axes]:
    """An empty figure of the report's width and style, for an analyst's own chart: draw on the axes, then
    hand the figure to `out.figure(...)`. `name` names its files; `height` is in inches (at most a page)."""
    figure, ax = _new(A4_TEXT_WIDTH, height)
    ax.set_title(title, loc="left")
    return Figure(name, title, caption, figure), ax


def _row_height(rows: int) -> float:
    """Inches per heatmap row: roomy for few rows, down to the smallest legible size for a full page."""
    return max(MIN_ROW_HEIGHT, min(ROW_HEIGHT, (A4_TEXT_HEIGHT - HEADER) / max(rows, 1)))


def _a(word: str) -> str:
    """'an objective', 'a priority', 'an outcome', 'a question'."""
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word if n == 1 else plural_form(word)}"


def _extremes(values: pd.Series, name, unit: str = "", most: str = "most", fewest: str = "fewest") -> str:
    """'most: SDG 17 (13 outcomes); fewest: SDG 2 and SDG 6 (1 outcome each)' for a series of counts
    (`unit` empty: the bare numbers)."""
    if values.empty:
        return "nothing"
    top, bottom = values.max(), values.min()

    def amount(v) -> str:
        return _plural(int(v), unit) if unit else f"{v:g}"

    def named(v):
        keys = [name(k) for k, x in values.items() if x == v]
        return f"{listing(keys)} ({amount(v)}{' each' if len(keys) > 1 else ''})"

    if top == bottom:
        return f"all the same: {amount(top)} each"
    return f"{most}: {named(top)}; {fewest}: {named(bottom)}"


def _matrix_values(matrix: pd.DataFrame, row: str, column: str, value: str) -> pd.DataFrame:
    """A matrix as one row per cell: (row, column, value), rows in the matrix's order."""
    long = matrix.rename_axis(index=row, columns=column).stack(future_stack=True).rename(value).reset_index()
    return long


def _matrix_data(matrix: pd.DataFrame, row: str, row_names: dict) -> pd.DataFrame:
    """A matrix as the appendix prints it: the row's id and name first, then one column per matrix column."""
    shown = matrix.copy()
    shown.columns = [str(c) for c in shown.columns]
    shown.insert(0, row, [f"{k} {row_names[k]}" if k in row_names else str(k) for k in matrix.index])
    return shown.reset_index(drop=True)


def _matrix_alt(matrix: pd.DataFrame, what: str, row_name, column_name, value: str, total: str = "total") -> str:
    """Alt text of a count grid: its size, the largest cells, how many are 0, and the fullest row."""
    data = matrix.to_numpy(dtype=float)
    if data.size == 0:
        return f"{what}: empty."
    top = np.nanmax(data)
    cells = [f"{row_name(r)} with {column_name(c)}" for r in matrix.index for c in matrix.columns
             if matrix.loc[r, c] == top]  # fmt: skip
    shown = listing(cells[:3]) + (f" and {len(cells) - 3} more" if len(cells) > 3 else "")
    zeros = int((data == 0).sum())
    totals = matrix.sum(axis=1)
    return (
        f"{what}, the number of {plural_form(value)} in each cell. The largest, {top:g}, is {shown}; "
        + (f"{zeros} of {data.size} cells are 0. " if zeros else "no cell is 0. ")
        + f"By row, {_extremes(totals, row_name, '', f'the largest {total}', 'the smallest')}."
    )


def _fit_xlim(figure: MplFigure, ax: Axes, totals: list[float], labels: list) -> None:
    """Right axis limit just wide enough for the longest bar and its value label (fitted to the data)."""
    figure.draw_without_rendering()
    renderer = figure._get_renderer()
    width = ax.get_window_extent(renderer).width
    right = 1.0
    for total, label in zip(totals, labels, strict=True):
        margin = 6 * figure.dpi / 72  # points: the label's offset and a margin
        share = min((label.get_window_extent(renderer).width + margin) / width, 0.8)
        right = max(right, total / (1 - share))
    ax.set_xlim(0, right * 1.02)


def _finish_bars(
    figure: MplFigure,
    ax: Axes,
    total: pd.Series,
    specific: pd.Series,
    ticks: list[str],
    xlabel: str,
    handles: list,
    title: str,
    words: list[str],
    small: bool = False,
) -> None:
    """Value labels at the bar ends ('total (specific + blanket)'), axis words, legend below, title."""
    labels = []
    for i, key in enumerate(total.index):
        extra = total[key] - specific[key]
        text = f"{total[key]}" + (f"  ({specific[key]} + {extra} blanket)" if extra else "")
        labels.append(
            ax.annotate(text, (total[key], i), xytext=(3, 0), textcoords="offset points", va="center", fontsize=SMALL)
        )
    ax.set_yticks(range(len(ticks)), ticks, fontsize=None)
    ax.set_ylim(-0.6, len(ticks) - 0.4)
    ax.set_xlabel(xlabel)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.spines[["top", "right"]].set_visible(False)
    # Swatches taller than the default (0.7 of the font size), so that their hatching shows several lines.
    figure.legend(
        handles=handles,
        labels=words,
        loc="outside lower center",
        ncol=3 if small else 2,
        frameon=False,
        handlelength=2.6,
        handleheight=1.6,
        handler_map={tuple: HandlerTuple(ndivide=None, pad=0)},
    )
    figure.suptitle(title)
    _fit_xlim(figure, ax, [float(v) for v in total], labels)


def _bar_data(total: pd.Series, specific: pd.Series, key: str, names: dict, unit: str, extra: dict | None = None):
    """The numbers a bar chart draws, one row per bar in the reference order: linked, specific, blanket."""
    order = sorted(total.index, key=lambda k: list(names).index(k))
    frame = pd.DataFrame({key: list(order), "name": [names[k] for k in order]})  # SDGs as numbers, as in every sheet
    for column, values in (extra or {}).items():
        frame[column] = [values.get(k, "") for k in order]
    frame[f"{plural_form(unit)} linked"] = [int(total[k]) for k in order]
    frame[f"specific {plural_form(unit)}"] = [int(specific[k]) for k in order]
    frame[f"blanket {plural_form(unit)}"] = [int(total[k] - specific[k]) for k in order]
    return frame


def _bars_alt(kind: str, total: pd.Series, specific: pd.Series, name, unit: str, targets: str) -> str:
    """Alt text of a bar chart: what it counts, the most and fewest linked, and the blanket share."""
    only_blanket = [name(k) for k in total.index if total[k] > 0 and specific[k] == 0]
    unreached = [name(k) for k in total.index if total[k] == 0]
    words = f"{kind}: the number of {plural_form(unit)} linked to each of the {targets}; "
    words += f"{_extremes(total, name, unit)}."
    if only_blanket:
        words += f" Reached only through blanket {plural_form(unit)}: {listing(only_blanket)}."
    if unreached:
        words += f" Reached by no {unit}: {listing(unreached)}."
    return words


def sdg_bars(by_sdg: pd.DataFrame, by_sdg_specific: pd.DataFrame, sdgs: pd.DataFrame, unit: str = "outcome") -> Figure:
    """Outcomes per SDG, in SDG colours; the part owed to blanket outcomes is hatched."""
    with rc_context(STYLE):
        figure, ax = _new(A4_TEXT_WIDTH, 5.4)
        labels = sdg_labels(sdgs)
        colours = dict(zip(sdgs["sdg"].astype(int), sdgs["colour"], strict=True))
        order = list(by_sdg.index)[::-1]
        total = by_sdg.loc[order, f"{unit}s"]
        specific = by_sdg_specific.loc[order, f"{unit}s"]
        y = range(len(order))
        ax.barh(y, specific, color=[colours[s] for s in order], edgecolor="black", linewidth=0.5)
        ax.barh(y, total - specific, left=specific, color="white", edgecolor="black", hatch="////", linewidth=0.5)
        title = f"How many {unit}s contribute to each SDG"
        # The swatch of the specific part shows the goals' colours (four of them side by side), as the bars do.
        swatch = tuple(Patch(facecolor=colours[s], edgecolor="black", linewidth=0.5) for s in list(colours)[:4])
        blanket = Patch(facecolor="white", edgecolor="black", hatch="////")
        _finish_bars(
            figure,
            ax,
            total,
            specific,
            [labels[s] for s in order],
            f"number of {unit}s linked to the goal",
            [swatch, blanket],
            title,
            [f"specific {unit}s (in the goal's colour)", f"blanket {unit}s (linked to all {len(sdgs)})"],
        )
    names = dict(zip(sdgs["sdg"].astype(int), sdgs["short_name"], strict=True))
    return Figure(
        f"{unit}s-per-sdg",
        title,
        f"Number of {unit}s linked to each Sustainable Development Goal. The hatched part is owed to blanket "
        f"{unit}s, which are linked to all {len(sdgs)} goals; the coloured part is what specific {unit}s reach.",
        figure,
        alt=_bars_alt("Bar chart", total, specific, lambda s: f"SDG {s} {names[s]}", unit, f"{len(sdgs)} SDGs"),
        data=_bar_data(total, specific, "SDG", names, unit),
    )


ROLE_WORDS = {"facilitator": "ITU is facilitator", "co-facilitator": "ITU is co-facilitator",
              "partner": "ITU is partner", "none": "no role for ITU"}  # fmt: skip


def action_line_bars(
    by_line: pd.DataFrame,
    by_line_specific: pd.DataFrame,
    action_lines: pd.DataFrame,
    roles: pd.DataFrame,
    unit: str = "outcome",
) -> Figure:
    """Outcomes per Action Line, shaded and hatched by ITU's role; blanket part outlined."""
    role = dict(zip(roles["action_line"], roles["role"], strict=True)) if len(roles) else {}
    order = list(by_line.index)[::-1]
    # The full name of each Action Line, wrapped (never cut), and ITU's role for it after the name.
    ticks = [
        _wrap(f"{line} {name} [{role.get(line, 'role not known')}]", 50)
        for line, name in (zip(action_lines["action_line"], action_lines["name"], strict=True))
    ]
    ticks = dict(zip(action_lines["action_line"], ticks, strict=True))
    lines = sum(ticks[line].count("\n") + 1 for line in order)
    with rc_context(STYLE):
        figure, ax = _new(A4_TEXT_WIDTH, 1.8 + 0.16 * lines + 0.1 * len(order))
        total = by_line.loc[order, f"{unit}s"]
        specific = by_line_specific.loc[order, f"{unit}s"]
        for i, line in enumerate(order):
            r = role.get(line, "none")
            ax.barh(i, specific[line], color=ROLE_GREY[r], hatch=ROLE_HATCH[r], edgecolor="black", linewidth=0.5)
            ax.barh(
                i,
                total[line] - specific[line],
                left=specific[line],
                color="white",
                edgecolor="black",
                linewidth=0.5,
                linestyle="--",
            )
        drawn = {role.get(line, "none") for line in order if specific[line] > 0}  # roles a bar shows
        shown = [r for r in ROLE_GREY if r in drawn]
        handles = [Patch(facecolor=ROLE_GREY[r], hatch=ROLE_HATCH[r], edgecolor="black", linewidth=0.5) for r in shown]
        handles.append(Patch(facecolor="white", edgecolor="black", linewidth=0.5, linestyle="--"))
        words = [ROLE_WORDS[r] for r in shown] + [f"blanket {unit}s"]
        title = f"How many {unit}s help implement each WSIS Action Line, by ITU's role"
        _finish_bars(figure, ax, total, specific, [ticks[line] for line in order],
                     f"number of {unit}s linked to the Action Line", handles, title, words, small=True)  # fmt: skip
    names = dict(zip(action_lines["action_line"], action_lines["name"], strict=True))
    return Figure(
        f"{unit}s-per-action-line",
        title,
        f"Number of {unit}s linked to each WSIS Action Line. Shading and hatching show ITU's role for the Action "
        "Line (facilitator, co-facilitator, partner, none); the dashed part is owed to blanket "
        f"{unit}s linked to all {len(action_lines)} Action Lines.",
        figure,
        alt=_bars_alt(
            "Bar chart", total, specific, lambda a: f"{a} {names[a]}", unit, f"{len(action_lines)} WSIS Action Lines"
        ),
        data=_bar_data(
            total, specific, "Action Line", names, unit, {"ITU's role": {a: role.get(a, "not known") for a in names}}
        ),
    )


def _unit_rows(matrix: pd.DataFrame, units: pd.DataFrame, group: str, groups: list) -> list[tuple[str, str | None]]:
    """(group, unit) per heatmap row in group order; `(group, None)` is the row of a group with no units."""
    by_group: dict[str, list[str]] = {g: [] for g in groups}
    for unit, parent in zip(units[units.columns[0]], units[group], strict=True):
        if unit in matrix.index:
            by_group.setdefault(parent, []).append(unit)
    return [(g, u) for g, members in by_group.items() for u in (members or [None])]


def _empty_row(ax: Axes, row: int, cols: int, text: str) -> None:
    ax.add_patch(Rectangle((0, row), cols, 1, facecolor=EMPTY_CELL, edgecolor="none", zorder=0.5))
    ax.text(cols / 2, row + 0.5, literal(text), ha="center", va="center", fontsize=SMALL, style="italic")


def unit_heatmap(
    matrix: pd.DataFrame,
    units: pd.DataFrame,
    *,
    group: str,
    column_labels: dict,
    column_colours: dict | None,
    blanket: list[str],
    dimension_words: str,
    name: str,
    groups: list | None = None,
    title_suffix: str = "",
    layout: str = "full",
    note: str = "",
    group_words: str = "",
    column_names: dict | None = None,
    column_word: str = "",
    key: str = "",
    linked_by: str = "the source links",
) -> Figure:
    """Units (rows, grouped) x SDGs or Action Lines (columns): a filled cell with a dot where linked.

    `column_names` (plain names, for the alt text) and `column_word` ("SDG") name the columns in words;
    `key` (the full names of coded columns) ends the caption.

    `groups` (all groups, in order) adds a labelled empty row for each group with no units in `matrix`.
    Draw at most `MAX_ROWS` rows per figure: `unit_by_target` and `unit_by_target_pages` choose.
    """
    unit_word = units.columns[0]
    group_words = group_words or group.replace("_", " ")
    rows = _unit_rows(matrix, units, group, list(groups) if groups is not None else list(dict.fromkeys(units[group])))
    n_rows, cols = len(rows), matrix.shape[1]
    with rc_context(STYLE):
        figure, ax = _new(A4_TEXT_WIDTH, HEADER + max(n_rows, 6) * _row_height(n_rows))  # room for the y label
        members = [u for _, u in rows if u is not None]
        linked = np.zeros((n_rows, cols), dtype=bool)
        filled = [i for i, (_, u) in enumerate(rows) if u is not None]
        linked[filled] = matrix.loc[members].to_numpy() > 0
        palette = np.array([to_rgba((column_colours or {}).get(c, "#404040")) for c in matrix.columns])
        cells = np.where(linked[..., None], palette[None, :, :], np.array(to_rgba("white")))
        ax.pcolormesh(np.arange(cols + 1), np.arange(n_rows + 1), cells, edgecolors="#cccccc", linewidth=0.4)
        ii, jj = np.nonzero(linked)
        marks = [ink(palette[j]) for j in jj]
        ax.scatter(jj + 0.5, ii + 0.5, s=9, c=marks, marker="o", linewidths=0)
        for i, (parent, unit) in enumerate(rows):
            if unit is None:
                _empty_row(ax, i, cols, f"{parent}: no {unit_word}s")
        for i in range(1, n_rows):
            if rows[i][0] != rows[i - 1][0]:
                ax.axhline(i, color="black", linewidth=1.2)
        ax.set_xlim(0, cols)
        ax.set_ylim(n_rows, 0)
        ax.set_xticks(
            [j + 0.5 for j in range(cols)], [column_labels[c] for c in matrix.columns], rotation=90, fontsize=SMALL
        )
        ax.xaxis.tick_top()
        ticks = [literal(parent if u is None else (f"{u}  (blanket)" if u in blanket else u)) for parent, u in rows]
        ax.set_yticks([i + 0.5 for i in range(n_rows)], ticks, fontsize=None)
        ax.tick_params(length=0)
        ax.set_ylabel(f"{plural_form(unit_word)} by {group_words}")
        title = f"{unit_word.capitalize()}s and the {dimension_words} they contribute to{title_suffix}"
        ax.set_title(title, pad=6)
    caption = (
        f"Each row is {_a(unit_word)}, each column one of the {dimension_words}; a filled cell with a dot "
        f"means {linked_by} the {unit_word} to it. Black lines separate the {plural_form(group_words)}"
        + (f"; a grey row marks {_a(group_words)} with no {unit_word}s." if len(rows) > len(members) else ".")
    )
    column_word = column_word or "column"
    linked_frame = matrix.loc[members] > 0
    per_unit = linked_frame.sum(axis=1)
    per_column = linked_frame.sum(axis=0)
    column_name = (lambda c: f"{column_word} {c} {column_names[c]}") if column_names else str
    alt = (
        f"Grid of {_plural(len(members), unit_word)} (rows, by {group_words}) against the {dimension_words} "
        f"(columns), {_plural(int(per_unit.sum()), 'link')} in all. Per {unit_word}, "
        f"{_extremes(per_unit, str, column_word, 'most links', 'fewest')}. Per {column_word}, "
        f"{_extremes(per_column, column_name, unit_word, 'linked by most', 'by fewest')}."
    )
    parent = dict(zip(units[unit_word], units[group], strict=True))
    data = pd.DataFrame({
        unit_word: members,
        group_words: [parent[u] for u in members],
        f"{plural_form(column_word)} linked": [int(per_unit[u]) for u in members],
        plural_form(column_word): [[c for c in matrix.columns if linked_frame.loc[u, c]] for u in members],
    })  # fmt: skip
    values = pd.DataFrame(
        [(u, parent[u], c) for u in members for c in matrix.columns if linked_frame.loc[u, c]],
        columns=[unit_word, group_words, column_word],
    )
    caption = caption + (f" {key}" if key else "") + (f" {note}" if note else "")
    return Figure(name, title, caption, figure, layout=layout, note=note, alt=alt, data=data, values=values)


def _grid_labels(ax: Axes, rows: list[str], columns: list[str], x_top: bool = False) -> None:
    ax.set_xticks([j + 0.5 for j in range(len(columns))], columns, rotation=90, fontsize=SMALL)
    ax.set_yticks([i + 0.5 for i in range(len(rows))], rows)
    if x_top:
        ax.xaxis.tick_top()
    ax.tick_params(length=0)
    ax.set_xlim(0, len(columns))
    ax.set_ylim(len(rows), 0)


# The heatmaps are drawn with pcolormesh and text rather than seaborn.heatmap: seaborn picks the colour of
# each annotation by its own luminance threshold (white on mid-grey at about 3:1) and writes every 0, while
# the report needs WCAG contrast per cell, blank zeros and labelled empty rows.
def _annotated_heatmap(
    values: pd.DataFrame,
    texts: list[list[str]],
    *,
    figure: MplFigure,
    ax: Axes,
    colorbar_label: str,
    empty_rows: dict | None = None,
    vmax: float | None = None,
) -> None:
    """Grey cells by value (0 is white), each non-empty cell's text in the ink that contrasts most with it.

    `empty_rows` maps a row key to the words shown across it (a group with no units); its cells stay blank.
    """
    data = values.to_numpy(dtype=float)
    top = vmax if vmax is not None else (np.nanmax(data) if np.isfinite(data).any() else 0)
    mesh = ax.pcolormesh(
        np.arange(data.shape[1] + 1),
        np.arange(data.shape[0] + 1),
        np.ma.masked_invalid(data),
        cmap="Greys",
        vmin=0,
        vmax=max(float(top), 1.0),
        edgecolors="#dddddd",
        linewidth=0.4,
    )
    for i, row in enumerate(texts):
        for j, text in enumerate(row):
            if text:
                ax.text(j + 0.5, i + 0.5, text, ha="center", va="center", fontsize=SMALL,
                        color=ink(mesh.to_rgba(data[i, j])))  # fmt: skip
    for i, key in enumerate(values.index):
        if empty_rows and key in empty_rows:
            _empty_row(ax, i, data.shape[1], empty_rows[key])
    colorbar = figure.colorbar(mesh, ax=ax, shrink=0.6, fraction=0.05, aspect=25, label=colorbar_label)
    # Every whole number when the bar has room for them (a fifth of an inch each), else 0, the middle and the
    # largest value, so that the largest count is always labelled and no two labels touch.
    # (The bar is 0.6 of the axes, whose height is the figure's less about 2.9 in of titles and labels.)
    length = 0.6 * max(figure.get_figheight() - 2.9, data.shape[0] * MIN_ROW_HEIGHT)
    top_tick = int(np.ceil(max(float(top), 1.0)))
    roomy = length / max(top_tick, 1) >= 0.2
    ticks = list(range(top_tick + 1)) if roomy else sorted({0, (top_tick + 1) // 2, top_tick})
    colorbar.locator = FixedLocator(ticks) if vmax is None else MaxNLocator(integer=True)
    colorbar.update_ticks()
    colorbar.outline.set_linewidth(0.4)


def count_heatmap(
    matrix: pd.DataFrame,
    *,
    row_labels: dict,
    column_labels: dict,
    name: str,
    title: str,
    caption: str,
    xlabel: str,
    ylabel: str,
    height: float,
    colorbar_label: str = "number of outcomes",
    empty_rows: dict | None = None,
    words: tuple[str, str, str] = ("row", "column", "outcome"),
    row_names: dict | None = None,
    value: str = "",
) -> Figure:
    """A count matrix with every non-zero count written in its cell (greys, so print keeps the order); 0 is blank.

    `words`: what a row, a column and a counted unit are called ("SDG", "Action Line", "outcome"), and
    `row_names` the rows' names, for the alt text and the figure's numbers; `value`: what a cell counts, the
    header of the figure's values (default "outcomes linked to both", for a row and a column both linked)."""
    with rc_context(STYLE):
        figure, ax = _new(A4_TEXT_WIDTH, height)
        texts = [[f"{int(v)}" if v else "" for v in row] for row in matrix.to_numpy()]
        _annotated_heatmap(matrix, texts, figure=figure, ax=ax, colorbar_label=colorbar_label, empty_rows=empty_rows)
        _grid_labels(ax, [row_labels[r] for r in matrix.index], [column_labels[c] for c in matrix.columns])
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        figure.suptitle("\n".join(textwrap.wrap(title, 72)))
    row, column, unit = words
    return Figure(
        name, title, caption, figure,
        alt=_matrix_alt(matrix, f"Grid of {_plural(matrix.shape[0], row)} by {_plural(matrix.shape[1], column)}",
                        lambda r: f"{row} {r}", lambda c: f"{column} {c}", unit, f"number of {unit}-{column} links"),
        data=_matrix_data(matrix, row, row_names or {}),
        values=_matrix_values(matrix, row, column, value or f"{plural_form(unit)} linked to both"),
    )  # fmt: skip


def spread_chart(
    values: pd.DataFrame,
    *,
    column_labels: dict,
    name: str,
    title: str,
    caption: str,
    xlabel: str,
    note: str,
    words: tuple[str, str, str] = ("group", "column", "value"),
) -> Figure:
    """Per column of `values` (an SDG or Action Line), how the rows (groups) spread: one box plot each.

    The summary of a group-level matrix with more groups than a page holds; its size does not grow. `words`:
    the headers of the figure's values, one row per cell: what a row is, what a column is, what a cell holds.
    """
    with rc_context(STYLE):
        columns = list(values.columns)
        figure, ax = _new(A4_TEXT_WIDTH, 1.6 + 0.28 * len(columns))
        data = [values[c].dropna().to_numpy(dtype=float) for c in columns]
        ax.boxplot(data, orientation="horizontal", whis=(0, 100), widths=0.6, patch_artist=True,
                   boxprops={"facecolor": "#d8d8d8", "linewidth": 0.6}, medianprops={"color": "black"},
                   whiskerprops={"linewidth": 0.6}, capprops={"linewidth": 0.6})  # fmt: skip
        ax.set_yticks(range(1, len(columns) + 1), [column_labels[c] for c in columns])
        ax.set_ylim(len(columns) + 0.5, 0.5)
        top = max((float(d.max()) for d in data if len(d)), default=0.0)
        ax.set_xlim(0, max(top, 1.0) * 1.02)
        ax.set_xlabel(xlabel)
        ax.spines[["top", "right"]].set_visible(False)
        figure.suptitle("\n".join(textwrap.wrap(title, 72)))
    spread = values.describe().T[["min", "25%", "50%", "75%", "max"]].round(1)
    spread.columns = ["smallest", "first quartile", "median", "third quartile", "largest"]
    spread.insert(0, "column", [str(column_labels[c]).replace("\n", " ") for c in columns])
    widest, highest = spread["largest"] - spread["smallest"], spread["median"].max()
    alt = (
        f"Box plots, one per row of the chart: {xlabel}. The highest median is {highest:g} "
        f"({listing(list(spread['column'][spread['median'] == highest]))}); "
        f"the widest spread is {listing(list(spread['column'][widest == widest.max()]))}."
    )
    return Figure(name, title, f"{caption} {note}", figure, layout="summary", note=note, alt=alt,
                  data=spread.reset_index(drop=True),
                  values=_matrix_values(values, *words))  # fmt: skip


def save(figure: Figure, out_dir: Path) -> dict[str, str]:
    """Write `<name>.svg` and `<name>.png` (print dpi), byte-identical for the same figure; sets `figure.png`,
    the notebook's picture."""
    out_dir.mkdir(parents=True, exist_ok=True)
    _without_title(figure.figure)
    with rc_context(STYLE):
        # Drawn once at print dpi: the Word document's picture and, halved, the notebook's own picture.
        # The layout is worked out in this drawing, then kept for the SVG (`_freeze_layout` without a
        # drawing of its own).
        drawn = _drawn(figure.figure, DPI)
        _freeze_layout(figure.figure, drawn=True)
        svg = out_dir / f"{figure.name}.svg"
        figure.figure.savefig(svg, format="svg", dpi=DPI, metadata={"Date": None, "Creator": None})
        svg.write_text(_shared_font_family(_rounded(svg.read_text(encoding="utf-8"))), encoding="utf-8")
        png = out_dir / f"{figure.name}.png"
        png.write_bytes(_palette_png(drawn))
        if figure.png is None and os.environ.get(paths.FIGURE_PREVIEWS) != "off":  # each pixel: 2 x 2 printed ones
            figure.png = _palette_png(drawn.reduce(DPI // DISPLAY_DPI))
    return {"svg": svg.name, "png": png.name}


# The report's figures for an edition, built from the coverage statistics.


def per_sdg(edition: Edition, mapping: Mapping) -> Figure:
    return sdg_bars(
        coverage.coverage_by_target(mapping, "sdg"),
        coverage.coverage_by_target(mapping, "sdg", exclude_blanket=True),
        edition.sdgs,
        unit=mapping.unit,
    )


def per_action_line(edition: Edition, mapping: Mapping) -> Figure:
    return action_line_bars(
        coverage.coverage_by_target(mapping, "action_line"),
        coverage.coverage_by_target(mapping, "action_line", exclude_blanket=True),
        edition.action_lines,
        edition.itu_roles,
        unit=mapping.unit,
    )


def _target_words(edition: Edition, dimension: str, width: int = 30, codes: bool = False) -> tuple[dict, str, str]:
    """Labels, the words for all of them, and the short word for one; `codes`: Action Lines by code alone."""
    if dimension == "sdg":
        return sdg_labels(edition.sdgs, width), f"{len(edition.sdgs)} SDGs", "goal"
    words = f"{len(edition.action_lines)} WSIS Action Lines"
    return action_line_labels(edition.action_lines, width, codes), words, "Action Line"


def _group_labels(edition: Edition, mapping: Mapping, width: int, lines: int, sizes: bool = False) -> dict:
    """`{'D.1': 'D.1 Coordination', ...}`, optionally with the number of units: 'D.1 Coordination (5 outcomes)'."""
    parents = edition.objectives if mapping.group == "objective" else edition.study_groups
    name_column = "short_name" if mapping.group == "objective" else "name"
    counts = mapping.units[mapping.group].value_counts()
    labels = {}
    for key, text in zip(parents[mapping.group], parents[name_column], strict=True):
        size = f" ({_plural(int(counts.get(key, 0)), mapping.unit)})" if sizes else ""
        whole = f"{key} {text}{size}"
        if lines == 1:  # rows too low for a second line: the whole name if it fits, else the id (never cut)
            labels[key] = literal(whole if len(whole) <= width else f"{key}{size}")
        else:
            wrapped = textwrap.wrap(whole, width)
            labels[key] = literal("\n".join(wrapped) if len(wrapped) <= lines else f"{key}{size}")
    return labels


def _group_words(edition: Edition, mapping: Mapping) -> str:
    """What the edition calls its groups: 'objective' or 'priority' (from the data), or 'study group'."""
    return edition.parent_kind if mapping.group == "objective" else mapping.group.replace("_", " ")


def _unit_name(mapping: Mapping, dimension: str) -> str:
    return f"{mapping.unit}-by-{'sdg' if dimension == 'sdg' else 'action-line'}"


def _unit_heatmap_for(edition: Edition, mapping: Mapping, dimension: str, matrix: pd.DataFrame, groups: list,
                      **kwargs) -> Figure:  # fmt: skip
    sdg = dimension == "sdg"
    labels, words, _ = _target_words(edition, dimension)
    if not sdg:  # eleven narrow columns: the codes, with the full names in the caption's key
        labels = action_line_labels(edition.action_lines, codes=True)
    return unit_heatmap(
        matrix,
        mapping.units,
        group=mapping.group,
        column_labels=labels,
        column_colours=dict(zip(edition.sdgs["sdg"].astype(int), edition.sdgs["colour"], strict=True)) if sdg else None,
        blanket=coverage.blanket_units(mapping),
        dimension_words=words,
        groups=groups,
        group_words=_group_words(edition, mapping),
        column_names=_target_names(edition, dimension),
        column_word="SDG" if sdg else "Action Line",
        key="" if sdg else action_line_key(edition.action_lines),
        linked_by=mapping.linked_by,
        **kwargs,
    )


def _target_names(edition: Edition, dimension: str) -> dict:
    """Plain names of the SDGs (short names) or Action Lines, by id."""
    if dimension == "sdg":
        return dict(zip(edition.sdgs["sdg"].astype(int), edition.sdgs["short_name"], strict=True))
    return dict(zip(edition.action_lines["action_line"], edition.action_lines["name"], strict=True))


def unit_by_target(edition: Edition, mapping: Mapping, dimension: str) -> Figure:
    """Every unit's links to the SDGs (or Action Lines), or, past `MAX_ROWS` rows, a summary per group.

    The summary (layout "summary") shows for each group the share of its units linked to each target;
    with more groups than a page holds, how the groups spread per target. `unit_by_target_pages` draws
    every unit on as many pages as needed.
    """
    empty = coverage.empty_groups(mapping)
    rows = len(mapping.units) + len(empty)
    name = _unit_name(mapping, dimension)
    if rows <= MAX_ROWS:
        matrix = coverage.unit_target_matrix(mapping, dimension)
        return _unit_heatmap_for(edition, mapping, dimension, matrix, list(mapping.groups), name=name)
    return _unit_summary(edition, mapping, dimension, name)


def _unit_summary(edition: Edition, mapping: Mapping, dimension: str, name: str) -> Figure:
    group_words = _group_words(edition, mapping)
    n_units, n_groups = len(mapping.units), len(mapping.groups)
    too_many = f"The {_plural(n_units, mapping.unit)} are too many to draw one row each on an A4 page"
    shares = coverage.group_target_share(mapping, dimension) * 100
    labels, words, one = _target_words(edition, dimension, 44, codes=True)  # the columns are narrow
    if n_groups > MAX_ROWS:
        one_column = "SDG" if dimension == "sdg" else "Action Line"
        note = (
            f"{too_many}, and their {_plural(n_groups, group_words)} too many for one row each, so this figure "
            f"summarises them: for each {one}, a box from the first to the third quartile of the "
            f"{plural_form(group_words)}' "
            "shares, a line at the median and whiskers to the smallest and largest."
        )
        return spread_chart(
            shares,
            column_labels=_target_words(edition, dimension, 40)[0],
            name=name,
            title=f"Share of each {group_words}'s {mapping.unit}s linked to each of the {words}",
            caption=f"Per {one}: how the shares of the {plural_form(group_words)}' {mapping.unit}s linked to it "
            "are spread.",
            xlabel=f"% of the {group_words}'s {mapping.unit}s linked",
            note=note,
            words=(group_words, one_column, f"% of the {group_words}'s {mapping.unit}s linked"),
        )
    note = (
        f"{too_many}, so this figure summarises them per {group_words}: each cell is the share of the "
        f"{group_words}'s {mapping.unit}s linked to the {one}; blank cells are 0%."
    )
    empty = coverage.empty_groups(mapping)
    row_height = _row_height(n_groups)
    rows = _group_labels(edition, mapping, 36 if row_height < 0.3 else 30, 1 if row_height < 0.3 else 2, sizes=True)
    with rc_context(STYLE):
        figure, ax = _new(A4_TEXT_WIDTH, HEADER + n_groups * max(row_height, 0.3 if n_groups <= 8 else 0))
        texts = [[f"{v:.0f}" if v >= 0.5 else "" for v in row] for row in shares.fillna(0).to_numpy()]
        title = f"Share of each {group_words}'s {mapping.unit}s linked to each of the {words}"
        _annotated_heatmap(shares, texts, figure=figure, ax=ax, vmax=100.0,
                           colorbar_label=f"% of the {group_words}'s {mapping.unit}s",
                           empty_rows={g: f"{g}: no {mapping.unit}s" for g in empty})  # fmt: skip
        _grid_labels(ax, [rows[g] for g in shares.index], [labels[c] for c in shares.columns], x_top=True)
        ax.set_ylabel(group_words)
        ax.set_title("\n".join(textwrap.wrap(title, 72)), pad=6)
    caption = (
        f"Each row is {_a(group_words)} (with its number of {mapping.unit}s), each column one of the {words}; the "
        f"number in a cell is the percentage of the {group_words}'s {mapping.unit}s {mapping.linked_by} to it."
        + ("" if dimension == "sdg" else f" {action_line_key(edition.action_lines)}")
    )
    column = "SDG" if dimension == "sdg" else "Action Line"
    rounded = shares.round(1)
    return Figure(
        name, title, f"{caption} {note}", figure, layout="summary", note=note,
        alt=_matrix_alt(rounded, f"Grid of {_plural(n_groups, group_words)} by the {words}",
                        lambda g: f"{group_words} {g}", lambda c: f"{column} {c}", "percentage point", "sum of shares"),
        data=_matrix_data(rounded, group_words, _group_names(edition, mapping)),
        values=_matrix_values(rounded, group_words, column, f"% of the {group_words}'s {mapping.unit}s linked"),
    )  # fmt: skip


def unit_by_target_pages(edition: Edition, mapping: Mapping, dimension: str) -> list[Figure]:
    """Every unit's links, on as many A4 figures as needed: whole groups per page, a long group split in parts.

    One figure (the same as `unit_by_target`) when everything fits one page; otherwise figures named
    `<name>-1`, `<name>-2`, ... with layout "split" and a note saying which part of how many each is.
    """
    rows = len(mapping.units) + len(coverage.empty_groups(mapping))
    name = _unit_name(mapping, dimension)
    matrix = coverage.unit_target_matrix(mapping, dimension)
    if rows <= MAX_ROWS:
        return [_unit_heatmap_for(edition, mapping, dimension, matrix, list(mapping.groups), name=name)]
    pages = _pages(_unit_rows(matrix, mapping.units, mapping.group, list(mapping.groups)), MAX_ROWS)
    group_words = _group_words(edition, mapping)
    figures = []
    for k, page in enumerate(pages, start=1):
        groups = list(dict.fromkeys(g for g, _ in page))
        members = [u for _, u in page if u is not None]
        span = groups[0] if len(groups) == 1 else f"{groups[0]} to {groups[-1]}"
        note = (
            f"Part {k} of {len(pages)}: the {_plural(len(mapping.units), mapping.unit)} do not fit one legible A4 "
            f"page, so they are drawn on {len(pages)} figures, whole {plural_form(group_words)} per page where "
            "they fit; this "
            f"one shows {span}."
        )
        figures.append(
            _unit_heatmap_for(
                edition,
                mapping,
                dimension,
                matrix.loc[members],
                groups,
                name=f"{name}-{k}",
                title_suffix=f" ({k} of {len(pages)}: {span})",
                layout="split",
                note=note,
            )  # fmt: skip
        )
    return figures


def _pages(rows: list[tuple[str, str | None]], size: int) -> list[list[tuple[str, str | None]]]:
    """Rows packed into pages of at most `size`: a group starts a new page unless it fits the current one."""
    pages: list[list] = [[]]
    by_group: dict[str, list] = {}
    for row in rows:
        by_group.setdefault(row[0], []).append(row)
    for members in by_group.values():
        if pages[-1] and len(pages[-1]) + len(members) > size:
            pages.append([])
        for row in members:
            if len(pages[-1]) == size:
                pages.append([])
            pages[-1].append(row)
    return [p for p in pages if p]


def group_by_sdg(edition: Edition, mapping: Mapping) -> Figure:
    """Groups x SDGs: how many of each group's units link each goal; past `MAX_ROWS` groups, their spread."""
    group_words = _group_words(edition, mapping)
    name = f"{mapping.group.replace('_', '-')}-by-sdg"
    matrix = coverage.group_target_matrix(mapping, "sdg")
    if len(matrix) > MAX_ROWS:
        note = (
            f"The {_plural(len(matrix), group_words)} are too many to draw one row each on an A4 page, so this "
            f"figure summarises them: for each goal, a box from the first to the third quartile of the number of "
            f"{mapping.unit}s per {group_words}, a line at the median and whiskers to the smallest and largest."
        )
        return spread_chart(
            matrix,
            column_labels=sdg_labels(edition.sdgs, 40),
            name=name,
            title=f"SDG coverage by {group_words}",
            caption=f"Per SDG: how the numbers of {mapping.unit}s of each {group_words} linked to it are spread.",
            xlabel=f"{mapping.unit}s of one {group_words} linked to the goal",
            note=note,
            words=(group_words, "SDG", f"{mapping.unit}s of the {group_words} linked to the SDG"),
        )
    empty = coverage.empty_groups(mapping)
    rows = _group_labels(edition, mapping, 30, 3 if len(matrix) <= 16 else 1)
    return count_heatmap(
        matrix,
        row_labels=rows,
        column_labels=sdg_labels(edition.sdgs, 44),  # one line each: wrapped column labels run into each other
        name=name,
        title=f"SDG coverage by {group_words}",
        caption=f"Number of {mapping.unit}s of each {group_words} linked to each SDG; a blank cell is an SDG "
        f"the {group_words} does not reach"
        + (f"; a grey row {_a(group_words)} with no {mapping.unit}s." if empty else "."),
        xlabel="Sustainable Development Goal",
        ylabel=group_words,
        # the header holds the goals' names on one line each (2.6 in of rotated text at 8 pt)
        height=HEADER + 0.9 + len(matrix) * (0.35 if len(matrix) <= 16 else _row_height(len(matrix))),
        colorbar_label=f"number of {mapping.unit}s",
        empty_rows={g: f"{g}: no {mapping.unit}s" for g in empty},
        words=(group_words, "SDG", mapping.unit),
        row_names=_group_names(edition, mapping),
        value=f"{mapping.unit}s of the {group_words} linked to the SDG",
    )


def _group_names(edition: Edition, mapping: Mapping) -> dict:
    """The groups' names by id: objectives' short names, study groups' names."""
    parents = edition.objectives if mapping.group == "objective" else edition.study_groups
    return dict(zip(parents[mapping.group], parents["short_name" if mapping.group == "objective" else "name"],
                    strict=True))  # fmt: skip


def sdg_by_action_line(edition: Edition, mapping: Mapping, exclude_blanket: bool = False) -> Figure:
    """SDG x Action Line: how many units link both. ITU-D's own links, titled so, not the UN WSIS-SDG Matrix."""
    without = f" (without blanket {mapping.unit}s)" if exclude_blanket else ""
    matrix = coverage.sdg_action_line_matrix(mapping, exclude_blanket)
    return count_heatmap(
        matrix,
        row_labels=sdg_labels(edition.sdgs, 40),
        column_labels=action_line_labels(edition.action_lines, codes=True),
        name="sdg-by-action-line" + ("-specific" if exclude_blanket else ""),
        title=f"SDG x WSIS Action Line pairs linked by ITU-D {mapping.unit}s{without} (not the UN WSIS-SDG Matrix)",
        caption=f"Number of {mapping.unit}s linked both to the SDG (row) and to the Action Line (column)"
        + (f"; blanket {mapping.unit}s left out" if exclude_blanket
           else f"; a blanket {mapping.unit} adds 1 to every cell")  # fmt: skip
        + ("; blank cells are 0." if (matrix == 0).any().any() else ".")
        + " These are ITU-D's own links, not the WSIS-SDG Matrix published by the UN WSIS Action Line facilitators. "
        + action_line_key(edition.action_lines),
        xlabel="WSIS Action Line",
        ylabel="Sustainable Development Goal",
        height=6.4,
        colorbar_label=f"number of {mapping.unit}s",
        words=("SDG", "Action Line", mapping.unit),
        row_names=_target_names(edition, "sdg"),
    )


def gap_heatmap(
    specific: pd.DataFrame,
    *,
    row_labels: dict,
    column_labels: dict,
    unit: str,
    name: str,
    title: str,
    caption: str,
    row_names: dict | None = None,
) -> Figure:
    """SDG x Action Line by how few specific units link both: gaps (none) dark with '×', 1 and 2 written, 3+ blank."""
    with rc_context(STYLE):
        figure, ax = _new(A4_TEXT_WIDTH, 7.0)
        data = specific.to_numpy()
        level = np.minimum(data, len(GAP_LEVELS) - 1)
        palette = [to_rgba(colour) for _, colour, _ in GAP_LEVELS]
        cells = np.array([[palette[v] for v in row] for row in level])
        rows, cols = data.shape
        ax.pcolormesh(np.arange(cols + 1), np.arange(rows + 1), cells, edgecolors="#cccccc", linewidth=0.4)
        for i in range(rows):
            for j in range(cols):
                _, colour, symbol = GAP_LEVELS[level[i, j]]
                if symbol:
                    ax.text(j + 0.5, i + 0.5, symbol, ha="center", va="center", fontsize=SMALL, color=ink(colour))
        gaps = (data == 0).sum(axis=1)
        for i, n in enumerate(gaps):
            ax.annotate(f"{n}", (cols, i + 0.5), xytext=(6, 0), textcoords="offset points", ha="left", va="center",
                        fontsize=SMALL, annotation_clip=False)  # fmt: skip
        ax.annotate("gaps", (cols, 0), xytext=(6, 3), textcoords="offset points", ha="left", va="bottom",
                    fontsize=SMALL, style="italic", annotation_clip=False)  # fmt: skip
        _grid_labels(ax, [row_labels[r] for r in specific.index], [column_labels[c] for c in specific.columns])
        ax.set_xlabel("WSIS Action Line")
        ax.set_ylabel("Sustainable Development Goal")
        handles = [
            Patch(facecolor=colour, edgecolor="#999999", label=label.format(unit=unit))
            for label, colour, _ in GAP_LEVELS
        ]
        figure.legend(handles=handles, loc="outside lower center", ncol=2, frameon=False)
        figure.suptitle("\n".join(textwrap.wrap(title, 72)))
    gaps = pd.Series((specific == 0).sum(axis=1).to_numpy(), index=specific.index)
    alt = (
        f"Grid of {specific.shape[0]} SDGs by {specific.shape[1]} Action Lines: {int(gaps.sum())} of {specific.size} "
        f"pairs have no specific {unit} (gaps). Gaps per SDG, "
        f"{_extremes(gaps, lambda r: f'SDG {r}', 'gap', 'most', 'fewest')}."
    )
    return Figure(
        name,
        title,
        caption,
        figure,
        alt=alt,
        data=_matrix_data(specific, "SDG", row_names or {}),
        values=_matrix_values(specific, "SDG", "Action Line", f"specific {plural_form(unit)} linked to both"),
    )


def sdg_action_line_gaps(edition: Edition, mapping: Mapping) -> Figure:
    """Which SDG x Action Line pairs specific (non-blanket) units reach least or not at all."""
    specific = coverage.sdg_action_line_matrix(mapping, exclude_blanket=True)
    n_gaps = int((specific == 0).to_numpy().sum())
    unit = mapping.unit
    return gap_heatmap(
        specific,
        row_labels=sdg_labels(edition.sdgs, 40),
        column_labels=action_line_labels(edition.action_lines, codes=True),
        row_names=_target_names(edition, "sdg"),
        unit=unit,
        name="sdg-by-action-line-gaps",
        title=f"Gaps: SDG x WSIS Action Line pairs that specific {unit}s reach least or not at all",
        caption=f"For each pair of an SDG (row) and a WSIS Action Line (column), how many specific {unit}s (not "
        f"blanket ones, which link everything) are linked to both: '×' marks a pair no specific {unit} links "
        f"({_plural(n_gaps, 'pair')} of {specific.size}), 1 or 2 are written, and blank cells are reached by 3 or "
        "more. The number right of each row counts its gaps. These are ITU-D's own links, not the UN WSIS-SDG Matrix. "
        + action_line_key(edition.action_lines),
    )


def every_outcome_figure(edition: Edition, mapping: Mapping) -> list[Figure]:
    """Every figure the notebooks draw from the outcome mapping, in reading order (for checks and benchmarks)."""
    return [
        per_sdg(edition, mapping),
        per_action_line(edition, mapping),
        unit_by_target(edition, mapping, "sdg"),
        unit_by_target(edition, mapping, "action_line"),
        group_by_sdg(edition, mapping),
        sdg_by_action_line(edition, mapping),
        sdg_action_line_gaps(edition, mapping),
    ]
