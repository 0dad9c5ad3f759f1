"""The batch: several years at once, a correction published as a revision, a broken edition kept apart, and
the year-over-year section of a report whose previous edition is in the data folder. Builds run the real
notebooks (SYNTHETIC editions)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from itud import paths
from itud.cli import main
from itud.publish.batch import format_results, run_batch
from tests.conftest import SYNTHETIC_DIR

CORRECTION = (
    "action,table,unit,target,reason,authority,date,reference\n"
    "add,outcome_sdg,P.1-1,5,SYNTHETIC: the outcome also serves gender equality,SYNTHETIC authority,"
    "2025-05-01,SYNTHETIC letter 1\n"
)


def _page(path: Path) -> str:
    """A document's HTML without the spans that keep identifiers on one line (`render.unbroken_ids`)."""
    return re.sub(r'<span class="id">([^<]*)</span>', r"\1", path.read_text())


@pytest.fixture(scope="module")
def batch(published_by_notebook, tmp_path_factory):
    """The batch an analyst runs after correcting a link of SYNTHETIC 2090 (v1 published by the publish
    notebook, tests/conftest.py) and adding two editions, two years at once: 2090 again (its correction makes
    v2), 2091 (its year-over-year section compares it with 2090; it has a priority and a study group with
    nothing under them) and the broken 2099."""
    import shutil

    data, reports = published_by_notebook.copy_to(tmp_path_factory.mktemp("batch"))
    if not (data / "reference").exists():
        shutil.copytree(paths.DATA_DIR / "reference", data / "reference")
    (data / "2090" / "corrections.csv").write_text(CORRECTION, encoding="utf-8")
    for year in ("2091", "2099"):
        shutil.copytree(SYNTHETIC_DIR / year, data / year)
    return data, reports, run_batch(["2090", "2091", "2099"], data, reports, jobs=2, progress=False)


def test_batch_isolates_the_broken_edition(batch):
    """The broken edition's message names the notebook, its cell and the analyst's own file."""
    data, reports, results = batch
    assert [(r.year, r.status, r.version) for r in results] == [
        ("2090", "built", "v2"),
        ("2091", "built", "v1"),
        ("2099", "failed", "-"),
    ]
    cells = json.loads((paths.NOTEBOOKS_DIR / "01-mapping-tables.ipynb").read_text())["cells"]
    number, cell = next((n, c) for n, c in enumerate(cells, start=1) if "load_edition(" in "".join(c["source"]))
    first_line = "".join(cell["source"]).splitlines()[0]  # the cell that loads the edition, as JupyterLab shows it
    message = results[2].message
    assert message.startswith(
        f"notebook 01-mapping-tables.ipynb failed in cell {number} ({first_line!r}): EditionError:"
    )  # fmt: skip
    # The file the analyst edits, not the build's copy of it.
    path = data.resolve() / "2099" / "outcome_sdg.csv"
    assert f"{path}, row 7 (line 8), column 'sdg', value '18': not an SDG (1-17)" in message
    table = format_results(results).splitlines()
    assert table[0].split() == ["year", "status", "version", "seconds", "message"]
    assert table[-1] == "2 of 3 years ok; failed: 2099"
    assert list((reports / "2099").iterdir()) == []  # no version, no temporary folder


