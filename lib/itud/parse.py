"""Read the mapping annexes of a TDAG contribution into the edition's tables.

Input is the plain-text form of the contribution (as in `shared/seeds`) or its
`.docx` (one paragraph = one line). Annex 1 lists objectives (or priorities),
then outcomes, each followed by two lines:

    D.1-1: <text>
    Contributes to achievement of SDG Goals 1, 3, 5, 10, 16 and 17
    Contributes to facilitation of implementation of WSIS AL C1 and C11

Annex 2 lists study groups (`SG1: <name>`) and would list their questions.
Every line inside the annexes must be understood: an unknown line is an error
naming its line number, never a silent skip. Every normalisation (typo'd ids,
ranges, doubled or trailing spaces, lists joined by "and") is recorded with its
line number so the report can show it.

The grammar is small and fixed, so a hand-written line reader is clearer here
than a parser generator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from itud import ids
from itud.errors import AnnexParseError, LineProblem

ANNEX_1 = "Annex 1"
ANNEX_2 = "Annex 2"

_ANNEX_HEADING = re.compile(r"^ANNEX\s+(1|2|ONE|TWO)$", re.IGNORECASE)
_SECTION = re.compile(r"^(Objectives|Priorities|Outcomes)$", re.IGNORECASE)
_PARENT = re.compile(r"^(?P<id>[A-Z]\s*[.\-]\s*\d+)\s+(?P<short>[^:]+?)\s*:\s*(?P<text>.+)$")
_OUTCOME = re.compile(r"^(?P<id>[A-Z]\s*[.\-]\s*\d+\s*[.\-]\s*\d+)\s*:\s*(?P<text>.+)$")
_SDG_LINE = re.compile(r"^Contributes to achievement of SDG Goals?\s+(?P<list>.+)$", re.IGNORECASE)
_AL_LINE = re.compile(
    r"^Contributes to facilitation of implementation of WSIS (?:AL|Action Lines?)\s+(?P<list>.+)$",
    re.IGNORECASE,
)
_STUDY_GROUP = re.compile(r"^(?P<id>SG\s*\d+)\s*:\s*(?P<name>.+)$", re.IGNORECASE)
_QUESTION = re.compile(r"^Q(?:uestion)?\s*\d+\s*/\s*\d+\b", re.IGNORECASE)
_LIST_SEPARATOR = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+", re.IGNORECASE)
_SDG_RANGE = re.compile(r"^(\d+)\s*-\s*(\d+)$")
_AL_RANGE = re.compile(r"^C\s*(\d+)\s*-\s*C?\s*(\d+)$", re.IGNORECASE)

PROVENANCE_COLUMNS = ["source_document", "annex", "source_line"]


@dataclass(frozen=True)
class Normalisation:
    """One change the parser made to the source text, for the log and the report."""

    line: int
    kind: str
    before: str
    after: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.kind}: {self.before!r} -> {self.after!r}"


@dataclass
class ParsedAnnexes:
    """The tables read from a contribution's annexes, with the normalisation log."""

    source_document: str
    objectives: pd.DataFrame
    outcomes: pd.DataFrame
    outcome_sdg: pd.DataFrame
    outcome_action_line: pd.DataFrame
    study_groups: pd.DataFrame
    question_rows: int
    annex_titles: dict[str, str]
    normalisations: list[Normalisation] = field(default_factory=list)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables the parser owns, by file stem, in the order they are written."""
        return {
            "objectives": self.objectives,
            "outcomes": self.outcomes,
            "outcome_sdg": self.outcome_sdg,
            "outcome_action_line": self.outcome_action_line,
            "study_groups": self.study_groups,
            "normalisations": pd.DataFrame(
                [(self.source_document, n.line, n.kind, n.before, n.after) for n in self.normalisations],
                columns=["source_document", "source_line", "kind", "before", "after"],
            ),
        }


def read_source_lines(path: Path) -> list[str]:
    """The lines of a contribution: text files as they are, `.docx` one paragraph a line."""
    if path.suffix.lower() == ".docx":
        import docx  # python-docx; imported here so text parsing does not pay for it

        return [paragraph.text for paragraph in docx.Document(str(path)).paragraphs]
    return path.read_text(encoding="utf-8").splitlines()


class _Reader:
    """State of one pass over the lines; collects rows, normalisations and problems."""

    def __init__(self, source_document: str):
        self.source = source_document
        self.log: list[Normalisation] = []
        self.problems: list[LineProblem] = []
        self.objectives: list[dict] = []
        self.outcomes: list[dict] = []
        self.sdg_links: list[dict] = []
        self.al_links: list[dict] = []
        self.study_groups: list[dict] = []
        self.question_rows = 0
        self.titles: dict[str, list[str]] = {ANNEX_1: [], ANNEX_2: []}

    def provenance(self, annex: str, line: int) -> dict:
        return {"source_document": self.source, "annex": annex, "source_line": line}

    def clean(self, number: int, raw: str) -> str:
        """Strip layout whitespace; log trailing and doubled spaces, which are typos."""
        text = raw.replace("\u00a0", " ").strip()
        if raw != raw.rstrip():
            self.log.append(Normalisation(number, "trailing spaces removed", raw.lstrip(), text))
        collapsed = re.sub(r"[ \t]{2,}", " ", text)
        if collapsed != text:
            self.log.append(Normalisation(number, "doubled spaces collapsed", text, collapsed))
        return collapsed

    def normalise_id(self, number: int, kind: str, raw: str, normaliser) -> str | None:
        try:
            canonical = normaliser(raw)
        except ids.IdError as error:
            self.problems.append(LineProblem(number, str(error), raw))
            return None
        if canonical != raw:
            self.log.append(Normalisation(number, f"{kind} id normalised", raw, canonical))
        return canonical

    def read_list(self, number: int, text: str, kind: str) -> list:
        """`1, 3 and 17`, `1 - 17`, `C2 and C6 and C7` -> canonical ids, range-expanded."""
        if len(re.findall(r"\band\b", text, re.IGNORECASE)) > 1:
            self.log.append(Normalisation(number, "list joined by 'and' read", text, text))
        items: list = []
        for token in filter(None, _LIST_SEPARATOR.split(text.strip().rstrip("."))):
            items.extend(self._read_token(number, token.strip(), kind))
        unique = list(dict.fromkeys(items))
        if len(unique) != len(items):
            self.log.append(Normalisation(number, "repeated item dropped", text, str(unique)))
        return unique

    def _read_token(self, number: int, token: str, kind: str) -> list:
        pattern, single = (_SDG_RANGE, ids.sdg_id) if kind == "sdg" else (_AL_RANGE, ids.action_line_id)
        expanded = pattern.match(token)
        try:
            if expanded:
                first, last = int(expanded[1]), int(expanded[2])
                if first >= last:
                    raise ids.IdError(f"range runs backwards: {token!r}")
                items = [single(n if kind == "sdg" else f"C{n}") for n in range(first, last + 1)]
                shown = ", ".join(str(i) for i in items)
                self.log.append(Normalisation(number, f"{kind} range expanded", token, shown))
                return items
            return [single(token)]
        except ids.IdError as error:
            self.problems.append(LineProblem(number, str(error), token))
            return []


def parse_annexes(lines: list[str], source_document: str) -> ParsedAnnexes:
    """Read Annex 1 (objectives, outcomes, links) and Annex 2 (study groups).

    Raises `AnnexParseError` listing every line that could not be read.
    """
    reader = _Reader(source_document)
    annex: str | None = None
    section: str | None = None
    kind = "objective"
    current: dict | None = None
    seen_lines: dict[str, set[str]] = {}

    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        heading = _ANNEX_HEADING.match(raw.strip())
        if heading:
            annex = ANNEX_1 if heading[1].upper() in {"1", "ONE"} else ANNEX_2
            section = None
            continue
        if annex is None:
            continue  # the body of the contribution: prose, not data
        text = reader.clean(number, raw)
        if annex == ANNEX_2:
            _read_annex_2_line(reader, number, text, section)
            section = "study groups" if _STUDY_GROUP.match(text) else section
            continue
        heading = _SECTION.match(text)
        if heading:
            section = heading[1].lower()
            if section != "outcomes":
                kind = "priority" if section == "priorities" else "objective"
            current = None
            continue
        if section is None:
            reader.titles[ANNEX_1].append(text)
        elif section in {"objectives", "priorities"}:
            _read_parent_line(reader, number, text, kind)
        else:
            current = _read_outcome_section_line(reader, number, text, current, seen_lines)

    _check_complete(reader, seen_lines)
    if reader.problems:
        raise AnnexParseError(source_document, reader.problems)
    return _tables(reader)


def _read_parent_line(reader: _Reader, number: int, text: str, kind: str) -> None:
    match = _PARENT.match(text)
    if not match:
        reader.problems.append(LineProblem(number, f"not an {kind} line like 'D.1 Name: text'", text))
        return
    objective = reader.normalise_id(number, kind, match["id"], ids.objective_id)
    if objective:
        reader.objectives.append(
            {
                "objective": objective,
                "kind": kind,
                "short_name": match["short"].strip(),
                "text": match["text"].strip(),
                **reader.provenance(ANNEX_1, number),
            }
        )


def _read_outcome_section_line(
    reader: _Reader, number: int, text: str, current: dict | None, seen: dict[str, set[str]]
) -> dict | None:
    outcome_match = _OUTCOME.match(text)
    if outcome_match:
        outcome = reader.normalise_id(number, "outcome", outcome_match["id"], ids.outcome_id)
        if outcome is None:
            return None
        row = {
            "outcome": outcome,
            "objective": outcome.split("-")[0],
            "text": outcome_match["text"].strip(),
            **reader.provenance(ANNEX_1, number),
        }
        reader.outcomes.append(row)
        seen[outcome] = set()
        return row
    for pattern, kind, target, column in (
        (_SDG_LINE, "sdg", reader.sdg_links, "sdg"),
        (_AL_LINE, "action_line", reader.al_links, "action_line"),
    ):
        match = pattern.match(text)
        if not match:
            continue
        if current is None:
            reader.problems.append(LineProblem(number, f"{kind} line before any outcome", text))
        elif kind in seen[current["outcome"]]:
            reader.problems.append(LineProblem(number, f"second {kind} line for outcome {current['outcome']}", text))
        else:
            seen[current["outcome"]].add(kind)
            for item in reader.read_list(number, match["list"], kind):
                target.append({"outcome": current["outcome"], column: item, **reader.provenance(ANNEX_1, number)})
        return current
    reader.problems.append(LineProblem(number, "not an outcome line ('D.1-1: text') nor an SDG/WSIS AL line", text))
    return current


def _read_annex_2_line(reader: _Reader, number: int, text: str, section: str | None) -> None:
    match = _STUDY_GROUP.match(text)
    if match:
        study_group = reader.normalise_id(number, "study group", match["id"], ids.study_group_id)
        if study_group:
            reader.study_groups.append(
                {"study_group": study_group, "name": match["name"].strip(), **reader.provenance(ANNEX_2, number)}
            )
    elif _QUESTION.match(text):
        # The 2019 source publishes no question rows, so their layout is unknown; reading
        # them by guesswork could invent links. Fail loudly so the parser is extended.
        reader.question_rows += 1
        reader.problems.append(
            LineProblem(number, "question row in Annex 2: its layout is not known to this parser", text)
        )
    elif section is None:
        reader.titles[ANNEX_2].append(text)
    else:
        reader.problems.append(LineProblem(number, "not a study group line ('SG1: name')", text))


def _check_complete(reader: _Reader, seen: dict[str, set[str]]) -> None:
    if not reader.objectives:
        reader.problems.append(LineProblem(0, "no objectives found (is there an 'ANNEX 1'?)", ""))
    for row in reader.outcomes:
        for kind in ("sdg", "action_line"):
            if kind not in seen[row["outcome"]]:
                reader.problems.append(
                    LineProblem(row["source_line"], f"outcome {row['outcome']} has no {kind} line", row["text"])
                )


def _tables(reader: _Reader) -> ParsedAnnexes:
    def frame(rows: list[dict], columns: list[str], sort: list[str] | None = None) -> pd.DataFrame:
        table = pd.DataFrame(rows, columns=columns + PROVENANCE_COLUMNS)
        return table.sort_values(sort, kind="stable").reset_index(drop=True) if sort else table

    outcome_order = {row["outcome"]: i for i, row in enumerate(reader.outcomes)}
    sdg = frame(reader.sdg_links, ["outcome", "sdg"])
    sdg = sdg.assign(_o=sdg["outcome"].map(outcome_order)).sort_values(["_o", "sdg"], kind="stable")
    al = frame(reader.al_links, ["outcome", "action_line"])
    al = al.assign(_o=al["outcome"].map(outcome_order), _a=al["action_line"].map(ids.action_line_number))
    al = al.sort_values(["_o", "_a"], kind="stable")
    return ParsedAnnexes(
        source_document=reader.source,
        objectives=frame(reader.objectives, ["objective", "kind", "short_name", "text"]),
        outcomes=frame(reader.outcomes, ["outcome", "objective", "text"]),
        outcome_sdg=sdg.drop(columns="_o").reset_index(drop=True),
        outcome_action_line=al.drop(columns=["_o", "_a"]).reset_index(drop=True),
        study_groups=frame(reader.study_groups, ["study_group", "name"], sort=["study_group"]),
        question_rows=reader.question_rows,
        annex_titles={k: " ".join(v) for k, v in reader.titles.items()},
        normalisations=reader.log,
    )


def parse_file(path: Path) -> ParsedAnnexes:
    """Parse a contribution file; provenance names the file by its base name."""
    return parse_annexes(read_source_lines(path), path.name)


def write_tables(parsed: ParsedAnnexes, edition_dir: Path) -> list[Path]:
    """Write the parsed tables as UTF-8 CSV (LF line ends) into the edition folder."""
    edition_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for stem, table in parsed.tables().items():
        path = edition_dir / f"{stem}.csv"
        temporary = path.with_suffix(".csv.tmp")
        table.to_csv(temporary, index=False, lineterminator="\n", encoding="utf-8")
        temporary.replace(path)
        written.append(path)
    return written
