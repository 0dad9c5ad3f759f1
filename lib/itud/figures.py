"""Figures of the coverage statistics, readable in colour and in greyscale print.

Every mark carries its value or a symbol, so no figure depends on colour alone.
Sizes fit an A4 page (text width 6.3 in). `save` writes SVG and PNG that are
byte-identical for the same data: fixed `svg.hashsalt`, no dates or software
strings in the metadata, fixed dpi, fonts shipped with matplotlib.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import seaborn as sns
from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure as MplFigure
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import MaxNLocator

from itud import coverage
from itud.coverage import Mapping
from itud.load import Edition

A4_TEXT_WIDTH = 6.3  # inches: A4 (8.27 in) less 2 cm margins each side
DPI = 200
STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 7.5,
    "axes.titlesize": 9,
    "axes.labelsize": 8,
    "figure.titlesize": 10,
    "svg.hashsalt": "itud-report",
    "svg.fonttype": "path",
    "figure.dpi": 100,
    "savefig.dpi": DPI,
}
ROLE_HATCH = {"facilitator": "", "co-facilitator": "///", "partner": "...", "none": "xx"}
ROLE_GREY = {"facilitator": "#303030", "co-facilitator": "#707070", "partner": "#a8a8a8", "none": "#d8d8d8"}


@dataclass
class Figure:
    """A figure with the words that go with it in the notebook and the report."""

    name: str  # file stem
    title: str
    caption: str
    figure: MplFigure
    png: bytes | None = None  # the PNG as `save` wrote it, shown by Jupyter without drawing again

    def __repr__(self) -> str:  # stable text, so notebook outputs hold no memory addresses
        return f"<Figure {self.name}: {self.title}>"

    def _repr_png_(self) -> bytes:
        """Lets Jupyter show the figure exactly as `save` writes it."""
        if self.png is None:
            buffer = io.BytesIO()
            with rc_context(STYLE):
                self.figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
            self.png = buffer.getvalue()
        return self.png


def _wrap(text: str, width: int, lines: int = 2) -> str:
    return "\n".join(textwrap.wrap(text, width, max_lines=lines, placeholder="…"))


def sdg_labels(sdgs: pd.DataFrame, width: int = 34) -> dict[int, str]:
    """`{1: '1 No poverty', ...}` from the SDG reference table."""
    return {int(r.sdg): _wrap(f"{int(r.sdg)} {r.short_name}", width) for r in sdgs.itertuples()}


def action_line_labels(action_lines: pd.DataFrame, width: int = 34) -> dict[str, str]:
    """`{'C1': 'C1 The role of public…', ...}` from the Action Line reference table."""
    return {r.action_line: _wrap(f"{r.action_line} {r.name}", width) for r in action_lines.itertuples()}


def _luminance(colour: str) -> float:
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _new(width: float, height: float) -> tuple[MplFigure, Axes]:
    with rc_context(STYLE):
        figure = MplFigure(figsize=(width, height), layout="constrained")
        return figure, figure.add_subplot()


def _finish_bars(
    figure: MplFigure,
    ax: Axes,
    total: pd.Series,
    specific: pd.Series,
    ticks: list[str],
    xlabel: str,
    handles: list[Patch],
    title: str,
    small: bool = False,
) -> None:
    """Value labels at the bar ends ('total (specific + blanket)'), axis words, legend below, title."""
    for i, key in enumerate(total.index):
        extra = total[key] - specific[key]
        text = f"{total[key]}" + (f"  ({specific[key]} + {extra} blanket)" if extra else "")
        ax.text(total[key] + 0.15, i, text, va="center", fontsize=7)
    ax.set_yticks(range(len(ticks)), ticks, fontsize=6.5 if small else None)
    ax.set_xlabel(xlabel)
    ax.set_xlim(0, total.max() * 1.4 + 1)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.spines[["top", "right"]].set_visible(False)
    figure.legend(handles=handles, loc="outside lower center", ncol=3 if small else 2, frameon=False,
                  fontsize=6.5 if small else None)  # fmt: skip
    figure.suptitle(title)


def sdg_bars(by_sdg: pd.DataFrame, by_sdg_specific: pd.DataFrame, sdgs: pd.DataFrame, unit: str = "outcome") -> Figure:
    """Outcomes per SDG, in SDG colours; the part owed to blanket outcomes is hatched."""
    with rc_context(STYLE):
        figure, ax = _new(A4_TEXT_WIDTH, 5.0)
        labels = sdg_labels(sdgs)
        colours = dict(zip(sdgs["sdg"].astype(int), sdgs["colour"], strict=True))
        order = list(by_sdg.index)[::-1]
        total = by_sdg.loc[order, f"{unit}s"]
        specific = by_sdg_specific.loc[order, f"{unit}s"]
        y = range(len(order))
        ax.barh(y, specific, color=[colours[s] for s in order], edgecolor="black", linewidth=0.5)
        ax.barh(y, total - specific, left=specific, color="white", edgecolor="black", hatch="////", linewidth=0.5)
        title = f"How many {unit}s contribute to each SDG"
        handles = [
            Patch(facecolor="#777777", edgecolor="black", label=f"specific {unit}s (bar in the goal's colour)"),
            Patch(facecolor="white", edgecolor="black", hatch="////", label=f"blanket {unit}s (linked to all 17)"),
        ]
        _finish_bars(figure, ax, total, specific, [labels[s] for s in order], f"number of {unit}s linked to the goal",
                     handles, title)  # fmt: skip
    return Figure(
        f"{unit}s-per-sdg",
        title,
        f"Number of {unit}s linked to each Sustainable Development Goal. The hatched part is owed to blanket "
        f"{unit}s, which are linked to all 17 goals; the coloured part is what specific {unit}s reach.",
        figure,
    )


def action_line_bars(
    by_line: pd.DataFrame,
    by_line_specific: pd.DataFrame,
    action_lines: pd.DataFrame,
    roles: pd.DataFrame,
    unit: str = "outcome",
) -> Figure:
    """Outcomes per Action Line, shaded and hatched by ITU's role; blanket part outlined."""
    with rc_context(STYLE):
        figure, ax = _new(A4_TEXT_WIDTH, 5.6)
        labels = action_line_labels(action_lines, width=46)
        role = dict(zip(roles["action_line"], roles["role"], strict=True)) if len(roles) else {}
        order = list(by_line.index)[::-1]
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
        handles = [
            Patch(facecolor=ROLE_GREY[r], hatch=ROLE_HATCH[r], edgecolor="black", label=f"ITU is {r}")
            for r in ROLE_GREY
        ]
        handles.append(Patch(facecolor="white", edgecolor="black", linestyle="--", label=f"blanket {unit}s"))
        title = f"How many {unit}s help implement each WSIS Action Line, by ITU's role"
        ticks = [f"{labels[line]}\n[{role.get(line, 'role not known')}]" for line in order]
        _finish_bars(figure, ax, total, specific, ticks, f"number of {unit}s linked to the Action Line", handles,
                     title, small=True)  # fmt: skip
    return Figure(
        f"{unit}s-per-action-line",
        title,
        f"Number of {unit}s linked to each WSIS Action Line. Shading and hatching show ITU's role for the Action "
        "Line (facilitator, co-facilitator, partner, none); the dashed part is owed to blanket "
        f"{unit}s linked to all 11 Action Lines.",
        figure,
    )


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
) -> Figure:
    """Units (rows, grouped) x SDGs or Action Lines (columns): a filled cell with a dot where linked."""
    with rc_context(STYLE):
        rows, cols = matrix.shape
        figure, ax = _new(A4_TEXT_WIDTH, 1.6 + rows * 0.24)
        ax.set_xlim(0, cols)
        ax.set_ylim(rows, 0)
        for i in range(rows):
            for j, column in enumerate(matrix.columns):
                if matrix.iat[i, j]:
                    colour = (column_colours or {}).get(column, "#404040")
                    ax.add_patch(Rectangle((j, i), 1, 1, facecolor=colour, edgecolor="white", linewidth=0.8))
                    mark = "black" if _luminance(colour) > 0.5 else "white"
                    ax.plot(j + 0.5, i + 0.5, marker="o", markersize=3.2, color=mark)
        groups = units.set_index(units.columns[0])[group].reindex(matrix.index)
        boundaries = [i for i in range(1, rows) if groups.iloc[i] != groups.iloc[i - 1]]
        for b in boundaries:
            ax.axhline(b, color="black", linewidth=1.2)
        ax.set_xticks(
            [j + 0.5 for j in range(cols)], [column_labels[c] for c in matrix.columns], rotation=90, fontsize=6.5
        )
        ax.xaxis.tick_top()
        ticks = [f"{u}  (blanket)" if u in blanket else u for u in matrix.index]
        ax.set_yticks([i + 0.5 for i in range(rows)], ticks)
        ax.set_xticks(range(cols + 1), minor=True)
        ax.set_yticks(range(rows + 1), minor=True)
        ax.grid(which="minor", color="#cccccc", linewidth=0.4)
        ax.tick_params(which="minor", length=0)
        ax.set_ylabel(f"{units.columns[0]}s, grouped by {group.replace('_', ' ')} (black lines)")
        title = f"{units.columns[0].capitalize()}s and the {dimension_words} they contribute to"
        ax.set_title(title, pad=6)
    return Figure(
        name,
        title,
        f"Each row is an {units.columns[0]}, each column one of the {dimension_words}; a filled cell with a dot "
        f"means the source links the {units.columns[0]} to it. Black lines separate the {group.replace('_', ' ')}s.",
        figure,
    )


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
) -> Figure:
    """A count matrix with every count written in its cell (greys, so print keeps the order)."""
    with rc_context(STYLE):
        figure, ax = _new(A4_TEXT_WIDTH, height)
        sns.heatmap(
            matrix,
            ax=ax,
            cmap="Greys",
            vmin=0,
            annot=True,
            fmt="d",
            annot_kws={"fontsize": 6.5},
            linewidths=0.4,
            linecolor="#dddddd",
            cbar_kws={"label": "number of outcomes", "shrink": 0.6},
            xticklabels=[column_labels[c] for c in matrix.columns],
            yticklabels=[row_labels[r] for r in matrix.index],
        )
        ax.tick_params(axis="x", labelrotation=90, labelsize=6.5)
        ax.tick_params(axis="y", labelrotation=0)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        figure.suptitle(title)
    return Figure(name, title, caption, figure)


