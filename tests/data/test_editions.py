"""`itud new-edition`: the previous edition's edition.toml with its facts left to enter, no table copied."""

from __future__ import annotations

import tomllib

import pytest

from itud.cli import main
from itud.data.editions import TO_ENTER


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


def test_new_edition_carries_the_previous_corrections_when_told_and_asks_otherwise(synthetic_data, capsys):
    corrections = synthetic_data / "2091" / "corrections.csv"
    corrections.write_text(
        "action,table,unit,target,reason,authority,date,reference\n"
        "add,outcome_sdg,P.1-1,5,SYNTHETIC reason,SYNTHETIC authority,2025-01-02,SYNTHETIC ref\n",
        encoding="utf-8",
    )
    arguments = ["new-edition", "2095", "--from", "2091", "--data-dir", str(synthetic_data)]
    assert main(arguments) == 2  # a choice to make, not bad data
    err = capsys.readouterr().err
    assert err.startswith(f"itud new-edition: error: {corrections}: the 2091 edition has corrections: say whether ")
    assert "with --corrections carry (" in err and "fix the file" not in err
    assert not (synthetic_data / "2095").exists()
    assert main([*arguments, "--corrections", "carry"]) == 0
    assert "corrections.csv: the corrections of 2091, carried over" in capsys.readouterr().out
    assert (synthetic_data / "2095" / "corrections.csv").read_text(encoding="utf-8").splitlines() == [
        "action,table,unit,target,reason,authority,date,reference,first_made",
        "add,outcome_sdg,P.1-1,5,SYNTHETIC reason,SYNTHETIC authority,2025-01-02,SYNTHETIC ref,2091",
    ]
    assert main(["new-edition", "2096", "--from", "2091", "--corrections", "leave",
                 "--data-dir", str(synthetic_data)]) == 0  # fmt: skip
    assert not (synthetic_data / "2096" / "corrections.csv").exists()


def test_a_carried_correction_says_where_it_was_first_made(synthetic_data):
    from itud.data.corrections import describe_all
    from itud.data.load import load_edition

    (synthetic_data / "2090" / "corrections.csv").write_text(
        "action,table,unit,target,reason,authority,date,reference,first_made\n"
        "add,outcome_sdg,P.1-1,5,SYNTHETIC reason,SYNTHETIC authority,2025-01-02,SYNTHETIC ref,2089\n",
        encoding="utf-8",
    )
    (line,) = describe_all(load_edition(2090, synthetic_data).corrections)
    assert line.endswith("SYNTHETIC ref; first made in the 2089 edition)")
