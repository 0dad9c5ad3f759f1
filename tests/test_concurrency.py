"""Two builds of one year started at once: one publishes, the other finds or reproduces it; nothing mixes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from itud import versions


def tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): versions.sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.kernel
def test_two_runs_started_at_once_do_not_corrupt_each_other(synthetic_data, tmp_path):
    command = [sys.executable, "-m", "itud.cli", "report", "--year", "2090", "--data-dir", str(synthetic_data),
               "--reports-dir", str(tmp_path), "--quiet"]  # fmt: skip
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    lines = [next(line for line in out.splitlines() if line.startswith("2090: ")) for out, _ in outputs]
    said = sorted(line.split(": ", 1)[1].split(" ")[0] for line in lines)
    assert said in (["built", "up"], ["built", "reproduced"])  # one publishes v1; the other finds it, or rebuilds it
    assert sorted(p.name for p in (tmp_path / "2090").iterdir()) == [".lock", "v1"]
    manifest = json.loads((tmp_path / "2090/v1/manifest.json").read_text())
    assert manifest["outputs"] == {k: v for k, v in tree(tmp_path / "2090/v1").items() if k != "manifest.json"}
