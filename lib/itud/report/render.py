"""Write a `Document` as HTML, DOCX and PDF, and its tables as one workbook (xlsx) and tidy CSV files.

Each writer gives the same bytes for the same document:
- HTML: a Jinja2 template with autoescaping (text from data is never markup), `templates/report.html.j2`:
  the contribution's header block, boxed summary, table of contents, `<main>`, inline SVG figures that
  name what they show, tables that scroll in their own box on a narrow screen; no script, no network.
- PDF: the same HTML printed by WeasyPrint with the template's print CSS (running header, page numbers,
  annexes on new pages), tagged PDF/UA-1 with bookmarks from the headings and the DejaVu fonts
  matplotlib ships embedded; no dates, a content-derived file identifier.
- DOCX: python-docx on the house-style template `templates/house-style.docx` (restyle it in Word; made
  once by `write_house_style`); the zip is rewritten with fixed timestamps and dateless properties.
- XLSX: xlsxwriter, a notes sheet then one sheet per tidy table named by its label, headers in sentence case,
  numbers as numbers, an empty cell only for a value not given; fixed creation date and zip timestamps.
- CSV: one file per table, `<label>.csv`, the same header row first, numbers as numbers; `notes.csv` the notes.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import re
import zipfile
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from itud.data import ids
from itud.report.document import NOT_GIVEN, Box, Document, FigureBlock, Paragraph, Section, TableBlock
from itud.report.document import sheet_names as document_sheet_names

ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def html(document: Document, *, for_print: bool = False) -> str:
    """The report as one self-contained HTML page, its figures inline SVG.

    `for_print`: the page the PDF is printed from, identical but for its figures, which are images of
    their SVG files (named relative to the figures' folder, the page's base URL): WeasyPrint draws an
    SVG image without computing HTML styles for each of its elements, a fifth of the PDF's time.
    """
    environment = Environment(
        loader=PackageLoader("itud.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        keep_trailing_newline=True,
    )
    environment.filters["css_string"] = css_string
    environment.filters["unbroken_ids"] = unbroken_ids
    if for_print:
        svg = {
            block.svg.name: Markup('<img src="{}" alt="{}">').format(quote(block.svg.name), block.description)
            for block in document.figures()
        }
    else:
        svg = {
            block.svg.name: inline_svg(block.svg, f"f{block.number}-", block.description)
            for block in document.figures()
        }  # fmt: skip
    return environment.get_template("report.html.j2").render(doc=document, svg=svg, not_given=NOT_GIVEN)


def figures_url(document: Document) -> str:
    """The base URL of the printed page: the folder of the document's figures (all in one folder)."""
    folders = {block.svg.parent.resolve() for block in document.figures()}
    if len(folders) > 1:
        raise ValueError(f"the figures are in {len(folders)} folders; the printed page needs them in one")
    return folders.pop().as_uri() + "/" if folders else ""


_IDENTIFIER = re.compile(
    r"\b(?:[A-Z]{1,3}\.\d+(?:[.-]\d+)*|Q\d+(?:-\d+)?/\d+)\b"  # D.4, D.4-2, D.1.5, Q1/1, Q7-1/2
    r"|\b(?:19|20)\d\d-(?:19|20)\d\d\b"  # a period of years (2020-2023)
    r"|\bITU-[DRT]\b"  # the Sector's name (ITU-D), which a line broke at its hyphen
    r"|\b[a-z]+(?:-[a-z]+)+/[a-z]+(?:-[a-z]+)+\b"  # a repository (open-sdg/sdg-translations)
    r"|\(\d+ (?:[a-z]+ )?of \d+\)"  # a count beside a rate: (28 of 45), (5 pairs of 12)
)


def unbroken_ids(text: str) -> Markup:
    """`text` escaped for HTML, each identifier (D.4-2, Q1/1, ITU-D, a repository's name) and each count beside
    a rate ("(28 of 45)") in a span that a line never breaks ("D." at one line's end and "4" at the next's, as the
    PDF printed it)."""
    escaped = str(escape(text))
    return Markup(_IDENTIFIER.sub(lambda m: f'<span class="id">{m.group(0)}</span>', escaped))


def css_string(text: str):
    """Text for inside a CSS string in a <style> element: quotes, backslashes, line ends and '<' escaped.

    Hand-written because Jinja2 escapes for HTML only, and HTML entities mean nothing inside <style>.
    """
    escaped = "".join(f"\\{ord(c):x} " if c in '\\"<>\n\r' else c for c in text)
    return Markup(escaped)


SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"


def inline_svg(path: Path, prefix: str, description: str):
    """A figure's SVG ready to sit inside HTML: one <svg> element that names what it shows.

    Leaves out the XML prolog and the metadata; prefixes every id (and each reference to it) so that
    several figures on one page keep unique ids; sizes it by its viewBox; keeps the <title> tooltips of
    its marks (figures.save has already rounded the geometry). (Done with the standard library's
    ElementTree: the job is small and specific.)
    """
    import xml.etree.ElementTree as ET

    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    root = ET.fromstring(path.read_bytes())
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag == f"{{{SVG_NS}}}metadata":
                parent.remove(child)
    href = f"{{{XLINK_NS}}}href"
    referenced = {
        target
        for element in root.iter()
        for value in element.attrib.values()
        for target in re.findall(r"url\(#([^)]+)\)|^#(.+)$", value)
        for target in target
        if target
    }
    for element in root.iter():
        if element.get("id") and element.get("id") not in referenced:
            del element.attrib["id"]  # matplotlib names every group; only referenced ids are kept
        for name, value in list(element.attrib.items()):
            if name == "id":
                value = prefix + value
            elif name == "d":
                value = " ".join(value.split())
            elif name == href or (name == "href" and value.startswith("#")):
                value = "#" + prefix + value.removeprefix("#") if value.startswith("#") else value
            if "url(#" in value:
                value = value.replace("url(#", f"url(#{prefix}")
            element.set(name, value)
    for element in root.iter(f"{{{SVG_NS}}}path"):
        element.attrib.setdefault("d", "M 0 0")  # matplotlib's glyph for a space has no outline; HTML wants a d
    for name in ("width", "height", "version"):
        root.attrib.pop(name, None)
    root.set("role", "img")
    title = ET.Element(f"{{{SVG_NS}}}title", id=f"{prefix}alt")
    title.text = description  # the figure's accessible name (HTML) and its /Alt text (tagged PDF)
    root.insert(0, title)
    root.set("aria-labelledby", f"{prefix}alt")
    text = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    return Markup(re.sub(r">\s+<", "><", text))


