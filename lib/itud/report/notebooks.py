"""The report's notebooks: the rules each one meets, and a new notebook that meets them from the start.

One list, `RULES`, is what the README's "Adding an analysis" lists, what `tests/test_notebooks.py` checks
(each failure names its rule and its fix), what `itud notebooks` reports after it runs them and what
`itud new-notebook` writes. A rule that is not here is not a rule.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

NAME = re.compile(r"^(?P<number>\d\d)-(?P<words>[a-z0-9]+(?:-[a-z0-9]+)*)$")
PARAMETERS = {"year": "int", "data_dir": "str", "output_dir": "str"}  # what the build sets in every notebook
CHECKED = "nbval-check-output"  # the tag of a cell whose output nbval compares with a fresh run


@dataclass(frozen=True)
class Rule:
    """A convention every report notebook meets: its name, what it asks, and how to fix a notebook that fails it."""

    name: str
    asks: str
    fix: str


RULES = (
    Rule("file name", "the file is `notebooks/NN-words.ipynb`: two digits (its place in the report's reading "
         "order, not used by another notebook; `00` is for tools the build never runs), a hyphen, and lower-case "
         "words joined by hyphens", "rename the file, e.g. `07-delegate-question.ipynb`"),
    Rule("parameters cell", "exactly one code cell is tagged `parameters` (papermill sets the build's values "
         "there); it holds `year: int = 0`, `data_dir: str = \"\"` and `output_dir: str = \"\"`, each typed and with "
         "a comment after `  # ` (more parameters may follow, typed and commented the same way)",
         "copy the parameters cell of `notebooks/01-mapping-tables.ipynb` (cell tags: the property inspector, the "
         "gear icon at the right of JupyterLab)"),
    Rule("results name", "the notebook declares its report items with `out = NotebookResults(\"NN-words\", "
         "edition, output_dir)`, named as its file, and ends with `out.write()`",
         "write the file's name (without `.ipynb`) in `NotebookResults(...)`; end with a cell `out.write().name`"),
    Rule("checked output", f"at least one code cell is tagged `{CHECKED}`: a cell that shows numbers the "
         "analysis rests on, which nbval compares with a fresh run (a notebook without one could change its "
         "numbers unnoticed)", f"tag the cell that shows the notebook's main table `{CHECKED}`"),
    Rule("executed", "the committed notebook is executed, every code cell in order, without an error",
         "run `itud notebooks` (or *Run > Run All Cells* and save), fix the cell that fails, and commit"),
    Rule("lint", "ruff finds nothing in the notebook's code (`itud notebooks` applies ruff's own fixes, such "
         "as sorting imports, before it runs the notebooks)", "run `itud notebooks`; fix what it still names"),
    Rule("labels", "the label of every table and figure is used once across all notebooks: tables and figures "
         "share labels, because a report template places and refers to either by its label",
         "give one of the two another label (`label=\"...\"`); start your labels with the notebook's words"),
)
RULE = {rule.name: rule for rule in RULES}


def broken(rule: str, detail: str) -> str:
    """One problem, in the words every check uses: the notebook's rule, what is wrong, and the fix."""
    return f"rule '{rule}' ({RULE[rule].asks}): {detail}; fix: {RULE[rule].fix}"


def _parameter_problems(cells: list) -> list[str]:
    tagged = [c for c in cells if c.cell_type == "code" and "parameters" in c.metadata.get("tags", [])]
    if len(tagged) != 1:
        return [broken("parameters cell", f"{len(tagged)} code cells are tagged `parameters`")]
    lines = [line for line in tagged[0].source.splitlines() if line.strip() and not line.startswith("#")]
    declared = {}
    for line in lines:
        match = re.match(r"^(\w+): (\w+) = [^#]*?  # \S", line)
        if not match:
            return [broken("parameters cell", f"the line {line!r} is not `name: type = value  # comment`")]
        declared[match[1]] = match[2]
    missing = [f"{name}: {kind}" for name, kind in PARAMETERS.items() if declared.get(name) != kind]
    return [broken("parameters cell", f"it lacks {', '.join(missing)}")] if missing else []


