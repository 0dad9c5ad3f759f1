"""The report as one `Document`, assembled from the section templates and the notebooks' report items.

Wording lives in templates, not here: `report/sections/NN-<section>.md.j2` (Jinja2 producing
Markdown, one file per section, in reading order by NN), each overridable for one edition by a file of
the same name in `data/<year>/report/` (which may also add sections of its own, such as the edition's
narrative). A template:

- places a notebook's figure or table with `{{ figure("outcomes-per-sdg") }}` / `{{ table("...") }}`
  on a line of its own, and refers to it with `{{ ref("outcomes-per-sdg") }}` ("Figure 3"); a
  paragraph starting with `{{ para("label") }}` can be referred to the same way ("paragraph 4").
  The numbers are given after all sections are laid out, so inserting anything renumbers every
  reference, in every format;
- takes its numbers from the notebooks' key numbers: `{% set cov = notebook("02-coverage-by-objective") %}`
  then `{{ cov.pairs_linked }}` (typed in `itud.report.results`);
- uses grammar helpers: `plural(3, "outcome")`, `listing(items)`, `agree(items, "was", "were")`.

A notebook item no template places is added at the end of its section, with an `UnplacedItemWarning`
naming it, so a figure declared in a notebook reaches the report without any change here. A template
that places or refers to an item no notebook produced is a `ReportError` naming the template and label.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import types
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from itud import __version__, paths
from itud.data import ids
from itud.data.grammar import agree, listing, plural, plural_form
from itud.errors import TimeLimit, time_limit
from itud.report.results import (
    DataTable,
    FigureItem,
    NotebookOutput,
    ResultsError,
    TableItem,
    label_used_twice,
    slug,
    typed_numbers,
)

SECTIONS_DIR = paths.SECTIONS_DIR
NOT_GIVEN = ids.NOT_GIVEN
TEMPLATE_SUFFIX = ".md.j2"
UNNUMBERED = "<!-- paragraphs: unnumbered -->"
FIGURE_DATA_SECTION = "appendix-figure-data"  # the template whose section receives every figure's numbers
FIGURE_DATA_CAPTION = "The numbers of {figure}: {title}"  # the caption of a figure's numbers in that section
FIGURE_DATA_REFERENCE = "Its numbers are in {table}."  # what ends the figure's caption
# The most rows a table prints (HTML, Word, PDF). A longer table prints its first rows and says, at the end of
# its caption, which sheet of the workbook holds every row (the workbook and the CSVs are never cut). 200 rows
# of 9-point text are five to eight A4 pages, already more than a reader scans on paper rather than filters in
# the workbook; the longest printed table of 2019 (15 outcomes) has 28 rows, so no table of an edition of that
# size is cut. Without it the links to review alone (about 2.4 per outcome) made an edition of 1,000 outcomes
# 137 pages instead of 79, and one of 10,000 about 600 pages more, which the PDF printer lays out and holds in
# memory at once; with it the printed length grows only with the tables that give one row per outcome in
# tables of their own (Annex 1, one per objective), never with one table's rows.
PRINTED_ROWS = 200
ROWS_IN_SHEET = (  # ends the caption of a cut table
    "Only its first {shown:,} of {total:,} rows are printed here; {what} in the workbook's sheet “{sheet}” "
    "(and in tables/{sheet}.csv)."
)
_TOKEN = re.compile(r"\u27e6(figure|table|ref|refs|para):([a-z0-9,-]+)\u27e7")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|!])")


class ReportError(ValueError):
    """A report that cannot be assembled: names the template, the notebook and the label concerned."""


class UnplacedItemWarning(UserWarning):
    """A notebook declared a report item that no template places; it goes at the end of its section."""


@dataclass
class Paragraph:
    text: str
    number: int | None = None  # numbered paragraphs carry their number; notes do not
    lead: str = ""  # a bold lead-in ("Source."), from Markdown **...** at the start
    label: str = ""


@dataclass
class FigureBlock:
    number: int
    title: str
    caption: str
    png: Path
    svg: Path
    label: str = ""
    alt: str = ""  # what the figure shows, in words (alt text); the caption when the notebook gave none
    data_label: str = ""  # the table of its numbers, when the report has the appendix for them

    @property
    def description(self) -> str:
        return self.alt or self.caption


@dataclass
class TableBlock:
    number: int | None
    caption: str
    columns: list[str]
    rows: list[list]  # cells as the notebook gave them: numbers, text, lists, NOT_PUBLISHED
    label: str = ""
    # (row, column) -> the cell's footnotes: (the listed item it follows, "" for the cell's end; its mark)
    marks: dict[tuple[int, int], list[tuple[str, str]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # footnote texts, in mark order
    total_rows: int | None = None  # when the table is cut (`PRINTED_ROWS`): how many rows it has in its sheet
    sheet: str = ""  # when the table is cut: the workbook sheet (and CSV) that holds every row

    def cut(self, shown: int, sheet: str, what: str) -> None:
        """Keep the first `shown` rows (and the footnotes of their marks, lettered anew), and say at the end of
        the caption that `sheet` of the workbook holds `what` (every row)."""
        self.total_rows, self.sheet = len(self.rows), sheet
        del self.rows[shown:]
        kept = {(r, c): marks for (r, c), marks in self.marks.items() if r < shown}
        old_notes = {note.split(" ", 1)[0]: note.split(" ", 1)[1] for note in self.notes}
        printed = {symbol for marks in kept.values() for _, symbol in marks}
        used = [symbol for symbol in old_notes if symbol in printed]
        letters = {symbol: chr(ord("a") + n) for n, symbol in enumerate(used)}
        self.marks = {cell: [(item, letters[m]) for item, m in marks] for cell, marks in kept.items()}
        self.notes = [f"{letters[symbol]} {old_notes[symbol]}" for symbol in used]
        sentence = ROWS_IN_SHEET.format(shown=shown, total=self.total_rows, what=what, sheet=sheet)
        caption = self.caption.rstrip()
        self.caption = f"{caption}{'' if caption.endswith(('.', '?', '!')) else '.'} {sentence}"

    def marked_rows(self) -> list[list[list[tuple[str, str]]]]:
        """The cells as printed text, each cut into pieces that end with a footnote mark ("" for none), which
        the documents set as a superscript: "1, 3, 4" + "a", " and 17" + ""."""
        return [
            [_pieces(cell_text(value), self.marks.get((r, c), [])) for c, value in enumerate(row)]
            for r, row in enumerate(self.rows)
        ]

    def text_rows(self) -> list[list[str]]:
        """The cells as plain text, each footnote mark after its item or at the end."""
        return [["".join(text + mark for text, mark in cell) for cell in row] for row in self.marked_rows()]


def _pieces(text: str, marks: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """`text` cut after each marked item of the list it is ("1, 3, 4 and 17": "4" is not found in "14", nor
    "1" in "1-17 (all)"); a mark whose item the text does not list, or that names none, comes at the end."""
    cuts = []
    for item, mark in marks:
        found = re.search(rf"(?:^|, | and )({re.escape(item)})(?=$|,| and )", text) if item else None
        cuts.append((found.end(1) if found else len(text), mark))
    pieces, start = [], 0
    for end, mark in sorted(cuts, key=lambda cut: cut[0]):  # stable: marks at one place in note order
        pieces.append((text[start:end], mark))
        start = end
    if start < len(text) or not pieces:
        pieces.append((text[start:], ""))
    return pieces


@dataclass
class Box:
    """A boxed group of unnumbered paragraphs (a Markdown block quote), e.g. the key figures."""

    title: str
    items: list[Paragraph] = field(default_factory=list)


@dataclass
class Section:
    title: str
    blocks: list = field(default_factory=list)
    name: str = ""

    @property
    def kind(self) -> str:
        """The kind of section: "annex" (a new page, headed ANNEX n), "appendix" (after the annexes) or "body"."""
        for kind in ("annex", "appendix"):
            if self.name.startswith(kind):
                return kind
        return "body"

    @property
    def heading(self) -> tuple[str, str]:
        """(label, title): an annex titled "Annex 1: Objectives" is headed "ANNEX 1" over "Objectives"."""
        match = re.fullmatch(r"((?:Annex|Appendix) [0-9A-Z]+)\s*[:.–-]\s*(.+)", self.title)
        if match and self.kind != "body":
            return match[1].upper(), match[2]
        return "", self.title

    @property
    def anchor(self) -> str:
        """The heading's id in HTML (and PDF bookmarks' destination)."""
        return f"s-{self.name or slug(self.title)}"


@dataclass(frozen=True)
class Sheet:
    """A tidy table of the workbook (and a CSV): what one row is, its columns, its rows."""

    label: str
    title: str
    description: str
    data: DataTable


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
    revision: str = ""  # "Revision 1 to Document ...": shown above the title when given
    appendices: list[Section] = field(default_factory=list)  # after the annexes: long method notes
    running_head: str = ""  # "<running_head> – Page n" on every page but the first
    source: str = ""  # who submits it ("Director, ..."); NOT_GIVEN when no source says
    contact: list[tuple[str, str]] = field(default_factory=list)  # the Contact block: (label, value or NOT_GIVEN)
    sheets: list[Sheet] = field(default_factory=list)  # the workbook's tidy tables, in notebook order
    notes: list[tuple[str, str]] = field(default_factory=list)  # the workbook's notes: source, edition, version

    @property
    def parts(self) -> list[Section]:
        """Every section in reading order: body, annexes, appendices."""
        return self.sections + self.annexes + self.appendices

    def tables(self) -> list[TableBlock]:
        return [b for part in self.parts for b in part.blocks if isinstance(b, TableBlock)]

    def figures(self) -> list[FigureBlock]:
        return [b for part in self.parts for b in part.blocks if isinstance(b, FigureBlock)]

    def field(self, label: str) -> str:
        """A header field by its label ("Document", "Date"...), NOT_GIVEN when absent."""
        return dict(self.header).get(label, NOT_GIVEN)


# --- Grammar and cell text (also the templates' helpers) -----------------------------------------

MISSING_CELL = "not available"


def cell_text(value) -> str:
    """A table cell as text: lists as "1, 3 and 17" (an empty list "none"), NOT_PUBLISHED as "not available",
    floats trimmed."""
    if isinstance(value, ids.NotPublished):
        return MISSING_CELL
    if isinstance(value, list):
        return listing(value) if value else "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def percent(share: float) -> str:
    return f"{share:.0%}"


def fixed(value: float, digits: int = 2) -> str:
    return f"{value:.{digits}f}"


def parent_kind(objectives: list) -> str:
    """What the edition calls the parents of its outcomes ('objective', 'priority'), from notebook 01."""
    if not objectives:
        return "objective"
    first = objectives[0]
    return first["kind"] if isinstance(first, dict) else first.kind


def _dates(meta: dict) -> str:
    """The meeting's dates as the header prints them; what no source gives is said to be not given."""
    start, end = meta.get("meeting_start"), meta.get("meeting_end")
    if not isinstance(start, dt.date) and not isinstance(end, dt.date):
        return f"dates {NOT_GIVEN}" if NOT_GIVEN in (start, end) else ""
    if not isinstance(end, dt.date):
        return f"from {start.day} {start:%B %Y} (end {NOT_GIVEN})"
    if not isinstance(start, dt.date):
        return f"until {end.day} {end:%B %Y} (start {NOT_GIVEN})"
    if start.month == end.month:
        return f"{start.day}-{end.day} {end:%B %Y}"
    return f"{start.day} {start:%B} - {end.day} {end:%B %Y}"


