"""Write a `Document` as HTML, DOCX and PDF, and its tables as one workbook (xlsx) and tidy CSV files.

Each writer gives the same bytes for the same document:
- HTML: a Jinja2 template with autoescaping (text from data is never markup);
  figures embedded as SVG data URIs, so the file opens with no network.
- DOCX: python-docx with Word's own styles (Title, Heading 1, List Number,
  Caption, Table Grid); the zip is rewritten with fixed timestamps.
- PDF: reportlab platypus in invariant mode, with the DejaVu fonts matplotlib
  ships (embedded), so every character of the data prints.
- XLSX: xlsxwriter, one sheet per report table named by its label, numbers as
  numbers; fixed creation date and zip timestamps.
- CSV: one file per table, `<label>.csv`, header row first, numbers as numbers.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from jinja2 import Environment, PackageLoader, select_autoescape

from itud.document import Document, FigureBlock, Paragraph, Section, TableBlock, cell_text

FIXED_TIME = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # stands for "no timestamp" in DOCX properties
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def html(document: Document) -> str:
    environment = Environment(
        loader=PackageLoader("itud", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        keep_trailing_newline=True,
    )
    svg = {
        block.svg.name: base64.b64encode(block.svg.read_bytes()).decode("ascii")
        for section in document.sections + document.annexes
        for block in section.blocks
        if isinstance(block, FigureBlock)
    }
    return environment.get_template("report.html.j2").render(doc=document, svg=svg)


def write_html(document: Document, path: Path) -> Path:
    path.write_text(html(document), encoding="utf-8")
    return path


# --- DOCX -------------------------------------------------------------------------------------


def write_docx(document: Document, path: Path) -> Path:
    import docx
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.shared import Cm, Pt

    word = docx.Document()
    section = word.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2))
    word.styles["Normal"].font.name = "Calibri"
    word.styles["Normal"].font.size = Pt(11)

    if document.synthetic:
        word.add_paragraph().add_run("SYNTHETIC TEST EDITION: invented numbers, not ITU data").bold = True
    header = word.add_table(rows=0, cols=2)
    header.alignment = WD_TABLE_ALIGNMENT.LEFT
    header.autofit = False
    for label, value in document.header:
        cells = header.add_row().cells
        cells[0].paragraphs[0].add_run(f"{label}:").bold = True
        cells[1].paragraphs[0].add_run(value)
        cells[0].width, cells[1].width = Cm(3.5), Cm(13.5)
    if document.revision:
        word.add_paragraph().add_run(document.revision).bold = True
    word.add_paragraph(document.title.upper(), style="Title")
    for label, text in (
        ("Summary", document.summary),
        ("Action required", document.action_required),
        ("References", "; ".join(document.references)),
    ):
        word.add_heading(label, level=2)
        word.add_paragraph(text)
    for part in document.sections + document.annexes:
        _docx_section(word, part)
    word.add_paragraph(document.colophon, style="Caption")

    properties = word.core_properties
    properties.title = document.title
    properties.author = "ITU-D report generator (itud)"
    properties.last_modified_by = "itud"
    properties.created = properties.modified = properties.last_printed = FIXED_TIME
    properties.revision = 1
    buffer = io.BytesIO()
    word.save(buffer)
    path.write_bytes(_stable_zip(buffer.getvalue()))
    return path


def _docx_section(word, part: Section) -> None:
    from docx.shared import Cm

    word.add_heading(part.title, level=1)
    for block in part.blocks:
        if isinstance(block, Paragraph):
            # Word numbers "List Number" paragraphs itself; they are the only ones, in the same order,
            # so its numbers equal block.number.
            paragraph = word.add_paragraph(style="List Number" if block.number else None)
            if block.lead:
                paragraph.add_run(block.lead + " ").bold = True
            paragraph.add_run(block.text)
        elif isinstance(block, FigureBlock):
            word.add_picture(str(block.png), width=Cm(16.5))
            caption = word.add_paragraph(style="Caption")
            caption.add_run(f"Figure {block.number}: {block.title}. ").bold = True
            caption.add_run(block.caption)
        else:
            _docx_table(word, block)


def _docx_table(word, block: TableBlock) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    word.add_paragraph(f"Table {block.number}: {block.caption}", style="Caption")
    table = word.add_table(rows=1, cols=len(block.columns), style="Table Grid")
    for cell, column in zip(table.rows[0].cells, block.columns, strict=True):
        run = cell.paragraphs[0].add_run(column)
        run.bold = True
        run.font.size = Pt(9)
    repeat = OxmlElement("w:tblHeader")  # header row repeats on every page
    repeat.set(qn("w:val"), "true")
    table.rows[0]._tr.get_or_add_trPr().append(repeat)
    for row in block.text_rows():
        for cell, value in zip(table.add_row().cells, row, strict=True):
            cell.paragraphs[0].add_run(value).font.size = Pt(9)
    for note in block.notes:
        word.add_paragraph(note, style="Caption")
    word.add_paragraph()


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


def _register_fonts() -> str:
    from importlib.util import find_spec

    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    # The DejaVu fonts matplotlib ships (and draws the figures with), found without importing it.
    fonts = Path(find_spec("matplotlib").submodule_search_locations[0]) / "mpl-data" / "fonts" / "ttf"
    if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(fonts / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(fonts / "DejaVuSans-Bold.ttf")))
        addMapping("DejaVuSans", 0, 0, "DejaVuSans")
        addMapping("DejaVuSans", 1, 0, "DejaVuSans-Bold")
    return "DejaVuSans"


def write_pdf(document: Document, path: Path) -> Path:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph as P
    from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

    font = _register_fonts()
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontName=font, fontSize=9.5, leading=12.5)
    bold = f"{font}-Bold"
    styles = {
        "body": body,
        "numbered": ParagraphStyle("numbered", parent=body, leftIndent=0.9 * cm, bulletIndent=0),
        "note": ParagraphStyle("note", parent=body, leftIndent=0.9 * cm),
        "title": ParagraphStyle(
            "title", parent=body, fontName=bold, fontSize=12, leading=15, alignment=1, spaceAfter=12
        ),
        "h1": ParagraphStyle("h1", parent=body, fontName=bold, fontSize=11.5, leading=14, spaceBefore=12, spaceAfter=4),
        "h2": ParagraphStyle("h2", parent=body, fontName=bold, fontSize=10, spaceBefore=4),
        "caption": ParagraphStyle("caption", parent=body, fontSize=8.5, leading=10.5, spaceAfter=8),
        "cell": ParagraphStyle("cell", parent=body, fontSize=7.5, leading=9),
        "banner": ParagraphStyle("banner", parent=body, fontName=bold, textColor=colors.red, alignment=1),
    }

    def para(text: str, style: str, **kw) -> P:
        return P(escape(text), styles[style], **kw)

    story: list = []
    if document.synthetic:
        story.append(para("SYNTHETIC TEST EDITION: invented numbers, not ITU data", "banner"))
    header = Table(
        [[para(f"{label}:", "h2"), para(value, "body")] for label, value in document.header],
        colWidths=[3.2 * cm, 13.8 * cm],
    )
    header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story.append(header)
    if document.revision:
        story.append(para(document.revision, "h2"))
    story.append(para(document.title.upper(), "title"))
    box = []
    for label, text in (("Summary:", document.summary), ("Action required:", document.action_required),
                        ("References:", "; ".join(document.references))):  # fmt: skip
        box.append([para(label, "h2")])
        # One row per paragraph, and rows that may split across pages: a long summary still lays out.
        box += [[para(chunk.strip(), "body")] for chunk in text.split("\n\n") if chunk.strip()]
    summary = Table(box, colWidths=[17 * cm], splitInRow=1)
    summary.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.8, colors.black)]))
    story.append(summary)
    for part in document.sections + document.annexes:
        story.append(para(part.title, "h1"))
        for block in part.blocks:
            story += _pdf_block(block, para, styles)
    story += [Spacer(1, 12), para(document.colophon, "caption")]

    def footer(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.drawRightString(A4[0] - 2 * cm, 1.2 * cm, f"{doc.page}")
        canvas.restoreState()

    pdf = SimpleDocTemplate(
        str(path), pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm, topMargin=2 * cm, bottomMargin=2 * cm,
        title=document.title, author="ITU-D report generator (itud)", creator="itud", producer="itud", invariant=1,
    )  # fmt: skip
    pdf.build(story, onFirstPage=footer, onLaterPages=footer)
    return path


def _pdf_block(block, para, styles) -> list:
    from reportlab.lib import colors
    from reportlab.lib.units import cm
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import Image, KeepTogether, Table, TableStyle
    from reportlab.platypus import Paragraph as P

    if isinstance(block, Paragraph):
        text = (f"<b>{escape(block.lead)}</b> " if block.lead else "") + escape(block.text)
        if block.number:
            return [P(text, styles["numbered"], bulletText=f"{block.number}.")]
        return [P(text, styles["note"])]
    if isinstance(block, FigureBlock):
        width, height = ImageReader(str(block.png)).getSize()
        shown = 16.5 * cm
        image = Image(str(block.png), width=shown, height=shown * height / width)
        caption = para(f"Figure {block.number}: {block.title}. {block.caption}", "caption")
        return [KeepTogether([image, caption])]
    rows = [[para(c, "cell") for c in block.columns]] + [[para(v, "cell") for v in row] for row in block.text_rows()]
    table = Table(rows, repeatRows=1, colWidths=_widths(block, 17 * cm))
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    notes = [para(note, "caption") for note in block.notes]
    return [para(f"Table {block.number}: {block.caption}", "caption"), table, *notes]


def _widths(block: TableBlock, total: float) -> list[float]:
    """Column widths in proportion to the longest text in each column (capped), for readable tables."""
    rows = block.text_rows()
    longest = [
        max(max(len(word) for word in block.columns[i].split()), min(max((len(r[i]) for r in rows), default=1), 60)) + 3
        for i in range(len(block.columns))
    ]
    return [total * n / sum(longest) for n in longest]


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


def _sheet_value(value):
    """A cell for a spreadsheet: numbers stay numbers, everything else is the printed text."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return cell_text(value)


