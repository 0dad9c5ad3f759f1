"""Read the mapping annexes of a TDAG contribution into the edition's tables.

Input is the plain-text form of the contribution (as in `shared/seeds`) or its
`.docx`. Annex 1 lists objectives (or priorities), then outcomes, each followed
by two lines:

    D.1-1: <text>
    Contributes to achievement of SDG Goals 1, 3, 5, 10, 16 and 17
    Contributes to facilitation of implementation of WSIS AL C1 and C11

Annex 2 lists study groups (`SG1: <name>`) and would list their questions.
Every line inside the annexes must be understood: an unknown line is an error
naming its line number, never a silent skip. Every normalisation (typo'd ids,
ranges, doubled or trailing spaces, lists joined by "and") is recorded with its
line number so the report can show it.

A `.docx` is read as its text form: the body in document order, paragraphs and
tables interleaved, each table row by row and each cell's paragraphs (and
nested tables) in order; manual line breaks split lines, tabs are spaces,
tracked insertions are read and tracked deletions ignored (both logged). A
table whose heading row starts the link lines ("Contributes to achievement of
SDG Goals ...") has that start put before each cell's list (logged). Inside an
annex, a text box, equation or embedded object is an error (its text cannot be
read in order) and a picture is logged. `source_line` is the line of that text
form; the place in the Word file (`paragraph 12`, `table 1, row 3, cell 2`,
`table 1, row 1, cell 1, table 1, row 2, cell 3, paragraph 2, line 1`) is added
to `source_document` as `<file>, <place>`. A source larger than a limit (for a
.docx, its unzipped size) is refused before it is read.

Nothing is written unless the tables pass the same checks as `itud validate`;
the tables of an edition are then replaced all together, under a lock on the
edition folder.

The grammar is small and fixed, so a hand-written line reader is clearer here
than a parser generator.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import shutil
import stat
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from itud.data import ids
from itud.errors import AnnexParseError, EditionError, LineProblem, Problem

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
# A table's heading row may hold the start of the link lines; its cells then hold only the lists.
_COLUMN_HEADINGS = (
    re.compile(r"^(Contributes to achievement of SDG Goals?)\s*(?:\.\.\.|\u2026|:)?$", re.IGNORECASE),
    re.compile(
        r"^(Contributes to facilitation of implementation of WSIS (?:AL|Action Lines?))\s*(?:\.\.\.|\u2026|:)?$",
        re.IGNORECASE,
    ),
)

PROVENANCE_COLUMNS = ["source_document", "annex", "source_line"]

DEFAULT_MAX_SOURCE_MB = 200
MAX_SOURCE_MB_VARIABLE = "ITUD_MAX_SOURCE_MB"
STAGING_PREFIX = ".parse-"


class ParseFileError(AnnexParseError):
    """A source that cannot be read, or an output folder that cannot be written; one message."""

    def __init__(self, where: object, message: str):
        ValueError.__init__(self, f"{where}: {message}")
        self.source = str(where)
        self.problems: list[LineProblem] = []


@dataclass(frozen=True)
class Normalisation:
    """One change the parser made to the source text, for the log and the report."""

    line: int
    kind: str
    before: str
    after: str
    where: str = ""  # the place in a .docx (`table 1, row 3, cell 2`); "" for text

    def __str__(self) -> str:
        place = f" ({self.where})" if self.where else ""
        return f"line {self.line}{place}: {self.kind}: {self.before!r} -> {self.after!r}"


@dataclass(frozen=True)
class SourceLine:
    """One line of a contribution's text form, and where a `.docx` holds it."""

    text: str
    where: str = ""  # "paragraph 12", "table 1, row 3, cell 2, line 2"; "" for text files
    skipped: str = ""  # content here that cannot be read as text (a text box, an equation...): an error in an annex
    ignored: str = ""  # a picture without text: logged in an annex
    changes: str = ""  # the paragraph with its tracked changes marked, when it has any
    heading: str = ""  # a table's column heading put before the cell's text (`Contributes to ... SDG Goals`)


@dataclass
class Source:
    """A contribution read as lines, with what reading it changed (BOM, tracked changes)."""

    name: str
    lines: list[SourceLine]
    notes: list[Normalisation] = field(default_factory=list)


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
                [
                    (located(self.source_document, n.where), n.line, n.kind, n.before, n.after)
                    for n in self.normalisations
                ],
                columns=["source_document", "source_line", "kind", "before", "after"],
            ),
        }