def read_prose(edition_file: Path) -> dict:
    """The edition's hand-entered facts and report prose (edition.toml)."""
    return tomllib.loads(edition_file.read_text(encoding="utf-8"))


# --- Section templates ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SectionTemplate:
    order: int
    name: str  # the id notebooks use in `section=...`
    file: str  # NN-name.md.j2
    path: Path


def section_templates(edition_dir: Path | None = None, sections_dir: Path = SECTIONS_DIR) -> list[SectionTemplate]:
    """The report's sections in reading order: the project's templates, overridden or extended by the edition's."""
    found: dict[str, Path] = {}
    for folder in (sections_dir, edition_dir / "report" if edition_dir else None):
        if folder and folder.is_dir():
            found.update({p.name: p for p in folder.glob(f"*{TEMPLATE_SUFFIX}")})
    sections = []
    for file, path in sorted(found.items()):
        match = re.fullmatch(r"(\d+)-([a-z0-9]+(?:-[a-z0-9]+)*)" + re.escape(TEMPLATE_SUFFIX), file)
        if not match:
            raise ReportError(f"{path}: a section template is named NN-name{TEMPLATE_SUFFIX} (e.g. 20-coverage.md.j2)")
        sections.append(SectionTemplate(int(match[1]), match[2], file, path))
    return sections


