"""Shared fixtures. Synthetic editions used here live under tests/ and say they are synthetic."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from itud import paths

TESTS_DIR = Path(__file__).resolve().parent
SYNTHETIC_DIR = TESTS_DIR / "synthetic"
SEED = paths.SEEDS_DIR / "000_b35b5415e02ee5de.txt"


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of data/ (reference tables and the real editions) as the sources give them: any
    corrections.csv is left out, so tests of the tables' own rules do not depend on corrections made later."""
    target = tmp_path / "data"
    shutil.copytree(paths.DATA_DIR, target, ignore=shutil.ignore_patterns("corrections.csv"))
    return target


@pytest.fixture
def synthetic_data(tmp_path: Path) -> Path:
    """data/reference plus the SYNTHETIC editions of tests/synthetic/ (never the real ones)."""
    target = tmp_path / "synthetic-data"
    shutil.copytree(paths.DATA_DIR / "reference", target / "reference")
    for edition in sorted(SYNTHETIC_DIR.iterdir()):
        if edition.is_dir():
            shutil.copytree(edition, target / edition.name)
    return target


# Test tiers. `kernel` tests start Jupyter kernels (notebooks, report builds): the full suite runs them,
# the fast tier (`python3 tasks.py test --fast`) leaves them out. A test is in the kernel tier when it is
# a notebook cell checked by nbval, uses one of these shared builds, or is marked `@pytest.mark.slow`.
KERNEL_FIXTURES = {"published_by_notebook", "published_2090", "batch"}
GOLDEN_2019 = json.loads((Path(__file__).parent / "golden" / "2019.json").read_text(encoding="utf-8"))
"""The 2019 edition's totals: the one place the tests hold them (tests/golden/2019.json)."""


def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.suffix == ".ipynb" or KERNEL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _no_stop_outlives_its_test():
    """A stop a test asks for (`errors.stop`, as a signal handler would) is remembered by the process, as a
    command's is; the next test starts with none, as the next command does (`cli.main`)."""
    from itud import errors

    yield
    errors.forget_stops()


@dataclass(frozen=True)
class PublishedByNotebook:
    """SYNTHETIC 2090 as notebooks/00-publish.ipynb published it: `root` holds data/ and reports/ (v1);
    `first` and `second` are what the notebook printed the first and the second time it was run."""

    root: Path
    first: str
    second: str

    def copy_to(self, folder: Path) -> tuple[Path, Path]:
        """A writable copy of data/ and reports/ in `folder`, for a test file that publishes more versions."""
        for part in ("data", "reports"):
            shutil.copytree(self.root / part, folder / part)
        return folder / "data", folder / "reports"


def run_publish_notebook(out: Path, parameters: dict) -> str:
    """notebooks/00-publish.ipynb executed as JupyterLab's Run All does (papermill); what its cells printed."""
    import nbformat
    import papermill

    papermill.execute_notebook(
        str(paths.NOTEBOOKS_DIR / "00-publish.ipynb"), str(out), parameters=parameters, progress_bar=False,
        cwd=str(paths.NOTEBOOKS_DIR), kernel_name="python3",
    )  # fmt: skip
    cells = nbformat.read(out, as_version=4).cells
    return "\n".join(
        "".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/markdown", ""))
        for cell in cells if cell.cell_type == "code" for o in cell.get("outputs", [])
    )  # fmt: skip


@pytest.fixture(scope="session")
def published_by_notebook(tmp_path_factory) -> PublishedByNotebook:
    """SYNTHETIC 2090 published once for the whole run, by the publish notebook (run twice: the second time it
    must say "up to date"). The build is the suite's most used one: tests/test_notebooks.py checks what the
    notebook said, tests/test_versions.py and tests/test_batch.py publish further versions on copies. With
    several test workers the first one to ask builds it and the others wait (pytest-xdist's recipe for a
    shared fixture)."""
    from itud.publish.versions import locked

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # the run's, not one worker's
    root = shared / "published-by-notebook"
    root.mkdir(exist_ok=True)
    said = root / "said.json"
    with locked(root):
        if not said.exists():
            shutil.copytree(SYNTHETIC_DIR / "2090", root / "data" / "2090")
            parameters = {"year": 2090, "data_dir": str(root / "data"), "reports_dir": str(root / "reports"),
                          "refresh_notebooks": False, "run_tests": False, "draft": True}  # fmt: skip
            # (refreshing would rewrite the committed notebooks; the tests are the suite itself; the scratch
            # data folder is outside git, so the version is a draft. tests/test_jupyterlab.py runs every step.)
            runs = [run_publish_notebook(root / f"{run}.ipynb", parameters) for run in ("first", "second")]
            said.write_text(json.dumps(runs), encoding="utf-8")
    first, second = json.loads(said.read_text(encoding="utf-8"))
    return PublishedByNotebook(root, first, second)
