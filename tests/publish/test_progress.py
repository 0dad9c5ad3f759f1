"""The build's progress bar: one step per notebook, then one per document written, each document named in the
bar's description; it reaches 100% only once the last document is written."""

from __future__ import annotations

import re

import pytest

from itud.publish import build

_PERCENT = re.compile(r"(\d+)%\|")


def _first_full(err: str) -> int:
    """Where the bar first says 100% in what it wrote (-1: never)."""
    return next((m.start() for m in _PERCENT.finditer(err) if m.group(1) == "100"), -1)


def test_a_full_rendering_writes_the_html_docx_pdf_and_workbook():
    assert build.document_steps(2090) == ["report-2090.html", "report-2090.docx", "report-2090.pdf", "tables-2090.xlsx"]
    assert build.document_steps(2090, ("html",)) == ["report-2090.html"]
    assert build.document_steps(2090, ("html",), draft_html=True) == ["report-2090.html", "report-2090.html"]
    assert build.document_steps(2090, draft_html=True)[0] == "report-2090.html"
    assert len(build.document_steps(2090, draft_html=True)) == 5


def _render_pass(bar: build.Progress, names: list[str]) -> None:
    """What `_render` tells the bar: the documents it will write, then each one as it is written."""
    bar.expect(names)
    for name in names:
        with bar.step(name):
            pass


def test_the_bar_reaches_100_percent_only_with_the_last_document_even_when_a_rebuild_renders_twice(capsys):
    bar = build.Progress(2090, 3)
    for _ in range(3):
        bar.notebook_done()
    _render_pass(bar, build.document_steps(2090, ("html",), draft_html=True))  # compared with the newest: differs
    _render_pass(bar, build.document_steps(2090, draft_html=True))  # rendered as the next revision
    assert (bar.bar.n, bar.bar.total) == (3 + 2 + 5, 3 + 2 + 5)
    bar.close()
    err = capsys.readouterr().err
    assert err.count("100%|") == 1, err
    assert err.rindex("report 2090: tables-2090.xlsx") < _first_full(err)


def test_a_document_that_fails_is_not_counted(capsys):
    bar = build.Progress(2090, 0)
    with pytest.raises(OSError), bar.step("report-2090.docx"):
        raise OSError("disk full")
    assert bar.bar.n == 0
    bar.close()
    assert "report 2090: report-2090.docx" in capsys.readouterr().err


def test_a_disabled_bar_writes_nothing_but_warnings(capsys):
    bar = build.Progress(2090, 2, enabled=False)
    bar.notebook_done()
    _render_pass(bar, build.document_steps(2090))
    bar.write("warning: something")
    bar.close()
    assert capsys.readouterr().err == "warning: something\n"


@pytest.mark.slow  # a real build: it starts Jupyter kernels and prints a PDF
def test_a_real_build_names_each_document_before_its_bar_says_100_percent(synthetic_data, tmp_path, capsys):
    result = build.build_report(2090, synthetic_data, tmp_path / "reports", kernels=2)
    assert result.status == "built"
    err = capsys.readouterr().err
    full = _first_full(err)
    assert full > 0, err
    for name in build.document_steps(2090):
        assert 0 <= err.find(f"report 2090: {name}") < full, (name, err)
        assert (result.version / name).is_file()
    assert err.rstrip().endswith(f"published {result.version}")
