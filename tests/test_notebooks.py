"""Notebooks: one typed parameters cell, papermill runs, byte-identical reruns, nbval catches moved numbers."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import papermill
import pytest

from itud import paths
from itud.data.load import load_edition
from itud.run.execute import notebooks

NAMES = [p.stem for p in notebooks()]  # the report's notebooks as they are (an analyst may add one)


def test_notebooks_in_reading_order():
    numbers = [int(name[:2]) for name in NAMES]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers) and NAMES[0] == "01-mapping-tables"
    assert all(name[2] == "-" and name[3:] for name in NAMES)  # NN-words


@pytest.mark.parametrize("name", NAMES)
def test_exactly_one_typed_and_commented_parameters_cell(name):
    notebook = nbformat.read(paths.NOTEBOOKS_DIR / f"{name}.ipynb", as_version=4)
    tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    lines = [line for line in tagged[0].source.splitlines() if not line.startswith("#")]
    assert [line.split(":")[0] for line in lines] == ["year", "data_dir", "output_dir"]
    assert all(": int =" in line or ": str =" in line for line in lines)
    assert all("  # " in line for line in lines)
    # papermill itself must read them (its parser rejects, for instance, an "=" inside the comment).
    inferred = papermill.inspect_notebook(str(paths.NOTEBOOKS_DIR / f"{name}.ipynb"))
    assert {key: (p["inferred_type_name"], p["default"]) for key, p in inferred.items()} == {
        "year": ("int", "0"), "data_dir": ("str", '""'), "output_dir": ("str", '""'),
    }  # fmt: skip
    assert all(p["help"] for p in inferred.values())


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebooks_are_executed_without_errors(name):
    notebook = nbformat.read(paths.NOTEBOOKS_DIR / f"{name}.ipynb", as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code)
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    assert sum("nbval-check-output" in c.metadata.get("tags", []) for c in code) >= 2


@pytest.fixture(scope="module")
def papermilled():
    """The notebooks' outputs for the newest edition, as published in its newest version (which
    tests/test_committed_reports.py checks is what the notebooks make now; nbval runs them with their defaults)."""
    from itud.publish import versions

    _, newest, _ = versions.latest(paths.REPORTS_DIR / paths.available_years(paths.DATA_DIR)[-1])
    assert newest is not None, "the newest edition has no published version: run `python3 tasks.py report`"
    return newest


def test_papermill_outputs_hold_what_the_library_computes(papermilled):
    """The notebooks hand on the library's results for the edition (whatever its numbers: they follow the data)."""
    from itud.analysis import coverage

    edition = load_edition(paths.available_years(paths.DATA_DIR)[-1], paths.DATA_DIR)
    mapping = coverage.outcome_mapping(edition)
    results = {p.stem: json.loads(p.read_text()) for p in sorted((papermilled / "results").glob("*.json"))}
    assert list(results) == NAMES
    assert results["01-mapping-tables"]["numbers"]["summary"] == edition.summary()
    key = results["02-coverage-by-objective"]["numbers"]
    assert key["sdgs_only_through_blanket"] == coverage.reached_only_through_blanket(mapping, "sdg")
    assert key["action_lines_only_through_blanket"] == coverage.reached_only_through_blanket(mapping, "action_line")
    if not edition.question_links_published:
        assert results["03-coverage-by-study-group"]["numbers"]["by_group"] == {"not_published": True}
        assert results["03-coverage-by-study-group"]["figures"] == []
    for result in results.values():
        for figure in result["figures"]:
            assert (papermilled / "figures" / figure["svg"]).is_file()  # (PNGs only feed the Word document)


def test_question_notebook_draws_figures_when_links_are_published(published_by_notebook):
    """SYNTHETIC 2090 publishes its question links: the notebook's results in the version the publish notebook
    built (tests/conftest.py)."""
    v1 = published_by_notebook.root / "reports" / "2090" / "v1"
    result = json.loads((v1 / "results" / "03-coverage-by-study-group.json").read_text())
    assert [f["label"] for f in result["figures"]] == [
        "questions-per-sdg", "question-by-sdg", "question-by-action-line", "study-group-by-sdg",
    ]  # fmt: skip
    assert result["numbers"]["blanket"] == ["Q1/2"]
    assert {r["study_group"]: r["sdgs_reached"] for r in result["numbers"]["by_group"]} == {"SG1": 2, "SG2": 17}