def test_a_correction_publishes_a_revision_that_says_what_changed(batch, capsys):
    _, reports, results = batch
    second = reports / "2090" / results[0].version
    manifest = json.loads((second / "manifest.json").read_text())
    assert (manifest["reason"], manifest["corrections"], manifest["previous_version"]) == (
        "a correction to the data", 1, "v1"
    )  # fmt: skip
    html = _page(second / "report-2090.html")  # notebook 01 hands the corrections to the report
    assert "1 correction was applied after reading the source" in html
    assert "[1] added: P.1-1 -&gt; SDG 5 (SYNTHETIC: the outcome also serves gender equality; SYNTHETIC" in html
    assert re.search(r'<th scope="row">P\.1-1</th><td>[^<]*</td><td>[^<]*\b5<sup class="mark">a</sup>', html)  # Annex 1
    assert main(["diff", "2090", "v1", "v2", "--reports-dir", str(reports)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Changes from v1 to v2 of the 2090 report:"
    assert "  - link added by correction 1: P.1-1 -> SDG 5" in out  # said once, not also as "correction made"
    assert not [line for line in out if "correction made" in line]
    links = [line for line in out if line.startswith("  - key number summary.outcome_sdg_links (notebook 01-")]
    assert len(links) == 1 and links[0].endswith(" -> " + str(int(links[0].split(": ")[1].split(" ")[0]) + 1))
    block = html[html.index('id="changes-in-this-revision"') :]
    block = block[: block.index("</section>")]
    assert "This revision is version v2 of the 2090 report; what follows is what changed since the original " in block
    assert "Link added by correction 1: P.1-1 -&gt; SDG 5" in block and "key number" not in block
    redrawn = [line for line in out if "redrawn" in line][0]
    numbered = set(re.findall(r"<figcaption><strong>Figure (\d+):", html))
    assert redrawn.startswith("  - figures redrawn: Figures ") and set(re.findall(r"\d+", redrawn)) <= numbered
    index = (reports / "index.html").read_text()
    assert re.search(r'<th scope="row"[^>]*>v2 <strong>\(current\)', index) and "correction" in index
    current = re.findall(r"\(current\)</strong></th>", index)
    assert index.count('aria-current="true"') == len(current) >= 1  # said to screen readers too
    assert main(["verify", "2090", "--reports-dir", str(reports)]) == 0
    assert capsys.readouterr().out.strip() == "2 version(s) checked, 0 difference(s) from their manifests"


def test_an_edition_with_an_empty_priority_and_study_group_makes_a_report(batch):
    _, reports, _ = batch
    html = _page(reports / "2091/v1/report-2091.html")
    assert html.count("P.4 (Empty) has no outcomes in this edition") == 2  # coverage text, Annex 1
    assert "Outcomes of P.4" not in html  # no empty table
    assert "SG3 (Synthetic group three (no questions)) has no questions in this edition." in html  # Annex 2
    assert 'id="questions-sg3"' not in html


def test_batch_command_exits_non_zero_when_a_year_fails(batch, tmp_path, capsys):
    """The other years are up to date; 2097's data folder holds a folder where a table belongs, so its build
    fails before any notebook runs (2099's failure in a notebook is checked above)."""
    import shutil

    data, reports = tmp_path / "data", tmp_path / "reports"
    shutil.copytree(batch[0], data)
    shutil.copytree(batch[1], reports)
    shutil.copytree(data / "2091", data / "2097")
    (data / "2097" / "outcomes.csv").unlink()
    (data / "2097" / "outcomes.csv").mkdir()
    command = ["batch", "2091", "2097", "--data-dir", str(data), "--reports-dir", str(reports), "--quiet"]
    assert main([*command, "--jobs", "2"]) == 1
    out = capsys.readouterr().out
    assert "2091   up to date" in out and "2097   failed" in out
    assert "2097/outcomes.csv: is a folder, not a regular file" in out


def test_an_edition_that_publishes_question_links_has_them_audited_too(batch):
    _, reports, _ = batch
    html = _page(reports / "2091/v1/report-2091.html")
    assert ">Links to review: what the outcome texts support</h2>" in html
    assert "Question links to review: suggestions of the text audit" in html  # its table's caption
    audit = json.loads((reports / "2091/v1/results/06-link-audit.json").read_text())["numbers"]
    assert audit["question_links_audited"] is True and audit["evaluation"]


def test_year_over_year_section_on_the_synthetic_pair(batch):
    _, reports, _ = batch
    results = reports / "2091/v1/results"
    changes = json.loads((results / "05-changes-since-previous-edition.json").read_text())["numbers"]
    assert changes["previous_year"] == 2090
    assert [(r["kind"], r["id"], r["change"]) for r in changes["changed_ids"]] == [
        ("priority", "P.3", "added"), ("priority", "P.4", "added"), ("outcome", "P.1-2", "removed"),
        ("outcome", "P.3-1", "added"), ("study_group", "SG3", "added"), ("question", "Q3/1", "added"),
    ]  # fmt: skip
    gained_lost = [(r["from"], r["to"], r["change"]) for r in changes["changed_links"] if r["link"] == "outcome -> sdg"]
    # P.1-1 -> SDG 5 is 2090's correction (the batch's), which 2091's source does not give
    assert gained_lost == [("P.1-1", 5, "lost"), ("P.1-2", 4, "lost"), ("P.1-2", 9, "lost"), ("P.2-1", 10, "lost"),
                           ("P.1-1", 1, "gained"), ("P.3-1", 16, "gained")]  # fmt: skip
    assert [r["by"] for r in changes["changed_links"]].count("a correction") == 1
    before_after = {r["measure"]: (r["2090"], r["2091"], r["change"]) for r in changes["coverage_before_after"]}
    assert before_after["objectives"] == (2, 4, 2)
    assert before_after["study groups"] == (2, 3, 1)
    assert before_after["outcome -> SDG links"] == (7, 5, -2)
    assert before_after["questions"] == (3, 4, 1)
    html = _page(reports / "2091/v1/report-2091.html")
    assert ">Changes since the 2090 edition</h2>" in html
    assert (
        "priority P.3, priority P.4, outcome P.3-1, study group SG3 and question Q3/1 were added and outcome "
        "P.1-2 was removed; "
    ) in html
    # the numbers of the two tables it refers to, whatever comes before them (an analyst's table renumbers)
    number = {label: n for label, n in re.findall(r'<caption id="caption-([^"]+)">Table (\d+):', html)}
    tables = f"Tables {number['coverage-before-after']} and {number['links-gained-and-lost']}"
    assert (
        f"5 links were gained and 8 links lost ({tables}), 1 link of them by a correction made in one edition and "
        "not in the other rather than in the source."
    ) in html
    shown = (reports / "2091/v1/tables/links-gained-and-lost.csv").read_text(encoding="utf-8-sig").splitlines()
    assert shown[0] == "Outcome or question,Linked to,Change,Through"  # reader words, not `outcome -> sdg`
    assert "P.1-1,SDG 5,lost,a correction" in shown and "P.1-2,SDG 4,lost,the source" in shown
    assert "Q1/1,Action Line C6,lost,the source" in shown


def test_batch_progress_in_a_pipe_is_a_line_a_notebook_and_a_year_and_warnings_once_with_their_year(capsys):
    import queue

    from itud.publish.batch import YearResult, _Progress

    shown = _Progress(["2090", "2091"], 2, enabled=True)  # standard error is captured: no terminal
    events = queue.Queue()
    for event in [("2091", "notebook", "01-mapping-tables.ipynb"), ("2090", "warning", "figure x is placed by no"
                  " template"), ("2090", "warning", "figure x is placed by no template"), None]:  # fmt: skip
        events.put(event)
    shown.follow(events)
    shown.year_done(YearResult("2090", True, "up to date", "v1", 0.2, ""))
    shown.close()
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("2091: 01-mapping-tables.ipynb done (1 of ") and lines[0].endswith(" notebooks)")
    assert lines[1:] == ["warning: 2090: figure x is placed by no template", "2090: up to date v1 (0.2 s)"]


def test_batch_progress_bar_has_a_width_in_a_terminal_that_reports_none(monkeypatch):
    import shutil

    from itud.publish import batch

    monkeypatch.setattr(shutil, "get_terminal_size", lambda fallback=(0, 0): os.terminal_size((0, 0)))
    monkeypatch.setattr(batch.sys.stderr, "isatty", lambda: True, raising=False)
    shown = batch._Progress(["2090"], 1, enabled=True)
    assert shown.bar.ncols == 80 and not shown.bar.disable
    shown.close()


def test_the_workbook_and_the_csvs_say_why_each_link_was_corrected_and_on_whose_word(batch):
    import csv
    import zipfile

    _, reports, results = batch
    second = reports / "2090" / results[0].version
    with (second / "tables" / "corrections.csv").open(encoding="utf-8-sig", newline="") as table:
        rows = list(csv.DictReader(table))
    assert rows == [{
        "Correction": "1", "Link table": "outcome -> SDG", "Unit": "P.1-1", "Target": "5", "Action": "added",
        "Reason": "SYNTHETIC: the outcome also serves gender equality", "Authority": "SYNTHETIC authority",
        "Date": "2025-05-01", "Reference": "SYNTHETIC letter 1", "First made in": "2090",
    }]  # fmt: skip
    with zipfile.ZipFile(second / "tables-2090.xlsx") as workbook:
        assert '<sheet name="corrections"' in workbook.read("xl/workbook.xml").decode()
    assert not (reports / "2090" / "v1" / "tables" / "corrections.csv").exists()  # none made: no sheet