def write_html(document: Document, path: Path) -> Path:
    path.write_text(html(document), encoding="utf-8")
    return path


# --- DOCX -------------------------------------------------------------------------------------

HOUSE_STYLE = Path(__file__).parent / "templates" / "house-style.docx"
TEXT_WIDTH_CM = 17.0  # A4 less 2 cm margins
# Styles the writer uses, all defined in the house-style template (restyle them there, in Word).
BOX, BOX_LABEL, SOURCE, MEETING, DOCUMENT_BLOCK = "Box", "Box Label", "Source", "Meeting Block", "Document Block"
BOX_BULLET = "Box Bullet"  # a bulleted item of a box (Word's own list numbering, not a typed bullet)
BOX_LABEL_PLAIN = "Box Title"  # the title of a box drawn as a one-cell table (no border of its own)
ANNEX_HEADING, TABLE_TEXT, TABLE_HEADING, NOTE, FIGURE = (
    "Annex Heading",
    "Table Text",
    "Table Heading",
    "Note",
    "Figure",
)


def write_house_style(path: Path = HOUSE_STYLE) -> Path:
    """Create the house-style Word template once (it is committed; staff restyle it in Word, not here).

    ITU contribution look: black Calibri 11 pt, bold capital title, bold headings kept with the next
    paragraph, a boxed Summary style, annex headings on a new page, A4 with 2 cm margins.
    """
    import docx
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt, RGBColor

    word = docx.Document()
    section = word.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2))
    section.header_distance = section.footer_distance = Cm(1)
    styles = word.styles
    normal = styles["Normal"]
    normal.font.name, normal.font.size = "Calibri", Pt(11)
    _language(normal, "en-GB")
    normal.paragraph_format.space_after = Pt(6)

    def paragraph_style(name: str, base: str = "Normal"):
        style = styles[name] if name in [s.name for s in styles] else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = styles[base] if base and name != base else None
        style.font.color.rgb = RGBColor(0, 0, 0)
        return style

    title = paragraph_style("Title")
    title.font.size, title.font.bold, title.font.all_caps = Pt(12), True, True
    title.font.name = "Calibri"
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_after = Pt(12)
    _no_border(title)
    for level, size in ((1, 12), (2, 11), (3, 11)):
        heading = paragraph_style(f"Heading {level}")
        heading.font.size, heading.font.bold, heading.font.italic = Pt(size), True, False
        heading.font.name = "Calibri"
        heading.paragraph_format.keep_with_next = True
        heading.paragraph_format.space_before, heading.paragraph_format.space_after = Pt(12), Pt(6)
    annex = paragraph_style(ANNEX_HEADING, "Heading 1")
    annex.paragraph_format.page_break_before = True
    annex.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    caption = paragraph_style("Caption")
    caption.font.size, caption.font.italic, caption.font.bold = Pt(9), False, False
    caption.paragraph_format.keep_with_next = True
    caption.paragraph_format.space_after = Pt(9)
    figure = paragraph_style(FIGURE)
    figure.paragraph_format.keep_with_next = True  # the picture stays with its caption
    figure.paragraph_format.space_before = Pt(6)
    source = paragraph_style(SOURCE)
    source.font.bold, source.font.all_caps = True, True
    source.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    source.paragraph_format.space_before = Pt(18)
    meeting = paragraph_style(MEETING)
    meeting.paragraph_format.space_after = Pt(0)
    block = paragraph_style(DOCUMENT_BLOCK)
    block.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    block.paragraph_format.space_after = Pt(0)
    box = paragraph_style(BOX)
    box.paragraph_format.space_after = Pt(3)
    box.paragraph_format.left_indent = box.paragraph_format.right_indent = Cm(0.2)
    _box_border(box)
    bullet = paragraph_style(BOX_BULLET, "List Bullet")  # inside the box's one-cell table: no border of its own
    bullet.paragraph_format.space_after = Pt(2)
    box_title = paragraph_style(BOX_LABEL_PLAIN)
    box_title.font.bold = True
    box_title.paragraph_format.space_after = Pt(3)
    _number_indent(word, "List Number", Cm(1.0))
    toc = paragraph_style("TOC 1")
    toc.paragraph_format.space_after = Pt(2)
    label = paragraph_style(BOX_LABEL, BOX)
    label.font.bold = True
    label.paragraph_format.keep_with_next = True
    label.paragraph_format.space_before = Pt(3)
    note = paragraph_style(NOTE)
    note.paragraph_format.left_indent = Cm(1)
    for name, bold in ((TABLE_TEXT, False), (TABLE_HEADING, True)):
        cell = paragraph_style(name)
        cell.font.size, cell.font.bold = Pt(9), bold
        cell.paragraph_format.space_after = Pt(0)
    header = paragraph_style("Header")
    header.font.size = Pt(9)
    header.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    properties = word.core_properties
    properties.author = properties.last_modified_by = ""
    properties.title = "ITU-D contribution (house style)"
    properties.comments = "House-style template of the itud report; restyle its styles in Word."
    buffer = io.BytesIO()
    word.save(buffer)
    path.write_bytes(_stable_zip(buffer.getvalue(), {"docProps/core.xml": _without_dates}))
    return path