@pytest.mark.slow
def test_nbval_fails_when_a_checked_number_moves(tmp_path):
    """Drop one SDG link from the newest edition's data: nbval must report the changed count in the checked cell."""
    shutil.copytree(paths.DATA_DIR, tmp_path / "data")
    (tmp_path / "notebooks").mkdir()
    notebook = (paths.NOTEBOOKS_DIR / "01-mapping-tables.ipynb").read_text()
    assert 'data_dir: str = \\"\\"' in notebook
    # The copy reads the copied data (stored outputs unchanged), as if data/ itself had changed.
    (tmp_path / "notebooks" / "01-mapping-tables.ipynb").write_text(
        notebook.replace('data_dir: str = \\"\\"', 'data_dir: str = \\"../data\\"')
    )
    shutil.copy(paths.NOTEBOOKS_DIR / "sanitize.cfg", tmp_path / "notebooks")
    newest = paths.available_years(paths.DATA_DIR)[-1]
    stored = len(load_edition(newest, paths.DATA_DIR).outcome_sdg)  # what the committed notebook shows
    links = tmp_path / "data" / newest / "outcome_sdg.csv"
    lines = links.read_text().splitlines(keepends=True)
    outcome = lines[-1].split(",")[0]
    assert sum(line.startswith(f"{outcome},") for line in lines) > 1  # the outcome keeps a link: still valid
    links.write_text("".join(lines[:-1]))
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--nbval-lax",
               "--nbval-sanitize-with", "notebooks/sanitize.cfg", "notebooks/01-mapping-tables.ipynb"]  # fmt: skip
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1, run.stdout[-2000:]
    assert "01-mapping-tables.ipynb::Cell 2 - " in run.stdout and "Cell outputs differ" in run.stdout
    assert f"links': {stored - 1}," in run.stdout and f"links': {stored}," in run.stdout


@pytest.mark.slow
def test_papermill_command_line_from_the_repository_root(tmp_path):
    """As an analyst runs it: `papermill notebooks/<name>.ipynb out.ipynb -p year 2019`, from the repository root."""
    papermill = str(Path(sys.executable).parent / "papermill")
    notebook = "notebooks/03-coverage-by-study-group.ipynb"
    command = [papermill, "--no-progress-bar", notebook, str(tmp_path / "out.ipynb"),
               "-p", "year", "2019", "-p", "output_dir", str(tmp_path)]  # fmt: skip
    run = subprocess.run(command, cwd=paths.PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads((tmp_path / "results" / "03-coverage-by-study-group.json").read_text())
    assert result["numbers"]["by_group"] == {"not_published": True}
    assert result["numbers"]["questions_per_study_group"] == {"SG1": 7, "SG2": 7}


def test_the_publish_notebook_builds_publishes_and_links_the_report_as_the_command_line_does(
    published_by_notebook,
):
    """notebooks/00-publish.ipynb, executed as JupyterLab's Run All does (papermill), on a SYNTHETIC
    edition (tests/conftest.py): it publishes v1 with the command line's messages, links the documents, and
    says "up to date" the second time. (Its action cells are NBVAL_SKIP: nbval runs only its parameters and
    imports; see the next test.)"""
    reports = published_by_notebook.root / "reports"
    first = published_by_notebook.first
    assert f"2090: built {reports / '2090' / 'v1'} in " in first
    assert "**2090, v1:** [HTML](" in first and "/reports/2090/v1/report-2090.html)" in first
    assert (reports / "2090" / "v1" / "report-2090.pdf").is_file()
    assert "2090: up to date (" in published_by_notebook.second


def test_nbval_runs_only_the_publish_notebook_s_parameters_and_imports():
    """Its action cells refresh the committed notebooks and publish: nbval must skip each of them, as nbval
    itself reads the marker (a word after `# NBVAL_SKIP` on its line hides it: the suite then rewrote the
    committed notebooks while the other worker checked them)."""
    from nbval.plugin import find_comment_markers

    cells = [c for c in nbformat.read(paths.NOTEBOOKS_DIR / "00-publish.ipynb", as_version=4).cells
             if c.cell_type == "code"]  # fmt: skip
    skipped = [dict(find_comment_markers(c.source)).get("skip", False) for c in cells]
    assert skipped == [False, False] + [True] * (len(cells) - 2)
    assert "jupyter.run(" not in cells[1].source


def test_a_refused_command_stops_the_publish_notebook_with_its_message(capsys):
    from itud import jupyter

    with pytest.raises(jupyter.CommandFailed, match=r"^itud report ended with exit status 2: its message is"):
        jupyter.run("report", "--year", "19")
    assert "not a year (expected four digits such as 2019): '19'" in capsys.readouterr().err
