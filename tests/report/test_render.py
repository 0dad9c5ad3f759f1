"""The documents a reader gets, built without kernels from a SYNTHETIC document: the contribution's layout,
accessible HTML (landmarks, contents, header cells, inline SVG with alt text), tagged PDF/UA with /Lang,
bookmarks and embedded fonts, DOCX on the house-style template (running header with a PAGE field, rows
that do not split, alt text, clean properties), and byte-identical rebuilds of all three."""

from __future__ import annotations

import json
import re
import zipfile
import zlib
from pathlib import Path

import pytest
from docx.oxml.ns import qn

from itud.report import document, render, results
from itud.report.document import Box, FigureBlock, Section

META = {
    "year": 2090,
    "synthetic": True,
    "group": "SYNTHETIC Advisory Group",
    "report": {"title": "SYNTHETIC report", "short_title": "SYNTHETIC short title", "summary": "One.\n\nTwo."},
}

# A small SVG as matplotlib writes it: metadata, ids, a clip path referenced by url(#...), a glyph used by
# xlink:href, long decimals, and one mark with its own <title> tooltip.
SVG = """<?xml version="1.0" encoding="utf-8" standalone="no"?>
<svg xmlns:xlink="http://www.w3.org/1999/xlink" width="200pt" height="100pt" viewBox="0 0 200 100"
 xmlns="http://www.w3.org/2000/svg" version="1.1">
 <metadata><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></metadata>
 <defs><clipPath id="p1"><rect x="0" y="0" width="200" height="100"/></clipPath>
  <path id="glyph-a" d="M 0.123456 0 L 10.987654 0 z" transform="scale(0.075 -0.075)"/></defs>
 <g id="figure_1"><g id="patch_1"><path d="M 10.123456 20.654321 L 50 20 z" clip-path="url(#p1)">
  <title>D.1-1 and SDG 4: linked</title></path></g>
 <use xlink:href="#glyph-a" x="3.14159"/><text x="5" y="50">SDG 8 Decent work</text></g>
</svg>
"""

SECTIONS = {
    "10_introduction": "# Introduction\n\n{{ para('first') }}First paragraph ({{ ref('chart') }}).\n\n"
    "> **Key figures**\n>\n> - 3 outcomes\n> - 2 goals\n\n{{ figure('chart') }}\n{{ figure('chart-2') }}\n",
    "20_coverage": "# Coverage\n\nSecond paragraph.\n\n{{ table('tab') }}\n",
    "80_annex_1": "<!-- paragraphs: unnumbered -->\n# Annex 1: SYNTHETIC objectives and outcomes\n\nAnnex text.\n",
    "95_appendix_method": "<!-- paragraphs: unnumbered -->\n# Appendix: reading the source\n\nA long hash.\n",
}


def _figure(label: str, alt: str = "") -> dict:
    item = {"label": label, "section": "introduction", "title": f"Title of {label}", "svg": f"{label}.svg",
            "png": f"{label}.png", "caption": f"Caption of {label}: bars per goal."}  # fmt: skip
    return {**item, "alt": alt} if alt else item


@pytest.fixture(scope="module")
def doc(tmp_path_factory) -> document.Document:
    from PIL import Image

    folder = tmp_path_factory.mktemp("render")
    (folder / "results").mkdir()
    (folder / "figures").mkdir()
    for label in ("chart", "chart-2"):
        (folder / "figures" / f"{label}.svg").write_text(SVG)
        Image.new("RGB", (120, 60), "#19486a").save(folder / "figures" / f"{label}.png")
    table = {"label": "tab", "section": "coverage", "caption": "SYNTHETIC coverage", "columns": ["Objective", "Text"],
             "rows": [["P.1", "Foster telecommunication/ICT development"], ["P.2", "Short"]]}  # fmt: skip
    figures = [_figure("chart", alt="Bars: SDG 17 is reached by most outcomes."), _figure("chart-2")]
    payload = {"notebook": "02-analysis", "year": 2090, "numbers": {}, "tables": [table], "figures": figures}
    (folder / "results" / "02-analysis.json").write_text(json.dumps(payload))
    sections = folder / "sections"
    sections.mkdir()
    for name, text in SECTIONS.items():
        (sections / f"{name.replace('_', '-')}.md.j2").write_text(text)
    return document.build(results.read_all(folder), META, folder / "figures", sections_dir=sections)