def _escape_markdown(value) -> str:
    """Text from data printed in a template: Markdown characters in it are not markup."""
    from markupsafe import Markup

    if isinstance(value, Markup):
        return str(value)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", cell_text(value) if not isinstance(value, str) else value)


class _Layout:
    """Collects what the templates place and refer to, for numbering after every section is laid out."""

    def __init__(self, figures: dict[str, tuple[str, FigureItem]], tables: dict[str, tuple[str, TableItem]]):
        self.figures, self.tables = figures, tables
        self.placed: dict[str, str] = {}  # label -> template that placed it
        self.refs_: list[tuple[str, str]] = []  # (label, template that refers to it)
        self.template = ""

    def place(self, kind: str, label: str):
        from markupsafe import Markup

        items = self.figures if kind == "figure" else self.tables
        if label not in items:
            raise ReportError(
                f"{self.template}: places {kind} {label!r}, which no notebook produced "
                f"({kind}s produced: {', '.join(f'{items[k][0]}: {k}' for k in sorted(items)) or 'none'})"
            )
        if label in self.placed:
            raise ReportError(
                f"{self.template}: places {kind} {label!r} again (already placed by {self.placed[label]})"
            )
        self.placed[label] = self.template
        return Markup(f"\n\n\u27e6{kind}:{label}\u27e7\n\n")

    def ref(self, label: str):
        from markupsafe import Markup

        self.refs_.append((label, self.template))
        return Markup(f"\u27e6ref:{label}\u27e7")

    def refs(self, *labels: str):
        from markupsafe import Markup

        self.refs_.extend((label, self.template) for label in labels)
        return Markup(f"\u27e6refs:{','.join(labels)}\u27e7")

    def para(self, label: str):
        from markupsafe import Markup

        return Markup(f"\u27e6para:{label}\u27e7")


