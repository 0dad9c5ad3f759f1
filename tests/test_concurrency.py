"""Two builds of one year at once: one publishes, the other finds or reproduces what it published; nothing mixes.

The two builds run in threads of one process with the notebooks' outputs copied from a built version (no
kernels), so the test exercises exactly what concurrency can break: the per-year lock, the re-check of the
newest version under it, and the one-step rename.
"""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest

from itud import build, versions


def tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): versions.sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.kernel
def test_two_runs_started_at_once_publish_one_version(synthetic_data, tmp_path, monkeypatch):
    # A build folder (with the PNGs the Word document needs), not published: the notebooks' outputs to reuse.
    first = build.build_report(2090, synthetic_data, tmp_path / "reference-build", progress=False, publish=False)
    started = threading.Barrier(2)

    def notebooks_as_built(folder, *args):  # both runs reach the publishing step together
        for part in ("notebooks", "figures", "results"):
            shutil.copytree(first.version / part, folder / part)
        started.wait(timeout=60)

    monkeypatch.setattr(build, "_build_into", notebooks_as_built)
    reports = tmp_path / "reports"
    results: list = []

    def run() -> None:
        results.append(build.build_report(2090, synthetic_data, reports, progress=False))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(r.status for r in results) == ["built", "reproduced"]  # one publishes v1, the other reproduces it
    assert sorted(p.name for p in (reports / "2090").iterdir()) == [".lock", "v1"]
    manifest = json.loads((reports / "2090/v1/manifest.json").read_text())
    assert manifest["outputs"] == {k: v for k, v in tree(reports / "2090/v1").items() if k != "manifest.json"}
    shutil.rmtree(first.version)