def save(figure: Figure, out_dir: Path) -> dict[str, str]:
    """Write `<name>.svg` and `<name>.png`, byte-identical for the same figure."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with rc_context(STYLE):
        # Lay the figure out once (constrained layout), then keep that layout for every format.
        figure.figure.draw_without_rendering()
        figure.figure.set_layout_engine("none")
        svg = out_dir / f"{figure.name}.svg"
        figure.figure.savefig(svg, format="svg", dpi=DPI, metadata={"Date": None, "Creator": None})
        figure.png = None
        png = out_dir / f"{figure.name}.png"
        png.write_bytes(figure._repr_png_())
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


def unit_by_target(edition: Edition, mapping: Mapping, dimension: str) -> Figure:
    sdg = dimension == "sdg"
    return unit_heatmap(
        coverage.unit_target_matrix(mapping, dimension),
        mapping.units,
        group=mapping.group,
        column_labels=sdg_labels(edition.sdgs, 30) if sdg else action_line_labels(edition.action_lines, 30),
        column_colours=dict(zip(edition.sdgs["sdg"].astype(int), edition.sdgs["colour"], strict=True)) if sdg else None,
        blanket=coverage.blanket_units(mapping),
        dimension_words="17 SDGs" if sdg else "11 WSIS Action Lines",
        name=f"{mapping.unit}-by-{'sdg' if sdg else 'action-line'}",
    )


def group_by_sdg(edition: Edition, mapping: Mapping) -> Figure:
    parents = edition.objectives if mapping.group == "objective" else edition.study_groups
    name_column = "short_name" if mapping.group == "objective" else "name"
    rows = {r[mapping.group]: _wrap(f"{r[mapping.group]} {r[name_column]}", 30) for _, r in parents.iterrows()}
    group_words = mapping.group.replace("_", " ")
    return count_heatmap(
        coverage.group_target_matrix(mapping, "sdg"),
        row_labels=rows,
        column_labels=sdg_labels(edition.sdgs, 30),
        name=f"{mapping.group.replace('_', '-')}-by-sdg",
        title=f"SDG coverage by {group_words}",
        caption=f"Number of {mapping.unit}s of each {group_words} linked to each SDG; an empty (0) cell is an SDG "
        f"the {group_words} does not reach.",
        xlabel="Sustainable Development Goal",
        ylabel=group_words,
        height=1.9 + 0.35 * len(rows),
    )


def sdg_by_action_line(edition: Edition, mapping: Mapping, exclude_blanket: bool = False) -> Figure:
    without = " (without blanket outcomes)" if exclude_blanket else ""
    return count_heatmap(
        coverage.sdg_action_line_matrix(mapping, exclude_blanket),
        row_labels=sdg_labels(edition.sdgs, 40),
        column_labels=action_line_labels(edition.action_lines, 30),
        name="sdg-by-action-line" + ("-specific" if exclude_blanket else ""),
        title=f"SDG x WSIS Action Line: ITU-D's view of the WSIS-SDG matrix{without}",
        caption=f"Number of {mapping.unit}s linked both to the SDG (row) and to the Action Line (column)"
        + (
            f"; blanket {mapping.unit}s left out."
            if exclude_blanket
            else f"; a blanket {mapping.unit} adds 1 to every cell."
        ),
        xlabel="WSIS Action Line",
        ylabel="Sustainable Development Goal",
        height=6.4,
    )