def _number_indent(word, style_name: str, indent) -> None:
    """Room for two-digit paragraph numbers: the first level of the style's list numbering indented by
    `indent`, hanging (the template's 0.63 cm left "26." touching its text)."""
    from docx.oxml.ns import qn

    style = word.styles[style_name].element
    num_pr = style.find(qn("w:pPr")).find(qn("w:numPr"))
    num_id = num_pr.find(qn("w:numId")).get(qn("w:val"))
    numbering = word.part.numbering_part.element
    num = next(n for n in numbering.findall(qn("w:num")) if n.get(qn("w:numId")) == num_id)
    abstract_id = num.find(qn("w:abstractNumId")).get(qn("w:val"))
    abstract = next(a for a in numbering.findall(qn("w:abstractNum")) if a.get(qn("w:abstractNumId")) == abstract_id)
    level = next(lvl for lvl in abstract.findall(qn("w:lvl")) if lvl.get(qn("w:ilvl")) == "0")
    properties = level.find(qn("w:pPr"))
    ind = properties.find(qn("w:ind"))
    ind.set(qn("w:left"), str(int(indent.twips)))
    ind.set(qn("w:hanging"), str(int(indent.twips)))
    for tab in properties.iter(qn("w:tab")):  # the tab after the number stops where the text starts
        tab.set(qn("w:pos"), str(int(indent.twips)))