# --- the document's structure ---------------------------------------------------------------------


def test_sections_are_body_annexes_then_appendices_and_annexes_are_headed_annex_n(doc):
    assert [s.title for s in doc.sections] == ["Introduction", "Coverage"]
    assert [(s.kind, s.heading) for s in doc.annexes] == [("annex", ("ANNEX 1", "SYNTHETIC objectives and outcomes"))]
    assert [s.kind for s in doc.appendices] == ["appendix"] and doc.parts[-1].name == "appendix-method"
    # no document number: the header says so, then gives the short title
    assert doc.running_head == "Document number not given \u2013 SYNTHETIC short title"
    assert doc.source == document.NOT_GIVEN and doc.field("Document") == document.NOT_GIVEN


def test_a_block_quote_is_a_box_of_unnumbered_items(doc):
    [box] = [b for b in doc.sections[0].blocks if isinstance(b, Box)]
    assert box.title == "Key figures" and [i.text for i in box.items] == ["3 outcomes", "2 goals"]
    assert [b.number for b in doc.sections[0].blocks if not isinstance(b, Box)] == [1, 1, 2]  # para, figures


def test_alt_text_is_what_the_figure_shows_and_falls_back_to_the_caption(doc):
    first, second = doc.figures()
    assert first.description == "Bars: SDG 17 is reached by most outcomes."
    assert second.description == "Caption of chart-2: bars per goal." != second.title


def test_figure_items_without_alt_keep_their_json_form():
    item = results.FigureItem(**_figure("chart"))
    assert "alt" not in item.model_dump(exclude_defaults=True) and item.alt == ""


# --- HTML ------------------------------------------------------------------------------------------


def test_html_has_main_contents_with_heading_ids_and_scoped_header_cells(doc):
    page = render.html(doc)
    assert page.count("<main") == 1 and '<nav class="toc"' in page and "<script" not in page
    ids = re.findall(r'<h2 id="([^"]+)"', page)
    links = re.findall(r'<li><a href="#([^"]+)">', page)
    assert links == [s.anchor for s in doc.parts] and set(links) <= set(ids)
    assert '<th scope="col">Objective</th>' in page and '<th scope="row"><span class="id">P.1</span></th>' in page
    assert '<div class="table-wrap" role="region" aria-labelledby="caption-tab" tabindex="0">' in page
    assert re.search(
        r'<section id="annex-1" class="annex">\s*<h2 id="s-annex-1"><span class="annex-label">ANNEX 1', page
    )
    assert "section.annex { break-before: page; }" in page  # each annex on a new page in print
    assert "<p>Document: not given</p>" in page and '<p class="source not-given">Source: not given</p>' in page
    assert not re.search(r'(src|href)="https?:', page)  # nothing fetched from the network


def test_figures_are_inline_svg_with_unique_ids_alt_title_and_their_tooltips(doc):
    page = render.html(doc)
    assert "data:image" not in page and "<metadata" not in page and "<?xml" not in page
    svgs = re.findall(r"<svg\b.*?</svg>", page, re.S)
    assert len(svgs) == 2
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))  # two copies of the same SVG, no id twice
    first = svgs[0]
    assert 'role="img"' in first and 'aria-labelledby="f1-alt"' in first
    assert '<title id="f1-alt">Bars: SDG 17 is reached by most outcomes.</title>' in first
    assert 'clip-path="url(#f1-p1)"' in first and 'xlink:href="#f1-glyph-a"' in first
    assert "<title>D.1-1 and SDG 4: linked</title>" in first and "SDG 8 Decent work" in first
    assert 'd="M 10.123456 20.654321 L 50 20 z"' in first and "scale(0.075 -0.075)" in first  # as saved
    assert 'width="200pt"' not in first and 'viewBox="0 0 200 100"' in first