def located(source_document: str, where: str) -> str:
    """The `source_document` value of a row: the file name, plus the place in a .docx."""
    return f"{source_document}, {where}" if where else source_document


# --- Reading the source file -------------------------------------------------------------------


def max_source_bytes(limit_mb: float | None = None) -> int:
    """The size limit for a source (text size, or a .docx's unzipped size): argument, variable, default."""
    if limit_mb is None:
        raw = os.environ.get(MAX_SOURCE_MB_VARIABLE, "")
        try:
            limit_mb = float(raw) if raw.strip() else DEFAULT_MAX_SOURCE_MB
        except ValueError as error:
            raise ParseFileError(MAX_SOURCE_MB_VARIABLE, f"not a number of megabytes: {raw!r}") from error
    if limit_mb <= 0:
        raise ParseFileError("size limit", f"must be a positive number of megabytes, not {limit_mb}")
    return int(limit_mb * 1_000_000)


def _limit_advice(limit: int) -> str:
    return (
        f"the limit is {limit / 1_000_000:g} MB; if the file is genuine, raise it with "
        f"`itud parse --max-source-mb N` or the {MAX_SOURCE_MB_VARIABLE} environment variable"
    )


def read_source(path: Path, limit_mb: float | None = None) -> Source:
    """Read a contribution (`.docx`, or UTF-8 text with or without BOM) as lines.

    Refuses, with the file name and what to do: a folder, a FIFO or device, a file
    over the size limit, text that is not UTF-8, a `.docx` that is not a Word document.
    """
    path = Path(path)
    limit = max_source_bytes(limit_mb)
    try:
        info = path.stat()
    except FileNotFoundError as error:
        raise ParseFileError(path, "no such file") from error
    except OSError as error:
        raise ParseFileError(path, f"cannot be read: {error.strerror}") from error
    if stat.S_ISDIR(info.st_mode):
        raise ParseFileError(path, "is a folder, not a file: give the contribution's .txt or .docx file")
    if not stat.S_ISREG(info.st_mode):
        raise ParseFileError(path, "is not a regular file (a FIFO, socket or device?): give a .txt or .docx file")
    if path.suffix.lower() == ".docx":
        return read_docx(path, limit)
    if info.st_size > limit:
        raise ParseFileError(path, f"is {info.st_size / 1_000_000:.1f} MB of text; {_limit_advice(limit)}")
    return read_text(path.name, path.read_bytes())


