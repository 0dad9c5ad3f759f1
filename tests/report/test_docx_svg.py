"""Vector figures in Word documents: a python-docx picture carries its SVG beside the PNG fallback, stored
as Word 2016+ stores SVG pictures (the blip's r:embed names the PNG, its svgBlip extension the SVG part),
once per SVG, under names and bytes that are the same for the same document."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Cm
from lxml import etree

from itud.report.docx_svg import ASVG_NS, SVG_EXTENSION_URI, add_svg

SVG_CT = "image/svg+xml"
RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
IMAGE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"
NS = {"a": "http://schemas.openxmlformats.org/drawingml/2006/main", "asvg": ASVG_NS, "rel": RELS_NS, "ct": CT_NS,
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}  # fmt: skip
FIXED = dt.datetime(2024, 1, 1, 12, 0, 0)
LABEL = "Vectorlabel outcomes per goal"  # drawn as SVG text: found as text in a PDF only if the SVG is used


def _picture(run, png, svg, **size):
    """A picture as the Word writer adds one: its PNG by python-docx, then its SVG beside it."""
    picture = run.add_picture(png if hasattr(png, "read") else str(png), **size)
    add_svg(picture, svg, run.part)
    return picture


@pytest.fixture(scope="module")
def figure(tmp_path_factory) -> tuple[Path, Path]:
    """A small chart as matplotlib writes it: SVG (text kept as text, no dates) and PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder = tmp_path_factory.mktemp("figure")
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "test"}):
        fig, axes = plt.subplots(figsize=(4, 2.5))
        axes.bar(["SDG 4", "SDG 8", "SDG 9"], [3, 5, 2], color="#1f77b4")
        axes.set_title(LABEL)
        fig.savefig(folder / "chart.svg", format="svg", metadata={"Date": None, "Creator": None})
        fig.savefig(folder / "chart.png", format="png", dpi=100, metadata={"Software": None})
        plt.close(fig)
    return folder / "chart.png", folder / "chart.svg"


def _other_svg(text: str) -> bytes:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100" viewBox="0 0 200 100">'
            f'<rect x="10" y="10" width="180" height="80" fill="#ccc"/><text x="20" y="55">{text}</text>'
            "</svg>").encode()  # fmt: skip


def _fixed_dates(word) -> None:
    properties = word.core_properties
    properties.created = properties.modified = properties.last_printed = FIXED


def _build(png: Path, svg: Path) -> bytes:
    word = docx.Document()
    word.add_paragraph("A figure:")
    run = word.add_paragraph().add_run()
    picture = run.add_picture(str(png), width=Cm(16.5))
    add_svg(picture, svg, run.part)
    _fixed_dates(word)
    buffer = io.BytesIO()
    word.save(buffer)
    return buffer.getvalue()


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _rels(members: dict[str, bytes], name: str = "word/_rels/document.xml.rels") -> dict[str, tuple[str, str]]:
    root = etree.fromstring(members[name])
    return {rel.get("Id"): (rel.get("Type"), rel.get("Target")) for rel in root.iterfind("rel:Relationship", NS)}


def _content_type(members: dict[str, bytes], name: str) -> str | None:
    root = etree.fromstring(members["[Content_Types].xml"])
    for override in root.iterfind("ct:Override", NS):
        if override.get("PartName") == "/" + name:
            return override.get("ContentType")
    extension = name.rsplit(".", 1)[-1].lower()
    for default in root.iterfind("ct:Default", NS):
        if default.get("Extension").lower() == extension:
            return default.get("ContentType")
    return None


def _blips(members: dict[str, bytes], name: str = "word/document.xml") -> list[tuple[str, list[str]]]:
    """Each picture's (PNG rId, [SVG rIds]), read from the part's XML."""
    root = etree.fromstring(members[name])
    return [(blip.get(qn("r:embed")),
             blip.xpath(f"a:extLst/a:ext[@uri='{SVG_EXTENSION_URI}']/asvg:svgBlip/@r:embed", namespaces=NS))
            for blip in root.iterfind(".//a:blip", NS)]  # fmt: skip


