"""The content of the TDAG-style report, built from the notebooks' results and the edition's prose.

One `Document` feeds every renderer (HTML, DOCX, PDF), so the three formats say
the same thing with the same paragraph and figure numbers. Every number in the
text is read from the notebooks' key figures; the words around them are here,
the edition-specific prose (summary, action required, references, header
fields) comes from `data/<year>/edition.toml`, which analysts edit.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from itud import __version__

NOT_GIVEN = "not given"


@dataclass
class Paragraph:
    text: str
    number: int | None = None  # numbered paragraphs carry their number; notes do not


@dataclass
class FigureBlock:
    number: int
    title: str
    caption: str
    png: Path
    svg: Path


@dataclass
class TableBlock:
    number: int | None
    caption: str
    columns: list[str]
    rows: list[list[str]]


@dataclass
class Section:
    title: str
    blocks: list = field(default_factory=list)


@dataclass
class Document:
    year: int
    synthetic: bool
    header: list[tuple[str, str]]
    title: str
    summary: str
    action_required: str
    references: list[str]
    sections: list[Section]
    annexes: list[Section]
    colophon: str


class _Numbers:
    """Running numbers of paragraphs, figures and tables, in reading order."""

    def __init__(self) -> None:
        self.paragraph = self.figure = self.table = 0

    def para(self, text: str) -> Paragraph:
        self.paragraph += 1
        return Paragraph(text, self.paragraph)

    def fig(self, entry: dict, figures_dir: Path) -> FigureBlock:
        self.figure += 1
        files = entry["files"]
        return FigureBlock(
            self.figure, entry["title"], entry["caption"], figures_dir / files["png"], figures_dir / files["svg"]
        )

    def tab(self, caption: str, columns: list[str], rows: list[list]) -> TableBlock:
        self.table += 1
        return TableBlock(self.table, caption, columns, [[_cell(v) for v in row] for row in rows])


def _cell(value) -> str:
    if isinstance(value, list):
        return listing(value) if value else "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def listing(items: list, conjunction: str = "and") -> str:
    """`[1, 3, 17]` -> `1, 3 and 17`, as the source annex writes its lists."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def parent_kind(mapping_tables: dict) -> str:
    """What the edition calls the parents of its outcomes ('objective', 'priority'), from notebook 01's results."""
    objectives = mapping_tables["objectives"]
    return objectives[0]["kind"] if objectives else "objective"


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


def _dates(meta: dict) -> str:
    start, end = meta.get("meeting_start"), meta.get("meeting_end")
    if not isinstance(start, dt.date) or not isinstance(end, dt.date):
        return ""
    if start.month == end.month:
        return f"{start.day}-{end.day} {end:%B %Y}"
    return f"{start.day} {start:%B} - {end.day} {end:%B %Y}"


class _Names:
    """SDG and Action Line names, from the reference tables carried in the results."""

    def __init__(self, mapping_tables: dict):
        self.sdg = {r["sdg"]: r["short_name"] for r in mapping_tables["sdg_names"]}
        self.action_line = {r["action_line"]: r["name"] for r in mapping_tables["action_line_names"]}

    def sdgs(self, numbers: list[int]) -> str:
        return listing([f"SDG {n} ({self.sdg[n]})" for n in numbers])

    def action_lines(self, ids: list[str]) -> str:
        return listing([f"{a} ({self.action_line[a]})" for a in ids])


def read_prose(edition_file: Path) -> dict:
    """The edition's hand-entered facts and report prose (edition.toml)."""
    return tomllib.loads(edition_file.read_text(encoding="utf-8"))