def read_text(name: str, raw: bytes) -> Source:
    """UTF-8 text (a BOM is removed and logged) as lines; anything else is refused by name."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ParseFileError(
            name, "not UTF-8 text: it is UTF-16 (it starts with a UTF-16 byte order mark); save as UTF-8"
        )
    if raw.startswith(b"PK\x03\x04"):
        raise ParseFileError(name, "not UTF-8 text: it is a zip archive (a Word file? name it .docx)")
    notes = []
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
        notes.append(Normalisation(1, "byte order mark removed", "UTF-8 byte order mark", ""))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        byte = raw[error.start : error.start + 1]
        raise ParseFileError(
            name, f"not UTF-8 text: byte {byte!r} at line {line}, offset {error.start}; save as UTF-8"
        ) from error
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ParseFileError(name, f"not UTF-8 text: a NUL byte at line {line} (a binary file?); save as UTF-8 text")
    return Source(name, [SourceLine(line) for line in text.splitlines()], notes)


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_TEXT_TAGS = (
    f"{_W}t",
    "{http://schemas.openxmlformats.org/drawingml/2006/main}t",
    "{http://schemas.openxmlformats.org/officeDocument/2006/math}t",
)
# Elements that carry no text of the body: properties, bookmarks, comment and proofing marks.
_NO_TEXT = {
    f"{_W}{tag}"
    for tag in (
        "pPr",
        "rPr",
        "tblPr",
        "tblGrid",
        "trPr",
        "tcPr",
        "sectPr",
        "bookmarkStart",
        "bookmarkEnd",
        "proofErr",
        "permStart",
        "permEnd",
        "commentRangeStart",
        "commentRangeEnd",
        "commentReference",
        "footnoteReference",
        "endnoteReference",
        "annotationRef",
        "fldChar",
        "instrText",
        "delInstrText",
        "lastRenderedPageBreak",
        "softHyphen",
        "tblPrEx",
        "sdtPr",
        "sdtEndPr",
        "moveFromRangeStart",
        "moveFromRangeEnd",
        "moveToRangeStart",
        "moveToRangeEnd",
        "customXmlInsRangeStart",
        "customXmlInsRangeEnd",
        "customXmlDelRangeStart",
        "customXmlDelRangeEnd",
        "separator",
        "continuationSeparator",
        "footnoteRef",
        "endnoteRef",
    )
}
_INLINE_WRAPPERS = {f"{_W}{tag}" for tag in ("hyperlink", "smartTag", "customXml", "fldSimple", "bdo", "dir")}
_DELETED = {f"{_W}del", f"{_W}moveFrom"}
_INSERTED = {f"{_W}ins", f"{_W}moveTo"}


def _has_text(element) -> bool:
    return any((node.text or "").strip() for node in element.iter(*_TEXT_TAGS))


def _unreadable(element) -> SourceLine | None:
    """The marker line for an element the reader cannot read as text, or None if it holds nothing."""
    tag = _local(element.tag)
    if element.tag in _NO_TEXT:
        return None
    if _has_text(element):
        return SourceLine("", skipped=f"<{tag}> (a text box, drawing or equation with text)")
    if tag in {"object", "altChunk"}:
        return SourceLine("", skipped=f"<{tag}> (an embedded object or document)")
    if tag in {"drawing", "pict", "AlternateContent"}:
        return SourceLine("", ignored=f"<{tag}> (a picture)")
    return None


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


class _DocxReader:
    """A walk over a .docx body, by hand over the XML: python-docx's `Paragraph.text` drops tracked
    insertions, `row.cells` repeats merged cells and `iter_inner_content` skips content controls."""

    def __init__(self) -> None:
        self.lines: list[SourceLine] = []
        self.notes: list[Normalisation] = []
        self.changes: Counter[str] = Counter()
        self.first_change: int | None = None

    def blocks(self, container, prefix: str, number_paragraphs: bool) -> None:
        """Paragraphs and tables of the body or of a cell, in document order."""
        counts: Counter[str] = Counter()
        carried = ("", "")  # text (and marked text) of a paragraph whose mark is a tracked deletion
        for child in self._flat(container):
            if child.tag == f"{_W}p":
                counts["paragraph"] += 1
                where = ", ".join(filter(None, [prefix, f"paragraph {counts['paragraph']}" * number_paragraphs]))
                carried = self.paragraph(child, where, carried)
            elif child.tag == f"{_W}tbl":
                carried = self._flush(carried, prefix)
                counts["table"] += 1
                self.table(child, ", ".join(filter(None, [prefix, f"table {counts['table']}"])))
            elif marker := _unreadable(child):
                self.lines.append(replace(marker, where=prefix or "body"))
        self._flush(carried, prefix)

    def _flat(self, container) -> Iterator:
        """Children, with content controls and custom XML opened (their content is body content)."""
        for child in container.iterchildren():
            if child.tag in {f"{_W}sdt", f"{_W}customXml", f"{_W}sdtContent"}:
                content = child.find(f"{_W}sdtContent") if child.tag == f"{_W}sdt" else child
                if content is not None:
                    yield from self._flat(content)
            elif child.tag in _INSERTED:  # a tracked insertion of whole rows or paragraphs
                self._count("insertion")
                yield from self._flat(child)
            elif child.tag in _DELETED:
                self._count("deletion")
            else:
                yield child

    def table(self, table, name: str) -> None:
        headings: dict[int, str] = {}
        for r, row in enumerate(self._children(table, "tr"), start=1):
            properties = row.find(f"{_W}trPr")
            if properties is not None and properties.find(f"{_W}del") is not None:
                self._count("deletion")  # a deleted row
                continue
            if properties is not None and properties.find(f"{_W}ins") is not None:
                self._count("insertion")
            cells = self._children(row, "tc")
            if r == 1 and (headings := self._column_headings(cells, name)):
                continue
            for c, cell in enumerate(cells, start=1):
                paragraphs = len(cell.findall(f"{_W}p"))
                start = len(self.lines)
                self.blocks(cell, f"{name}, row {r}, cell {c}", number_paragraphs=paragraphs > 1)
                if c in headings:
                    self._apply_heading(start, headings[c])

    def _column_headings(self, cells: list, name: str) -> dict[int, str]:
        """A heading row whose cells start the link lines: its columns, logged; else {}."""
        texts = ["".join(node.text or "" for node in cell.iter(f"{_W}t")).strip() for cell in cells]
        headings = {
            c: match[1]
            for c, text in enumerate(texts, start=1)
            for pattern in _COLUMN_HEADINGS
            if (match := pattern.match(text))
        }
        if headings:
            self.notes.append(
                Normalisation(
                    len(self.lines) + 1, "table column headings read", " | ".join(texts), "", f"{name}, row 1"
                )
            )
            if _SECTION.match(texts[0]):  # "Outcomes" over the first column is the section heading
                self.lines.append(SourceLine(texts[0], f"{name}, row 1, cell 1"))
        return headings

    def _apply_heading(self, start: int, heading: str) -> None:
        """Put the column's heading before the first line of a cell that holds only the list."""
        for index in range(start, len(self.lines)):
            line = self.lines[index]
            if line.text.strip() and not line.skipped:
                if not line.text.strip().lower().startswith("contributes"):
                    self.lines[index] = replace(line, text=f"{heading} {line.text.strip()}", heading=heading)
                return

    def _children(self, element, tag: str) -> list:
        return [child for child in self._flat(element) if child.tag == f"{_W}{tag}"]

    def paragraph(self, paragraph, where: str, carried: tuple[str, str]) -> tuple[str, str]:
        """Emit the paragraph's lines; return its text instead when its mark is a tracked deletion."""
        accepted: list[str] = []
        marked: list[str] = []
        before = sum(self.changes.values())
        skipped = self.inline(paragraph, accepted, marked)
        mark = paragraph.find(f"{_W}pPr/{_W}rPr")
        if mark is not None and mark.find(f"{_W}ins") is not None:
            self._count("insertion")
        text, markup = carried[0] + "".join(accepted), carried[1] + "".join(marked)
        if mark is not None and mark.find(f"{_W}del") is not None:
            self._count("deletion")  # the paragraph joins the next one
            self.lines += [replace(marker, where=where) for marker in skipped]
            return text, markup + "[-\u00b6-]"
        changed = sum(self.changes.values()) != before or carried != ("", "")
        parts = text.split("\n")
        for number, part in enumerate(parts, start=1):
            place = f"{where}, line {number}" if len(parts) > 1 else where
            first = number == 1 and changed
            self.lines.append(SourceLine(part, place, changes=markup.replace("\n", " / ") if first else ""))
        if skipped:  # what the paragraph holds besides text goes with its last line
            self.lines[-1] = replace(
                self.lines[-1],
                skipped="; ".join(m.skipped for m in skipped if m.skipped),
                ignored="; ".join(m.ignored for m in skipped if m.ignored),
            )
        return "", ""

    def _flush(self, carried: tuple[str, str], where: str) -> tuple[str, str]:
        if carried != ("", ""):
            self.lines.append(SourceLine(carried[0], where or "body", changes=carried[1]))
        return "", ""

    def inline(self, element, accepted: list[str], marked: list[str]) -> list[SourceLine]:
        """Text of runs in order into `accepted` (and `marked`, showing tracked changes); returns what
        could not be read as text (text boxes, equations, embedded objects)."""
        skipped: list[SourceLine] = []
        for child in element.iterchildren():
            if child.tag == f"{_W}r":
                skipped += self.run(child, accepted, marked)
            elif child.tag in _DELETED:
                self._count("deletion")
                marked.append("[-" + "".join(node.text or "" for node in child.iter(f"{_W}delText", f"{_W}t")) + "-]")
            elif child.tag in _INSERTED:
                self._count("insertion")
                inserted: list[str] = []
                skipped += self.inline(child, accepted, inserted)
                marked.append("{+" + "".join(inserted) + "+}")
            elif child.tag in _INLINE_WRAPPERS:
                skipped += self.inline(child, accepted, marked)
            elif child.tag == f"{_W}sdt":
                content = child.find(f"{_W}sdtContent")
                if content is not None:
                    skipped += self.inline(content, accepted, marked)
            elif marker := _unreadable(child):
                skipped.append(marker)
        return skipped

    def run(self, run, accepted: list[str], marked: list[str]) -> list[SourceLine]:
        skipped = []
        for child in run.iterchildren():
            tag = child.tag
            if tag == f"{_W}t":
                piece = child.text or ""
            elif tag in {f"{_W}tab", f"{_W}ptab"}:
                piece = " "  # tabs count as spaces
            elif tag in {f"{_W}br", f"{_W}cr"}:
                piece = "\n"  # a manual line break ends a line
            elif tag == f"{_W}noBreakHyphen":
                piece = "-"
            else:
                if marker := _unreadable(child):
                    skipped.append(marker)
                continue
            accepted.append(piece)
            marked.append(piece)
        return skipped

    def _count(self, kind: str) -> None:
        self.changes[kind] += 1
        if self.first_change is None:
            self.first_change = len(self.lines) + 1