def test_css_strings_cannot_end_the_style_element():
    assert render.css_string('a "b" \\ </style>') == "a \\22 b\\22  \\5c  \\3c /style\\3e "


# --- PDF -------------------------------------------------------------------------------------------


def _pdf_text(pdf: bytes) -> bytes:
    """Every stream of a PDF, inflated (WeasyPrint keeps most objects in compressed object streams)."""
    found = [pdf]
    for match in re.finditer(rb"stream\r?\n", pdf):
        try:
            found.append(zlib.decompressobj().decompress(pdf[match.end() :]))
        except zlib.error:
            continue
    return b"\n".join(found)


@pytest.fixture(scope="module")
def pdf(doc, tmp_path_factory) -> bytes:
    return render.write_pdf(doc, tmp_path_factory.mktemp("pdf") / "report.pdf").read_bytes()


def test_pdf_is_tagged_pdf_ua_with_language_bookmarks_alt_text_and_embedded_fonts(pdf):
    text = _pdf_text(pdf)
    assert b"/StructTreeRoot" in text and b"/MarkInfo" in text and b"/Lang (en)" in text
    assert b"pdfuaid" in text  # the PDF/UA-1 identification in the XMP metadata
    assert b"/Outlines" in text and b"/Title (Introduction)" in text and b"/Title (ANNEX 1 SYNTHETIC" in text
    assert b"/Alt (Bars: SDG 17 is reached by most outcomes.)" in text
    fonts = re.findall(rb"/Type /FontDescriptor", text)
    assert fonts and len(re.findall(rb"/FontFile2 ", text)) == len(fonts)  # every font embedded
    assert b"/CreationDate" not in text and b"/ModDate" not in text


def test_pdf_has_the_running_header_from_page_2_and_the_annex_on_a_new_page(doc):
    import weasyprint

    pages = weasyprint.HTML(string=render.html(doc)).render().pages

    def words(page) -> str:
        found = []

        def walk(box):
            if hasattr(box, "text") and box.text:
                found.append(box.text)
            for child in getattr(box, "children", []):
                walk(child)

        walk(page._page_box)
        return " ".join(found)

    texts = [words(page) for page in pages]
    assert "SYNTHETIC short title \u2013 Page" not in texts[0]
    assert all("SYNTHETIC short title \u2013 Page" in text for text in texts[1:])
    annex = next(n for n, text in enumerate(texts) if "ANNEX 1" in text and "Annex text." in text)
    assert annex >= 1 and "Second paragraph." not in texts[annex]