def write_tables_csv(document: Document, folder: Path) -> list[Path]:
    """Every table of the document as a tidy UTF-8 CSV named by its label (with BOM, so Excel reads the encoding)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for block in document.tables():
        path = folder / f"{block.label or f'table-{block.number:02d}'}.csv"
        with path.open("w", newline="", encoding="utf-8-sig") as handle:
            writer = csv.writer(handle, lineterminator="\r\n")
            writer.writerow(block.columns)
            for row in block.rows:
                cells = [_sheet_value(v) for v in row]
                writer.writerow([spreadsheet_safe(c) if isinstance(c, str) else c for c in cells])
        written.append(path)
    return written


def sheet_names(document: Document) -> list[str]:
    """One sheet name per table: its label, cut to Excel's 31 characters and made unique."""
    names: list[str] = []
    for block in document.tables():
        base = (block.label or f"table-{block.number}")[:31]
        name, n = base, 1
        while name in names:
            n += 1
            name = f"{base[: 31 - len(str(n)) - 1]}-{n}"
        names.append(name)
    return names


def write_xlsx(document: Document, path: Path) -> Path:
    """Every table of the document as one sheet of a workbook: header row, then numeric or text cells, notes."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    # No dates in the properties (removed below): the same tables give the same bytes.
    workbook.set_properties({"title": document.title, "author": "ITU-D report generator (itud)"})
    bold = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    for name, block in zip(sheet_names(document), document.tables(), strict=True):
        sheet = workbook.add_worksheet(name)
        sheet.write_row(0, 0, block.columns, bold)
        for r, row in enumerate(block.rows, start=1):
            for c, value in enumerate(row):
                cell = _sheet_value(value)
                if isinstance(cell, str):
                    sheet.write_string(r, c, cell, wrap)
                else:
                    sheet.write_number(r, c, cell)
        for c, column in enumerate(block.columns):
            longest = max([len(column), *(len(cell_text(row[c])) for row in block.rows)])
            sheet.set_column(c, c, min(max(longest, 6), 60) + 2)
        sheet.freeze_panes(1, 0)
        if block.notes:
            sheet.write_column(len(block.rows) + 2, 0, block.notes)
    workbook.close()
    path.write_bytes(_stable_zip(buffer.getvalue(), {"docProps/core.xml": _without_dates}))
    return path


def _without_dates(xml: bytes) -> bytes:
    """Core properties without dcterms:created/modified, which xlsxwriter always writes (both are optional)."""
    return re.sub(rb"<dcterms:(created|modified)\b[^>]*>[^<]*</dcterms:\1>", b"", xml)
