"""Notebooks: one typed parameters cell, papermill runs, byte-identical reruns, nbval catches moved numbers."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import papermill
import pytest

from itud import paths
from itud.data.load import load_edition
from itud.report.notebooks import PARAMETERS, RULE, RULES, broken, new_notebook, problems
from itud.run.execute import notebooks

NAMES = [p.stem for p in notebooks()]  # the report's notebooks as they are (an analyst may add one)


def test_notebooks_in_reading_order():
    numbers = [int(name[:2]) for name in NAMES]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers) and NAMES[0] == "01-mapping-tables"
    assert all(name[2] == "-" and name[3:] for name in NAMES)  # NN-words


@pytest.mark.parametrize("name", NAMES)
def test_every_notebook_meets_the_rules_of_adding_an_analysis(name):
    """The rules of the README's "Adding an analysis" (itud.report.notebooks.RULES), each failure naming its
    rule and its fix."""
    path = paths.NOTEBOOKS_DIR / f"{name}.ipynb"
    found = problems(path)
    assert not found, f"{name}.ipynb breaks rules of the README's 'Adding an analysis':\n" + "\n".join(found)
    # papermill itself must read the parameters (its parser rejects, for instance, an "=" inside the comment).
    inferred = papermill.inspect_notebook(str(path))
    assert {key: inferred[key]["inferred_type_name"] for key in PARAMETERS} == PARAMETERS, (
        broken("parameters cell", f"papermill reads {inferred}")
    )
    assert all(p["help"] for p in inferred.values()), broken("parameters cell", "a parameter has no comment")


def test_the_readme_lists_every_rule_a_notebook_must_meet():
    readme = (paths.PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Adding an analysis", 1)[-1].split("\n### ", 1)[0]
    assert "### Adding an analysis" in readme
    assert [rule.name for rule in RULES if f"**{rule.name}**" not in section] == []


def test_a_notebook_that_breaks_the_rules_is_told_which_and_how_to_fix_it(tmp_path):
    notebook = new_notebook("07-delegate-question")
    for cell in notebook.cells:  # by its tags, wherever the cells stand
        if "parameters" in cell.metadata.get("tags", []):
            cell.source = "year = 0"
        cell.metadata["tags"] = [tag for tag in cell.metadata.get("tags", []) if tag != "nbval-check-output"]
    nbformat.write(notebook, tmp_path / "7-Delegate.ipynb")
    found = "\n".join(problems(tmp_path / "7-Delegate.ipynb"))
    for rule in ("file name", "parameters cell", "results name", "checked output", "executed"):
        assert f"rule '{rule}'" in found and RULE[rule].fix in found


@pytest.fixture(scope="module")
def papermilled():
    """The notebooks' outputs for the newest edition, as published in its newest version (which
    tests/test_committed_reports.py checks is what the notebooks make now; nbval runs them with their defaults)."""
    from itud.publish import versions

    # The newest edition that has a published version: a new edition is tested here once published (until
    # then tests/publish/test_committed_reports.py asks for its first version), so 00-publish's fast tests
    # can pass before it publishes the edition's first version.
    published = [newest for year in paths.available_years(paths.DATA_DIR)
                 if (newest := versions.latest(paths.REPORTS_DIR / year)[1]) is not None]  # fmt: skip
    assert published, "no edition has a published version: run `python3 tasks.py report`"
    return published[-1]


def test_papermill_outputs_hold_what_the_library_computes(papermilled):
    """The notebooks hand on the library's results for the edition (whatever its numbers: they follow the data)."""
    from itud.analysis import coverage

    # The edition as the version was built from it (its inputs/): a correction not yet published is no failure here
    # (the committed-report test asks for the new version).
    edition = load_edition(int(papermilled.parent.name), papermilled / "inputs" / "data")
    mapping = coverage.outcome_mapping(edition)
    results = {p.stem: json.loads(p.read_text()) for p in sorted((papermilled / "results").glob("*.json"))}
    assert results  # (a notebook added since the newest version was published is not in it yet)
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
    assert re.search(r"01-mapping-tables\.ipynb::Cell \d+ - ", run.stdout) and "Cell outputs differ" in run.stdout
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
    # Its parameters cell and the set-up run under nbval; every cell that acts (a command, the tests, the commit
    # check, the links) is skipped, wherever it stands.
    acts = ("jupyter.run(", "jupyter.run_fast_tests(", "jupyter.require_committed(", "jupyter.newest_documents(")
    skipped = [dict(find_comment_markers(c.source)).get("skip", False) for c in cells]
    assert skipped == [any(call in c.source for call in acts) for c in cells]
    assert skipped.count(False) >= 2  # the parameters cell and the set-up, which run no command