def _language(style, language: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    properties = style.element.get_or_add_rPr()
    lang = properties.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        properties.append(lang)
    lang.set(qn("w:val"), language)


def _no_border(style) -> None:
    from docx.oxml.ns import qn

    properties = style.element.get_or_add_pPr()
    for border in properties.findall(qn("w:pBdr")):
        properties.remove(border)


def _box_border(style) -> None:
    """A single black line round consecutive paragraphs of the style (Word joins them into one box)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    _no_border(style)
    borders = OxmlElement("w:pBdr")
    for side in ("top", "left", "bottom", "right"):
        line = OxmlElement(f"w:{side}")
        for key, value in (("val", "single"), ("sz", "6"), ("space", "4"), ("color", "000000")):
            line.set(qn(f"w:{key}"), value)
        borders.append(line)
    _insert_in_order(style.element.get_or_add_pPr(), borders)


def _insert_in_order(properties, borders) -> None:
    """w:pBdr goes after keepNext/keepLines/pageBreakBefore/... in a w:pPr (schema order)."""
    _insert_before(properties, borders, ("shd", "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap",
                                         "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi",
                                         "adjustRightInd", "snapToGrid", "spacing", "ind", "contextualSpacing",
                                         "mirrorIndents", "suppressOverlap", "jc", "textDirection", "textAlignment",
                                         "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr", "sectPr",
                                         "pPrChange"))  # fmt: skip


def _insert_before(parent, element, later: tuple[str, ...]) -> None:
    """`element` into `parent` before its first child named in `later` (the elements the schema puts after
    it), else at the end: WordprocessingML wants the children of a properties element in schema order."""
    from docx.oxml.ns import qn

    tags = {qn(f"w:{t}") for t in later}
    for position, child in enumerate(parent):
        if child.tag in tags:
            parent.insert(position, element)
            return
    parent.append(element)


def _look_up_each_style_once(word) -> None:
    """Remember each style name's id for this document. python-docx finds it anew for every paragraph it
    styles, scanning all the house style's styles for the default one (about 1 ms a paragraph: 1.4 s of
    writing a report); the styles do not change while a document is written, so one look-up a name gives
    the same ids, hence the same bytes. (Headers and footers ask the document's part, so they use it too.)"""
    part = word.part
    look_up, found = part.get_style_id, {}

    def get_style_id(style_or_name, style_type):
        if not isinstance(style_or_name, str):  # a style object or None: python-docx's own answer
            return look_up(style_or_name, style_type)
        key = (style_or_name, style_type)
        if key not in found:
            found[key] = look_up(style_or_name, style_type)
        return found[key]

    part.get_style_id = get_style_id


def write_docx(document: Document, path: Path) -> Path:
    """The report on the house-style template: header block, boxed summary, numbered paragraphs,
    figures with alt text, tables whose rows do not split, annexes on new pages, a running header
    with the page number from page 2. Same document, same bytes."""
    import docx
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.shared import Cm

    word = docx.Document(str(HOUSE_STYLE))
    _look_up_each_style_once(word)
    body = word.element.body
    for child in list(body):  # the template's own (empty) paragraphs; keep its section properties
        if not child.tag.endswith("sectPr"):
            body.remove(child)
    _running_header(word, document.running_head)

    if document.synthetic:
        word.add_paragraph().add_run("SYNTHETIC TEST EDITION: invented numbers, not ITU data").bold = True
    header = word.add_table(rows=1, cols=2)
    header.alignment = WD_TABLE_ALIGNMENT.LEFT
    header.autofit = False
    left, right = header.rows[0].cells
    left.width, right.width = Cm(11.5), Cm(5.5)
    header.columns[0].width, header.columns[1].width = Cm(11.5), Cm(5.5)
    _cell_lines(left, [document.field("Group"), document.field("Meeting")], MEETING, bold_first=True)
    _cell_lines(right, [f"{label}: {document.field(label)}" for label in ("Document", "Date", "Original")],
                DOCUMENT_BLOCK)  # fmt: skip
    if document.revision:
        word.add_paragraph(style=DOCUMENT_BLOCK).add_run(document.revision).bold = True
    source = document.source
    named = word.add_paragraph(style=SOURCE)
    run = named.add_run(f"Source: {source}" if source == NOT_GIVEN else source)
    if source == NOT_GIVEN:
        run.font.all_caps = False  # a note that no source names it, not the source's name in capitals
    word.add_paragraph(document.title, style="Title")
    for label, text in (
        ("Summary:", document.summary),
        ("Action required:", document.action_required),
        ("References:", "; ".join(document.references)),
    ):
        word.add_paragraph(label, style=BOX_LABEL)
        for chunk in (c.strip() for c in text.split("\n\n")):
            if chunk:
                word.add_paragraph(chunk, style=BOX)
    word.add_paragraph(style=NOTE)  # the Contact box is a box of its own, as in ITU's layout
    contact = [word.add_paragraph("Contact:", style=BOX_LABEL)]
    for label, value in document.contact:
        line = word.add_paragraph(style=BOX)
        line.add_run(f"{label}: ").bold = True
        line.add_run(value)
        contact.append(line)
    _at_page_foot(contact)
    _docx_contents(word, document)
    for number, part in enumerate(document.parts):
        _docx_section(word, part, number)
    word.add_paragraph(document.colophon, style="Caption")
    _docx_properties(word, document)
    buffer = io.BytesIO()
    word.save(buffer)
    rewrite = {"docProps/core.xml": _without_dates, "docProps/app.xml": lambda _: _app_properties()}
    path.write_bytes(_stable_zip(buffer.getvalue(), rewrite))
    return path


def _at_page_foot(paragraphs: list) -> None:
    """The paragraphs in one frame at the foot of the page's text area, the width of the text (Word's
    `w:framePr`: consecutive paragraphs with the same frame properties share one frame), as ITU places the
    Contact box of a contribution's first page."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    for paragraph in paragraphs:
        frame = OxmlElement("w:framePr")
        for key, value in (("w", str(round(TEXT_WIDTH_CM * 567))), ("wrap", "around"), ("vAnchor", "margin"),
                           ("hAnchor", "margin"), ("xAlign", "center"), ("yAlign", "bottom")):  # fmt: skip
            frame.set(qn(f"w:{key}"), value)
        properties = paragraph._p.get_or_add_pPr()
        _insert_before(properties, frame, ("widowControl", "numPr", "suppressLineNumbers", "pBdr", "shd", "tabs",
                                           "suppressAutoHyphens", "kinsoku", "wordWrap", "overflowPunct",
                                           "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd",
                                           "snapToGrid", "spacing", "ind", "contextualSpacing", "mirrorIndents",
                                           "suppressOverlap", "jc", "textDirection", "textAlignment",
                                           "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr",
                                           "sectPr", "pPrChange"))  # fmt: skip


def _cell_lines(cell, lines: list[str], style: str, bold_first: bool = False) -> None:
    cell.paragraphs[0].style = style
    for n, line in enumerate(lines):
        paragraph = cell.paragraphs[0] if n == 0 else cell.add_paragraph(style=style)
        paragraph.add_run(line).bold = bold_first and n == 0


def _running_header(word, running_head: str) -> None:
    """'<running head> – Page n' (a PAGE field) on every page but the first."""
    section = word.sections[0]
    section.different_first_page_header_footer = True
    paragraph = section.header.paragraphs[0]
    paragraph.style = "Header"
    paragraph.add_run(f"{running_head} \u2013 Page ")
    _simple_field(paragraph, "PAGE", "2")  # Word shows "2" until it updates PAGE, which it does on opening
    section.first_page_header.paragraphs[0].text = ""


def _simple_field(paragraph, instruction: str, shown: str, bold: bool = False) -> None:
    """A Word field (`w:fldSimple`) at the paragraph's end, showing `shown` until Word updates it."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    if bold:
        properties = OxmlElement("w:rPr")
        properties.append(OxmlElement("w:b"))
        run.append(properties)
    text = OxmlElement("w:t")
    text.text = shown
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _docx_properties(word, document: Document) -> None:
    properties = word.core_properties
    properties.title = document.title
    properties.subject = document.running_head
    properties.author = document.source if document.source != NOT_GIVEN else "ITU-D report generator (itud)"
    properties.last_modified_by = "itud"
    properties.keywords = "ITU-D; WSIS Action Lines; Sustainable Development Goals; TDAG"
    properties.comments = _first_sentence(document.summary, 255)  # Word keeps at most 255 characters
    properties.category = "Contribution regenerated from data"
    properties.language = "en-GB"
    properties.revision = 1
    if document.synthetic:
        properties.content_status = "SYNTHETIC"
    if document.field("Document") != NOT_GIVEN:
        properties.identifier = document.field("Document")


def _first_sentence(text: str, limit: int) -> str:
    sentence = re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rsplit(" ", 1)[0] + "\u2026"


def _app_properties() -> bytes:
    """docProps/app.xml naming this generator only (no template, company or word counts left over)."""
    from itud import __version__

    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        f"<Application>itud {__version__}</Application><DocSecurity>0</DocSecurity>"
        "<LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc>"
        "<HyperlinksChanged>false</HyperlinksChanged></Properties>"
    ).encode()