def test_svg_part_and_extension(figure, tmp_path):
    png, svg = figure
    path = tmp_path / "figure.docx"
    path.write_bytes(_build(png, svg))
    members = _members(path.read_bytes())

    svg_names = [name for name in members if _content_type(members, name) == SVG_CT]
    assert svg_names == ["word/media/image2.svg"]  # python-docx's naming; the PNG is image1.png
    assert members["word/media/image2.svg"] == svg.read_bytes()
    assert members["word/media/image1.png"] == png.read_bytes()
    types = etree.fromstring(members["[Content_Types].xml"])
    assert types.xpath("ct:Default[@Extension='svg']/@ContentType | ct:Override[@PartName="
                       "'/word/media/image2.svg']/@ContentType", namespaces=NS) == [SVG_CT]  # fmt: skip

    rels = _rels(members)
    to_svg = [rid for rid, (kind, target) in rels.items() if target == "media/image2.svg"]
    assert len(to_svg) == 1 and rels[to_svg[0]][0] == IMAGE_REL
    [(png_rid, svg_rids)] = _blips(members)
    assert rels[png_rid] == (IMAGE_REL, "media/image1.png")  # the fallback every reader can show
    assert svg_rids == to_svg

    blip = etree.fromstring(members["word/document.xml"]).find(".//a:blip", NS)
    assert [etree.QName(child).localname for child in blip] == ["extLst"]
    assert [ext.get("uri") for ext in blip.find("a:extLst", NS)] == [SVG_EXTENSION_URI]

    reopened = docx.Document(str(path))  # python-docx still reads it, and sees the picture
    assert len(reopened.inline_shapes) == 1
    assert reopened.inline_shapes[0].width == Cm(16.5)


def test_same_document_same_bytes(figure):
    png, svg = figure
    first, second = _build(png, svg), _build(png, svg)
    assert _members(first) == _members(second)  # every part's name and bytes (zip headers carry save times)
    word = docx.Document(io.BytesIO(first))
    saved = []
    for _ in range(2):
        buffer = io.BytesIO()
        word.save(buffer)
        saved.append(_members(buffer.getvalue()))
    assert saved[0] == saved[1] == _members(first)


def test_same_svg_stored_once(figure, tmp_path):
    png, svg = figure
    word = docx.Document()
    pictures = [_picture(word.add_paragraph().add_run(), png, svg, width=Cm(8)) for _ in range(2)]
    run = word.add_paragraph().add_run()
    add_svg(run.add_picture(str(png), width=Cm(4)), svg.read_bytes(), run.part)  # bytes, not a path
    add_svg(pictures[0], svg, word.part)  # the same SVG again on the same picture: nothing changes
    _fixed_dates(word)
    word.save(str(tmp_path / "twice.docx"))
    members = _members((tmp_path / "twice.docx").read_bytes())
    assert sorted(name for name in members if name.startswith("word/media/")) == [
        "word/media/image1.png", "word/media/image2.svg"]  # fmt: skip
    blips = _blips(members)
    assert len(blips) == 3 and len({(p, tuple(s)) for p, s in blips}) == 1
    assert len(_rels(members)) == len(_rels(_members(_build(png, svg))))  # one rel to each image, no more