MAX_SECTION_CHARS = 5_000_000  # what one section template may print (the 2019 report's whole text is 60,000)
_SAFE_MODULES = {"builtins", "markupsafe", "jinja2", "itud"}  # whose objects a template may look into


def _allowed(obj) -> bool:
    """An object a report template may read attributes of or call: the report's own helpers and values
    (`itud`), plain Python values and their methods, Jinja's and markupsafe's own objects; never a module,
    and of classes only the few the helpers hand over."""
    if isinstance(obj, types.ModuleType):
        return False
    if isinstance(obj, type):
        return obj in _SAFE_CLASSES
    if isinstance(obj, types.FunctionType | types.BuiltinFunctionType | types.MethodType):
        owner = getattr(obj, "__self__", None)  # a bound method (a list's append, a helper's method)
        if owner is not None and not isinstance(owner, types.ModuleType):
            return _allowed(owner)
        return (getattr(obj, "__module__", None) or "").partition(".")[0] in _SAFE_MODULES - {"builtins"}
    return type(obj).__module__.partition(".")[0] in _SAFE_MODULES


_SAFE_CLASSES = {zip, str, int, float, list, dict, tuple}


def _sandbox_class():
    """Jinja's sandbox, narrowed to what the report documents (`report/README.md`): section templates,
    the project's and an edition's own (data an analyst may receive from others), read attributes of and
    call only the report's helpers and plain values; nothing reaches a module, a class's internals or a
    function's globals, and `range` is Jinja's bounded one. Templates may still fill lists and dicts of
    their own (`{% set _ = items.append(x) %}`), which the shipped templates do: hence not the immutable
    sandbox."""
    from jinja2.sandbox import SandboxedEnvironment

    class ReportSandbox(SandboxedEnvironment):
        def is_safe_attribute(self, obj, attr, value) -> bool:
            return super().is_safe_attribute(obj, attr, value) and _allowed(obj)

        def is_safe_callable(self, obj) -> bool:
            return super().is_safe_callable(obj) and _allowed(obj)

    return ReportSandbox


