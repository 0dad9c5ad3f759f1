"""Shared fixtures. Synthetic editions used here live under tests/ and say they are synthetic."""

from __future__ import annotations

import json
import shutil
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
KERNEL_FIXTURES = {"published_2090", "batch"}
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
