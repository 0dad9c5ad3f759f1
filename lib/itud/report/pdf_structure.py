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
- **One element per HTML element.** WeasyPrint builds the tree page by page, so an element that runs over a
  page break (a section, a paragraph, a table) was one element per page, and a table's continuation a second
  `/Table` without its caption. The parts are joined (`sources` records which HTML element made each
  structure element); the header row a table repeats on each page becomes a pagination artifact.
- **No empty elements.** A marked sequence that shows nothing (an empty text object, where a box of the first
  page floats to its foot) loses its mark, and an element that holds nothing (an empty box's) leaves the tree.
- **Links print.** A link's annotation has the Print flag (PDF/UA checkers warn of links without it: a
  reader who prints the contents page gets its entries).
- **Figure boxes are in page units.** WeasyPrint writes a figure's `/BBox` in CSS pixels from the top of the
  page; PDF wants points from the bottom (72/96 of a pixel, the page's height minus y).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pydyf
from pydyf import _to_bytes  # how pydyf writes a stream's items (WeasyPrint's own dependency)

PX_TO_PT = 72 / 96  # CSS pixels to PDF points: WeasyPrint draws each page at this scale (zoom 1)
ARTIFACT = b"/Artifact\n<</Type /Pagination>>\nBDC"
_MARKED = re.compile(rb"/(\w+)\n<</MCID (\d+)>>\nBDC")  # how pydyf writes a tagged sequence's start


@contextmanager
def sources() -> Iterator[dict[int, object]]:
    """While printing: the HTML element that made each structure element, by the element's object number.
    (WeasyPrint 70.0's `pdf.tags._build_box_tree` makes the elements and keeps no link back to the HTML.)"""
    from weasyprint.pdf import tags

    build = tags._build_box_tree
    made: dict[int, object] = {}

    def recording(box, *args):
        for element in build(box, *args):  # its recursion calls this too: children are recorded first
            made.setdefault(element.number, getattr(box, "element", None))
            yield element

    tags._build_box_tree = recording
    try:
        yield made
    finally:
        tags._build_box_tree = build


def complete(rendered, pdf, made: dict[int, object] | None = None) -> None:
    """Repair the structure tree of `pdf` (a pydyf PDF) that WeasyPrint made from `rendered` (its Document);
    `made` is what `sources` recorded while it printed (without it, split elements stay split)."""
    root = pdf.catalog.get("StructTreeRoot")
    if root is None:  # printed without tags: nothing to complete
        return
    if made:
        _join_split_elements(pdf, _obj(pdf, root), made)
    _empty_marks_dropped(pdf, _obj(pdf, root))
    _empty_elements_dropped(pdf, _obj(pdf, root))
    _margins_as_artifacts(pdf, _obj(pdf, root))
    _header_scopes(rendered)
    _figure_boxes_in_points(pdf)
    _links_printed(pdf)


def _obj(pdf, reference):
    """The pydyf object a reference (b"12 0 R") names."""
    return pdf.objects[_number(reference)]


def _reachable(pdf, root) -> set[int]:
    """The numbers of every structure element the tree reaches from its root (iteratively: trees are deep)."""
    seen: set[int] = set()
    stack = list(root["K"])
    while stack:
        kid = stack.pop()
        if not _is_element(kid) or _number(kid) in seen:
            continue  # a marked-content id (an int), or an element already reached
        seen.add(_number(kid))
        element = _obj(pdf, kid)
        if _is_struct(element):
            stack.extend(element.get("K", []))
    return seen


def _join_split_elements(pdf, root, made: dict[int, object]) -> None:
    """Each run of sibling elements made by one HTML element (its parts on successive pages) as one element, and
    a table's repeated header rows out of the tree (their text becomes an artifact); the parent tree follows."""
    taken: dict[int, bytes] = {}  # a joined element's number -> the element that took its kids
    header_ids: dict[str, pydyf.String] = {}  # a repeated header cell's ID -> the first header's cell ID
    stack = [_obj(pdf, kid) for kid in root["K"]]
    while stack:
        parent = stack.pop()
        kids = _without_repeated_headers(pdf, parent, made, header_ids)
        joined: list = []
        for kid in kids:
            earlier = joined[-1] if joined else None
            if _parts_of_one(pdf, made, earlier, kid):
                first, later = _obj(pdf, earlier), _obj(pdf, kid)
                first["K"].extend(_moved(kid_of_later, later, first, pdf) for kid_of_later in later["K"])
                taken[_number(kid)] = earlier
            else:
                joined.append(kid)
        parent["K"] = pydyf.Array(joined)
        stack.extend(_obj(pdf, kid) for kid in joined if _is_element(kid) and _is_struct(_obj(pdf, kid)))
    if header_ids:
        _headers_renamed(pdf, header_ids)
    nums = _obj(pdf, root["ParentTree"])["Nums"]  # per page, the element of each marked-content id; then links
    for position in range(1, len(nums), 2):
        entry = nums[position]
        if isinstance(entry, pydyf.Array):
            entry[:] = [taken.get(_number(ref), ref) if _is_element(ref) else ref for ref in entry]
        elif _is_element(entry):  # an annotation's link element
            nums[position] = taken.get(_number(entry), entry)


def _parts_of_one(pdf, made: dict[int, object], earlier, kid) -> bool:
    """Whether two sibling kids are parts of one HTML element: elements of one type made by it (a list item's
    label and body, both made by the item, are two)."""
    if not (_is_element(earlier) and _is_element(kid)) or made.get(_number(kid)) is None:
        return False
    return made.get(_number(earlier)) is made[_number(kid)] and _obj(pdf, earlier).get("S") == _obj(pdf, kid).get("S")


def _is_element(kid) -> bool:
    """Whether a structure element's kid is a reference (an element, or an annotation's OBJR)."""
    return isinstance(kid, bytes) and kid.endswith(b" R")


def _is_struct(element) -> bool:
    return hasattr(element, "get") and element.get("Type") == "/StructElem"


def _number(reference: bytes) -> int:
    return int(reference.split()[0])


def _moved(kid, later, first, pdf):
    """`kid` of `later` as a kid of `first`: an element gets its new parent; a marked-content id on another
    page becomes a marked-content reference that names its page."""
    if _is_element(kid):
        element = _obj(pdf, kid)
        if _is_struct(element):
            element["P"] = first.reference
        return kid
    if isinstance(kid, int) and later.get("Pg") != first.get("Pg"):
        return pydyf.Dictionary({"Type": "/MCR", "Pg": later["Pg"], "MCID": kid})
    return kid


def _without_repeated_headers(pdf, parent, made: dict[int, object], header_ids: dict) -> list:
    """A table's kids less the header (and footer) rows it repeats on each page after the first; each repeated
    header cell's ID is mapped to the first header's, in `header_ids`, for the cells that name it."""
    if parent.get("S") != "/Table":
        return list(parent["K"])
    kept: list = []
    first_of: dict[int, object] = {}  # the first THead/TFoot made by an HTML element, by its element's identity
    for kid in parent["K"]:
        element = _obj(pdf, kid) if _is_element(kid) else None
        source = made.get(_number(kid)) if element is not None else None
        if element is not None and element.get("S") in ("/THead", "/TFoot") and source is not None:
            if id(source) in first_of:
                for repeated, original in zip(_cells(pdf, element), _cells(pdf, first_of[id(source)]), strict=False):
                    if "ID" in repeated and "ID" in original:
                        header_ids[repeated["ID"].string] = original["ID"]
                continue
            first_of[id(source)] = element
        kept.append(kid)
    return kept


def _cells(pdf, group) -> list:
    """The header and data cells of a row group (THead, TBody, TFoot), in order."""
    return [
        _obj(pdf, cell) for row in group["K"] if _is_element(row)
        for cell in _obj(pdf, row)["K"] if _is_element(cell) and _obj(pdf, cell).get("S") in ("/TH", "/TD")
    ]  # fmt: skip


def _headers_renamed(pdf, header_ids: dict[str, pydyf.String]) -> None:
    """Every cell's `/Headers` naming a repeated header cell names the first header's cell instead."""
    for element in pdf.objects:
        if _is_struct(element) and element.get("S") == "/TD" and "Headers" in element.get("A", {}):
            headers = element["A"]["Headers"]
            headers[:] = [header_ids.get(h.string, h) for h in headers]


_EMPTY = re.compile(rb"/\w+\n<</MCID (\d+)>>\nBDC\nBT\nET\nEMC")  # a tagged text object showing nothing


def _empty_marks_dropped(pdf, root) -> None:
    """Each marked sequence that shows nothing unmarked, out of its element's kids, and its entry in the parent
    tree null."""
    nums = _obj(pdf, root["ParentTree"])["Nums"]
    for page_number, page_reference in enumerate(pdf.page_references):
        contents = _obj(pdf, _obj(pdf, page_reference)["Contents"])
        joined = b"\n".join(_to_bytes(item) for item in contents.stream)
        empty = [int(m.group(1)) for m in _EMPTY.finditer(joined)]
        if not empty:
            continue
        mcids = nums[2 * page_number + 1]
        for mcid in empty:  # an element this leaves empty goes with the others (`_empty_elements_dropped`)
            reference, mcids[mcid] = mcids[mcid], b"null"
            if _is_element(reference):
                element = _obj(pdf, reference)
                element["K"] = pydyf.Array(k for k in element["K"] if k != mcid)
        contents.stream = [_EMPTY.sub(b"BT\nET", joined)]


def _empty_elements_dropped(pdf, root) -> None:
    """Every structure element that holds nothing out of the tree, innermost first (a parent left empty goes too)."""
    order, stack = [], [_obj(pdf, kid) for kid in root["K"] if _is_element(kid)]
    while stack:  # every element, each before its kids; walked back to front below: kids before their parents
        element = stack.pop()
        if _is_struct(element):
            order.append(element)
            stack.extend(_obj(pdf, kid) for kid in element.get("K", []) if _is_element(kid))
    for element in reversed(order):
        if not element.get("K"):
            parent = _obj(pdf, element["P"])
            parent["K"] = pydyf.Array(k for k in parent["K"] if k != element.reference)


def _margins_as_artifacts(pdf, root) -> None:
    """Marked content whose structure element the tree does not reach (the page margins' text) as artifacts."""
    reachable = _reachable(pdf, root)
    nums = _obj(pdf, root["ParentTree"])["Nums"]
    for page_number, page_reference in enumerate(pdf.page_references):
        mcids = nums[2 * page_number + 1]  # the page's structure element per marked-content id, in id order
        orphans = {
            mcid for mcid, element in enumerate(mcids)
            if _is_element(element) and _number(element) not in reachable
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


def _links_printed(pdf) -> None:
    """The Print flag (bit 3, `/F 4`) on every link annotation."""
    for element in pdf.objects:
        if hasattr(element, "get") and element.get("Type") == "/Annot" and element.get("Subtype") == "/Link":
            element["F"] = 4