def read_docx(path: Path, limit: int) -> Source:
    """The text form of a .docx (see the module docstring), refusing a zip bomb before inflating it."""
    name = path.name
    if not zipfile.is_zipfile(path):
        raise ParseFileError(name, "not a Word document: a .docx is a zip archive and this file is not one")
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as error:
        raise ParseFileError(name, f"not a Word document: a damaged zip archive ({error})") from error
    if "word/document.xml" not in {m.filename for m in members}:
        raise ParseFileError(name, "not a Word document: a zip archive without word/document.xml")
    # zipfile stops reading a member at its declared size, so the declared sizes bound what inflating costs.
    inflated = sum(member.file_size for member in members)
    if inflated > limit:
        raise ParseFileError(
            name, f"refused: it inflates to {inflated / 1_000_000:,.1f} MB when unzipped; {_limit_advice(limit)}"
        )
    import docx  # python-docx; imported here so text parsing does not pay for it
    from docx.opc.exceptions import PackageNotFoundError
    from lxml import etree

    try:
        body = docx.Document(str(path)).element.body
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile, etree.XMLSyntaxError) as error:
        raise ParseFileError(name, f"not a readable Word document: {error}") from error
    reader = _DocxReader()
    reader.blocks(body, "", number_paragraphs=True)
    notes = reader.notes
    if reader.changes:
        counts = f"{reader.changes['insertion']} insertion(s) read, {reader.changes['deletion']} deletion(s) ignored"
        line = min(reader.first_change or 1, max(len(reader.lines), 1))
        notes.insert(0, Normalisation(line, "tracked changes in the document", counts, "read as if accepted"))
    return Source(name, reader.lines, notes)