def _bookmark_name(part: Section) -> str:
    """The Word bookmark of a section's heading (the contents field links to it): letters, digits and '_',
    at most 40 characters, as Word requires."""
    return "_Toc_" + re.sub(r"[^A-Za-z0-9]", "_", part.anchor)[:35]


def _docx_contents(word, document: Document) -> None:
    """'Contents' on a new page after the first page's text, then a TOC field that Word and LibreOffice
    update (Word asks to on opening: `updateFields` in the settings). Until then the field shows its
    entries as written here: each section's title, linked to its heading's bookmark, without page numbers
    (no writer here knows Word's pagination)."""
    from docx.enum.text import WD_BREAK
    from docx.oxml import OxmlElement, parse_xml
    from docx.oxml.ns import nsdecls, qn

    word.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    word.add_paragraph("Contents", style="TOC Heading")
    entries = []
    for part in document.parts:
        entry = word.add_paragraph(style="TOC 1")
        link = OxmlElement("w:hyperlink")
        link.set(qn("w:anchor"), _bookmark_name(part))
        link.set(qn("w:history"), "1")
        run = OxmlElement("w:r")
        text = OxmlElement("w:t")
        text.text = part.title
        run.append(text)
        link.append(run)
        entry._p.append(link)
        entries.append(entry)
    if not entries:
        return
    field = ' TOC \\o "1-1" \\h \\z \\u '  # headings of level 1, as hyperlinks, without page numbers in web view
    instruction = parse_xml(f'<w:instrText {nsdecls("w")} xml:space="preserve">{field}</w:instrText>')
    begin = [_field_char("begin"), instruction, _field_char("separate")]
    first = entries[0]._p
    for position, element in enumerate(begin):
        run = OxmlElement("w:r")
        run.append(element)
        first.insert(position + 1, run)  # after the paragraph's properties
    run = OxmlElement("w:r")
    run.append(_field_char("end"))
    entries[-1]._p.append(run)
    settings = word.settings.element
    if settings.find(qn("w:updateFields")) is None:
        update = OxmlElement("w:updateFields")
        update.set(qn("w:val"), "true")
        settings.append(update)


def _field_char(kind: str):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    element = OxmlElement("w:fldChar")
    element.set(qn("w:fldCharType"), kind)
    return element