def _environment(templates: list[SectionTemplate]):
    from jinja2 import FileSystemLoader, StrictUndefined

    folders = list(dict.fromkeys(str(t.path.parent) for t in reversed(templates)))
    # FileSystemLoader reads only below these folders: `{% include "../x" %}` and absolute names are refused.
    environment = _sandbox_class()(
        loader=FileSystemLoader(folders),
        undefined=StrictUndefined,
        finalize=_escape_markdown,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(percent=percent, fixed=fixed, listing=listing, plural=plural)
    # Only the documented helpers: Jinja's lipsum, cycler, joiner, namespace and dict are not among them.
    environment.globals = {"range": environment.globals["range"]}
    return environment


def _render_bounded(template, context: dict) -> str:
    """A section's text, refused past MAX_SECTION_CHARS (a loop that prints without end would fill the
    memory long before the time limit)."""
    pieces, size = [], 0
    for piece in template.generate(**context):
        size += len(piece)
        if size > MAX_SECTION_CHARS:
            raise ReportError(f"prints more than {MAX_SECTION_CHARS:,} characters; a loop that does not end?")
        pieces.append(piece)
    return "".join(pieces)


class _NotebookView:
    """A notebook's key numbers for templates: a missing one is an error naming the notebook and the label."""

    def __init__(self, name: str, numbers):
        self._name, self._numbers = name, numbers

    def __getattr__(self, label: str):
        if label.startswith("_"):
            raise AttributeError(label)
        if label not in type(self._numbers).model_fields and label not in (self._numbers.model_extra or {}):
            raise ReportError(
                f"a template uses key number {label!r} of notebook {self._name}, which the notebook did not "
                f"declare (declare it with out.number({label!r}, value))"
            )
        return getattr(self._numbers, label)

    __getitem__ = __getattr__


# --- Building the document -----------------------------------------------------------------------


def _items(outputs: dict[str, NotebookOutput], sections: set[str]):
    figures: dict[str, tuple[str, FigureItem]] = {}
    tables: dict[str, tuple[str, TableItem]] = {}
    for name, output in outputs.items():
        for kind, items, store in (("figure", output.figures, figures), ("table", output.tables, tables)):
            for item in items:
                if item.label in figures or item.label in tables:
                    other = (figures.get(item.label) or tables.get(item.label))[0]
                    raise ReportError(f"notebook {name}: {kind} {item.label!r}: "
                                      + label_used_twice(item.label, f"notebooks {other} and {name}"))
                if item.section not in sections:
                    raise ReportError(
                        f"notebook {name}: {kind} {item.label!r} is for section {item.section!r}, which no template "
                        f"has (sections: {', '.join(sorted(sections))})"
                    )
                store[item.label] = (name, item)
    return figures, tables


def build(
    outputs: dict[str, NotebookOutput],
    meta: dict,
    figures_dir: Path,
    *,
    edition_dir: Path | None = None,
    sections_dir: Path = SECTIONS_DIR,
    revision: dict | None = None,
    corrections: list | None = None,
    timeout: float | None = None,
    printed_rows: int = PRINTED_ROWS,
) -> Document:
    """The whole report for one edition from the notebooks' results, the section templates and edition.toml.

    `revision` (e.g. `{"number": 1, "of": "TDAG-19/12", "changes": ["..."]}`) and `corrections`
    (the edition's corrections, described; default: those notebook 01 declares) are handed to every
    template as they are. Each template may take `timeout` seconds to render (None: no limit). A table
    longer than `printed_rows` whose rows a workbook sheet holds is cut there (`PRINTED_ROWS`).
    """
    templates = section_templates(edition_dir, sections_dir)
    figures, tables = _items(outputs, {t.name for t in templates})
    layout = _Layout(figures, tables)
    try:
        numbers = {name: _NotebookView(name, typed_numbers(output)) for name, output in outputs.items()}
    except ResultsError as error:
        raise ReportError(str(error)) from None

    def notebook(name: str) -> _NotebookView:
        if name not in numbers:
            raise ReportError(
                f"a template uses notebook {name!r}, which produced no results (have: {', '.join(numbers)})"
            )
        return numbers[name]

    report = meta.get("report", {})
    names = _names(numbers)
    context = {
        "meta": meta,
        "report": report,
        "year": int(meta["year"]),
        "notebook": notebook,
        "figure": lambda label: layout.place("figure", label),
        "table": lambda label: layout.place("table", label),
        "ref": layout.ref,
        "refs": layout.refs,
        "drawn_in_full": lambda label: label in layout.figures and layout.figures[label][1].layout == "full",
        "produced": lambda label: label in layout.figures or label in layout.tables,  # did a notebook declare it?
        "para": layout.para,
        "plural": plural,
        "plural_form": plural_form,
        "listing": listing,
        "agree": agree,
        "zip": zip,
        "slug": slug,
        "n_sdgs": len(ids.ALL_SDGS),
        "n_action_lines": len(ids.ALL_ACTION_LINES),
        "NOT_PUBLISHED": ids.NOT_PUBLISHED,
        "revision": revision,
        "corrections": corrections if corrections is not None else _declared_corrections(numbers),
        **names,
    }
    environment = _environment(templates)
    sections, annexes, appendices, rendered = [], [], [], []
    for template in templates:
        layout.template = str(
            template.path.relative_to(paths.PROJECT_ROOT)
            if template.path.is_relative_to(paths.PROJECT_ROOT)
            else template.path
        )
        try:
            with time_limit(timeout):
                text = _render_bounded(environment.get_template(template.file), context)
        except TimeLimit as error:
            raise ReportError(
                f"{layout.template}: {error} (rendering this template); give more time with --timeout SECONDS"
            ) from None
        except ReportError as error:
            raise ReportError(f"{layout.template}: {error}") from None
        except Exception as error:  # a Jinja syntax or undefined-name error in an analyst's template
            line = getattr(error, "lineno", None) or _template_line(error, template.path)
            raise ReportError(
                f"{layout.template}{f', line {line}' if line else ''}: {type(error).__name__}: {error}"
            ) from None
        section = _section(text, template, layout, figures_dir)
        if section is None:
            continue
        rendered.append((section, template, layout.template))
        {"annex": annexes, "appendix": appendices}.get(section.kind, sections).append(section)
    for section, template, layout.template in rendered:  # after every template: any may place any item
        _place_leftovers(section, template, layout, figures_dir)
    _add_figure_data(sections + annexes + appendices, layout)
    numbered = _number(sections + annexes + appendices)
    for label, where in layout.refs_:
        if label not in numbered:
            raise ReportError(f"{where}: refers to {label!r}, which no notebook produced and no paragraph is labelled")
    place = ", ".join(filter(None, [meta.get("meeting", ""), meta.get("meeting_place", ""), _dates(meta)]))
    header = [
        ("Group", meta.get("group") or NOT_GIVEN),
        ("Meeting", place or NOT_GIVEN),
        ("Document", meta.get("document_number") or NOT_GIVEN),
        ("Date", report.get("date") or NOT_GIVEN),
        ("Original", report.get("original_language") or NOT_GIVEN),
        ("Source", report.get("source") or NOT_GIVEN),
    ]
    built = Document(
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
        revision=_revision_line(revision),
        appendices=appendices,
        running_head=_running_head(meta, report),
        source=report.get("source") or NOT_GIVEN,
        contact=_contact(report),
        sheets=_sheets(outputs, sections + annexes + appendices),
        notes=_notes(meta, report, revision, numbers, place),
    )
    _cut_long_tables(built, printed_rows)
    return built


def _notes(meta: dict, report: dict, revision: dict | None, numbers: dict, place: str) -> list[tuple[str, str]]:
    """The workbook's notes sheet: what the tables are, from which source, edition and version, under what licence."""
    source = numbers["01-mapping-tables"].source_document if "01-mapping-tables" in numbers else {}
    sha = source.get("sha256") or NOT_GIVEN
    return [
        ("Report", report.get("title") or NOT_GIVEN),
        ("Edition", f"{meta['year']}" + (f": {place}" if place else "")),
        ("Version", (revision or {}).get("version") or "v1"),
        ("Revision", _revision_line(revision) or "the original document"),
        ("Source document", f"“{source.get('title') or NOT_GIVEN}”, file {source.get('file') or NOT_GIVEN}, "
                            f"SHA-256 {sha}"),
        ("Licence", report.get("licence") or NOT_GIVEN),
        ("Empty cells", "a value the source does not give"),
        ("Made by", f"itud {__version__}, from data/{meta['year']}/ and the notebooks in notebooks/"),
    ]  # fmt: skip


CONTACT_FIELDS = (("name", "Name/Organization/Entity"), ("phone", "Phone number"), ("email", "E-mail"))


def _contact(report: dict) -> list[tuple[str, str]]:
    """The first page's Contact block, as ITU contributions end page 1, from edition.toml's [report.contact]."""
    contact = report.get("contact") or {}
    return [(label, str(contact.get(key) or "").strip() or NOT_GIVEN) for key, label in CONTACT_FIELDS]


RUNNING_HEAD_LENGTH = 80  # characters that fit the running header on one line with "– Page nn" (PDF and Word)


def _running_head(meta: dict, report: dict) -> str:
    """What the running header names: the document number ("Document number not given" while no source
    gives it), then the title, cut at a word with an ellipsis to fit one line (or `short_title`)."""
    number = f"Document {meta['document_number']}" if meta.get("document_number") else f"Document number {NOT_GIVEN}"
    title = report.get("short_title") or report.get("title", "")
    room = RUNNING_HEAD_LENGTH - len(number) - 3
    if len(title) > room:
        title = title[: room - 1].rsplit(" ", 1)[0].rstrip(",:;") + "\u2026"
    return f"{number} \u2013 {title}" if title else number


def _template_line(error: Exception, path: Path) -> int | None:
    """The line of the template where a rendering error happened (Jinja maps template frames to their lines)."""
    import traceback

    lines = [frame.lineno for frame in traceback.extract_tb(error.__traceback__) if frame.filename == str(path)]
    return lines[-1] if lines else None


def _revision_line(revision: dict | None) -> str:
    if not revision or not revision.get("number"):  # the original document, perhaps in another form
        return ""
    if revision.get("of"):
        return f"Revision {revision['number']} to Document {revision['of']}"
    return f"Revision {revision['number']} to this document (its document number is {NOT_GIVEN})"


def _declared_corrections(numbers: dict[str, _NotebookView]) -> list[str]:
    """The corrections notebook 01 declares (none from results written before it declared them)."""
    return list(numbers["01-mapping-tables"].corrections) if "01-mapping-tables" in numbers else []


def _names(numbers: dict[str, _NotebookView]) -> dict:
    """Helpers that name SDGs and Action Lines, from the reference tables notebook 01 carries."""
    if "01-mapping-tables" not in numbers:
        return {}
    tables = numbers["01-mapping-tables"]
    sdg = {r.sdg: r.short_name for r in tables.sdg_names}
    line = {r.action_line: r.name for r in tables.action_line_names}
    return dict(
        sdg_names=lambda values: listing([f"SDG {n} ({sdg[n]})" for n in values]),
        action_line_names=lambda values: listing([f"{a} ({line[a]})" for a in values]),
        kind=parent_kind(tables.objectives),
    )  # fmt: skip


def _inline(children: list) -> tuple[str, str]:
    """Markdown inline tokens -> (bold lead-in, plain text)."""

    def flat(tokens) -> str:
        out = []
        for token in tokens:
            if token["type"] in ("softbreak", "linebreak"):
                out.append(" ")
            elif "children" in token:
                out.append(flat(token["children"]))
            else:
                out.append(token.get("raw", ""))
        return "".join(out)

    lead = ""
    if children and children[0]["type"] == "strong":
        lead, children = flat(children[0]["children"]), children[1:]
    return lead, re.sub(r"\s+", " ", flat(children)).strip()


def _section(text: str, template: SectionTemplate, layout: _Layout, figures_dir: Path) -> Section | None:
    """A rendered template (Markdown) as a Section; None when it rendered nothing."""
    import mistune

    if not text.strip():
        return None
    numbered = UNNUMBERED not in text
    tokens = mistune.create_markdown(renderer=None)(text.replace(UNNUMBERED, ""))
    title, blocks = "", []
    for token in tokens:
        kind = token["type"]
        if kind == "heading" and not title:
            title = _inline(token["children"])[1]
        elif kind == "block_quote":
            found = _paragraphs(token)
            box = Box(" ".join(filter(None, found[0])) if found and not found[0][1] else "")
            box.items = [Paragraph(body, None, lead) for lead, body in found[1 if box.title else 0 :]]
            blocks.append(box)
        elif kind in ("paragraph", "list"):
            for lead, body in _paragraphs(token):
                whole = _TOKEN.fullmatch(body)
                if whole and whole[1] in ("figure", "table"):
                    blocks.append(_block(whole[1], whole[2], layout, figures_dir))
                    continue
                label = ""
                starts = re.match(r"\u27e6para:([a-z0-9-]+)\u27e7\s*", body)
                if starts:
                    label, body = starts[1], body[starts.end() :]
                note = kind != "paragraph" or not numbered
                blocks.append(Paragraph(body, None if note else 0, lead, label))
        elif kind not in ("blank_line", "block_html"):
            raise ReportError(f"{layout.template}: Markdown {kind!r} is not supported in report sections")
    if not title:
        raise ReportError(f"{layout.template}: a section starts with a '# Title' line")
    return Section(title, blocks, template.name)


def _paragraphs(token) -> list[tuple[str, str]]:
    if token["type"] == "paragraph":
        return [_inline(token["children"])]
    found = []
    for child in token.get("children", []):
        if child["type"] in ("paragraph", "block_text"):
            found.append(_inline(child["children"]))
        elif "children" in child:
            found += _paragraphs(child)
    return found


def _block(kind: str, label: str, layout: _Layout, figures_dir: Path):
    if kind == "figure":
        item = layout.figures[label][1]
        return FigureBlock(0, item.title, item.caption, figures_dir / item.png, figures_dir / item.svg, label, item.alt)
    item = layout.tables[label][1]
    marks: dict[tuple[int, int], list[tuple[str, str]]] = {}
    notes = []
    for mark in item.marks:  # one footnote per mark, lettered a, b, c... under the table
        symbol = chr(ord("a") + len(notes))
        marks.setdefault((mark.row, item.columns.index(mark.column)), []).append((mark.item, symbol))
        notes.append(f"{symbol} {mark.note}")
    return TableBlock(0, item.caption, list(item.columns), [list(r) for r in item.rows], label, marks, notes)


def _add_figure_data(parts: list[Section], layout: _Layout) -> None:
    """Every figure's numbers as a table of the figures' appendix (when a template makes that section), in
    the figures' order, each caption naming its figure and each figure's caption naming its table."""
    target = next((part for part in parts if part.name == FIGURE_DATA_SECTION), None)
    if target is None:
        return
    taken = set(layout.figures) | set(layout.tables)
    for block in [b for part in parts for b in part.blocks if isinstance(b, FigureBlock)]:
        data = layout.figures[block.label][1].data if block.label in layout.figures else None
        if data is None:
            continue
        label = f"{block.label}-numbers"
        while label in taken:
            label += "-1"
        taken.add(label)
        caption = FIGURE_DATA_CAPTION.format(figure=f"\u27e6ref:{block.label}\u27e7", title=block.title)
        columns = [str(c)[:1].upper() + str(c)[1:] for c in data.columns]  # headed as every other table
        target.blocks.append(TableBlock(0, caption, columns, [list(r) for r in data.rows], label))
        block.data_label = label
        reference = FIGURE_DATA_REFERENCE.format(table=f"\u27e6ref:{label}\u27e7")
        block.caption = f"{block.caption} {reference}"


def _sheets(outputs: dict[str, NotebookOutput], parts: list[Section]) -> list[Sheet]:
    """The workbook's tidy tables: each notebook's sheets, then each figure's numbers (one row per value)."""
    figures = {b.label: b for part in parts for b in part.blocks if isinstance(b, FigureBlock)}
    sheets = []
    for output in outputs.values():
        sheets += [Sheet(s.label, s.title, s.description, s.data) for s in output.sheets]
    for output in outputs.values():
        for item in output.figures:
            if item.values is not None and item.label in figures:
                block = figures[item.label]
                sheets.append(Sheet(f"figure-{block.number}", f"Figure {block.number}: {block.title}",
                                    "one row per value the figure draws", item.values))  # fmt: skip
    return sheets


def sheet_names(sheets: list[Sheet]) -> list[str]:
    """One workbook sheet name per tidy table: its label, cut to Excel's 31 characters and made unique ("notes"
    is taken). The CSV of each is named the same."""
    names: list[str] = []
    taken = {"notes"}  # a set beside the list: a name is looked up once per sheet, not against every sheet
    for sheet in sheets:
        base = sheet.label[:31]
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base[: 31 - len(str(n)) - 1]}-{n}"
        names.append(name)
        taken.add(name)
    return names


