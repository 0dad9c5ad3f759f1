"""What changed from one version of a year's report to the next, and why it was published.

A version after the first is a revision of the document (ITU: "Revision 1 to
Document ..."). Its "Changes in this revision" block, `itud diff YEAR vA vB` and
the reason in `reports/index.html` all come from here, by comparing two version
folders: key numbers (the notebooks' results), links and corrections (the input
snapshot each version keeps) and the paragraphs of the HTML document.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import html
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from itud.data.grammar import listing, plural, plural_form
from itud.errors import Problem
from itud.publish.manifest import MANIFEST, ManifestError, year_of
from itud.publish.versions import (
    INPUTS_DIR,
    output_hashes,
    read_manifest,
    reader_outputs,
    same_software,
    sha256,
    versions,
)

MAX_LINES = 8  # per kind of change; the rest is counted
REVISION_SECTION = "changes-in-this-revision"  # report/sections/05-changes-in-this-revision.md.j2: left out


@dataclass
class Revision:
    """Where a version stands among its year's versions, for the document's header and changes block."""

    number: int  # 0 for the first version (the original document), 1 for the next (Revision 1), ...
    previous: str | None = None  # the version it revises, e.g. "v4"
    changes: list[str] = field(default_factory=list)
    form_only: bool = False  # its text, tables, numbers and figures are those of `previous` (`content`)
    revision_changes: list[str] = field(default_factory=list)  # form only: what its revision itself changed


FORM_ONLY = "The text, tables and numbers are those of"  # how a changes block opens for a change of form only

def what_the_revision_changed(previous: Path, year: int) -> tuple[str, list[str]]:
    """For a version that changes only the form of `previous`'s revision: the version that began that revision,
    and what it changed since the version before it, as its changes block said (nothing for the original)."""
    from itud.publish.versions import versions

    number = revision_of(previous)
    if number == 0:
        return previous.name, []
    found = [path for _, path in versions(previous.parent) if int(path.name[1:]) <= int(previous.name[1:])]
    index = len(found) - 1  # `previous`; back while the version before is the same revision
    while index > 0 and revision_of(found[index - 1]) == number:
        index -= 1
    return found[index].name, changes(found[index - 1], found[index], year) if index else []


def _documents(manifest: dict) -> tuple:
    """The documents a manifest lists ({report-*: SHA-256}), as a value to count distinct ones by."""
    return tuple(sorted((k, v) for k, v in manifest.get("outputs", {}).items() if k.startswith("report-")))


def _distinct_documents(version: Path) -> int:
    """How many distinct documents the versions up to `version` published: how revisions were counted before
    manifests recorded them (each version whose documents' bytes differed from the one before was one)."""
    last = int(version.name.removeprefix("v"))
    return len({_documents(read_manifest(path)) for number, path in versions(version.parent) if number <= last})


_CONTENTS: dict[tuple, dict[str, str]] = {}  # `content` of version folders, by their files' names, sizes and times


def _content_of(version: Path, year: int) -> dict[str, str]:
    """`content(version, year)`, computed once while the folder's files stay as they are."""
    files = sorted(p for p in version.rglob("*") if p.is_file())
    key = (str(version.resolve()), year, *((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files))
    if key not in _CONTENTS:
        if len(_CONTENTS) > 256:
            _CONTENTS.clear()
        _CONTENTS[key] = content(version, year)
    return _CONTENTS[key]


def _claim_refused(path: Path, claimed: object, why: str) -> ManifestError:
    return ManifestError([str(Problem(str(path / MANIFEST), why, key="revision", value=claimed))])


def revision_of(version: Path) -> int:
    """The ITU revision a published version is (0: the original document).

    Its manifest's `revision` (recorded since 2019 v9) is a claim, checked against the versions before it as
    the build numbers a new one (`revision_number`): the first version is the original (0); a version is
    its predecessor's revision, plus one when its `content` (text, tables, numbers, figures) differs from its
    predecessor's. A claim that disagrees is a ManifestError naming the file and the key, not a number used
    in its place: such a manifest was edited, or the folder is not the version it says, and the index, the
    documents' headers and the next build would each show a number that was never published; refused, it
    changes nothing until someone looks. A version after a gap (its predecessor's folder is not there) is
    taken at its word: nothing is left to check it against. A version published before manifests recorded
    revisions is numbered as its documents were then (`_distinct_documents`); once a version records it,
    every later one must."""
    last = int(version.name.removeprefix("v"))
    year = year_of(version) or 0
    revision, previous, recorded_before, documents = None, None, False, set()
    published = [(number, path) for number, path in versions(version.parent) if number <= last]
    if not published or published[-1][0] != last:  # not a published version: as its manifest says
        claimed = read_manifest(version).get("revision")
        return claimed if isinstance(claimed, int) else _distinct_documents(version) - 1
    for number, path in published:
        manifest = read_manifest(path)
        documents.add(_documents(manifest))
        claimed = manifest.get("revision")
        follows = previous is not None and previous[0] == number - 1
        if claimed is None and follows and recorded_before:
            raise _claim_refused(path, None, f"missing: {previous[1].name} records its revision, so must every "
                                             "version after it")  # fmt: skip
        if claimed is None:
            revision = len(documents) - 1
        elif not follows:
            if number == 1 and claimed != 0:
                raise _claim_refused(path, claimed, "the first version is the original document: revision 0")
            revision = claimed
        else:
            changed = _content_of(previous[1], year) != _content_of(path, year)
            implied = revision + (1 if changed else 0)
            if claimed != implied:
                said = "differ from" if changed else "are"
                raise _claim_refused(path, claimed, (
                    f"{previous[1].name} is revision {revision} and the text, tables, numbers and figures of "
                    f"{path.name} {said} {previous[1].name}'s, so {path.name} is revision {implied}"
                ))  # fmt: skip
            revision = claimed
        recorded_before = claimed is not None
        previous = (number, path)
    return revision


def revision_problems(version: Path) -> list[str]:
    """What is wrong with the revision `version`'s manifest claims, or with one before it (`revision_of`);
    [] when it follows from its predecessors."""
    try:
        revision_of(version)
    except ManifestError as error:
        return error.problems
    except (OSError, UnicodeDecodeError, ValueError) as error:
        return [f"{version}: its revision could not be checked ({type(error).__name__}: {error})"]
    return []


def revision_number(previous: Path | None, content_changed: bool = True) -> int:
    """The revision a new version after `previous` is: the next one when its text, tables, numbers or figures
    changed (`content_changed`), the same as `previous` when only the form changed (a version, not a revision)."""
    if previous is None:
        return 0
    return revision_of(previous) + (1 if content_changed else 0)


_VOID = {"br", "img", "meta", "link", "hr", "input", "col", "wbr"}  # HTML elements without an end tag


class _Reader(HTMLParser):
    """Reads a document's HTML, skipping its revision label and block and the elements named `skipped`:
    `self._skip` is how deep the parser is inside skipped elements."""

    skipped: frozenset[str] = frozenset()
    skipped_classes: frozenset[str] = frozenset()

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._stack: list[bool] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _VOID:
            return
        attributes = dict(attrs)
        classes = set((attributes.get("class") or "").split())
        skipping = (
            "revision" in classes
            or bool(classes & self.skipped_classes)
            or attributes.get("id") == REVISION_SECTION
            or tag in self.skipped
        )
        self._stack.append(skipping)
        self._skip += skipping
        self.started(tag)

    def started(self, tag: str) -> None:
        """After a start tag that is not skipped."""

    def handle_endtag(self, tag: str) -> None:
        if tag not in _VOID and self._stack:
            self.ended(tag)
            self._skip -= self._stack.pop()

    def ended(self, tag: str) -> None:
        """Before an end tag is counted."""


class _Text(_Reader):
    """All the text of a document but its revision label and block, its contents list and its styles."""

    skipped = frozenset({"nav", "style", "script"})

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.found.append(" ".join(data.split()))


_ITEM_LISTS = ("figures", "tables", "sheets")  # the items of a notebook's results, which templates place by label


def results_said(data: bytes) -> str:
    """The SHA-256 of what a notebook's results (`results/<notebook>.json`) say: its numbers and its items,
    whatever order the notebook declared them in. That order is form: the templates place items by label
    (an item no template places follows its section in that order, which the document's text then shows),
    and the workbook lists its sheets in it. Results that are not JSON: the SHA-256 of their bytes."""
    try:
        said = json.loads(data.decode("utf-8"))
    except ValueError:
        return hashlib.sha256(data).hexdigest()
    if isinstance(said, dict):
        for kind in _ITEM_LISTS:
            if isinstance(said.get(kind), list):
                said[kind] = sorted(said[kind], key=lambda item: json.dumps(item, sort_keys=True))
    return hashlib.sha256(json.dumps(said, sort_keys=True).encode("utf-8")).hexdigest()


NOTES_CSV = "tables/notes.csv"  # the workbook's notes sheet, which names the version and its revision


def content(folder: Path, year: int) -> dict[str, str]:
    """What a version says, apart from which revision it is: the SHA-256 of its tables and figures, of what
    its results say (`results_said`) and of its HTML document's text without the revision label and block.
    Equal for two versions whose documents differ only in form (a PDF laid out by another Pango, a Word box
    kept on one page, two notebook cells that declare items swapped)."""
    found = {}
    for name, digest in reader_outputs(output_hashes(folder)).items():
        if name.startswith("results/") and name.endswith(".json"):
            found[name] = results_said((folder / name).read_bytes())
        elif name == NOTES_CSV:  # which version and revision it is, as the revision label: not what it says
            lines = (folder / name).read_bytes().decode("utf-8-sig").splitlines()
            kept = [line for line in lines if not line.startswith(("Version,", "Revision,"))]
            found[name] = hashlib.sha256("\n".join(kept).encode("utf-8")).hexdigest()
        elif name.startswith(("tables/", "figures/", "results/")) and name.endswith((".csv", ".svg", ".json")):
            found[name] = digest
    page = folder / f"report-{year}.html"
    if page.exists():
        found[f"report-{year}.html (text)"] = hashlib.sha256("\n".join(document_text(page)).encode("utf-8")).hexdigest()
    return found


def document_text(page: Path) -> list[str]:
    """The lines of text of an HTML document but its revision label and block, its contents list and styles."""
    reader = _Text()
    reader.feed(page.read_text(encoding="utf-8") if page.exists() else "")
    return reader.found


def _flatten(value, prefix: str, into: dict) -> None:
    """Scalar numbers of nested dicts, by dotted path; lists are tables, compared as tables."""
    if isinstance(value, dict):
        for key in sorted(value):
            _flatten(value[key], f"{prefix}.{key}" if prefix else str(key), into)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        into[prefix] = value


def key_numbers(version: Path) -> dict[str, float]:
    """The key numbers the notebooks handed to the report, by notebook and name."""
    found: dict[str, float] = {}
    for path in sorted((version / "results").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        _flatten(data.get("numbers", data.get("key_figures", {})), path.stem, found)
    return found


def _read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


_CAPTION = re.compile(r'<caption id="caption-([^"]+)">(Table \d+: .*?)</caption>', re.S)  # spans inside: identifiers


def _captions(version: Path, year: int) -> dict[str, str]:
    """{table label: "Table 2: its caption"} as a version's HTML document numbers and titles its tables."""
    page = version / f"report-{year}.html"
    text = page.read_text(encoding="utf-8") if page.exists() else ""
    return {label: html.unescape(re.sub(r"<[^>]+>", "", caption)) for label, caption in _CAPTION.findall(text)}


class _Tables(_Reader):
    """The report's tables as its HTML document shows them: {label: [header cells, then each row's cells]}."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._label: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        super().handle_starttag(tag, attrs)
        if self._skip:
            return
        attributes = dict(attrs)
        if tag == "table" and "data" in (attributes.get("class") or "").split():
            self._label = attributes.get("id") or f"table-{len(self.tables) + 1}"
            self.tables[self._label] = []
        elif self._label and tag == "tr":
            self._row = []
        elif self._row is not None and tag in ("td", "th"):
            self._cell = []

    def ended(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._label:
            self.tables[self._label].append(self._row)
            self._row = None
        elif tag == "table":
            self._label = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None and not self._skip:
            self._cell.append(data)


def _document_tables(version: Path, year: int | None) -> dict[str, list[list[str]]]:
    """{table label: its rows as text} as the version's HTML document prints them; a version without one
    (made before the documents were HTML) by its CSV exports."""
    page = version / f"report-{year}.html"
    if year and page.exists():
        reader = _Tables()
        reader.feed(page.read_text(encoding="utf-8"))
        if reader.tables:
            return reader.tables
    return {p.stem: _read_csv(p) for p in sorted((version / "tables").glob("*.csv"))}


def table_changes(old: Path, new: Path, year: int | None = None) -> list[str]:
    """Cells that changed in the report's tables, as the documents print them, each table named as the
    document that has it numbers and titles it ("Table 2: Action Lines reached per objective")."""
    lines, rewritten = [], 0
    before, after = _document_tables(old, year), _document_tables(new, year)
    named_before, named_after = (_captions(old, year), _captions(new, year)) if year else ({}, {})

    def name(label: str, named: dict[str, str]) -> str:
        return named.get(label) or f"table {label}"

    if before and after and not set(before) & set(after):
        return [f"the tables were reorganised ({len(before)} before, {len(after)} now): not compared cell by cell"]
    lines += [f"table added: {name(label, named_after)}" for label in sorted(set(after) - set(before))]
    lines += [f"table removed: {name(label, named_before)}" for label in sorted(set(before) - set(after))]
    for label in sorted(set(before) & set(after)):
        title_before, title_after = (_untitled_number(named.get(label, "")) for named in (named_before, named_after))
        if title_before and title_after and title_before != title_after:
            lines.append(f"{name(label, named_after)}: retitled (it was \u201c{title_before}\u201d)")
        a, b = before[label], after[label]
        if a == b:
            continue
        if not a or not b or a[0] != b[0] or len(a) != len(b):
            lines.append(f"{name(label, named_after)}: rows or columns changed")
            continue
        for row_a, row_b in zip(a[1:], b[1:], strict=True):
            for column, x, y in zip(a[0], row_a, row_b, strict=False):
                if x != y and _same_number(x, y):
                    rewritten += 1
                elif x != y:
                    lines.append(f"{name(label, named_after)}, {row_b[0]}, {column}: {x} -> {y}")
    if rewritten:
        lines.append(f"numbers rewritten: {rewritten} table cells show the same values with other decimals")
    return lines


def _untitled_number(caption: str) -> str:
    """A table's caption without its number ("Table 2: Coverage" -> "Coverage"): a renumbered table keeps its title."""
    return re.sub(r"^Table \d+: ", "", caption)


def _same_number(x: str, y: str) -> bool:
    """"0.48" and "0.480": one value written two ways."""
    try:
        return float(x) == float(y)
    except ValueError:
        return False


def _capped(lines: list[str], what: str) -> list[str]:
    if len(lines) <= MAX_LINES:
        return lines
    return [*lines[:MAX_LINES], f"... and {len(lines) - MAX_LINES} more {what}"]


def number_changes(old: Path, new: Path) -> list[str]:
    """Key numbers the notebooks handed on that changed, named as in their results (`itud diff` only: the
    document shows a changed number in its paragraphs and tables, which the revision block lists)."""
    before, after = key_numbers(old), key_numbers(new)
    lines = []
    for name in sorted(set(before) | set(after)):
        if before.get(name) != after.get(name):
            notebook, _, key = name.partition(".")
            lines.append(
                f"key number {key} (notebook {notebook}): {before.get(name, 'absent')} -> {after.get(name, 'absent')}"
            )
    return _capped(lines, "changed numbers")


def _edition(version: Path, year: int):
    """The edition a version was built from (its input snapshot), or None for versions made without one."""
    from itud.data.load import load_edition

    data = version / INPUTS_DIR / "data"
    if not (data / str(year)).is_dir():
        return None
    return load_edition(year, data)


def _links(edition) -> set[tuple[str, str, str]]:
    from itud.data.corrections import LINK_TABLES

    found = set()
    for table, (unit, target, _) in LINK_TABLES.items():
        frame = getattr(edition, table, None)
        if frame is not None:
            found |= {(table, str(u), str(t)) for u, t in zip(frame[unit], frame[target], strict=True)}
    return found


def _link_text(link: tuple[str, str, str]) -> str:
    table, unit, target = link
    return f"{unit} -> SDG {target}" if table.endswith("_sdg") else f"{unit} -> Action Line {target}"


def link_changes(old: Path, new: Path, year: int) -> list[str]:
    """Links and corrections added or removed, from the two versions' input snapshots."""
    before, after = _edition(old, year), _edition(new, year)
    if before is None or after is None:
        return [f"links and corrections: not compared ({old.name} kept no copy of its input data)"] if after else []
    made = {
        c.describe(): c for c in after.corrections if c.describe() not in {d.describe() for d in before.corrections}
    }
    withdrawn = {c.describe() for c in before.corrections} - {c.describe() for c in after.corrections}
    lines = []
    for verb, links in (("added", _links(after) - _links(before)), ("removed", _links(before) - _links(after))):
        for link in sorted(links):
            correction = made.pop(f"{verb}: {_link_text(link)}", None)  # a link a correction changed: said once
            by = f" by correction {correction.number}" if correction else ""
            lines.append(f"link {verb}{by}: {_link_text(link)}")
    lines += [f"correction made: {c}" for c in sorted(made)]
    lines += [f"correction withdrawn: {c}" for c in sorted(withdrawn)]
    return _capped(lines, "link changes")


class _Paragraphs(_Reader):
    """The text of each <p> of a document, leaving out the revision block (it describes the change itself)."""

    skipped = frozenset({"nav", "footer"})  # the contents and the colophon are not paragraphs
    skipped_classes = frozenset({"contribution", "summary-label"})  # nor the meeting block, nor "Summary:"
    _text: list[str] | None = None

    def __init__(self) -> None:
        super().__init__()
        self._inline_id: list[bool] = []  # per open element: is it an identifier's span (render.unbroken_ids)?

    def handle_starttag(self, tag: str, attrs: list) -> None:
        is_id = tag == "span" and ("class", "id") in attrs
        if tag not in _VOID:
            self._inline_id.append(is_id)
        if self._text is not None and not is_id:
            self._text.append(" ")  # an element's start and end part words; an identifier's span does not
        super().handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        is_id = tag not in _VOID and bool(self._inline_id) and self._inline_id.pop()
        if self._text is not None and not is_id:
            self._text.append(" ")
        super().handle_endtag(tag)

    def started(self, tag: str) -> None:
        if tag == "p" and not self._skip:
            self._text = []

    def ended(self, tag: str) -> None:
        if tag == "p" and self._text is not None:
            text = " ".join("".join(self._text).split())
            if text:
                self.found.append(text)
            self._text = None

    def handle_data(self, data: str) -> None:
        if self._text is not None and not self._skip:
            self._text.append(data)


def paragraphs(html_file: Path) -> list[str]:
    reader = _Paragraphs()
    reader.feed(html_file.read_text(encoding="utf-8") if html_file.exists() else "")
    return reader.found


_ITEM_NUMBERS = re.compile(r"\b(Tables?|Figures?|paragraphs?) [0-9]+(?:(?:, | and )[0-9]+)*")


def _without_numbers(text: str) -> str:
    """A paragraph with the numbers of the tables, figures and paragraphs it refers to left out."""
    return _ITEM_NUMBERS.sub(lambda m: m[1], text)


def paragraph_changes(old: Path, new: Path, year: int) -> list[str]:
    """Paragraphs added, removed or reworded; one whose only change is the numbers of the items it refers to
    (a table added before them renumbers them) is renumbered, not reworded: said once, in a count."""
    before = paragraphs(old / f"report-{year}.html")
    after = paragraphs(new / f"report-{year}.html")
    renumbered = 0
    lines = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if tag == "insert":
            lines += [f"paragraph added: \u201c{_short(t)}\u201d" for t in after[j1:j2]]
        elif tag == "delete":
            lines += [f"paragraph removed: \u201c{_short(t)}\u201d" for t in before[i1:i2]]
        else:
            old_texts = before[i1:i2]
            for k, text in enumerate(after[j1:j2]):
                earlier = old_texts[k] if k < len(old_texts) else ""
                if _without_numbers(earlier) == _without_numbers(text):
                    renumbered += 1
                    continue
                lines.append(f"paragraph reworded: \u201c{_changed_part(earlier, text)}\u201d")
    if renumbered:
        verb = "names" if renumbered == 1 else "name"
        lines.append(f"tables or figures renumbered: {plural(renumbered, 'paragraph')} {verb} them by their new "
                     "numbers, in unchanged words")
    return _capped(lines, "paragraph changes")


def _changed_part(old: str, new: str, before: int = 6, width: int = 90) -> str:
    """The new paragraph from a few words before its first change: `… words that changed …`."""
    old_words, new_words = old.split(), new.split()
    matcher = difflib.SequenceMatcher(a=old_words, b=new_words, autojunk=False)
    start = next((j1 for tag, _, _, j1, _ in matcher.get_opcodes() if tag != "equal"), 0)
    start = max(0, min(start, len(new_words) - 1) - before)
    return ("\u2026 " if start else "") + _short(" ".join(new_words[start:]), width)


def _short(text: str, width: int = 90) -> str:
    """The start of a paragraph, cut between words."""
    return text if len(text) <= width else text[:width].rsplit(" ", 1)[0].rstrip(" ,;:") + " \u2026"


_FIGURE_NUMBER = re.compile(r'<figure id="([^"]+)">.*?<figcaption><strong>Figure (\d+):', re.S)
_FIGURE_TITLE = re.compile(r'<figure id="([^"]+)">.*?<figcaption><strong>(Figure \d+: [^<]*?)\.?</strong>', re.S)


def figure_changes(old: Path, new: Path, year: int) -> list[str]:
    """The figures whose files differ, named as the new document numbers them."""
    before = {p.stem: sha256(p) for p in sorted((old / "figures").glob("*.svg"))}
    after = {p.stem: sha256(p) for p in sorted((new / "figures").glob("*.svg"))}
    document = new / f"report-{year}.html"
    page = document.read_text(encoding="utf-8") if document.exists() else ""
    number = dict(_FIGURE_NUMBER.findall(page))
    redrawn = [label for label in after if label in before and after[label] != before[label]]
    redrawn.sort(key=lambda label: (int(number[label]) if label in number else 10**6, label))
    numbers = [number[label] for label in redrawn if label in number]
    named = ([("Figure " if len(numbers) == 1 else "Figures ") + listing(numbers)] if numbers else []) + [
        label
        for label in redrawn
        if label not in number  # made by a notebook, placed by no template
    ]
    added = sorted(set(after) - set(before), key=lambda label: (int(number.get(label, 10**6)), label))
    titled = {label: html.unescape(title) for label, title in _FIGURE_TITLE.findall(page)} if page else {}
    lines = [f"figure added: {titled.get(label) or f'Figure {number[label]}' if label in number else label}"
             for label in added]  # fmt: skip
    lines += [f"figure removed: {label}" for label in sorted(set(before) - set(after))]
    word = "figure" if len(redrawn) == 1 else plural_form("figure")
    return ([f"{word} redrawn: {listing(named)}"] if named else []) + lines


def document_name(version: Path) -> str:
    """How the documents of a published version call themselves: the original, or "Revision N"."""
    number = revision_of(version)
    return f"Revision {number}" if number > 0 else "the original document"


def changes(old: Path, new: Path, year: int, *, numbers: bool = False) -> list[str]:
    """Every change from version folder `old` to `new` (or to a build folder not yet published), as the
    revision block tells readers; `numbers`: also the key numbers the notebooks handed on (`itud diff`)."""
    lines = (
        link_changes(old, new, year)
        + (number_changes(old, new) if numbers else [])
        + _capped(table_changes(old, new, year), "table changes")
        + paragraph_changes(old, new, year)
    )
    figures = figure_changes(old, new, year)
    if not lines and not figures:
        lines = unlisted_changes(old, new, year)  # [] only when `content` is the same: a change of form
    if not lines:
        same = f"{FORM_ONLY} {document_name(old)}"
        lines = [same + ("." if figures else "; only the form changed.")]
    return lines + figures


def text_changes(old: Path, new: Path, year: int) -> list[str]:
    """Lines of the documents' text (`document_text`: headings, captions, list items as well as paragraphs)
    added, removed, moved or reworded, quoted as the newer document reads."""
    before = document_text(old / f"report-{year}.html")
    after = document_text(new / f"report-{year}.html")
    lines = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
        if tag in ("replace", "delete"):
            lines += [("text moved" if t in after else "text removed") + f": \u201c{_short(t)}\u201d"
                      for t in before[i1:i2]]  # fmt: skip
        if tag in ("replace", "insert"):
            lines += [f"text added: \u201c{_short(t)}\u201d" for t in after[j1:j2] if t not in before]
    return _capped(lines, "text changes")


def unlisted_changes(old: Path, new: Path, year: int) -> list[str]:
    """What differs in two versions' `content` that links, tables, paragraphs and figures do not show: lines
    of text (headings, captions), then key numbers, else the names of the outputs whose content differs;
    [] when their content is the same, so that the revision block says a change of form only when the
    version keeps its revision number (`revision_number`)."""
    before, after = content(old, year), content(new, year)
    differ = sorted(name for name in set(before) | set(after) if before.get(name) != after.get(name))
    if not differ:
        return []
    lines = text_changes(old, new, year) if f"report-{year}.html (text)" in differ else []
    lines += number_changes(old, new)
    return lines or [f"{name.removesuffix(' (text)')}: what it says changed" for name in differ]


_CODE = "lib/"  # the package's code and templates, as `versions.code_files` names them
_LOCK = "requirements.lock"  # an input of the first versions; the packages' versions are in `environment` since
_RECORDED_SINCE = (_CODE, "report/sections/", _LOCK)  # kinds of input not every manifest recorded


def _code_contents(inputs: dict[str, str]) -> Counter[str]:
    """The SHA-256 of every file of the package's code, whatever its path."""
    return Counter(digest for name, digest in inputs.items() if name.startswith(_CODE))


def changed_inputs(before: dict[str, str], after: dict[str, str]) -> set[str]:
    """The inputs that differ between two manifests' `inputs` ({name: SHA-256}). The package's code is
    compared by content alone: modules moved with their bytes unchanged (lib/itud/figures.py ->
    lib/itud/analysis/figures.py) are no change. A kind of input one of the two did not record at all
    (the first versions recorded no section templates; later ones no lock file) is not compared."""
    changed = {name for name in set(before) | set(after) if before.get(name) != after.get(name)}
    for prefix in _RECORDED_SINCE:
        if not any(n.startswith(prefix) for n in before) or not any(n.startswith(prefix) for n in after):
            changed = {name for name in changed if not name.startswith(prefix)}
    if _code_contents(before) == _code_contents(after):
        changed = {name for name in changed if not name.startswith(_CODE)}
    return changed


def reason(previous: dict, manifest: dict, form_only: bool = False) -> str:
    """Why a version was published, in words for readers of `reports/index.html`, from two manifests: its
    first version, a correction, a change of the data, or a change of the notebooks, the report's wording,
    its code or the software it is built with, each named only when its inputs differ (`changed_inputs`,
    `versions.same_software`); and whether that changed what the documents say or only their form
    (`form_only`, as the build found it comparing the two versions' `content`). A note given with
    `itud report --note` follows."""
    note = f": {manifest['note']}" if manifest.get("note") else ""
    if not previous:
        return "first version" + note
    changed = changed_inputs(previous.get("inputs", {}), manifest.get("inputs", {}))
    software = _LOCK in changed or not same_software(previous.get("environment"), manifest.get("environment"))
    corrected = any(k.endswith("/corrections.csv") for k in changed)
    data = any(k.startswith("data/") and "/report/" not in k and not k.endswith("/corrections.csv") for k in changed)
    others = software or any(not k.startswith("data/") or "/report/" in k for k in changed)
    if corrected and not data and not others:
        return "a correction to the data" + note
    # every kind of input that changed, the data first (one cause alone used to hide the others)
    facts_only = data and all(k.endswith("/edition.toml") for k in changed if k.startswith("data/") and
                              "/report/" not in k and not k.endswith("/corrections.csv"))  # fmt: skip
    data_words = "the edition's facts and prose (edition.toml)" if facts_only else "the data"
    causes = (["the corrections"] if corrected else []) + ([data_words] if data else [])
    causes += [
        words
        for prefixes, words in (
            (("notebooks/",), "a notebook"),
            (("report/sections/",), "the report's wording"),
            ((_CODE,), "the report's code"),
        )
        if any(k.startswith(prefixes) for k in changed)
    ]
    causes += ["an edition's own wording"] if any("/report/" in k for k in changed if k.startswith("data/")) else []
    causes += ["the software the report is built with"] if software else []
    cause = f"a change to {listing(causes)}" if causes else "a rebuild"
    if reader_outputs(previous.get("outputs", {})) == reader_outputs(manifest.get("outputs", {})):
        return f"{cause}; the documents are those of the previous version" + note
    if form_only:
        return f"{cause}; only the form changed, not the text, tables, numbers or figures" + note
    return f"{cause} changed what the documents say" + note


def manifest_reason(version: Path, previous: Path | None) -> str:
    """The reason recorded in a version's manifest, or worked out for versions made before it was recorded."""
    manifest = read_manifest(version)
    if manifest.get("reason"):
        return manifest["reason"]
    return reason(read_manifest(previous) if previous else {}, manifest)