def _bookmark(paragraph, name: str, number: int) -> None:
    """A bookmark round the paragraph's text (the contents field and its links point at it)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    start, end = OxmlElement("w:bookmarkStart"), OxmlElement("w:bookmarkEnd")
    start.set(qn("w:id"), str(number))
    start.set(qn("w:name"), name)
    end.set(qn("w:id"), str(number))
    properties = paragraph._p.pPr
    paragraph._p.insert(1 if properties is not None else 0, start)
    paragraph._p.append(end)


def _docx_section(word, part: Section, number: int = 0) -> None:
    label, title = part.heading
    if part.kind == "annex":
        heading = word.add_paragraph(style=ANNEX_HEADING)
        heading.add_run(label or title)
        if label:
            heading.add_run().add_break()
            heading.add_run(title)
    else:
        heading = word.add_heading(part.title, level=1)
    _bookmark(heading, _bookmark_name(part), number)
    for block in part.blocks:
        if isinstance(block, Paragraph):
            # Word numbers "List Number" paragraphs itself; they are the only ones, in the same order,
            # so its numbers equal block.number.
            paragraph = word.add_paragraph(style="List Number" if block.number else NOTE)
            if block.lead:
                paragraph.add_run(block.lead + " ").bold = True
            _add_unbroken(paragraph, block.text)
        elif isinstance(block, Box):
            _docx_box(word, block)
        elif isinstance(block, FigureBlock):
            _docx_figure(word, block)
        else:
            _docx_table(word, block)


def _add_unbroken(paragraph, text: str) -> None:
    """`text` as runs of `paragraph`, each identifier, period and count (`unbroken_ids`) in a run that Word
    never breaks: its spaces no-break spaces, its hyphens Word's no-break hyphen (`w:noBreakHyphen`, which
    Word finds, copies and reads as a hyphen). The HTML keeps them whole with CSS instead."""
    from docx.oxml import OxmlElement

    position = 0
    for match in _IDENTIFIER.finditer(text):
        if match.start() > position:
            paragraph.add_run(text[position : match.start()])
        run = paragraph.add_run()
        for n, piece in enumerate(match.group(0).replace(" ", "\u00a0").split("-")):
            if n:
                run._r.append(OxmlElement("w:noBreakHyphen"))
            if piece:
                run._r.add_t(piece)
        position = match.end()
    if position < len(text) or not text:
        paragraph.add_run(text[position:])


def _docx_box(word, block: Box) -> None:
    """A box of key figures as Word draws one: a one-cell bordered table (a row that does not split, so the
    box stays on one page when it fits) holding its title and a bulleted list (Word's List Bullet)."""
    from docx.oxml import OxmlElement

    table = word.add_table(rows=1, cols=1, style="Table Grid")
    table.rows[0]._tr.get_or_add_trPr().insert(0, OxmlElement("w:cantSplit"))
    cell = table.rows[0].cells[0]
    first = cell.paragraphs[0]
    if block.title:
        first.style = BOX_LABEL_PLAIN
        first.add_run(block.title).bold = True
    for number, item in enumerate(block.items):
        line = first if number == 0 and not block.title else cell.add_paragraph()
        line.style = BOX_BULLET
        if item.lead:
            line.add_run(item.lead + " ").bold = True
        _add_unbroken(line, item.text)
    _table_caption(table, block.title or "Box")
    word.add_paragraph(style=NOTE)


def _docx_figure(word, block: FigureBlock) -> None:
    from docx.shared import Cm

    from itud.report.docx_svg import add_svg

    run = word.add_paragraph(style=FIGURE).add_run()
    picture = run.add_picture(str(block.png), width=Cm(16.5))  # 64 colours: made small by figures.save
    add_svg(picture, block.svg, run.part)  # the vector figure, which Word 2016 and later show; others the PNG
    properties = picture._inline.docPr
    properties.set("descr", block.description)  # the alt text: what the figure shows
    properties.set("title", f"Figure {block.number}: {block.title}")
    caption = word.add_paragraph(style="Caption")
    caption.paragraph_format.keep_with_next = False
    _caption_label(caption, "Figure", block.number, f"{block.title}. ")
    _add_unbroken(caption, block.caption)


def _docx_table(word, block: TableBlock) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm

    caption = word.add_paragraph(style="Caption")
    _caption_label(caption, "Table", block.number, "")
    _add_unbroken(caption, block.caption)
    table = word.add_table(rows=1, cols=len(block.columns), style="Table Grid")
    table.autofit = False
    _cell_margins(table)
    _table_caption(table, f"Table {block.number}: {block.caption}")
    widths = [Cm(w) for w in _widths(block, TEXT_WIDTH_CM)]
    for cell, column in zip(table.rows[0].cells, block.columns, strict=True):
        cell.paragraphs[0].style = TABLE_HEADING
        cell.paragraphs[0].add_run(column)
    repeat = OxmlElement("w:tblHeader")  # header row repeats on every page
    repeat.set(qn("w:val"), "true")
    table.rows[0]._tr.get_or_add_trPr().append(repeat)
    for row in block.marked_rows():
        for cell, pieces in zip(table.add_row().cells, row, strict=True):
            cell.paragraphs[0].style = TABLE_TEXT
            for text, mark in pieces:
                if text:
                    _add_unbroken(cell.paragraphs[0], text)
                if mark:
                    cell.paragraphs[0].add_run(mark).font.superscript = True
    rows = list(table.rows)
    for position, row in enumerate(rows):
        row._tr.get_or_add_trPr().insert(0, OxmlElement("w:cantSplit"))  # a row never splits across pages
        if position in (1, len(rows) - 2) and len(rows) > 3:  # no row alone: the first two and last two together
            for cell in row.cells:
                for paragraph in cell.paragraphs:
                    paragraph.paragraph_format.keep_with_next = True
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for note in block.notes:
        word.add_paragraph(note, style="Caption").paragraph_format.keep_with_next = False
    word.add_paragraph(style=NOTE)


def _caption_label(paragraph, kind: str, number: int, title: str) -> None:
    """'Figure 3: ' in bold, the number a SEQ field (so Word lists the captions and numbers them itself)."""
    paragraph.add_run(f"{kind} ").bold = True
    _simple_field(paragraph, f" SEQ {kind} \\* ARABIC ", str(number), bold=True)  # shows the same number
    paragraph.add_run(f": {title}").bold = True


def _cell_margins(table) -> None:
    """Cell margins of 0.1 cm left and right (Word's default is 0.19 cm): wide tables keep their words whole;
    0.07 cm above and below (Word's default is none), so a cell's text does not touch its borders, as in the PDF."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    margins = OxmlElement("w:tblCellMar")
    for side, twips in (("top", "40"), ("left", "57"), ("bottom", "40"), ("right", "57")):  # the schema's order
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:w"), twips)
        edge.set(qn("w:type"), "dxa")
        margins.append(edge)
    _insert_before(table._tbl.tblPr, margins, ("tblLook", "tblCaption", "tblDescription"))


def _table_caption(table, text: str) -> None:
    """The table's caption as its accessible name too (`w:tblCaption`, read by screen readers in Word)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    caption = OxmlElement("w:tblCaption")
    caption.set(qn("w:val"), text[:255])
    _insert_before(table._tbl.tblPr, caption, ("tblDescription",))


CHAR_CM = 0.21  # width of an average character of 9 pt text, in cm: Calibri, or a wider substitute (DejaVu Sans)
CELL_MARGINS_CM = 0.3  # the cell margins the tables set (0.1 cm each side, `_cell_margins`), and some slack
BOLD = 1.1  # a bold header word is about a tenth wider


def _widths(block: TableBlock, total: float) -> list[float]:
    """Column widths (cm) sized to content: each column gets at least its longest word (header or cell),
    so no word breaks inside a cell, and the rest of the width in proportion to its longest text (capped)."""
    rows = block.text_rows()
    texts = [[block.columns[i], *(row[i] for row in rows)] for i in range(len(block.columns))]
    word = [max(max(len(w) * (BOLD if n == 0 else 1) for w in (text.split() or [""])) for n, text in enumerate(column))
            * CHAR_CM + CELL_MARGINS_CM for column in texts]  # fmt: skip
    longest = [min(max(len(t) for t in column), 60) * CHAR_CM + CELL_MARGINS_CM for column in texts]
    extra = [max(n - w, 0) for n, w in zip(longest, word, strict=True)]
    spare = max(total - sum(word), 0)
    return [w + (spare * e / sum(extra) if sum(extra) else spare / len(word)) for w, e in zip(word, extra, strict=True)]


def _stable_zip(data: bytes, rewrite: dict | None = None) -> bytes:
    """The same zip with fixed entry timestamps (python-docx stamps entries with the current time).

    `rewrite`: entry name -> function applied to that entry's bytes.
    """
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            content = source.read(info.filename)
            target.writestr(entry, (rewrite or {}).get(info.filename, lambda b: b)(content))
    return out.getvalue()


# --- PDF --------------------------------------------------------------------------------------


def font_faces() -> str:
    """@font-face rules for the DejaVu fonts matplotlib ships (and draws the figures with): every PDF embeds
    the same pinned fonts whatever the machine has installed (`buildinfo.pinned_pdf_environment`)."""
    from itud.run.buildinfo import font_dir

    fonts = font_dir()
    faces = []
    variants = (("", "normal", "normal"), ("-Bold", "bold", "normal"), ("-Oblique", "normal", "italic"),
                ("-BoldOblique", "bold", "italic"))  # fmt: skip
    for family, stem in (("DejaVu Sans", "DejaVuSans"), ("DejaVu Sans Mono", "DejaVuSansMono")):
        for suffix, weight, style in variants:
            file = fonts / f"{stem}{suffix}.ttf"
            if file.exists():
                faces.append(f'@font-face {{ font-family: "{family}"; src: url("{file.as_uri()}"); '
                             f"font-weight: {weight}; font-style: {style}; }}")  # fmt: skip
    return "\n".join(faces) + '\nhtml, body, svg text { font-family: "DejaVu Sans", sans-serif !important; }\n'


def write_pdf(document: Document, path: Path) -> Path:
    """The HTML page printed by WeasyPrint: tagged PDF/UA-1 with /Lang, bookmarks from the headings,
    embedded fonts, vector figures, the running header and page numbers of the print CSS.

    Byte-identical for the same document on machines with the same Pango, HarfBuzz, FreeType and fontconfig
    (`buildinfo`): no creation or modification date (the page sets none), fonts dated from their files, and a
    file identifier derived from the content rather than random.
    """
    print_pdf(html(document, for_print=True), path, figures_url(document))
    return path


def page_digest(page: str) -> str:
    """What a PDF says: the SHA-256 of the HTML page it is printed from (its text, tables and the names of
    its figures, whose SVG files are outputs of their own). Two PDFs printed from the same page say the same
    thing, however the machine's renderer lays it out."""
    return hashlib.sha256(page.encode("utf-8")).hexdigest()


@contextlib.contextmanager
def _page_contents_joined():
    """While printing: each page's content stream joined into one string of bytes as soon as the page is
    painted. WeasyPrint keeps every operator of every page as a Python object until the PDF is written (70 MB of
    the printer's peak for 10,000 outcomes), then writes them joined with line ends, which this does sooner:
    the same bytes. (WeasyPrint's `Page.paint`, 70.0 as the lock pins it.)"""
    from pydyf import _to_bytes
    from weasyprint.document import Page

    paint = Page.paint

    def paint_and_join(self, stream, scale=1):
        paint(self, stream, scale)
        stream.stream = [b"\n".join(_to_bytes(item) for item in stream.stream)]

    Page.paint = paint_and_join
    try:
        yield
    finally:
        Page.paint = paint


def print_pdf(page: str, path: Path, base_url: str) -> dict:
    """Print the report's HTML `page` to `path` (see `write_pdf`); its figures are found under `base_url`.
    Returns the PDF's build record (`buildinfo.record`, with `page`: its `page_digest`).

    The file identifier comes from the page, whose figures are named without their folder, so the PDF
    does not depend on where it was built."""
    import weasyprint
    from weasyprint.text.fonts import get_hb_object_data

    from itud.report import pdf_structure, placement
    from itud.run.buildinfo import font_file_name, pinned_pdf_environment, record

    embedded: dict[str, str] = {}

    def finish(rendered, pdf) -> None:  # WeasyPrint's finisher: the fonts are known once pages are drawn
        pdf_structure.complete(rendered, pdf, made)  # PDF/UA: split elements joined, margins as artifacts, ...
        for font in rendered.fonts.values():
            data = get_hb_object_data(font.hb_face)  # the whole font file the subset was cut from
            embedded[font_file_name(data)] = hashlib.sha256(data).hexdigest()

    digest = page_digest(page)
    options = {
        "stylesheets": [weasyprint.CSS(string=font_faces())],
        "pdf_variant": "pdf/ua-1",
        "pdf_identifier": digest[:32].encode("ascii"),
        "uncompressed_pdf": False,
    }
    with pinned_pdf_environment(), _page_contents_joined(), pdf_structure.sources() as made:
        rendered = placement.placed(page, base_url, lambda html: html.render(**options))  # figures float
        pdf = rendered.write_pdf(finisher=finish, **options)
    path.write_bytes(pdf)
    return {**record(embedded), "page": digest}


# --- CSV for spreadsheets ---------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """A text cell a spreadsheet will not run as a formula (OWASP CSV injection: prefix a quote)."""
    if value.startswith(FORMULA_STARTS) and not _is_number(value):
        return "'" + value
    return value


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


NONE = "none"  # a list with nothing in it: a value, written as such (an empty cell is a value not given)


def _tidy_value(value):
    """A cell of a tidy table: numbers stay numbers, text stays text (ids too), a missing value is empty,
    an empty list (a real none) is "none"."""
    if value is None or isinstance(value, ids.NotPublished):
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, list):  # not expected in a tidy table; kept readable rather than lost
        return ", ".join(str(v) for v in value) or NONE
    return str(value)


