"""The published reports in reports/: every edition's newest version is what the current code and data build,
and no published file was changed after publishing. This is the check that keeps the repository honest:
after a change to the data (a correction), the notebooks or the code that changes what readers see, publish
a new version (`python3 tasks.py report --year YEAR`) and commit it."""

from __future__ import annotations

import shutil
import warnings

import pytest

from itud import paths
from itud.cli import environment_verdict
from itud.publish import build, versions


@pytest.mark.slow
@pytest.mark.parametrize("year", paths.available_years(paths.DATA_DIR))
def test_newest_version_is_reproduced_by_the_current_code_and_data(year, tmp_path):
    published = versions.versions(paths.REPORTS_DIR / year)
    assert published, f"{year} has no published version: run `python3 tasks.py report --year {year}` and commit it"
    copy = tmp_path / year
    for _, folder in published:  # every version: the revision number counts the distinct documents before it
        shutil.copytree(folder, copy / folder.name)
    result = build.build_report(year, paths.DATA_DIR, tmp_path, progress=False)
    if result.status == "built":
        newest = published[-1][1]
        differing = versions.differing(
            versions.read_manifest(newest)["outputs"], versions.read_manifest(result.version)["outputs"]
        )
        environment = environment_verdict(versions.read_manifest(newest), result.record, newest.name)
        pytest.fail(
            f"reports/{year}/{newest.name} is not what the current data and code build ({len(differing)} file(s) "
            f"differ: {', '.join(differing[:8])}). {environment} If your change meant to change what readers see, "
            f"run `python3 tasks.py report --year {year}` and commit the new version."
        )
    if result.status == "reproduced content":  # another machine's Pango or HarfBuzz: the same content, said once
        warnings.warn(result.message, stacklevel=1)
    assert result.status in {"reproduced", "reproduced content", "up to date"}


def test_every_published_file_matches_its_manifest():
    problems = [p for year in sorted(paths.REPORTS_DIR.glob("[0-9]" * 4)) for p in versions.verify(year)]
    assert problems == []
