"""Vector figures in Word documents: a picture's SVG stored beside its PNG, as Word 2016 and later store SVG.

python-docx places raster pictures only. Word keeps an SVG picture as an ordinary picture whose `a:blip`
points (r:embed) at a PNG fallback, for readers without SVG, and carries one extension naming the SVG part:

    <a:blip r:embed="rId4">
      <a:extLst>
        <a:ext uri="{96DAC541-7B7A-43D3-8B79-37D633B846F1}">
          <asvg:svgBlip xmlns:asvg="http://schemas.microsoft.com/office/drawing/2016/SVG/main" r:embed="rId5"/>
        </a:ext>
      </a:extLst>
    </a:blip>

`add_svg` adds that to a picture made by python-docx's `add_picture`. The SVG part is a python-docx image
part (content type image/svg+xml) named like python-docx's own images, `/word/media/imageN.svg` with the
first number no image part holds: the same document gives the same names and bytes. The same SVG added
twice is stored once.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from docx.parts.image import ImagePart
    from docx.parts.story import StoryPart
    from docx.shape import InlineShape

SVG_CONTENT_TYPE = "image/svg+xml"
SVG_EXTENSION_URI = "{96DAC541-7B7A-43D3-8B79-37D633B846F1}"  # Office 2016's extension for SVG pictures
ASVG_NS = "http://schemas.microsoft.com/office/drawing/2016/SVG/main"


def add_svg(picture: InlineShape, svg: Path | bytes, part: StoryPart) -> None:
    """Give `picture` (an InlineShape from `add_picture`) `svg` as its vector form; its PNG stays the fallback.

    `part` is the story part that holds the picture: `run.part` for the run it was added to (the document
    body, a header or a footer; python-docx's InlineShape does not know its part). Adding again replaces
    the picture's SVG.
    """
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.oxml.ns import qn

    if picture._inline.getroottree().getroot() is not part.element:
        raise ValueError("the picture is not in this part: pass the part of the run it was added to")
    blips = picture._inline.xpath("./a:graphic/a:graphicData/pic:pic/pic:blipFill/a:blip")
    if len(blips) != 1 or not blips[0].get(qn("r:embed")):
        raise ValueError("not an embedded picture: add_svg needs one made by add_picture")
    blip = blips[0]
    rid = part.relate_to(_svg_part(part, svg.read_bytes() if isinstance(svg, Path) else svg), RT.IMAGE)

    # Hand-written XML: python-docx has no SVG support, so no element class for a blip's extension list
    # or for Office 2016's asvg:svgBlip. DrawingML puts a:extLst last among a:blip's children.
    extensions = blip.find(qn("a:extLst"))
    if extensions is None:
        extensions = blip.makeelement(qn("a:extLst"), {})
        blip.append(extensions)
    extension = extensions.find(f"{qn('a:ext')}[@uri='{SVG_EXTENSION_URI}']")
    if extension is None:
        extension = extensions.makeelement(qn("a:ext"), {"uri": SVG_EXTENSION_URI})
        extensions.append(extension)
    svg_blip = extension.find(f"{{{ASVG_NS}}}svgBlip")
    if svg_blip is None:
        svg_blip = extension.makeelement(f"{{{ASVG_NS}}}svgBlip", {}, nsmap={"asvg": ASVG_NS})
        extension.append(svg_blip)
    replaced = svg_blip.get(qn("r:embed"))
    svg_blip.set(qn("r:embed"), rid)
    if replaced and replaced != rid and not part.element.xpath(f"//@r:*[. = '{replaced}']"):
        part.drop_rel(replaced)  # the SVG this picture had before, now referred to by nothing


def _svg_part(part: StoryPart, blob: bytes) -> ImagePart:
    """The package's image part holding `blob` as SVG: the one already there, else a new one named
    /word/media/imageN.svg after python-docx's rule (N the first number no image part holds)."""
    from docx.opc.packuri import PackURI
    from docx.parts.image import ImagePart

    if not blob.removeprefix(b"\xef\xbb\xbf").lstrip().startswith((b"<?xml", b"<svg", b"<!--", b"<!DOCTYPE")):
        raise ValueError("not an SVG document (no XML at its start)")
    images = part.package.image_parts  # python-docx's own collection: reopened, SVG parts are in it too
    for image in images:
        if image.content_type == SVG_CONTENT_TYPE and image.blob == blob:
            return image
    taken = {image.partname.idx for image in images} | {
        p.partname.idx for p in part.package.iter_parts() if p.partname.startswith("/word/media/image")
    }
    number = next(n for n in range(1, len(taken) + 2) if n not in taken)
    # An ImagePart without an Image: python-docx cannot read SVG, and needs no size from it (the PNG gives
    # the picture's size). Reopened, python-docx makes every image-relationship target an ImagePart anyway.
    image = ImagePart(PackURI(f"/word/media/image{number}.svg"), SVG_CONTENT_TYPE, blob)
    images.append(image)
    return image