def test_reopened_document_keeps_names_apart(figure, tmp_path):
    png, svg = figure
    path = tmp_path / "first.docx"
    path.write_bytes(_build(png, svg))
    word = docx.Document(str(path))
    run = word.add_paragraph().add_run()
    add_svg(run.add_picture(str(png)), svg, run.part)  # the same SVG, found again in the reopened document
    other = word.add_paragraph().add_run()
    _picture(other, _png_stream(), _other_svg("Other"))  # a new PNG and SVG: next free numbers
    word.save(str(tmp_path / "second.docx"))
    members = _members((tmp_path / "second.docx").read_bytes())
    media = sorted(name for name in members if name.startswith("word/media/"))
    assert media == ["word/media/image1.png", "word/media/image2.svg", "word/media/image3.png",
                     "word/media/image4.svg"]  # fmt: skip
    rels = _rels(members)
    targets = [[rels[p][1], *(rels[s][1] for s in svgs)] for p, svgs in _blips(members)]
    assert targets == [["media/image1.png", "media/image2.svg"]] * 2 + [["media/image3.png", "media/image4.svg"]]
    assert members["word/media/image4.svg"] == _other_svg("Other")


def _png_stream() -> io.BytesIO:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), "red").save(buffer, format="PNG")
    buffer.seek(0)
    return buffer


def test_replacing_the_svg_drops_the_old_one(figure, tmp_path):
    png, svg = figure
    word = docx.Document()
    run = word.add_paragraph().add_run()
    picture = _picture(run, png, svg, width=Cm(8))
    add_svg(picture, _other_svg("Replaced"), run.part)
    word.save(str(tmp_path / "replaced.docx"))
    members = _members((tmp_path / "replaced.docx").read_bytes())
    [(png_rid, [svg_rid])] = _blips(members)
    rels = _rels(members)
    assert sorted(target for kind, target in rels.values() if kind == IMAGE_REL) == [
        "media/image1.png", rels[svg_rid][1]]  # fmt: skip
    assert members["word/" + rels[svg_rid][1]] == _other_svg("Replaced")
    assert len(re.findall(rb"svgBlip ", members["word/document.xml"])) == 1


def test_picture_in_a_header(figure, tmp_path):
    png, svg = figure
    word = docx.Document()
    run = word.sections[0].header.paragraphs[0].add_run()
    _picture(run, png, svg, width=Cm(3))
    word.save(str(tmp_path / "header.docx"))
    members = _members((tmp_path / "header.docx").read_bytes())
    header = next(name for name in members if re.fullmatch(r"word/header\d+\.xml", name))
    rels = _rels(members, header.replace("word/", "word/_rels/") + ".rels")
    [(png_rid, [svg_rid])] = _blips(members, header)
    assert (rels[png_rid][1], rels[svg_rid][1]) == ("media/image1.png", "media/image2.svg")


def test_refuses_what_it_cannot_place(figure):
    png, svg = figure
    word = docx.Document()
    run = word.sections[0].header.paragraphs[0].add_run()
    picture = run.add_picture(str(png))
    with pytest.raises(ValueError, match="not in this part"):
        add_svg(picture, svg, word.part)  # the body's part, not the header's
    with pytest.raises(ValueError, match="not an SVG"):
        add_svg(picture, png, run.part)


@pytest.mark.slow
@pytest.mark.skipif(not all(map(shutil.which, ("soffice", "pdftotext", "pdfimages"))), reason="needs LibreOffice")
def test_libreoffice_shows_the_figure(figure, tmp_path):
    """LibreOffice opens the document and prints the figure. LibreOffice 7.4 draws the PNG fallback (one
    400 x 250 image, the chart's title not text); a LibreOffice that reads svgBlip would print the title as
    text instead. Either way the figure is there."""
    png, svg = figure
    path = tmp_path / "figure.docx"
    path.write_bytes(_build(png, svg))
    subprocess.run(["soffice", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
                   check=True, capture_output=True, timeout=180)  # fmt: skip
    pdf = str(tmp_path / "figure.pdf")
    text = " ".join(subprocess.run(["pdftotext", pdf, "-"], check=True, capture_output=True, text=True).stdout.split())
    images = subprocess.run(["pdfimages", "-list", pdf], check=True, capture_output=True, text=True).stdout
    as_png = [line.split()[3:5] for line in images.splitlines()[2:] if line.split()[2] == "image"] == [["400", "250"]]
    assert "A figure:" in text
    assert (LABEL in text) != as_png  # the vector or the fallback, not both