def build(results: dict[str, dict], meta: dict, figures_dir: Path) -> Document:
    """The whole report for one edition from the notebooks' results and edition.toml."""
    tables = results["01-mapping-tables"]["key_figures"]
    names = _Names(tables)
    n = _Numbers()
    report = meta.get("report", {})
    sections = [
        _introduction(n, meta, tables),
        _objective_coverage(n, results["02-coverage-by-objective"], tables, names, figures_dir),
        _roles_and_matrix(
            n, results["04-sdg-action-line-matrix"], results["02-coverage-by-objective"], names, figures_dir
        ),
        _study_groups(n, results["03-coverage-by-study-group"], tables, meta, figures_dir),
    ]
    changes = results.get("05-changes-since-previous-edition", {}).get("key_figures", {})
    if changes.get("previous_year"):
        sections.append(_changes(n, changes, meta))
    sections.append(_method(n, tables, meta, results["02-coverage-by-objective"]["key_figures"]))
    annexes = [_annex_1(n, tables, meta), _annex_2(n, tables, meta)]
    place = ", ".join(filter(None, [meta.get("meeting", ""), meta.get("meeting_place", ""), _dates(meta)]))
    header = [
        ("Group", meta.get("group", NOT_GIVEN)),
        ("Meeting", place or NOT_GIVEN),
        ("Document", meta.get("document_number") or f"{NOT_GIVEN} (no source gives the document number)"),
        ("Date", report.get("date") or NOT_GIVEN),
        ("Original", report.get("original_language") or NOT_GIVEN),
        ("Source", report.get("source") or NOT_GIVEN),
    ]
    return Document(
        year=int(meta["year"]),
        synthetic=bool(meta.get("synthetic", False)),
        header=header,
        title=report.get("title", ""),
        summary=report.get("summary", "").strip(),
        action_required=report.get("action_required", "").strip(),
        references=list(report.get("references", [])),
        sections=sections,
        annexes=annexes,
        colophon=f"Generated by itud {__version__} from data/{meta['year']}/ and the notebooks in notebooks/; "
        "manifest.json beside this file lists the checksum of every input and output.",
    )


def _introduction(n: _Numbers, meta: dict, tables: dict) -> Section:
    source = meta.get("source_document", {}).get("title", "the source document")
    summary = tables["summary"]
    kind = parent_kind(tables)
    return Section(
        "Introduction",
        [
            n.para(
                f"This document reports how the work of ITU-D serves the WSIS Action Lines and the Sustainable "
                f"Development Goals (SDGs). It is regenerated from the mapping tables of the contribution "
                f"\u201c{source}\u201d: its Annex 1 links the {_plural(summary['objectives'], kind)} of the "
                f"{meta.get('strategic_plan', 'strategic plan')} and their {_plural(summary['outcomes'], 'outcome')} "
                "to SDGs and WSIS Action Lines; its Annex 2 lists the "
                f"{_plural(summary['study_groups'], 'study group')} "
                f"and {_plural(summary['questions'], 'question')} of the {meta.get('study_period', '')} study period."
            ),
            n.para(
                "Every number below is computed from those tables by the notebooks of this report, and Annexes 1 "
                "and 2 are regenerated from the same tables. The note on data and method says where each table "
                "comes from and what was corrected in reading it."
            ),
        ],
    )


def _most_and_fewest(rows: list[dict]) -> tuple[dict, dict]:
    """The rows linked to the most and to the fewest outcomes (first in order on ties)."""
    return max(rows, key=lambda r: r["outcomes"]), min(rows, key=lambda r: r["outcomes"])


