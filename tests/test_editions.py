"""`itud new-edition`: the previous edition's edition.toml with its facts left to enter, no table copied."""

from __future__ import annotations

import tomllib

import pytest

from itud.cli import main
from itud.editions import TO_ENTER


def test_new_edition_keeps_the_layout_and_leaves_the_facts_to_enter(synthetic_data, capsys):
    assert main(["new-edition", "2095", "--from", "2091", "--data-dir", str(synthetic_data)]) == 0
    assert f"wrote {synthetic_data / '2095' / 'edition.toml'}" in capsys.readouterr().out
    assert sorted(p.name for p in (synthetic_data / "2095").iterdir()) == ["edition.toml"]
    meta = tomllib.loads((synthetic_data / "2095" / "edition.toml").read_text(encoding="utf-8"))
    assert meta["year"] == 2095 and meta["synthetic"] is True and meta["group"] == "SYNTHETIC advisory group"
    assert meta["meeting"] == TO_ENTER and meta["report"]["summary"] == TO_ENTER
    assert meta["question_links"]["status"] == "not published"
    assert main(["validate", "--year", "2095", "--data-dir", str(synthetic_data)]) == 1
    err = capsys.readouterr().err
    assert "edition.toml, key 'meeting': still to enter (itud new-edition left 'TO ENTER')" in err
    assert "outcomes.csv: file is missing (table 'outcomes'); write it with `itud parse SOURCE --year 2095`" in err
    assert "questions.csv: file is missing (table 'questions'); enter it by hand, a CSV file whose header is: " in err


@pytest.mark.parametrize(
    ("year", "message"),
    [
        ("2090", "already exists; new-edition never overwrites an edition"),
        ("2080", "must come after the edition it starts from (2091)"),
    ],
)
def test_new_edition_refuses(synthetic_data, capsys, year, message):
    assert main(["new-edition", year, "--from", "2091", "--data-dir", str(synthetic_data)]) == 1
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("year", [" 2023", "٢٠٩٥", "2023\n"])
def test_new_edition_refuses_what_every_command_refuses_as_a_year(synthetic_data, capsys, year):
    for arguments in ([year, "--from", "2091"], ["2095", "--from", year]):
        assert main(["new-edition", *arguments, "--data-dir", str(synthetic_data)]) == 2
        assert f"not a year (expected four digits such as 2019): {year!r}" in capsys.readouterr().err
    assert sorted(p.name for p in synthetic_data.iterdir() if p.name.startswith("20")) == ["2090", "2091", "2099"]
