"""The PDF's structure tree, completed where WeasyPrint leaves PDF/UA-1 gaps (WeasyPrint 70.0, as the lock pins).

`complete` runs as part of WeasyPrint's finisher (`render.print_pdf`), on the PDF's objects before they are
written, so the PDF's bytes stay a function of the page alone. It makes three repairs that no option of
WeasyPrint makes, which is why this is written by hand:

- **Running headers and footers are artifacts.** WeasyPrint marks the text of the page margins (running
  head, page number, "Table N (continued)") as marked content whose structure elements belong to no tree
  ("it could be included as Artifact, but that's only allowed in PDF 2.0", its `pdf/tags.py`). Each such
  sequence becomes `/Artifact <</Type /Pagination>>`, and its entry in the parent tree `null`.
- **Every table header cell has a scope**: `/Column` for a `<th scope="col">`, `/Row` for `scope="row"`.
  WeasyPrint writes only the cells' `/Headers`, so a header cell whose column holds only header cells (the
  top-left one) had neither.
- **Figure boxes are in page units.** WeasyPrint writes a figure's `/BBox` in CSS pixels from the top of the
  page; PDF wants points from the bottom (72/96 of a pixel, the page's height minus y).
"""

from __future__ import annotations

import re

from pydyf import _to_bytes  # how pydyf writes a stream's items (WeasyPrint's own dependency)

PX_TO_PT = 72 / 96  # CSS pixels to PDF points: WeasyPrint draws each page at this scale (zoom 1)
ARTIFACT = b"/Artifact\n<</Type /Pagination>>\nBDC"
_MARKED = re.compile(rb"/(\w+)\n<</MCID (\d+)>>\nBDC")  # how pydyf writes a tagged sequence's start


def complete(rendered, pdf) -> None:
    """Repair the structure tree of `pdf` (a pydyf PDF) that WeasyPrint made from `rendered` (its Document)."""
    root = pdf.catalog.get("StructTreeRoot")
    if root is None:  # printed without tags: nothing to complete
        return
    _margins_as_artifacts(pdf, _obj(pdf, root))
    _header_scopes(rendered)
    _figure_boxes_in_points(pdf)


def _obj(pdf, reference):
    """The pydyf object a reference (b"12 0 R") names."""
    return pdf.objects[int(reference.split()[0])]


def _reachable(pdf, root) -> set[int]:
    """The numbers of every structure element the tree reaches from its root (iteratively: trees are deep)."""
    seen: set[int] = set()
    stack = list(root["K"])
    while stack:
        kid = stack.pop()
        if not isinstance(kid, bytes) or not kid.endswith(b" R"):
            continue  # a marked-content id (an int) or an annotation's number
        number = int(kid.split()[0])
        if number in seen:
            continue
        seen.add(number)
        element = pdf.objects[number]
        if hasattr(element, "get") and element.get("Type") == "/StructElem":
            stack.extend(element.get("K", []))
    return seen


def _margins_as_artifacts(pdf, root) -> None:
    """Marked content whose structure element the tree does not reach (the page margins' text) as artifacts."""
    reachable = _reachable(pdf, root)
    nums = _obj(pdf, root["ParentTree"])["Nums"]
    for page_number, page_reference in enumerate(pdf.page_references):
        mcids = nums[2 * page_number + 1]  # the page's structure element per marked-content id, in id order
        orphans = {
            mcid for mcid, element in enumerate(mcids)
            if isinstance(element, bytes) and int(element.split()[0]) not in reachable
        }  # fmt: skip
        if not orphans:
            continue
        for mcid in orphans:
            mcids[mcid] = b"null"
        contents = _obj(pdf, _obj(pdf, page_reference)["Contents"])
        joined = b"\n".join(_to_bytes(item) for item in contents.stream)  # one item once `render` joined them
        contents.stream = [_artifacts(joined, orphans)]


def _artifacts(stream: bytes, mcids: set[int]) -> bytes:
    """`stream` with each marked-content sequence of an id in `mcids` marked as a pagination artifact."""
    return _MARKED.sub(lambda m: ARTIFACT if int(m.group(2)) in mcids else m.group(0), stream)


def _header_scopes(rendered) -> None:
    """`/Scope` on every table header cell's structure element, from the HTML cell's `scope`."""
    for page in rendered.pages:
        for box in page._page_box.descendants():
            mark = getattr(box, "mark", None)
            if mark is not None and box.element_tag == "th":
                scope = "/Row" if box.element.attrib.get("scope") == "row" else "/Column"
                mark["A"]["Scope"] = scope


def _figure_boxes_in_points(pdf) -> None:
    """Each figure's `/BBox` from CSS pixels (from the page's top) to points (from its bottom)."""
    for element in pdf.objects:
        if not hasattr(element, "get") or element.get("S") != "/Figure" or "A" not in element:
            continue
        box = element["A"].get("BBox")
        if box is None:
            continue
        height = float(_obj(pdf, element["Pg"])["MediaBox"][3])
        x1, y1, x2, y2 = (float(v) for v in box)
        element["A"]["BBox"] = type(box)(
            (x1 * PX_TO_PT, height - y2 * PX_TO_PT, x2 * PX_TO_PT, height - y1 * PX_TO_PT)
        )
