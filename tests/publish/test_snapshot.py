"""A build's input snapshot carries what its checks need: the reference tables and the open-sdg files that
SOURCE.toml pins, so that the build, which loads the edition from the snapshot, checks their SHA-256 too."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from itud import paths
from itud.data.load import load_edition
from itud.errors import EditionError
from itud.publish.versions import snapshot


def test_the_snapshot_holds_source_toml_and_the_files_it_pins_and_the_build_checks_them(tmp_path: Path):
    shutil.copytree(paths.DATA_DIR, tmp_path / "data")
    taken = snapshot(2019, tmp_path / "data", paths.NOTEBOOKS_DIR)
    pinned = {name for name in taken.data if name.startswith("reference/open-sdg/")}
    assert {"reference/open-sdg/SOURCE.toml", "reference/open-sdg/global_targets.yml"} <= pinned
    copy = tmp_path / "snapshot"
    for name, content in taken.data.items():
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        (copy / name).write_bytes(content)
    assert load_edition(2019, copy).reference_provenance.status == "pinned"
    targets = copy / "reference" / "sdg_targets.csv"
    targets.write_text(targets.read_text(encoding="utf-8").replace("poverty", "SYNTHETIC", 1), encoding="utf-8")
    with pytest.raises(EditionError, match="differs from the copy pinned"):
        load_edition(2019, copy)