def header(column) -> str:
    """A column's header in the workbook and the CSVs, in sentence case, one convention for every sheet:
    its first letter upper-case, the rest as the notebook wrote it ("outcomes linked" -> "Outcomes linked",
    "SDG links" unchanged)."""
    text = str(column)
    return text[:1].upper() + text[1:]


def _tables(document: Document) -> list[tuple[str, object]]:
    """(sheet name, sheet) of every tidy table; the sheet labelled `sheets.NOTES` is not one (its rows are
    notes). Names are those of every sheet, so that they match what the report's captions name."""
    from itud.report.sheets import NOTES

    named = zip(sheet_names(document), document.sheets, strict=True)
    return [(name, sheet) for name, sheet in named if sheet.label != NOTES]


def workbook_notes(document: Document) -> list[tuple[str, str]]:
    """The notes sheet's items: the document's (report, edition, version, source...), each replaced by the one
    of the same name a notebook declares in the sheet labelled `sheets.NOTES` (item, value), and the others it
    declares added before "Made by"."""
    from itud.report.sheets import NOTES

    declared = [(str(row[0]), str(row[1])) for s in document.sheets if s.label == NOTES for row in s.data.rows]
    given = dict(declared)
    notes = [(item, given.pop(item, value)) for item, value in document.notes]
    at = next((n for n, (item, _) in enumerate(notes) if item == "Made by"), len(notes))
    return notes[:at] + [(item, value) for item, value in declared if item in given] + notes[at:]