def _objective_coverage(n: _Numbers, result: dict, tables: dict, names: _Names, figures_dir: Path) -> Section:
    key = result["key_figures"]
    summary = tables["summary"]
    groups = key["by_group"]
    figures = {f["name"]: f for f in result["figures"]}
    kind = parent_kind(tables)
    short = {o["objective"]: o["short_name"] for o in tables["objectives"]}
    sdgs_reached = 17 - len(key["sdgs_not_reached"])
    lines_reached = 11 - len(key["action_lines_not_reached"])
    blocks = [
        n.para(
            f"Annex 1 links the {_plural(summary['outcomes'], 'outcome')} of the "
            f"{_plural(summary['objectives'], kind)} to SDGs {summary['outcome_sdg_links']} times and to WSIS "
            f"Action Lines {summary['outcome_action_line_links']} times. Together the outcomes reach "
            f"{sdgs_reached} of the 17 SDGs and {lines_reached} of the 11 Action Lines."
        ),
        n.para(
            f"Reach differs by {kind}: "
            + "; ".join(
                f"{g['objective']} ({short[g['objective']]}) reaches {g['sdgs_reached']} of the 17 SDGs "
                f"({g['sdg_share']:.0%}) and {g['action_lines_reached']} of the 11 Action Lines "
                f"({g['action_line_share']:.0%})"
                for g in groups
            )
            + f" (Table {n.table + 1})."
        ),
        n.tab(
            f"Coverage by {kind}",
            [
                kind.capitalize(),
                "Outcomes",
                "SDG links",
                "SDGs reached",
                "Action Line links",
                "Action Lines reached",
                "SDGs not reached",
                "Action Lines not reached",
            ],  # fmt: skip
            [
                [
                    g["objective"],
                    g["outcomes"],
                    g["sdg_links"],
                    f"{g['sdgs_reached']} of 17",
                    g["action_line_links"],
                    f"{g['action_lines_reached']} of 11",
                    g["sdgs_not_reached"],
                    g["action_lines_not_reached"],
                ]
                for g in groups
            ],  # fmt: skip
        ),
    ]
    blanket = key["blanket"]
    if blanket:
        without = key["by_group_without_blanket"]
        changed = [
            f"{g['objective']} from {g['sdgs_reached']} to {w['sdgs_reached']} SDGs and from "
            f"{g['action_lines_reached']} to {w['action_lines_reached']} Action Lines"
            for g, w in zip(groups, without, strict=True)
            if (g["sdgs_reached"], g["action_lines_reached"]) != (w["sdgs_reached"], w["action_lines_reached"])
        ]
        only = []
        if key["sdgs_only_through_blanket"]:
            only.append(names.sdgs(key["sdgs_only_through_blanket"]))
        if key["action_lines_only_through_blanket"]:
            only.append(names.action_lines(key["action_lines_only_through_blanket"]))
        subject = f"Outcome {blanket[0]} is" if len(blanket) == 1 else f"Outcomes {listing(blanket)} are"
        text = (
            f"{subject} linked to every SDG or every Action "
            f"Line: a blanket link, which says that the work serves all goals but not which in particular. Without "
            f"blanket outcomes, reach falls for {listing(changed) if changed else 'no ' + kind}."
        )
        if only:
            text += f" Only the blanket link reaches {listing(only)}."
        blocks.append(n.para(text))
    else:
        blocks.append(n.para("No outcome is linked to every SDG or to every Action Line (no blanket link)."))
    most, fewest = _most_and_fewest(key["by_sdg"])
    blocks.append(
        n.para(
            f"By goal, {names.sdgs([most['sdg']])} is linked to the most outcomes ({most['outcomes']}, of "
            f"{_plural(most['objectives'], kind)}) and {names.sdgs([fewest['sdg']])} to the fewest "
            f"({fewest['outcomes']}). Figure {n.figure + 1} shows every goal."
        )
    )
    blocks.append(n.fig(figures["outcomes-per-sdg"], figures_dir))
    most_line, fewest_line = _most_and_fewest(key["by_action_line"])
    blocks.append(
        n.para(
            f"Among the WSIS Action Lines, {names.action_lines([most_line['action_line']])} is linked to the most "
            f"outcomes ({most_line['outcomes']}) and {names.action_lines([fewest_line['action_line']])} to the "
            f"fewest ({fewest_line['outcomes']}) (Figure {n.figure + 1}). Figures {n.figure + 2} and "
            f"{n.figure + 3} show every link of every outcome, and Figure {n.figure + 4} the SDGs of each {kind}."
        )
    )
    for name in ("outcomes-per-action-line", "outcome-by-sdg", "outcome-by-action-line", "objective-by-sdg"):
        blocks.append(n.fig(figures[name], figures_dir))
    overlap = key["overlap_sdg"]
    if overlap:
        high = max(overlap, key=lambda r: r["jaccard"])
        low = min(overlap, key=lambda r: r["jaccard"])
        blocks.append(
            n.para(
                f"The {kind}s overlap most between {high['objective_a']} and {high['objective_b']}, which share "
                f"{high['n_shared']} SDGs (Jaccard similarity {high['jaccard']:.2f}), and least between "
                f"{low['objective_a']} and {low['objective_b']}, which share {low['n_shared']} "
                f"({low['jaccard']:.2f})."
            )
        )
    return Section(f"Coverage of the SDGs and WSIS Action Lines by {kind} and outcome", blocks)