def _structure(pdf_bytes: bytes) -> dict:
    """What an accessibility checker reads of a tagged PDF (pikepdf): per page, the text shown outside both the
    structure tree and any artifact; the header cells without a scope; figure boxes outside their page."""
    import io

    import pikepdf

    found = {"untagged": [], "unscoped": 0, "headers": 0, "outside": [], "artifacts": 0, "figures": 0, "links": 0,
             "unprinted links": 0, "empty": 0}  # fmt: skip
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        for page in pdf.pages:
            for annotation in page.get("/Annots", []):
                if annotation.get("/Subtype") == "/Link":
                    found["links"] += 1
                    found["unprinted links"] += not int(annotation.get("/F", 0)) & 4
        page_of = {page.objgen: n for n, page in enumerate(pdf.pages)}
        in_tree: set[tuple[int, int]] = set()  # (page, marked-content id) the tree reaches
        stack = [(pdf.Root.StructTreeRoot.K, None)]
        while stack:
            node, page = stack.pop()
            if isinstance(node, int):
                in_tree.add((page, node))
            elif isinstance(node, pikepdf.Array):
                stack.extend((kid, page) for kid in node)
            elif isinstance(node, pikepdf.Dictionary):
                page = page_of.get(node.Pg.objgen, page) if "/Pg" in node else page
                if node.get("/Type") == "/MCR":
                    in_tree.add((page, int(node.MCID)))
                elif "/S" in node:
                    kids = node.get("/K")  # an element that holds nothing: no kids, or an empty array of them
                    found["empty"] += kids is None or (isinstance(kids, pikepdf.Array) and len(kids) == 0)
                    attributes = node.get("/A")
                    attributes = list(attributes) if isinstance(attributes, pikepdf.Array) else [attributes]
                    if node.S == "/TH":
                        found["headers"] += 1
                        found["unscoped"] += not any(a is not None and "/Scope" in a for a in attributes)
                    if node.S == "/Figure" and attributes[0] is not None and "/BBox" in attributes[0]:
                        found["figures"] += 1
                        x1, y1, x2, y2 = (float(v) for v in attributes[0].BBox)
                        _, _, width, height = (float(v) for v in pdf.pages[page].MediaBox)
                        if not (0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height):
                            found["outside"].append((page, [x1, y1, x2, y2]))
                    if "/K" in node:
                        stack.append((node.K, page))
        for n, page in enumerate(pdf.pages):
            open_marks: list[tuple[str, int | None]] = []
            for operands, operator in pikepdf.parse_content_stream(page):
                op = str(operator)
                if op in ("BDC", "BMC"):
                    props = operands[1] if op == "BDC" else None
                    mcid = int(props.MCID) if isinstance(props, pikepdf.Dictionary) and "/MCID" in props else None
                    open_marks.append((str(operands[0]), mcid))
                    found["artifacts"] += str(operands[0]) == "/Artifact"
                elif op == "EMC":
                    open_marks.pop()
                elif op in ("Tj", "TJ", "'", '"'):
                    tagged = any(tag == "/Artifact" or (n, mcid) in in_tree for tag, mcid in open_marks)
                    if not tagged:
                        found["untagged"].append((n, open_marks[-1] if open_marks else None))
    return found


def test_pdf_structure_holds_every_text_or_marks_it_an_artifact_scopes_every_header_and_boxes_figures_in_the_page(
    pdf,
):
    found = _structure(pdf)
    assert found["untagged"] == []  # the running head and page numbers were marked text of no element
    assert found["artifacts"] > 0 and found["headers"] >= 3 and found["unscoped"] == 0
    assert found["figures"] == 2 and found["outside"] == []  # boxes were in CSS pixels from the page's top
    assert found["links"] > 0 and found["unprinted links"] == 0  # the contents' links print
    assert found["empty"] == 0  # an empty text object where the Contact box floats to the foot was an element


def _long_tables() -> document.Document:
    """A SYNTHETIC document of a 120-row table, which runs over several pages, and a 5-row one."""
    rows = [[f"P.1-{n}", "Foster telecommunication/ICT development " * 2] for n in range(1, 121)]
    table = document.TableBlock(1, "SYNTHETIC long table", ["Outcome", "Text"], rows)
    after = document.TableBlock(2, "SYNTHETIC short table", ["Outcome", "Text"], rows[:5])
    return document.Document(
        year=2090, synthetic=True, header=[("Group", "G")], title="T", summary="s", action_required="a",
        references=["r"], colophon="c", running_head="SYNTHETIC head",
        sections=[Section("Tables", [table, document.Paragraph("Between the tables.", 1), after])], annexes=[],
    )  # fmt: skip


def test_a_table_over_several_pages_is_one_table_of_the_pdf_structure_with_its_caption_and_one_header(tmp_path):
    import pikepdf

    path = tmp_path / "long.pdf"
    render.print_pdf(render.html(_long_tables(), for_print=True), path, str(tmp_path))
    found = _structure(path.read_bytes())
    assert found["untagged"] == []  # the header rows repeated on later pages are artifacts
    with pikepdf.open(path) as pdf:
        assert len(pdf.pages) >= 3
        elements, ids, named = [], set(), []
        stack = [pdf.Root.StructTreeRoot.K]
        while stack:
            node = stack.pop()
            if isinstance(node, pikepdf.Array):
                stack.extend(node)
            elif isinstance(node, pikepdf.Dictionary) and "/S" in node:
                elements.append(node)
                ids.update([str(node.ID)] if "/ID" in node else [])
                named += [str(h) for h in node.A.get("/Headers", [])] if node.S == "/TD" else []
                stack.append(node.get("/K", pikepdf.Array()))
        tables = [e for e in elements if e.S == "/Table"]
        assert len(tables) == 2  # one per table, not one per page
        for table in tables:
            assert table.K[0].S == "/Caption"
            assert [kid.S for kid in table.K].count("/THead") == 1
        rows = [e for e in elements if e.S == "/TR"]
        assert len(rows) == 121 + 6  # every body row once, and each table's header once
        assert named and set(named) <= ids  # every cell names header cells the tree holds
        sections = [e for e in elements if e.S == "/Sect"]
        assert len(sections) == 1  # the section over several pages is one element too