# --- Reading the annexes -----------------------------------------------------------------------


class _Reader:
    """State of one pass over the lines; collects rows, normalisations and problems."""

    def __init__(self, source_document: str, places: dict[int, str]):
        self.source = source_document
        self.places = places
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
        return {"source_document": located(self.source, self.places.get(line, "")), "annex": annex, "source_line": line}

    def note(self, line: int, kind: str, before: str, after: str) -> None:
        self.log.append(Normalisation(line, kind, before, after, self.places.get(line, "")))

    def clean(self, number: int, raw: str) -> str:
        """Strip layout whitespace; log trailing and doubled spaces, which are typos."""
        text = raw.replace("\u00a0", " ").strip()
        if raw != raw.rstrip():
            self.note(number, "trailing spaces removed", raw.lstrip(), text)
        collapsed = re.sub(r"[ \t]{2,}", " ", text)
        if collapsed != text:
            self.note(number, "doubled spaces collapsed", text, collapsed)
        return collapsed

    def normalise_id(self, number: int, kind: str, raw: str, normaliser) -> str | None:
        try:
            canonical = normaliser(raw)
        except ids.IdError as error:
            self.problems.append(LineProblem(number, str(error), raw))
            return None
        if canonical != raw:
            self.note(number, f"{kind} id normalised", raw, canonical)
        return canonical

    def read_list(self, number: int, text: str, kind: str) -> list:
        """`1, 3 and 17`, `1 - 17`, `C2 and C6 and C7` -> canonical ids, range-expanded."""
        if len(re.findall(r"\band\b", text, re.IGNORECASE)) > 1:
            self.note(number, "list joined by 'and' read", text, text)
        items: list = []
        for token in filter(None, _LIST_SEPARATOR.split(text.strip().rstrip("."))):
            items.extend(self._read_token(number, token.strip(), kind))
        unique = list(dict.fromkeys(items))
        if len(unique) != len(items):
            self.note(number, "repeated item dropped", text, str(unique))
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
                self.note(number, f"{kind} range expanded", token, shown)
                return items
            item = single(token)
            if str(item) != token:  # `SDG 1`, `SDG Goal 3`, `sdg17`, `c1`, `AL c11`, `05`
                self.note(number, f"{kind} id normalised", token, str(item))
            return [item]
        except ids.IdError as error:
            self.problems.append(LineProblem(number, str(error), token))
            return []

    def error(self) -> AnnexParseError:
        """All problems, each naming its place in a .docx as well as its line."""
        problems = [
            LineProblem(p.line, f"{self.places[p.line]}: {p.message}", p.text) if self.places.get(p.line) else p
            for p in self.problems
        ]
        return AnnexParseError(self.source, problems)