def _roles_and_matrix(n: _Numbers, result: dict, coverage_result: dict, names: _Names, figures_dir: Path) -> Section:
    key = result["key_figures"]
    figures = {f["name"]: f for f in result["figures"]}
    blocks = []
    roles = [r for r in key["roles"] if r["n_action_lines"]]
    if roles:
        parts = [
            f"ITU is {r['role']} of {listing(r['action_lines'])}: the outcomes reach {r['n_reached']} of these "
            f"{r['n_action_lines']}, through {_plural(r['links'], 'link')} from {_plural(r['outcomes'], 'outcome')}"
            for r in roles
        ]
        blocks.append(n.para("; ".join(parts) + "."))
    else:
        blocks.append(n.para("ITU's role per Action Line is not known for this edition's period."))
    strongest = key["strongest_pairs"][0]
    blocks.append(
        n.para(
            f"Of the 187 pairs of an SDG and a WSIS Action Line, the outcomes connect {key['pairs_linked']}; "
            f"without blanket outcomes, {key['pairs_linked_without_blanket']}. The pair linked by the most outcomes "
            f"is {names.sdgs([strongest['sdg']])} with {names.action_lines([strongest['action_line']])} "
            f"({strongest['outcomes']} outcomes). Figures {n.figure + 1} and {n.figure + 2} show the whole matrix, "
            "with and without blanket outcomes."
        )
    )
    blocks.append(n.fig(figures["sdg-by-action-line"], figures_dir))
    blocks.append(n.fig(figures["sdg-by-action-line-specific"], figures_dir))
    return Section("ITU's roles and the SDG x WSIS Action Line matrix", blocks)


def _study_groups(n: _Numbers, result: dict, tables: dict, meta: dict, figures_dir: Path) -> Section:
    key = result["key_figures"]
    groups = tables["study_groups"]
    per_group = key["questions_per_study_group"]
    listed = listing(
        [f"{g['study_group']} ({g['name']}, {_plural(per_group.get(g['study_group'], 0), 'question')})" for g in groups]
    )
    if key["by_group"] == "not published":
        note = meta.get("question_links", {}).get("note", "")
        return Section(
            "Study groups and questions",
            [
                n.para(
                    f"Annex 2 of the source lists the {_plural(len(groups), 'study group')} of the "
                    f"{meta.get('study_period', '')} study period: {listed}. The links of the questions to SDGs and "
                    "WSIS Action Lines are not published in the source document, and no public copy of them was "
                    "found. Coverage per study group and per question is therefore not reported: it is missing "
                    "data, not zero coverage, and no figure is drawn for it." + (f" ({note})" if note else "")
                )
            ],
        )
    blocks = [
        n.para(
            f"Annex 2 links the questions of the {_plural(len(groups), 'study group')} ({listed}) to SDGs and WSIS "
            f"Action Lines (Table {n.table + 1})."
        ),
        n.tab(
            "Coverage by study group",
            [
                "Study group",
                "Questions",
                "SDG links",
                "SDGs reached",
                "Action Line links",
                "Action Lines reached",
                "SDGs not reached",
            ],  # fmt: skip
            [
                [
                    g["study_group"],
                    g["questions"],
                    g["sdg_links"],
                    f"{g['sdgs_reached']} of 17",
                    g["action_line_links"],
                    f"{g['action_lines_reached']} of 11",
                    g["sdgs_not_reached"],
                ]
                for g in key["by_group"]
            ],  # fmt: skip
        ),
    ]
    if key["blanket"]:
        blocks.append(
            n.para(f"Blanket questions (linked to every SDG or every Action Line): {listing(key['blanket'])}.")
        )
    blocks += [n.fig(f, figures_dir) for f in result["figures"]]
    return Section("Study groups and questions", blocks)