def test_a_refused_command_stops_the_publish_notebook_with_its_message(capsys):
    from itud import jupyter

    with pytest.raises(jupyter.CommandFailed, match=r"^itud report ended with exit status 2: its message is"):
        jupyter.run("report", "--year", "19")
    assert "not a year (expected four digits such as 2019): '19'" in capsys.readouterr().err


def test_a_new_notebook_meets_every_rule_and_itud_notebooks_applies_ruff_s_fixes(tmp_path, capsys):
    """`itud new-notebook` writes an executed notebook that meets the rules; `itud notebooks` sorts the imports
    an analyst left unsorted, and a figure given a table's label is refused naming the rule and its fix."""
    from itud.cli import main

    assert main(["new-notebook", "07-delegate-question", "--notebooks-dir", str(tmp_path)]) == 0
    path = tmp_path / "07-delegate-question.ipynb"
    assert f"wrote {path}" in capsys.readouterr().out and problems(path) == []
    assert subprocess.run([sys.executable, "-m", "ruff", "check", str(path)], capture_output=True).returncode == 0
    assert main(["new-notebook", "07-other", "--notebooks-dir", str(tmp_path)]) == 2
    assert "the number 07 is 07-delegate-question.ipynb's" in capsys.readouterr().err

    notebook = nbformat.read(path, as_version=4)
    setup = next(c for c in notebook.cells if "NotebookResults(" in c.source)
    imports = [line for line in setup.source.splitlines() if line.startswith("from ")]
    setup.source = setup.source.replace("\n".join(imports), "\n".join(reversed(imports)))
    figure = next(c for c in notebook.cells if "out.figure(" in c.source)
    nbformat.write(notebook, path)
    assert main(["notebooks", "--notebooks-dir", str(tmp_path)]) == 0
    fixed = nbformat.read(path, as_version=4)
    assert next(c for c in fixed.cells if "NotebookResults(" in c.source).source == setup.source.replace(
        "\n".join(reversed(imports)), "\n".join(imports)
    )

    figure.source = figure.source.replace('out.figure(chart, section="coverage")',
                                          'out.figure(chart, section="coverage", label="delegate-question-table")')
    nbformat.write(notebook, path)
    assert main(["notebooks", "--notebooks-dir", str(tmp_path)]) == 1
    message = capsys.readouterr().err
    assert "rule 'labels'" in message and "'delegate-question-table'" in message and RULE["labels"].fix in message


def test_the_publish_notebook_refuses_a_parameter_of_the_wrong_type_naming_it(capsys):
    """papermill's `-r check_only False` hands the notebook the text "False", which Python counts as true."""
    from itud import jupyter

    good = dict(year=0, note="", check_only=False, draft=False, refresh=True, run_tests=True, data_dir="",
                reports_dir="")  # fmt: skip
    assert jupyter.check_parameters(**good).check_only is False
    with pytest.raises(jupyter.CommandFailed, match="a parameter of the publish notebook is wrong"):
        jupyter.check_parameters(**{**good, "check_only": "False", "year": "2019"})
    said = capsys.readouterr().err
    assert "parameter check_only of 00-publish.ipynb: 'False' is not True or False" in said
    assert "parameter year of 00-publish.ipynb: '2019' is not a whole number" in said and "`-p year VALUE`" in said
    with pytest.raises(jupyter.CommandFailed):
        jupyter.check_parameters(**{**good, "note": "a bell\x07"})
    assert "parameter note of 00-publish.ipynb: U+0007 at position 7 is" in capsys.readouterr().err