def parse_annexes(
    lines: Sequence[str | SourceLine], source_document: str, notes: Sequence[Normalisation] = ()
) -> ParsedAnnexes:
    """Read Annex 1 (objectives, outcomes, links) and Annex 2 (study groups).

    `lines` are text lines or a `.docx`'s `SourceLine`s; `notes` are what reading the file
    changed (BOM, tracked changes), put first in the log. Raises `AnnexParseError` listing
    every line that could not be read.
    """
    source_lines = [line if isinstance(line, SourceLine) else SourceLine(line) for line in lines]
    reader = _Reader(source_document, {n: line.where for n, line in enumerate(source_lines, start=1) if line.where})
    reader.log.extend(notes)
    annex: str | None = None
    headings: dict[str, int] = {}
    section: str | None = None
    kind = "objective"
    current: dict | None = None
    seen_lines: dict[str, set[str]] = {}
    skipped_outside: list[str] = []

    for number, line in enumerate(source_lines, start=1):
        raw = line.text
        if line.ignored and annex is not None:
            reader.note(number, "picture ignored", line.ignored, "")
        if line.skipped and annex is None:
            skipped_outside.append(f"{line.skipped} in {line.where}")
        elif line.skipped:
            reader.problems.append(LineProblem(number, f"content the parser cannot read: {line.skipped}", raw))
        if line.changes and annex is not None:
            reader.note(number, "tracked changes accepted", line.changes, raw.strip())
        if line.heading:
            reader.note(number, "table column heading applied", raw.strip()[len(line.heading) + 1 :], raw.strip())
        if not raw.strip():
            continue
        heading = _ANNEX_HEADING.match(raw.replace("\u00a0", " ").strip())
        if heading:
            annex = ANNEX_1 if heading[1].upper() in {"1", "ONE"} else ANNEX_2
            headings.setdefault(annex, number)
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

    if ANNEX_1 not in headings:
        found = f"{len(source_lines)} line(s) read"
        if skipped_outside:
            found += "; content that cannot be read as text: " + "; ".join(skipped_outside)
        raise ParseFileError(source_document, f"no 'ANNEX 1' heading found ({found}); is this a TDAG contribution?")
    _check_complete(reader, seen_lines, headings[ANNEX_1])
    if reader.problems:
        raise reader.error()
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


def _check_complete(reader: _Reader, seen: dict[str, set[str]], heading_line: int) -> None:
    """An annex that was found but holds no objectives or no outcomes is an error naming what it holds."""
    found = (
        f"found {len(reader.objectives)} objective(s) or priorit(ies), {len(reader.outcomes)} outcome(s), "
        f"{len(reader.titles[ANNEX_1])} title line(s)"
    )
    if not reader.objectives:
        reader.problems.append(LineProblem(heading_line, f"Annex 1 has no objectives or priorities ({found})", ""))
    if not reader.outcomes:
        reader.problems.append(LineProblem(heading_line, f"Annex 1 has no outcomes read ({found})", ""))
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


def parse_file(path: Path, limit_mb: float | None = None) -> ParsedAnnexes:
    """Parse a contribution file; provenance names the file by its base name."""
    source = read_source(Path(path), limit_mb)
    return parse_annexes(source.lines, source.name, source.notes)


# --- Checking and writing the tables ------------------------------------------------------------


def validate_parsed(parsed: ParsedAnnexes, folder: Path, reference_dir: Path) -> None:
    """Check the tables written in `folder` with `itud validate`'s own rules (itud.data.load).

    Raises `EditionError`; a problem in a row names the source line (and place in a
    .docx) the row was read from, the column, the value and the table.
    """
    from itud.data.load import load_tables
    from itud.data.schemas import TABLES, KnownIds

    tables = parsed.tables()
    known = KnownIds()
    problems: list[Problem] = []
    load_tables(reference_dir, [t for t in TABLES if t.scope == "reference"], known, problems)
    if problems:
        raise EditionError(problems)
    load_tables(folder, [t for t in TABLES if t.name in tables], known, problems)
    found: list[Problem] = []
    repeated: set[tuple[str, str]] = set()  # (line, table) whose repeated rows are already reported
    for problem in problems:
        stem = Path(problem.file).stem
        table = tables.get(stem)
        if problem.row is None or table is None or not 0 < problem.row <= len(table):
            where = parsed.source_document
        else:
            row = table.iloc[problem.row - 1]
            place = row["source_document"].removeprefix(parsed.source_document).removeprefix(", ")
            where = f"{parsed.source_document}, line {int(row['source_line'])}" + (f" ({place})" if place else "")
        if problem.message.startswith("duplicate row"):
            if (where, stem) in repeated:
                continue  # a repeated outcome repeats each of its links: one problem a line and table
            repeated.add((where, stem))
        message = problem.message.replace(f"{folder}/", "")  # the staging folder is gone once this is read
        found.append(Problem(where, f"{message} (table {stem})", column=problem.column, value=problem.value))
    if found:
        raise EditionError(list(dict.fromkeys(found)))  # a duplicated outcome repeats in its links: once each


