"""Coverage statistics: how the outcomes (or questions) reach the SDGs and the WSIS Action Lines.

Everything works on a `Mapping`: units (outcomes or questions) grouped under
groups (objectives/priorities or study groups), each with SDG and Action Line
links. `outcome_mapping` and `question_mapping` build it from an `Edition`; the
second returns `NOT_PUBLISHED` when the source does not publish question links,
and every statistic passes that marker through instead of reporting zero.

A *blanket* unit links every SDG or every Action Line (in 2019, D.3-2 links
all of both). Statistics take `exclude_blanket=True` to show what the specific
units reach on their own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import combinations

import pandas as pd

from itud.data.ids import ALL_ACTION_LINES, ALL_SDGS, NOT_GIVEN, NOT_PUBLISHED, NotPublished, action_line_number  # noqa: F401 (re-exported)
from itud.data.load import Edition

DIMENSIONS = ("sdg", "action_line")
UNIVERSE: dict[str, tuple] = {"sdg": ALL_SDGS, "action_line": ALL_ACTION_LINES}


@dataclass(frozen=True)
class Mapping:
    """Units (outcomes or questions) under groups, with their SDG and Action Line links."""

    unit: str  # "outcome" or "question"
    group: str  # "objective" or "study_group"
    units: pd.DataFrame  # columns [unit, group], in document order
    groups: tuple[str, ...]  # group ids, in order
    links: dict[str, pd.DataFrame]  # "sdg" -> [unit, sdg], "action_line" -> [unit, action_line]
    not_given: tuple[str, ...] = ()  # units whose links the data do not give (questions without any link)
    linked_by: str = "the source links"  # who says a unit is linked, for captions: "the source links D.1-1 to it"

    def linked(self, dimension: str, exclude_blanket: bool = False) -> pd.DataFrame:
        """Link rows [unit, group, <dimension>], optionally without the blanket units."""
        rows = self.links[dimension].merge(self.units, on=self.unit, how="left")
        if exclude_blanket:
            rows = rows[~rows[self.unit].isin(blanket_units(self))]
        return rows[[self.unit, self.group, dimension]].reset_index(drop=True)


def _mapping(unit: str, group: str, units, groups, sdg, action_line) -> Mapping:
    return Mapping(
        unit=unit,
        group=group,
        units=units[[unit, group]],
        groups=tuple(groups[group]),
        links={"sdg": sdg[[unit, "sdg"]], "action_line": action_line[[unit, "action_line"]]},
    )


def outcome_mapping(edition: Edition) -> Mapping:
    """Outcomes under objectives (or priorities), with their links from Annex 1."""
    return _mapping(
        "outcome", "objective", edition.outcomes, edition.objectives, edition.outcome_sdg, edition.outcome_action_line
    )


def question_mapping(edition: Edition) -> Mapping | NotPublished:
    """Questions under study groups, or `NOT_PUBLISHED` when the source does not publish their links."""
    if not edition.question_links_published:
        return NOT_PUBLISHED
    mapping = _mapping(
        "question", "study_group", edition.questions, edition.study_groups, edition.question_sdg,
        edition.question_action_line,
    )  # fmt: skip
    origins = edition.question_link_origins()
    by_hand = "the edition's data (read from the source or entered by hand, as the method note says) link"
    linked_by = by_hand if origins["entered_by_hand"] else "the source links"
    return replace(mapping, not_given=tuple(edition.questions_without_links()), linked_by=linked_by)


def _sorted(dimension: str, values) -> list:
    key = action_line_number if dimension == "action_line" else int
    return sorted((int(v) if dimension == "sdg" else v for v in values), key=key)


def _missing(universe: tuple, reached: list) -> list:
    """The values of `universe` not in `reached`, in universe order."""
    found = set(reached)
    return [v for v in universe if v not in found]


def blanket_units(mapping: Mapping) -> list[str]:
    """Units linked to every SDG or to every Action Line."""
    blanket = set()
    for dimension in DIMENSIONS:
        reached = mapping.links[dimension].groupby(mapping.unit)[dimension].nunique()
        blanket |= set(reached[reached == len(UNIVERSE[dimension])].index)
    return [u for u in mapping.units[mapping.unit] if u in blanket]


def blanket_table(mapping: Mapping) -> pd.DataFrame:
    """Per blanket unit: whether it links every SDG and every Action Line."""
    units = blanket_units(mapping)
    table = pd.DataFrame({mapping.unit: units})
    for dimension in DIMENSIONS:
        reached = mapping.links[dimension].groupby(mapping.unit)[dimension].nunique()
        table[f"all_{dimension}s"] = [bool(reached.get(u, 0) == len(UNIVERSE[dimension])) for u in units]
    return table


def _coverage(mapping: Mapping, by: str, keys: list, exclude_blanket: bool) -> pd.DataFrame:
    """Counts and reach per value of `by` (a unit or a group); a key with no links reaches nothing.

    One groupby per dimension and set look-ups, so the work grows with the number of links.
    """
    units = mapping.units
    if exclude_blanket:
        units = units[~units[mapping.unit].isin(blanket_units(mapping))]
    table = pd.DataFrame(index=pd.Index(keys, name=by))
    if by == mapping.group:
        table["units"] = units.groupby(by)[mapping.unit].count().reindex(keys, fill_value=0)
    for dimension in DIMENSIONS:
        links = mapping.linked(dimension, exclude_blanket)
        grouped = links.groupby(by)[dimension]
        universe = UNIVERSE[dimension]
        distinct = grouped.unique().to_dict() if len(links) else {}
        reached = {key: _sorted(dimension, distinct.get(key, [])) for key in keys}
        table[f"{dimension}_links"] = grouped.count().reindex(keys, fill_value=0)
        table[f"{dimension}s_reached"] = [len(reached[k]) for k in keys]
        table[f"{dimension}_share"] = [round(len(reached[k]) / len(universe), 4) for k in keys]
        table[f"{dimension}s"] = [reached[k] for k in keys]
        table[f"{dimension}s_not_reached"] = [_missing(universe, reached[k]) for k in keys]
    return table.rename(columns={"units": f"{mapping.unit}s"})


def empty_groups(mapping: Mapping | NotPublished) -> list[str] | NotPublished:
    """Groups (objectives, priorities, study groups) with no units: shown as empty, never an error."""
    if not mapping:
        return NOT_PUBLISHED
    used = set(mapping.units[mapping.group])
    return [g for g in mapping.groups if g not in used]


def coverage_by_group(mapping: Mapping | NotPublished, exclude_blanket: bool = False) -> pd.DataFrame | NotPublished:
    """Per objective (or study group): units, links, distinct SDGs/Action Lines, shares, what is not reached."""
    if not mapping:
        return NOT_PUBLISHED
    return _coverage(mapping, mapping.group, list(mapping.groups), exclude_blanket)


def coverage_by_unit(mapping: Mapping | NotPublished) -> pd.DataFrame | NotPublished:
    """Per outcome (or question): its group, links, distinct reach and shares, and the blanket flag."""
    if not mapping:
        return NOT_PUBLISHED
    table = _coverage(mapping, mapping.unit, list(mapping.units[mapping.unit]), exclude_blanket=False)
    table.insert(0, mapping.group, mapping.units.set_index(mapping.unit)[mapping.group])
    table.insert(1, "blanket", table.index.isin(blanket_units(mapping)))
    if mapping.not_given:  # a question without links: its links are not given, which is not zero coverage
        counts = list(table.columns[2:])
        table[counts] = table[counts].astype(object)
        for unit in mapping.not_given:
            table.loc[unit, counts] = NOT_GIVEN
    return table


def coverage_by_target(
    mapping: Mapping | NotPublished, dimension: str, exclude_blanket: bool = False
) -> pd.DataFrame | NotPublished:
    """Per SDG (or Action Line): how many units and groups link to it, and which."""
    if not mapping:
        return NOT_PUBLISHED
    links = mapping.linked(dimension, exclude_blanket)
    universe = list(UNIVERSE[dimension])
    grouped = links.groupby(dimension)
    table = pd.DataFrame(index=pd.Index(universe, name=dimension))
    table[f"{mapping.unit}s"] = grouped[mapping.unit].nunique().reindex(universe, fill_value=0).astype(int)
    table[f"{mapping.group}s"] = grouped[mapping.group].nunique().reindex(universe, fill_value=0).astype(int)
    listed = grouped[mapping.unit].apply(list)
    table[f"{mapping.unit}_list"] = [listed.get(v, []) for v in universe]
    return table


def not_reached(mapping: Mapping | NotPublished, dimension: str, exclude_blanket: bool = False) -> list | NotPublished:
    """SDGs (or Action Lines) that no unit links to."""
    table = coverage_by_target(mapping, dimension, exclude_blanket)
    if not isinstance(table, pd.DataFrame):
        return NOT_PUBLISHED
    return [v for v, n in table[f"{mapping.unit}s"].items() if n == 0]


def reached_only_through_blanket(mapping: Mapping | NotPublished, dimension: str) -> list | NotPublished:
    """SDGs (or Action Lines) reached by a blanket unit and by no specific one."""
    if not mapping:
        return NOT_PUBLISHED
    without = set(not_reached(mapping, dimension, exclude_blanket=True))
    return [v for v in UNIVERSE[dimension] if v in without and v not in not_reached(mapping, dimension)]


def group_overlap(
    mapping: Mapping | NotPublished, dimension: str, exclude_blanket: bool = False
) -> pd.DataFrame | NotPublished:
    """For each pair of groups: the SDGs (or Action Lines) both reach, and their Jaccard similarity.

    The table has one row per pair of groups, so its size is quadratic in the number of groups (not
    of units); each row costs at most one set operation per SDG.
    """
    if not mapping:
        return NOT_PUBLISHED
    reached = {g: set(v) for g, v in coverage_by_group(mapping, exclude_blanket)[f"{dimension}s"].items()}
    rows = []
    for a, b in combinations(mapping.groups, 2):
        shared, union = reached[a] & reached[b], reached[a] | reached[b]
        rows.append(
            {
                f"{mapping.group}_a": a,
                f"{mapping.group}_b": b,
                "shared": _sorted(dimension, shared),
                "n_shared": len(shared),
                "n_union": len(union),
                "jaccard": round(len(shared) / len(union), 4) if union else 0.0,
            }
        )
    columns = [f"{mapping.group}_a", f"{mapping.group}_b", "shared", "n_shared", "n_union", "jaccard"]
    return pd.DataFrame(rows, columns=columns)


def sdg_action_line_matrix(
    mapping: Mapping | NotPublished, exclude_blanket: bool = False
) -> pd.DataFrame | NotPublished:
    """SDG x Action Line: how many units link both (ITU-D's own view of the WSIS-SDG matrix)."""
    if not mapping:
        return NOT_PUBLISHED
    pairs = mapping.linked("sdg", exclude_blanket).merge(
        mapping.linked("action_line", exclude_blanket)[[mapping.unit, "action_line"]], on=mapping.unit
    )
    matrix = pd.crosstab(pairs["sdg"], pairs["action_line"])
    matrix = matrix.reindex(index=list(ALL_SDGS), columns=list(ALL_ACTION_LINES), fill_value=0).astype(int)
    return matrix.rename_axis(index="sdg", columns="action_line")


def group_target_matrix(mapping: Mapping | NotPublished, dimension: str) -> pd.DataFrame | NotPublished:
    """Group x SDG (or Action Line): how many of the group's units link it."""
    if not mapping:
        return NOT_PUBLISHED
    links = mapping.linked(dimension)
    matrix = pd.crosstab(links[mapping.group], links[dimension])
    return matrix.reindex(index=list(mapping.groups), columns=list(UNIVERSE[dimension]), fill_value=0).astype(int)


def least_reached_pairs(mapping: Mapping | NotPublished) -> pd.DataFrame | NotPublished:
    """Every SDG x Action Line pair with the number of specific (non-blanket) units linking both, fewest first.

    The gaps of ITU-D's own links: pairs at 0 are reached by no specific unit (a blanket unit may still
    link them, as it links everything). Ties keep SDG order, then Action Line order.
    """
    if not mapping:
        return NOT_PUBLISHED
    specific = sdg_action_line_matrix(mapping, exclude_blanket=True)
    pairs = specific.stack().rename(f"{mapping.unit}s").reset_index()
    return pairs.sort_values(f"{mapping.unit}s", kind="stable").reset_index(drop=True)


def group_target_share(mapping: Mapping | NotPublished, dimension: str) -> pd.DataFrame | NotPublished:
    """Group x SDG (or Action Line): the share (0-1) of the group's units that link it; NaN for an empty group."""
    if not mapping:
        return NOT_PUBLISHED
    counts = group_target_matrix(mapping, dimension)
    sizes = mapping.units.groupby(mapping.group)[mapping.unit].count().reindex(counts.index, fill_value=0)
    return counts.div(sizes.where(sizes > 0), axis=0)


def unit_target_matrix(mapping: Mapping | NotPublished, dimension: str) -> pd.DataFrame | NotPublished:
    """Unit x SDG (or Action Line): 1 where the unit links it."""
    if not mapping:
        return NOT_PUBLISHED
    links = mapping.linked(dimension)
    matrix = pd.crosstab(links[mapping.unit], links[dimension]).clip(upper=1)
    units = list(mapping.units[mapping.unit])
    return matrix.reindex(index=units, columns=list(UNIVERSE[dimension]), fill_value=0).astype(int)


def role_coverage(
    mapping: Mapping | NotPublished, itu_roles: pd.DataFrame, exclude_blanket: bool = False
) -> pd.DataFrame | NotPublished:
    """Per ITU role (facilitator, co-facilitator, partner, none): the Action Lines and how the units reach them."""
    if not mapping:
        return NOT_PUBLISHED
    by_line = coverage_by_target(mapping, "action_line", exclude_blanket)
    links = mapping.linked("action_line", exclude_blanket)
    rows = []
    for role in ("facilitator", "co-facilitator", "partner", "none"):
        lines = _sorted("action_line", itu_roles.loc[itu_roles["role"] == role, "action_line"])
        reached = [line for line in lines if by_line.loc[line, f"{mapping.unit}s"] > 0]
        rows.append(
            {
                "role": role,
                "action_lines": lines,
                "n_action_lines": len(lines),
                "reached": reached,
                "n_reached": len(reached),
                f"{mapping.unit}s": int(links.loc[links["action_line"].isin(lines), mapping.unit].nunique()),
                "links": int(links["action_line"].isin(lines).sum()),
            }
        )
    return pd.DataFrame(rows).set_index("role")
