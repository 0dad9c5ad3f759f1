"""What the project does not trust (SECURITY.md): section templates, an edition's own above all, run in
a sandbox, within a time limit and an output limit; the documented helpers still work there."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from itud.report import document, results
from itud.report.document import ReportError
from tests.conftest import SYNTHETIC_DIR
from tests.report.test_document import META, _results, _sections


def _render(tmp_path: Path, text: str, timeout: float | None = None) -> str:
    out = _results(tmp_path / "out")
    built = document.build(
        results.read_all(out), META, out / "figures", sections_dir=_sections(tmp_path / "s", **{"20-coverage": text}),
        timeout=timeout,
    )  # fmt: skip
    return " ".join(b.text for part in built.sections for b in part.blocks if hasattr(b, "text"))


@pytest.mark.parametrize(
    "escape",
    [
        '{{ cycler.__init__.__globals__.os.system("touch PWNED") }}',
        '{{ lipsum.__globals__["os"].popen("id -un").read() }}',
        "{{ joiner.__init__.__globals__ }}",
        '{{ plural.__globals__["os"].system("touch PWNED") }}',  # a documented helper's globals
        '{{ notebook("02-analysis").__class__.__mro__ }}',
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        '{{ meta.__class__.__init__.__globals__ }}',
        '{{ "{0.__class__}".format(meta) }}',
        '{{ namespace(a=1) }}',
        '{{ dict(a=1) }}',
        '{% include "../../../../../../etc/passwd" %}',
        '{% include "/etc/passwd" %}',
    ],
)
def test_a_template_cannot_reach_code_or_files(tmp_path, escape, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ReportError) as error:
        _render(tmp_path, f"# Coverage\n\n{escape}\n")
    assert str(error.value).startswith(str(tmp_path / "s" / "20-coverage.md.j2"))  # the analyst's file, named
    assert not (tmp_path / "PWNED").exists()
    assert "root:" not in str(error.value)  # neither a command's output nor /etc/passwd


def test_the_documented_helpers_still_work_in_the_sandbox(tmp_path):
    text = _render(
        tmp_path,
        "# Coverage\n\n"
        '{% set a = notebook("02-analysis") %}{% set items = [] %}{% set _ = items.append("x") %}'
        '{% set short = {} %}{% set _ = short.update({"k": "v"}) %}'
        '{{ plural(a.reached, "SDG") }}; {{ listing(["a", "b", "c"]) }}; {{ agree([], "was", "were") }}; '
        "{{ 0.35 | percent }}; {{ items | length }} {{ short.k }}; "
        '{{ "D.1" | upper }}; {% for i in range(3) %}{{ i }}{{ "," if not loop.last }}{% endfor %}; '
        "{% for x, y in zip([1], [2]) %}{{ x + y }}{% endfor %}; {{ n_sdgs }}\n",
    )
    assert "3 SDGs; a, b and c; was; 35%; 1 v; D.1; 0,1,2; 3; 17" in text


def test_a_template_that_loops_for_ever_is_stopped_naming_its_file(tmp_path):
    loop = "# Coverage\n\n{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}\n"
    with pytest.raises(ReportError) as error:
        _render(tmp_path, loop, timeout=1)
    assert str(error.value) == (
        f"{tmp_path / 's' / '20-coverage.md.j2'}: did not finish within its time limit of 1 s (rendering this "
        "template); give more time with --timeout SECONDS"
    )
    with pytest.raises(ReportError, match=r"range too big|OverflowError"):
        _render(tmp_path, "# Coverage\n\n{% for i in range(10**12) %}{% endfor %}\n", timeout=5)


def test_a_template_that_prints_without_end_is_refused_before_the_memory_fills(tmp_path):
    flood = "# Coverage\n\n{% for i in range(99999) %}{% for j in range(99999) %}xxxxxxxxxx{% endfor %}{% endfor %}\n"
    with pytest.raises(ReportError, match=r"20-coverage\.md\.j2: prints more than 5,000,000 characters"):
        _render(tmp_path, flood, timeout=60)


def test_the_time_limit_leaves_no_timer_behind():
    import signal

    from itud.errors import time_limit

    with time_limit(30):
        pass
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.default_int_handler, None)
    assert os.getpid() > 0


def test_a_notebook_that_declares_too_many_items_is_refused_at_once(tmp_path, monkeypatch):
    import pandas as pd

    from itud.data.load import load_edition
    from itud.report.results import MAX_ITEMS, NotebookResults, ResultsError

    monkeypatch.setitem(MAX_ITEMS, "tables", 3)  # the same rule as for the real limit, without declaring 200
    out = NotebookResults("02-coverage-by-objective", load_edition(2090, SYNTHETIC_DIR), tmp_path)
    frame = pd.DataFrame({"a": [1]})
    for n in range(3):
        out.table(frame, label=f"t{n}", caption="SYNTHETIC", section="coverage")
    with pytest.raises(ResultsError, match=r"^notebook 02-coverage-by-objective: declares more than 3 tables, "):
        out.table(frame, label="t3", caption="SYNTHETIC", section="coverage")
    for n in range(MAX_ITEMS["numbers"]):
        out.number(f"n{n}", n)
    out.number("n0", 1)  # the same number again is no new item
    with pytest.raises(ResultsError, match=r"declares more than 2000 numbers"):
        out.number("one-more", 1)