def test_a_split_table_keeps_four_rows_a_page_and_says_it_continues(tmp_path):
    import weasyprint

    pages = weasyprint.HTML(string=render.html(_long_tables(), for_print=True)).render().pages

    def texts(page, margins: bool) -> list[str]:
        from weasyprint.formatting_structure import boxes

        found = []
        for box in page._page_box.children:
            if isinstance(box, boxes.MarginBox) == margins:
                found += [b.text for b in box.descendants() if getattr(b, "text", "")]
        return found

    with_rows = [n for n, page in enumerate(pages) if any(t.startswith("P.1-") for t in texts(page, False))]
    assert len(with_rows) >= 4  # the long table and the short one, on several pages
    long_pages = [n for n in with_rows if any(t.startswith("P.1-") and t != "P.1-1" for t in texts(pages[n], False))]
    for n in with_rows:
        count = sum(t.startswith("P.1-") for t in texts(pages[n], False))
        assert count >= 4, f"page {n + 1} holds {count} rows of a table"
    first, *continued = sorted(set(long_pages))
    heads = {n: " ".join(texts(pages[n], True)) for n in range(len(pages))}
    assert "(continued)" not in heads[first]
    assert all("Table 1 (continued)" in heads[n] for n in continued[:-1])
    last_page = max(with_rows)
    assert "Table 2 (continued)" not in heads[last_page]  # the short table stays whole, on one page


# --- DOCX ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def docx_file(doc, tmp_path_factory) -> Path:
    return render.write_docx(doc, tmp_path_factory.mktemp("docx") / "report.docx")


def _part(path: Path, name: str) -> str:
    return zipfile.ZipFile(path).read(name).decode("utf-8")


def test_docx_has_the_running_header_with_a_page_field_from_page_2(docx_file):
    body = _part(docx_file, "word/document.xml")
    assert "<w:titlePg/>" in body  # a different (empty) header on the first page
    headers = [n for n in zipfile.ZipFile(docx_file).namelist() if re.fullmatch(r"word/header\d+\.xml", n)]
    running = [h for h in headers if "SYNTHETIC short title" in _part(docx_file, h)]
    assert len(running) == 1
    assert 'w:instr="PAGE"' in _part(docx_file, running[0]) and "\u2013 Page" in _part(docx_file, running[0])


def test_docx_tables_rows_do_not_split_and_columns_are_sized_to_content(docx_file):
    body = _part(docx_file, "word/document.xml")
    data = body[body.index("SYNTHETIC coverage") :]
    assert data.count("<w:cantSplit/>") == 3 and '<w:tblHeader w:val="true"/>' in data
    widths = [int(w) for w in re.findall(r'<w:gridCol w:w="(\d+)"/>', data[: data.index("</w:tbl>")])]
    assert len(widths) == 2 and widths[1] > 2 * widths[0]  # the text column is wider than the id column


def test_docx_pictures_have_alt_text_and_captions_stay_with_them(docx_file):
    body = _part(docx_file, "word/document.xml")
    alts = re.findall(r'<wp:docPr [^>]*descr="([^"]*)"', body)
    assert alts == ["Bars: SDG 17 is reached by most outcomes.", "Caption of chart-2: bars per goal."]
    styles = _part(docx_file, "word/styles.xml")
    for style in ("Figure", "Caption", "Heading1", "BoxLabel"):
        block = re.search(rf'<w:style [^>]*w:styleId="{style}".*?</w:style>', styles, re.S)[0]
        assert "<w:keepNext/>" in block, style
    annex = re.search(r'<w:style [^>]*w:styleId="AnnexHeading".*?</w:style>', styles, re.S)[0]
    assert "<w:pageBreakBefore/>" in annex and '<w:basedOn w:val="Heading1"/>' in annex