@contextmanager
def edition_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on an edition folder (created if missing) while writing into it.

    Written by hand rather than with `filelock`: that needs a lock file, which inside
    data/<year>/ becomes a report input and next to it an untracked file in git. The
    folder itself is locked instead (flock on its descriptor, opened with O_NOFOLLOW so a
    symlink is refused); the lock is retaken if the folder was replaced meanwhile.
    """
    while True:
        folder.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError as error:
            symlink = error.errno in (errno.ELOOP, errno.ENOTDIR) and folder.is_symlink()
            reason = "is a symbolic link: give the real folder" if symlink else error.strerror
            raise ParseFileError(folder, f"cannot write the tables here: {reason}") from error
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            try:
                same = os.stat(folder, follow_symlinks=False).st_ino == os.fstat(descriptor).st_ino
            except FileNotFoundError:
                same = False
        except BaseException:
            os.close(descriptor)
            raise
        if same:
            break
        os.close(descriptor)
    try:
        yield
    finally:
        os.close(descriptor)  # releases the lock


def write_tables(parsed: ParsedAnnexes, edition_dir: Path, reference_dir: Path | None = None) -> list[Path]:
    """Check the parsed tables with `itud validate`'s rules, then write them as UTF-8 CSV (LF line
    ends) into the edition folder, all or none.

    Under the folder's lock: the tables go to a private temporary folder inside it, are
    validated there, and replace the old tables one by one with a rollback on failure (an
    interrupted swap is rolled back by the next run). Nothing else in the folder is touched.
    """
    from itud import paths

    edition_dir = Path(edition_dir)
    reference_dir = Path(reference_dir) if reference_dir else paths.DATA_DIR / "reference"
    if edition_dir.exists() and not edition_dir.is_dir():
        raise ParseFileError(edition_dir, "is a file, not a folder: give a folder for the tables (--out)")
    created = not edition_dir.exists()
    names = [f"{stem}.csv" for stem in parsed.tables()]
    with edition_lock(edition_dir):
        try:
            _roll_back_interrupted(edition_dir)
            staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=edition_dir))
            try:
                _stage(parsed, staging)
                validate_parsed(parsed, staging, reference_dir)
                _swap(staging, edition_dir, names)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        except BaseException:
            if created:
                with suppress(OSError):
                    edition_dir.rmdir()  # only if still empty: nothing was written
            raise
    return [edition_dir / name for name in names]


def _stage(parsed: ParsedAnnexes, staging: Path) -> None:
    for stem, table in parsed.tables().items():
        path = staging / f"{stem}.csv"
        try:
            table.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
        except OSError as error:
            raise ParseFileError(
                staging.parent, f"could not write {stem}.csv ({error.strerror or error}); nothing was changed"
            ) from error


_JOURNAL = "swap.json"


def _swap(staging: Path, edition_dir: Path, names: list[str]) -> None:
    """Replace the tables in `edition_dir` by the staged ones: all of them, or none (rollback)."""
    backup = staging / "previous"
    backup.mkdir()
    replaced = [name for name in names if (edition_dir / name).exists()]
    try:
        for name in replaced:
            shutil.copy2(edition_dir / name, backup / name)
        journal = {"replaced": replaced, "added": [name for name in names if name not in replaced]}
        (staging / "journal.tmp").write_text(json.dumps(journal), encoding="utf-8")
        os.replace(staging / "journal.tmp", staging / _JOURNAL)  # a journal is whole or absent
        for name in names:
            os.replace(staging / name, edition_dir / name)
    except OSError as error:
        if (staging / _JOURNAL).exists():
            _roll_back(staging, edition_dir)
        raise ParseFileError(
            edition_dir, f"could not replace the tables ({error.strerror or error}); the old tables are kept"
        ) from error
    (staging / _JOURNAL).unlink()  # from here on the swap is complete


def _roll_back(staging: Path, edition_dir: Path) -> None:
    journal = json.loads((staging / _JOURNAL).read_text(encoding="utf-8"))
    for name in journal["replaced"]:
        os.replace(staging / "previous" / name, edition_dir / name)
    for name in journal["added"]:
        (edition_dir / name).unlink(missing_ok=True)
    (staging / _JOURNAL).unlink()


def _roll_back_interrupted(edition_dir: Path) -> None:
    """Leftovers of a killed run (we hold the lock, so no run is live): undo a half swap, remove the rest."""
    for leftover in edition_dir.glob(f"{STAGING_PREFIX}*"):
        if leftover.is_dir() and not leftover.is_symlink():
            if (leftover / _JOURNAL).exists():
                _roll_back(leftover, edition_dir)
            shutil.rmtree(leftover, ignore_errors=True)


# --- Recording the source in edition.toml -------------------------------------------------------

EDITION_FILE = "edition.toml"
SOURCE_TABLE = "source_document"  # edition.toml's [source_document]: `file` (the name) and `sha256`
_NOT_RECORDED = "the tables were written but the source was not recorded: fix the file and run `itud parse` again"


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in blocks (a source may be large), as `sha256sum` prints it."""
    import hashlib

    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