def _cut_long_tables(document: Document, printed_rows: int) -> None:
    """Cut each table longer than `printed_rows` whose rows a sheet of the workbook holds: a notebook's table
    the sheet of the same label (same rows), a figure's numbers the figure's sheet (one row per value). A long
    table that no sheet holds is printed whole: the documents stay complete."""
    names: dict[str, str] = {}
    for sheet, name in zip(document.sheets, sheet_names(document.sheets), strict=True):
        names.setdefault(sheet.label, name)
    by_data = {figure.data_label: figure for figure in document.figures() if figure.data_label}
    for table in document.tables():
        if len(table.rows) <= printed_rows:
            continue
        figure = by_data.get(table.label)
        if figure is not None and f"figure-{figure.number}" in names:
            table.cut(printed_rows, names[f"figure-{figure.number}"], "all its numbers are, one row per value,")
        elif figure is None and table.label in names:
            table.cut(printed_rows, names[table.label], "every row is")


def _place_leftovers(section: Section, template: SectionTemplate, layout: _Layout, figures_dir: Path) -> None:
    """Items declared for this section that its template does not place: appended, with a warning."""
    for kind, items in (("figure", layout.figures), ("table", layout.tables)):
        for label, (notebook, item) in items.items():
            if item.section == template.name and label not in layout.placed:
                warnings.warn(
                    f"notebook {notebook}: {kind} {label!r} is not placed by {layout.template}; "
                    f"placed at the end of section {template.name!r}",
                    UnplacedItemWarning,
                    stacklevel=2,
                )
                layout.placed[label] = "(end of section)"
                section.blocks.append(_block(kind, label, layout, figures_dir))