def test_docx_layout_header_block_box_and_heading_levels(docx_file):
    body = _part(docx_file, "word/document.xml")
    # Summary, Action required, References and the Contact box; the key figures' title is in its list's style
    assert body.count('<w:pStyle w:val="Box"/>') >= 4 and body.count('<w:pStyle w:val="BoxLabel"/>') == 4
    assert '<w:pStyle w:val="BoxTitle"/>' in body and '<w:pStyle w:val="BoxBullet"/>' in body  # a one-cell box
    assert "Name/Organization/Entity: " in body and body.count("not given") >= 5
    assert "Source: not given" in body and "Document: not given" in body
    assert body.count('<w:pStyle w:val="Heading1"/>') == 3 and body.count('<w:pStyle w:val="AnnexHeading"/>') == 1


def test_docx_properties_describe_this_document_with_no_dates_or_template_leftovers(docx_file):
    core = _part(docx_file, "docProps/core.xml")
    assert "<dc:title>SYNTHETIC report</dc:title>" in core and "python-docx" not in core
    assert "dcterms:created" not in core and "dcterms:modified" not in core and "lastPrinted" not in core
    app = _part(docx_file, "docProps/app.xml")
    assert "<Application>itud " in app and "Template" not in app and "Microsoft" not in app
    assert {i.date_time for i in zipfile.ZipFile(docx_file).infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_every_style_the_writer_uses_is_in_the_house_style_template():
    import docx

    names = {style.name for style in docx.Document(str(render.HOUSE_STYLE)).styles}
    used = {render.BOX, render.BOX_LABEL, render.SOURCE, render.MEETING, render.DOCUMENT_BLOCK, render.ANNEX_HEADING,
            render.TABLE_TEXT, render.TABLE_HEADING, render.NOTE, render.FIGURE, "Title", "Heading 1", "Caption",
            "List Number", "Table Grid", "Header", render.BOX_BULLET, "TOC Heading", "TOC 1"}  # fmt: skip
    assert used <= names


# --- the same document, the same bytes -------------------------------------------------------------


@pytest.mark.parametrize("kind", ["html", "docx", "pdf"])
def test_rebuilds_are_byte_identical(doc, tmp_path, kind):
    write = getattr(render, f"write_{kind}")
    assert write(doc, tmp_path / f"a.{kind}").read_bytes() == write(doc, tmp_path / f"b.{kind}").read_bytes()


def test_a_figure_block_without_alt_uses_its_caption():
    block = FigureBlock(1, "Title", "What it shows.", Path("a.png"), Path("a.svg"))
    assert block.description == "What it shows."
    assert Section("Annex 2 - Questions", name="annex-2").heading == ("ANNEX 2", "Questions")
    assert Section("Annex 2: Questions", name="coverage").heading == ("", "Annex 2: Questions")


def test_docx_a_box_is_one_cell_that_does_not_split_with_a_real_bulleted_list(docx_file):
    """A box is one block, as in the HTML and PDF: a one-cell table whose row never splits, so Word and
    LibreOffice move a box that fits on no part of a page to the next one whole (seen split over two pages
    when it was bordered paragraphs, and drawn as two boxes in LibreOffice)."""
    import docx

    boxes = [t for t in docx.Document(str(docx_file)).tables if len(t.rows) == 1 and len(t.columns) == 1]
    assert boxes
    for box in boxes:
        assert box.rows[0]._tr.trPr.find(qn("w:cantSplit")) is not None
        styles = [p.style.name for p in box.rows[0].cells[0].paragraphs]
        assert styles[0] == render.BOX_LABEL_PLAIN and set(styles[1:]) == {render.BOX_BULLET}


