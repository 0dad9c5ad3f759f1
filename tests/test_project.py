"""Project files that must agree: pinned dependencies, the datapackage, the README's commands."""

from __future__ import annotations

import re

from itud import paths
from itud.cli import build_parser, main

ROOT = paths.PROJECT_ROOT


def _lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[_canonical(name)] = version
    return pins


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_datapackage_json_is_current(capsys):
    assert main(["datapackage", "--check"]) == 0


def test_datapackage_describes_every_table_of_every_edition():
    import json

    from itud.data.schemas import TABLES

    package = json.loads((paths.DATA_DIR / "datapackage.json").read_text())
    names = [r["name"] for r in package["resources"]]
    expected = [t.name for t in TABLES if t.scope == "reference"]
    for year in paths.available_years(paths.DATA_DIR):
        expected += [
            f"{year}-{t.name}"
            for t in TABLES
            if t.scope == "edition" and (paths.DATA_DIR / year / f"{t.name}.csv").exists()
        ]
    assert names == expected
    links = next(r for r in package["resources"] if r["name"] == "2019-outcome_sdg")["schema"]
    assert links["primaryKey"] == ["outcome", "sdg"]
    assert links["foreignKeys"] == [
        {"fields": "outcome", "reference": {"resource": "2019-outcomes", "fields": "outcome"}},
        {"fields": "sdg", "reference": {"resource": "sdgs", "fields": "sdg"}},
    ]


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^(python3 tasks\.py \w+)$", readme, re.M)
    assert list(dict.fromkeys(commands)) == ["python3 tasks.py report", "python3 tasks.py test"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert [line for line in ci.splitlines() if line.startswith("python3")] == ["python3 tasks.py test"]


def test_help_explains_every_command_and_option():
    parser = build_parser()
    text = parser.format_help()
    subcommands = parser._subparsers._group_actions[0].choices  # noqa: SLF001
    for name, sub in subcommands.items():
        assert name in text
        assert sub.description, name
        for action in sub._actions:  # noqa: SLF001
            assert action.help, f"itud {name} {action.option_strings or action.dest} has no help"


# A count written as a number next to what it counts: "all 17", "of 187", "11 WSIS Action Lines".
_TYPED_COUNT = re.compile(r"\b(?:all|of)\s+(?:17|11|187)\b|\b(?:17|11)\s+(?:SDGs|goals|WSIS|Action Lines)\b")


def test_no_count_of_sdgs_or_action_lines_is_typed_outside_ids_and_the_reference_data():
    """The number of SDGs and Action Lines comes from the reference tables (or `ids`), never typed in code
    or in the report's wording, so that an edition with other reference data says its own counts."""
    places = [*(ROOT / "lib" / "itud").rglob("*.py"), *(ROOT / "report").rglob("*.j2")]
    typed = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in places
        if path.name != "ids.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _TYPED_COUNT.search(line)
    ]
    assert typed == []