def _changes(n: _Numbers, changes: dict, meta: dict) -> Section:
    previous = changes["previous_year"]
    ids = changes["changed_ids"]
    links = changes["changed_links"]
    added = [f"{r['kind'].replace('_', ' ')} {r['id']}" for r in ids if r["change"] == "added"]
    removed = [f"{r['kind'].replace('_', ' ')} {r['id']}" for r in ids if r["change"] == "removed"]
    gained = sum(r["change"] == "gained" for r in links)
    lost = sum(r["change"] == "lost" for r in links)
    was_added = "was" if len(added) == 1 else "were"
    text = (
        f"Since the {previous} edition, {listing(added) if added else 'nothing'} {was_added} "
        f"added and {listing(removed) if removed else 'nothing'} {'was' if len(removed) == 1 else 'were'} removed; "
        f"{_plural(gained, 'link')} {'was' if gained == 1 else 'were'} gained and {_plural(lost, 'link')} lost "
        f"(Tables {n.table + 1} and {n.table + 2})."
    )
    if not changes["question_links_compared"]:
        text += " Question links are not compared: they are not published in both editions."
    rows = changes["coverage_before_after"]
    year = str(meta["year"])
    return Section(
        f"Changes since the {previous} edition",
        [
            n.para(text),
            n.tab(
                f"Coverage figures, {previous} and {year}",
                ["Measure", str(previous), year, "Change"],
                [[r["measure"], r[str(previous)], r[year], r["change"]] for r in rows],
            ),
            n.tab(
                f"Links gained and lost since {previous}",
                ["Link", "From", "To", "Change"],
                [[r["link"], r["from"], r["to"], r["change"]] for r in links] or [["-", "-", "-", "no change"]],
            ),
        ],
    )


def _method(n: _Numbers, tables: dict, meta: dict, coverage_key: dict) -> Section:
    source = meta.get("source_document", {})
    status = tables["title_status_counts"]
    normalisations = tables["normalisations"]
    blocks = [
        Paragraph(
            f"Source. The mapping tables of this edition were read from \u201c{source.get('title', NOT_GIVEN)}\u201d "
            f"(file {source.get('file', NOT_GIVEN)}, SHA-256 {source.get('sha256', NOT_GIVEN)}). Every row of "
            "data/<year>/ names the source document, the annex and the line it was read from. Names and colours "
            "of the SDGs, names of the WSIS Action Lines and ITU's roles come from the project's reference tables, "
            "each with its certainty."
        ),
        Paragraph(
            f"Question titles. Of the {_plural(sum(status.values()), 'question title')}, "
            + listing([f"{count} {state}" for state, count in status.items()])
            + " in wording (VERIFIED: the text was seen in a public source; LIKELY: strong indirect evidence; "
            "UNVERIFIED: the topic is known, the exact wording is not). Annex 2 gives the status of each title."
        ),
        Paragraph(
            "Blanket links. An outcome (or question) linked to all 17 SDGs or all 11 Action Lines is called a blanket "
            f"link ({listing(coverage_key['blanket']) if coverage_key['blanket'] else 'none in this edition'}). "
            "Coverage is given with and without blanket links, so that the reader sees what the specific outcomes "
            "reach."
        ),
    ]
    if normalisations:
        kinds: dict[str, list[int]] = {}
        for row in normalisations:
            kinds.setdefault(row["kind"], []).append(row["source_line"])
        blocks.append(
            Paragraph(
                f"Reading the source. The annex parser made {_plural(len(normalisations), 'normalisation')} of the "
                "source text, listed in the table below: "
                + "; ".join(
                    f"{kind} (line{'s' if len(lines) > 1 else ''} {listing(lines)})" for kind, lines in kinds.items()
                )
                + "."
            )
        )
        blocks.append(
            n.tab(
                "Normalisations the annex parser made (identifiers, ranges and lists; layout-only changes to spaces "
                "are counted above)",
                ["Line", "Kind", "Source text", "Read as"],
                [
                    [r["source_line"], r["kind"], r["before"], r["after"]]
                    for r in normalisations
                    if "spaces" not in r["kind"]
                ],
            )
        )
    else:
        blocks.append(
            Paragraph("Reading the source. The tables of this edition were not produced by the annex parser.")
        )
    return Section("Note on data and method", blocks)