@dataclass(frozen=True)
class SourceRecord:
    """What `itud parse` recorded of its source in an edition's edition.toml: the file's name and SHA-256,
    and the values they replaced (`previous`, only those that changed). `written` is False when the
    values were already there, or when there is no edition.toml (`found` False) to record them in."""

    edition_file: Path
    file: str
    sha256: str
    found: bool = True
    written: bool = False
    previous: dict[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        values = f'[{SOURCE_TABLE}] file = "{self.file}", sha256 = "{self.sha256}"'
        if not self.found:
            return f"{self.edition_file} does not exist, so the source was not recorded: enter {values} there"
        if not self.written:
            return f"{self.edition_file}: {values} already recorded"
        was = ", ".join(f"{key} = {value!r}" for key, value in self.previous.items() if value not in ("", None))
        return f"recorded in {self.edition_file}: {values}" + (f" (was {was})" if was else "")


def with_source_recorded(text: str, file: str, sha256: str, where: Path) -> tuple[str, dict[str, object]]:
    """edition.toml's `text` with [source_document] `file` and `sha256` set (created if missing), everything
    else kept as written (tomlkit: comments, order, layout); and the previous values of the keys changed.
    `where` names the file in errors."""
    from collections.abc import MutableMapping

    import tomlkit
    from tomlkit.exceptions import ParseError

    try:
        document = tomlkit.parse(text)
    except ParseError as error:
        raise ParseFileError(where, f"is not valid TOML ({error}); {_NOT_RECORDED}") from None
    if SOURCE_TABLE not in document:
        document[SOURCE_TABLE] = tomlkit.table()
    table = document[SOURCE_TABLE]
    if not isinstance(table, MutableMapping):
        raise ParseFileError(
            where, f"key '{SOURCE_TABLE}' is {table!r}, not a table [{SOURCE_TABLE}]: make it one; {_NOT_RECORDED}"
        )
    previous = {}
    for key, value in (("file", file), ("sha256", sha256)):
        if table.get(key) != value:
            previous[key] = table[key].unwrap() if key in table else None
            table[key] = value
    return tomlkit.dumps(document), previous


def record_source(source: Path, edition_dir: Path) -> SourceRecord:
    """Record the source file's name and SHA-256 in `edition_dir`'s edition.toml ([source_document] `file` and
    `sha256`, created or updated; nothing else changes), under the edition folder's lock. Without an
    edition.toml nothing is written, and the record says what to enter."""
    source, path = Path(source), Path(edition_dir) / EDITION_FILE
    name, digest = source.name, file_sha256(source)
    if not path.exists() and not path.is_symlink():
        return SourceRecord(path, name, digest, found=False)
    with edition_lock(Path(edition_dir)):
        if not path.is_file():
            raise ParseFileError(path, f"is not a regular file; {_NOT_RECORDED}")
        try:
            text = path.read_bytes().decode("utf-8")  # line ends kept as they are
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or error
            raise ParseFileError(path, f"cannot be read ({reason}); {_NOT_RECORDED}") from None
        updated, previous = with_source_recorded(text, name, digest, path)
        if updated == text:
            return SourceRecord(path, name, digest)
        _replace_text(path.resolve(), updated)  # a symbolic link stays one
    return SourceRecord(path, name, digest, written=True, previous=previous)


def _replace_text(path: Path, text: str) -> None:
    """Write `text` over `path` in one step (a temporary file beside it, renamed), keeping its permissions."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        shutil.copymode(path, temporary)
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise ParseFileError(path, f"could not be written ({error.strerror or error}); {_NOT_RECORDED}") from None
