"""Where the project's folders are. Overridable per call; these are the defaults."""

from __future__ import annotations

from pathlib import Path

# lib/itud/paths.py -> the repository root (the package is installed editable from it).
PROJECT_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = PROJECT_ROOT / "data"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
REPORTS_DIR = PROJECT_ROOT / "reports"
SEEDS_DIR = PROJECT_ROOT.parent / "shared" / "seeds"