def _sdg_list(sdgs: list[int]) -> str:
    return "1-17 (all)" if sdgs == list(range(1, 18)) else listing(sdgs)


def _line_list(lines: list[str]) -> str:
    return "C1-C11 (all)" if lines == [f"C{i}" for i in range(1, 12)] else listing(lines)


def _annex_1(n: _Numbers, tables: dict, meta: dict) -> Section:
    kind = parent_kind(tables)
    blocks: list = [
        n.tab(
            f"{kind.capitalize()}s",
            [kind.capitalize(), "Short name", "Text"],
            [[o["objective"], o["short_name"], o["text"]] for o in tables["objectives"]],
        )
    ]
    for objective in tables["objectives"]:
        outcomes = [o for o in tables["outcomes"] if o["objective"] == objective["objective"]]
        blocks.append(
            n.tab(
                f"Outcomes of {objective['objective']} {objective['short_name']}",
                [
                    "Outcome",
                    "Text",
                    "Contributes to achievement of SDG Goals",
                    "Contributes to facilitation of implementation of WSIS AL",
                ],  # fmt: skip
                [[o["outcome"], o["text"], _sdg_list(o["sdgs"]), _line_list(o["action_lines"])] for o in outcomes],
            )
        )
    return Section(
        f"Annex 1: ITU-D contribution to the {meta.get('strategic_plan', 'strategic plan')}: {kind.capitalize()}s, "
        "Outcomes, SDGs and WSIS Action Lines",
        blocks,
    )


def _annex_2(n: _Numbers, tables: dict, meta: dict) -> Section:
    published = tables["question_links"]["status"] != "not published"
    links = {r["question"]: r for r in tables["question_links_table"]} if published else {}
    blocks: list = []
    if not published:
        blocks.append(
            Paragraph(
                "The source does not publish the links of the questions to SDGs and WSIS Action Lines: the columns "
                "below say \u201cnot published\u201d. They are missing data, not zero coverage."
            )
        )
    for group in tables["study_groups"]:
        questions = [q for q in tables["questions"] if q["study_group"] == group["study_group"]]
        rows = []
        for q in questions:
            status = q["title_status"] + (f" ({q['status_note']})" if q.get("status_note") else "")
            if published:
                rows.append([q["question"], q["title"], status, _sdg_list(links[q["question"]]["sdgs"]),
                             _line_list(links[q["question"]]["action_lines"])])  # fmt: skip
            else:
                rows.append([q["question"], q["title"], status, "not published", "not published"])
        blocks.append(
            n.tab(
                f"{group['study_group']}: {group['name']}",
                ["Question", "Title", "Title status", "SDGs", "WSIS Action Lines"],
                rows,
            )
        )
    return Section(
        f"Annex 2: ITU-D study group questions ({meta.get('study_period', '')}) and their contribution to the WSIS "
        "Action Lines and the SDGs",
        blocks,
    )