def _number(parts: list[Section]) -> dict[str, str]:
    """Number paragraphs, figures and tables in reading order, then write every reference as its number."""
    counters = {"paragraph": 0, "figure": 0, "table": 0}
    names: dict[str, str] = {}
    for part in parts:
        for block in part.blocks:
            if isinstance(block, Box):
                continue
            kind = {Paragraph: "paragraph", FigureBlock: "figure", TableBlock: "table"}[type(block)]
            if kind == "paragraph" and block.number is None:
                continue
            counters[kind] += 1
            block.number = counters[kind]
            if block.label:
                names[block.label] = f"{kind if kind == 'paragraph' else kind.capitalize()} {block.number}"

    def written(match: re.Match) -> str:
        if match[1] == "ref":
            return names.get(match[2], match[0])
        if match[1] == "refs":
            found = [names[label].split(" ") for label in match[2].split(",") if label in names]
            kinds = {kind for kind, _ in found}
            if len(kinds) == 1 and len(found) > 1:  # "Figures 3 and 4"
                return f"{kinds.pop()}s {listing([number for _, number in found])}"
            return listing([" ".join(pair) for pair in found])
        return ""

    for part in parts:
        for block in part.blocks:
            for paragraph in block.items if isinstance(block, Box) else [block]:
                if isinstance(paragraph, Paragraph):
                    paragraph.text = _TOKEN.sub(written, paragraph.text)
                elif isinstance(paragraph, FigureBlock | TableBlock):
                    paragraph.caption = _TOKEN.sub(written, paragraph.caption)
    return names
