"""Where the PDF's figures go: a figure that does not fit at the foot of a page waits for the next page, and
the text after it fills the page, as a typesetter floats a figure.

WeasyPrint has no page floats (CSS Page Floats is a draft it does not implement), so a figure too tall for the
rest of a page leaves that rest empty. `placed` prints the page, finds the first page more than a fifth empty
whose next page opens with a figure, moves that figure (with the figures right after it, keeping their order)
after as much of the following text as fills the gap, and prints again, up to `MAX_MOVES` times (for a
document of at most `MAX_PAGES` pages: a longer one prints in the sections' order). The screen
page and the Word document keep the order the sections give; only the printed order moves, and it is a
function of the page alone, so a rebuild prints the same bytes.

Text never moves ahead of a figure across an annex or an appendix, and figures never move into one.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

FILL = 0.8  # a page but the last, and but one before an annex, is at least this full when a figure follows it
MAX_MOVES = 8  # prints of the page at most, past the first: each move is one more print
MAX_PAGES = 30  # a document printed on more pages keeps its order: each print of a 1,000-outcome edition (38 pages)
# takes about 4 s, and its goal (30 s for the whole report, `bench/`) leaves no room for eight more
SPLIT_ROWS = 8  # rows of a table that a page break may split: four on each page, as the print style keeps them
FIXED = ("annex", "appendix")  # sections whose blocks stay in place (their class, as the template writes it)
PASSED = ("html", "body", "main", "section")  # elements whose children are the blocks a page is made of

Path = tuple[int, ...]  # an element's place in the page's tree: the child's index at each level from the root


@dataclass(frozen=True)
class Move:
    """Figures (their paths, in order) taken out and put, in the same order, after the element at `after`."""

    figures: tuple[Path, ...]
    after: Path


def placed(page: str, base_url: str, render: Callable) -> object:
    """The WeasyPrint Document of `page` (HTML) with its figures placed; `render(html)` prints a
    `weasyprint.HTML` (with the caller's stylesheets and options) and returns its Document."""
    import weasyprint

    moves: list[Move] = []
    while True:
        html = weasyprint.HTML(string=page, base_url=base_url)
        for move in moves:
            apply(html.etree_element, move)
        rendered = render(html)
        placing = len(moves) < MAX_MOVES and len(rendered.pages) <= MAX_PAGES
        move = next_move(rendered, html.etree_element) if placing else None
        if move is None:
            return rendered
        moves.append(move)


def apply(root, move: Move) -> None:
    """Make `move` in the tree under `root` (an ElementTree element, changed in place)."""
    figures = [_at(root, path) for path in move.figures]
    target = _at(root, move.after)
    parents = _parents(root)
    for figure in figures:
        parents[figure].remove(figure)
    parent = parents[target]
    position = list(parent).index(target) + 1
    parent[position:position] = figures


def next_move(rendered, root) -> Move | None:
    """The first move that fills a page: for the first page more than a fifth empty whose next page opens with a
    figure, that figure and the figures right after it, to go after the text that fills the gap; None if no
    page needs one (or no text can fill one)."""
    pages = [_blocks(page) for page in rendered.pages]
    heights: dict[int, float] = {}
    for blocks in pages:
        for box in blocks:
            heights[id(box.element)] = heights.get(id(box.element), 0.0) + box.margin_height()
    parents = _parents(root)
    empty = [_share_empty(page._page_box, blocks) for page, blocks in zip(rendered.pages, pages, strict=True)]
    for number in range(1, len(pages) - 1):  # the first page is laid out as ITU's first page; the last may end short
        following = pages[number + 1]
        if not pages[number] or not following or following[0].element_tag != "figure":
            continue
        if empty[number] <= 1 - FILL or _is_fixed(parents[following[0].element]):
            continue
        gap = empty[number] * rendered.pages[number]._page_box.height
        run = _run(following[0].element, parents)
        chosen = _filling(_text_after(run[-1], parents), heights, gap)
        if chosen:
            return Move(tuple(_path(f, parents) for f in run), _path(chosen[-1], parents))
    return None


def _filling(text: list, heights: dict[int, float], gap: float) -> list:
    """The blocks of `text` that go in a gap of `gap` pixels: as many whole blocks as fit (never a heading
    last: it stays with the block after it); when not one fits, the first block if a page break may split it
    (a paragraph, or a table of `SPLIT_ROWS` rows or more), with its heading: its end then opens the next
    page, above the figure."""
    chosen, filled = [], 0.0
    for element in text:
        filled += heights.get(id(element), 0.0)
        if filled > gap:
            break
        chosen.append(element)
    while chosen and chosen[-1].tag == "h2":
        chosen.pop()
    if chosen:
        return chosen
    lead = list(itertools.takewhile(lambda element: element.tag == "h2", text))
    if len(text) > len(lead) and _splits(text[len(lead)]):
        return [*lead, text[len(lead)]]
    return []


def _splits(block) -> bool:
    """Whether a page break may split `block`: a paragraph, or a table long enough to keep four rows on each
    page (the print style's rule)."""
    return block.tag == "p" or len(block.findall(".//tbody/tr")) >= SPLIT_ROWS


def shares_empty(rendered) -> list[float]:
    """Per page of a WeasyPrint Document, the share of its text area left empty under its last block."""
    return [_share_empty(page._page_box, _blocks(page)) for page in rendered.pages]


def _share_empty(box, blocks: list) -> float:
    """The share of a page box's text area left empty under the last of its `blocks`."""
    used = max((block.position_y + block.margin_height() for block in blocks), default=box.content_box_y())
    return (box.content_box_y() + box.height - used) / box.height


def _blocks(page) -> list:
    """The boxes of a page's blocks (the children of its sections, and of the body outside them), in order."""
    from weasyprint.formatting_structure import boxes

    found, stack = [], [page._page_box]
    while stack:
        box = stack.pop()
        for child in reversed(getattr(box, "children", [])):
            if isinstance(child, boxes.MarginBox) or not isinstance(child, boxes.BlockLevelBox):
                continue
            if child.element is None or child.element_tag in PASSED:
                stack.append(child)
            else:
                found.append(child)
    found.sort(key=lambda box: box.position_y)  # the stack gives them back to front
    return found


def _run(figure, parents: dict) -> list:
    """`figure` and the figures right after it in its section."""
    siblings = list(parents[figure])
    run = [figure]
    for element in siblings[siblings.index(figure) + 1 :]:
        if element.tag != "figure":
            break
        run.append(element)
    return run


def _text_after(element, parents: dict) -> list:
    """The blocks after `element` up to the next figure, through the sections after its own (headings
    included), stopping at an annex or an appendix."""
    section = parents[element]
    siblings = list(section)
    blocks = siblings[siblings.index(element) + 1 :]
    container = parents.get(section)
    if container is not None and section.tag == "section":
        later = list(container)[list(container).index(section) + 1 :]
        for other in later:
            if other.tag != "section" or _is_fixed(other):
                break
            blocks += list(other)
    text = []
    for block in blocks:
        if block.tag == "figure":
            break
        text.append(block)
    return text


def _is_fixed(section) -> bool:
    """Whether `section` is an annex or an appendix."""
    classes = (section.get("class") or "").split()
    return any(kind in classes for kind in FIXED)


def _parents(root) -> dict:
    return {child: parent for parent in root.iter() for child in parent}


def _path(element, parents: dict) -> Path:
    path = []
    while element in parents:
        parent = parents[element]
        path.append(list(parent).index(element))
        element = parent
    return tuple(reversed(path))


def _at(root, path: Path):
    element = root
    for index in path:
        element = element[index]
    return element