def write_tables_csv(document: Document, folder: Path) -> list[Path]:
    """Every tidy table of the workbook as a UTF-8 CSV named by its sheet (with BOM, so Excel reads the
    encoding): header row, then one row per outcome, link or value; an empty field for a missing value;
    text that starts like a formula ('=', '+', '-', '@') prefixed with a quote. Then `notes.csv`: the notes
    sheet's items (no sheet is named "notes")."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    notes = [["Item", "Value"], *workbook_notes(document)]
    for name, columns, rows in [*((n, s.data.columns, s.data.rows) for n, s in _tables(document)),
                                ("notes", notes[0], notes[1:])]:  # fmt: skip
        path = folder / f"{name}.csv"
        with path.open("w", newline="", encoding="utf-8-sig") as handle:
            writer = csv.writer(handle, lineterminator="\r\n")
            writer.writerow([spreadsheet_safe(header(c)) for c in columns])
            for row in rows:
                cells = [_tidy_value(v) for v in row]
                writer.writerow(["" if c is None else spreadsheet_safe(c) if isinstance(c, str) else c for c in cells])
        written.append(path)
    return written


def sheet_names(document: Document) -> list[str]:
    """One sheet name per tidy table: its label, cut to Excel's 31 characters and made unique ("notes" is taken)."""
    return document_sheet_names(document.sheets)


def write_xlsx(document: Document, path: Path) -> Path:
    """The workbook: a notes sheet (source, edition, version, licence, what each sheet holds), then every
    tidy table as an Excel table with filters: identifiers as text, numbers as numbers, empty cells for
    missing values."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    # No dates in the properties (removed below): the same tables give the same bytes.
    workbook.set_properties({"title": document.title, "author": "ITU-D report generator (itud)"})
    bold = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    share = workbook.add_format({"num_format": "0.0%", "valign": "top"})  # a share is a number shown as a percentage
    tables = _tables(document)
    notes = workbook.add_worksheet("notes")
    notes.write_string(0, 0, "About these tables", bold)
    row = 1
    for item, value in workbook_notes(document):
        notes.write_string(row, 0, item, bold)
        notes.write_string(row, 1, value, wrap)
        row += 1
    row += 1
    notes.write_row(row, 0, ["Sheet", "What it holds", "One row per"], bold)
    for name, sheet in tables:
        row += 1
        notes.write_string(row, 0, name)
        notes.write_string(row, 1, sheet.title, wrap)
        notes.write_string(row, 2, sheet.description.removeprefix("one row per "), wrap)
    notes.set_column(0, 0, 28)
    notes.set_column(1, 1, 90)
    notes.set_column(2, 2, 50)
    for name, sheet in tables:
        page = workbook.add_worksheet(name)
        columns, rows = sheet.data.columns, sheet.data.rows
        for r, values in enumerate(rows, start=1):
            for c, value in enumerate(values):
                cell = _tidy_value(value)
                if isinstance(cell, str):
                    page.write_string(r, c, cell, wrap)
                elif cell is not None:
                    page.write_number(r, c, cell, share if header(columns[c]).startswith("Share") else None)
        # An Excel table (header row with filters) over the data; its name must be unique and a word.
        page.add_table(0, 0, max(len(rows), 1), len(columns) - 1, {
            "name": "t_" + re.sub(r"\W", "_", name), "style": "Table Style Light 1",
            "columns": [{"header": header(column)} for column in columns],
        })  # fmt: skip
        for c, column in enumerate(columns):
            longest = max([len(header(column)), *(len(str(_tidy_value(r[c]) or "")) for r in rows)])
            page.set_column(c, c, min(max(longest, 6), 60) + 2)
        page.freeze_panes(1, 0)
    workbook.close()
    path.write_bytes(_stable_zip(buffer.getvalue(), {"docProps/core.xml": _without_dates}))
    return path


def _without_dates(xml: bytes) -> bytes:
    """Core properties without dates (dcterms:created/modified, cp:lastPrinted; all optional): xlsxwriter and
    python-docx always write them, and a date would make every build's bytes differ."""
    xml = re.sub(rb"<dcterms:(created|modified)\b[^>]*>[^<]*</dcterms:\1>", b"", xml)
    return re.sub(rb"<cp:lastPrinted>[^<]*</cp:lastPrinted>|<cp:lastPrinted/>", b"", xml)
