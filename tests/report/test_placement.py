"""Where the PDF's figures go (`placement`), on a SYNTHETIC page of numbered paragraphs and tall figures: a
figure too tall for the rest of a page waits for the next page while the text after it fills the page; figures
keep their order, every block is printed once, and nothing moves into an annex."""

from __future__ import annotations

import pytest

from itud.report import placement

WORDS = "SYNTHETIC words that fill a paragraph of several lines across the text area. " * 9


def _paragraph(n: int) -> str:
    return f'<p id="p{n}">{n}. {WORDS}</p>'


def _figure(n: int, height_mm: int) -> str:
    return f'<figure id="f{n}"><div style="height: {height_mm}mm"></div><figcaption>Figure {n}</figcaption></figure>'


def _page() -> str:
    first = [*(_paragraph(n) for n in range(1, 5)), _figure(1, 150), _paragraph(5), _figure(2, 160), _figure(3, 150),
             _paragraph(6)]  # fmt: skip
    second = [_paragraph(n) for n in range(7, 16)]
    return (
        '<html lang="en"><head><style>@page { size: A4; margin: 2cm } figure { margin: 0; break-inside: avoid }'
        " section.annex { break-before: page }</style></head><body><main>"
        f'<section><h2 id="one">One</h2>{"".join(first)}</section>'
        f'<section><h2 id="two">Two</h2>{"".join(second)}</section>'
        f'<section class="annex"><h2 id="annex">Annex</h2>{_paragraph(16)}</section></main></body></html>'
    )


def _render(html):
    """Printed as the report's PDF is: with the pinned fonts only (else the fonts a process happened to find
    decide where lines break)."""
    import weasyprint

    from itud.report.render import font_faces
    from itud.run.buildinfo import pinned_pdf_environment

    with pinned_pdf_environment():
        return html.render(stylesheets=[weasyprint.CSS(string=font_faces())])


def _order(rendered) -> list[str]:
    """The ids of the blocks, in the order the pages print them (a block over two pages, once)."""
    seen: list[str] = []
    for page in rendered.pages:
        for box in placement._blocks(page):
            name = box.element.get("id") or box.element.tag
            if not seen or seen[-1] != name:
                seen.append(name)
    return seen


def _checked_pages(rendered) -> list[float]:
    """The empty share of each page the rule holds for: not the first (laid out as ITU's first page), nor the
    last, nor the page before the annex."""
    shares = placement.shares_empty(rendered)
    annex = next(n for n, page in enumerate(rendered.pages) if any(
        box.element.get("id") == "annex" for box in placement._blocks(page)))  # fmt: skip
    return [share for n, share in enumerate(shares) if n not in (0, annex - 1, len(shares) - 1)]


@pytest.fixture(scope="module")
def printed():
    import weasyprint

    page = _page()
    return _render(weasyprint.HTML(string=page)), placement.placed(page, "", _render)


def test_a_figure_too_tall_for_the_rest_of_a_page_waits_while_the_text_after_it_fills_the_page(printed):
    as_written, placed = printed
    assert max(_checked_pages(as_written)) > 1 - placement.FILL  # the synthetic page leaves a page too empty
    assert max(_checked_pages(placed)) <= 1 - placement.FILL


def test_figures_keep_their_order_every_block_is_printed_once_and_the_annex_keeps_its_own(printed):
    as_written, placed = printed
    before, after = _order(as_written), _order(placed)
    assert sorted(before) == sorted(after) and len(after) == len(set(after))
    assert [name for name in after if name.startswith("f")] == ["f1", "f2", "f3"]
    assert after.index("f1") < after.index("f2") < after.index("f3") < after.index("p16")
    assert after[-2:] == ["annex", "p16"]  # the annex: its heading and its paragraph, nothing moved in
    assert after != before  # the text moved ahead of a figure


def test_a_page_whose_pages_are_full_as_written_is_printed_as_written():
    import weasyprint

    page = _page().replace(_figure(2, 160), _figure(2, 20)).replace(_figure(3, 150), _figure(3, 20))
    page = page.replace(_figure(1, 150), _figure(1, 20))
    moves = []
    placement.placed(page, "", lambda html: moves.append(1) or _render(html))
    assert len(moves) == 1  # printed once: no page needed a figure moved
    assert max(_checked_pages(_render(weasyprint.HTML(string=page)))) <= 1 - placement.FILL