def problems(path: Path) -> list[str]:
    """What keeps a notebook file from meeting the rules that can be read from the file itself (every rule but
    "lint", which ruff checks, and "labels", which spans notebooks and is checked when the report is made)."""
    found = []
    if not NAME.match(path.stem):
        found.append(broken("file name", f"{path.name!r}"))
    notebook = nbformat.read(path, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    found += _parameter_problems(notebook.cells)
    source = "\n".join(c.source for c in code)
    if f'NotebookResults("{path.stem}"' not in source or "out.write()" not in source:
        found.append(broken("results name", f'no `NotebookResults("{path.stem}", ...)` and `out.write()` in it'))
    if not any(CHECKED in c.metadata.get("tags", []) for c in code):
        found.append(broken("checked output", f"no code cell is tagged `{CHECKED}`"))
    unexecuted = [n for n, c in enumerate(code, start=1) if c.execution_count is None]
    failed = [n for n, c in enumerate(code, start=1) if any(o.output_type == "error" for o in c.outputs)]
    if unexecuted or failed:
        where = "; ".join(
            text for text in (unexecuted and f"code cells {_numbers(unexecuted)} not executed",
                              failed and f"code cells {_numbers(failed)} end in an error") if text
        )  # fmt: skip
        found.append(broken("executed", where))
    return found


def _numbers(numbers: list[int]) -> str:
    return ", ".join(str(n) for n in numbers[:5]) + (" ..." if len(numbers) > 5 else "")


def numbers_taken(folder: Path) -> dict[str, str]:
    """The reading-order numbers of the notebooks in `folder`, tools included: number -> file name."""
    return {p.stem[:2]: p.name for p in sorted(folder.glob("[0-9][0-9]-*.ipynb"))}


def apply_lint_fixes(paths: list[Path]) -> str:
    """Apply ruff's safe fixes (sorted imports, unused imports...) to the notebooks, with the project's ruff
    settings; returns what ruff still finds ("" when nothing). ruff runs as the program the lock pins
    (`python -m ruff`), so that every machine fixes alike."""
    if not paths:
        return ""
    command = [sys.executable, "-m", "ruff", "check", "--fix", "--quiet", "--output-format", "concise",
               *(str(p) for p in paths)]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=paths[0].parent)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"ruff could not run ({error}); the notebooks were not linted"
    return (done.stdout + done.stderr).strip()


# --- A new notebook -------------------------------------------------------------------------------

_PARAMETERS_CELL = """\
# Parameters: papermill replaces this cell's values (`-p year 2019`).
year: int = 0  # edition year: a folder data_dir/<year>/; 0 means the newest edition in data_dir
data_dir: str = ""  # folder with reference/ and one folder per edition year (empty: the project's data/)
output_dir: str = ""  # folder for figures/ and results/<notebook>.json (empty: the project's build/notebooks/)"""

_SETUP_CELL = """\
from itud.analysis import coverage, figures
from itud.data.load import load_edition
from itud.paths import resolve_year
from itud.report.results import NotebookResults

edition = load_edition(resolve_year(year, data_dir), data_dir)
out = NotebookResults("{name}", edition, output_dir)
mapping = coverage.outcome_mapping(edition)"""

_TABLE_CELL = """\
# An example table: how many SDGs each objective's outcomes reach. Replace it with your analysis; keep
# the tag `nbval-check-output` on the cell that shows the numbers your analysis rests on.
per_objective = (mapping.linked("sdg").groupby("objective")["sdg"].nunique()
                 .reindex(list(mapping.groups), fill_value=0).rename("SDGs reached").reset_index())
per_objective = per_objective.rename(columns={{"objective": edition.parent_kind.capitalize()}})
out.table(per_objective, label="{words}-table", section="{section}",
          caption="SDGs reached by each objective's outcomes (an example: replace it)")"""

_FIGURE_CELL = """\
# An example figure, drawn with matplotlib on the report's own chart (its width and style).
chart, ax = figures.chart("{words}-figure", "SDGs reached per objective",
                          "How many SDGs each objective's outcomes reach (an example: replace it).", height=3)
ax.bar(per_objective.iloc[:, 0].astype(str), per_objective["SDGs reached"], color="0.35")
ax.set_ylabel("SDGs reached")
chart.data = per_objective  # its numbers, for the report's appendix and the workbook
chart.alt = "A bar chart of the number of SDGs each objective's outcomes reach."
out.figure(chart, section="{section}")"""

_WRITE_CELL = "out.number(\"{key}_sdgs_reached\", per_objective[\"SDGs reached\"].tolist())\nout.write().name"


def new_notebook(name: str, section: str = "coverage") -> nbformat.NotebookNode:
    """A notebook named `name` (`NN-words`) that meets every rule once executed: a title and question to write,
    the parameters cell, the set-up, one example table (checked by nbval) and one figure declared for the
    report's `section`, and the cell that writes its results."""
    words = NAME.match(name)["words"]
    title = words.replace("-", " ").capitalize()
    cell = nbformat.v4
    cells = [
        cell.new_markdown_cell(
            f"# {int(name[:2])}. {title}\n\n**Question:** (the question this notebook answers, in one sentence)\n\n"
            "What the notebook shows, from which tables, and what a reader should take from it. The table and the "
            f"figure below are examples that meet every rule (README, \"Adding an analysis\"): replace them. They "
            f"go to the report's section `{section}`; `report/README.md` says how to place them in its text."
        ),
        cell.new_code_cell(_PARAMETERS_CELL, metadata={"tags": ["parameters"]}),
        cell.new_code_cell(_SETUP_CELL.format(name=name)),
        cell.new_markdown_cell("## An example table"),
        cell.new_code_cell(_TABLE_CELL.format(words=words, section=section), metadata={"tags": [CHECKED]}),
        cell.new_markdown_cell("## An example figure"),
        cell.new_code_cell(_FIGURE_CELL.format(words=words, section=section)),
        cell.new_markdown_cell("## What the notebook hands to the report"),
        cell.new_code_cell(_WRITE_CELL.format(key=words.replace("-", "_"))),
    ]
    notebook = cell.new_notebook(cells=cells)
    notebook.metadata.update(
        kernelspec={"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        language_info={"name": "python"},
    )
    for number, each in enumerate(notebook.cells):  # stable ids: the same name gives the same file
        each.id = f"{words[:40]}-{number}"
    return notebook
