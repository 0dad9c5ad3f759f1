"""Shared fixtures. Synthetic editions used here live under tests/ and say they are synthetic."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from itud import paths

TESTS_DIR = Path(__file__).resolve().parent
SYNTHETIC_DIR = TESTS_DIR / "synthetic"
SEED = paths.SEEDS_DIR / "000_b35b5415e02ee5de.txt"


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of data/ (reference tables and the real editions)."""
    target = tmp_path / "data"
    shutil.copytree(paths.DATA_DIR, target)
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
