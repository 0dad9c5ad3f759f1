"""The reference data validated like an edition (`itud.data.reference`): every SDG, title and target present,
each target under its own goal, and the SDG texts checked against the SHA-256 that open-sdg/SOURCE.toml pins.
Every test works on a copy of data/ (the `data_copy` fixture); counts come from `ids`, never typed."""

from __future__ import annotations

import csv
import io
import tomllib
from pathlib import Path

import pytest

from itud import paths
from itud.analysis import audit, coverage
from itud.cli import main
from itud.data import ids
from itud.data.load import load_edition
from itud.data.reference import SOURCE_FILE, read_provenance, source_lines, table_checksums
from itud.errors import EditionError


@pytest.fixture
def data_copy(data_copy: Path) -> Path:
    """The copy of data/ with its SOURCE.toml as it was before the tables were pinned (its [tables.*] entries
    left out): each test pins them itself (`pin_tables`) where it needs them."""
    source = data_copy / "reference" / SOURCE_FILE
    text = source.read_text(encoding="utf-8")
    source.write_text(text[: text.index("\n# The tables the tool reads")] + "\n", encoding="utf-8")
    return data_copy


def problems_of(data_dir: Path, year: object = 2019) -> list:
    with pytest.raises(EditionError) as error:
        load_edition(year, data_dir)
    return error.value.problems


def edit_rows(path: Path, change) -> None:
    """Rewrite a CSV file row by row: `change(row)` returns the row to keep (changed or not), or None."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    kept = [rows[0], *(r for r in (change(row) for row in rows[1:]) if r is not None)]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(kept)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def pin_tables(data_dir: Path, extra: str = "") -> Path:
    """Add the [tables] lines `source_lines` prints to the copy's SOURCE.toml (and `extra` at its top)."""
    source = data_dir / "reference" / SOURCE_FILE
    text = source.read_text(encoding="utf-8")
    source.write_text(extra + text + "\n" + source_lines(data_dir / "reference"), encoding="utf-8")
    return source


# Completeness ------------------------------------------------------------------------------------


def test_the_targets_of_ids_are_the_real_table_s():
    with open(paths.DATA_DIR / "reference/sdg_targets.csv", encoding="utf-8") as file:
        targets = [row["target"] for row in csv.DictReader(file)]
    assert tuple(targets) == ids.ALL_SDG_TARGETS and set(ids.SDG_TARGETS) == set(ids.ALL_SDGS)
    assert all(ids.target_sdg(t) == sdg for sdg, found in ids.SDG_TARGETS.items() for t in found)


def test_the_real_reference_data_is_complete_and_its_copies_match_source_toml():
    edition = load_edition(2019)
    assert len(edition.sdg_targets) == len(ids.ALL_SDG_TARGETS)
    assert edition.reference_provenance.source == paths.DATA_DIR / "reference" / SOURCE_FILE
    assert edition.reference_provenance.changed == () and edition.reference_provenance.changed_locally == ""


def test_targets_without_sdg_17_s_are_refused_naming_the_goal(data_copy: Path):
    last = ids.ALL_SDGS[-1]
    path = data_copy / "reference/sdg_targets.csv"
    edit_rows(path, lambda row: None if row[1] == str(last) else row)
    [problem] = problems_of(data_copy)
    assert (problem.file, problem.column, problem.value) == (str(path), "sdg", last)
    assert f"SDG {last} lacks all its targets" in problem.message


def test_a_missing_target_is_named(data_copy: Path):
    path = data_copy / "reference/sdg_targets.csv"
    edit_rows(path, lambda row: None if row[0] == "9.c" else row)
    [problem] = problems_of(data_copy)
    assert (problem.file, problem.column, problem.value) == (str(path), "sdg", 9)
    assert "SDG 9 lacks 9.c (1 of" in problem.message


def test_a_header_only_targets_table_is_one_error_naming_the_file(data_copy: Path):
    path = data_copy / "reference/sdg_targets.csv"
    path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    [problem] = problems_of(data_copy)
    assert problem.file == str(path) and problem.message.startswith("has no rows (only a header)")


def test_a_target_filed_under_another_goal_is_refused_with_its_row(data_copy: Path):
    path = data_copy / "reference/sdg_targets.csv"
    edit_rows(path, lambda row: [row[0], "9", *row[2:]] if row[0] == "1.2" else row)
    [problem] = problems_of(data_copy)
    assert (problem.file, problem.row, problem.line, problem.column, problem.value) == (str(path), 2, 3, "sdg", 9)
    assert "target 1.2 belongs to SDG 1" in problem.message


def test_a_target_that_does_not_exist_is_refused(data_copy: Path):
    path = data_copy / "reference/sdg_targets.csv"
    edit_rows(path, lambda row: ["1.9", *row[1:]] if row[0] == "1.5" else row)
    messages = [str(p) for p in problems_of(data_copy)]
    assert f"{path}, row 5 (line 6), column 'target', value '1.9': not an SDG target" in messages[0]
    assert "SDG 1 lacks 1.5" in messages[1]


def test_a_goal_without_its_title_is_refused(data_copy: Path):
    path = data_copy / "reference/sdg_goal_titles.csv"
    edit_rows(path, lambda row: None if row[0] == "5" else row)
    [problem] = problems_of(data_copy)
    assert (problem.file, problem.column, problem.value) == (str(path), "sdg", 5)
    assert problem.message.startswith("no row for the title of SDG 5")


def test_an_empty_goal_title_is_refused(data_copy: Path):
    path = data_copy / "reference/sdg_goal_titles.csv"
    edit_rows(path, lambda row: [row[0], " ", *row[2:]] if row[0] == "5" else row)
    [problem] = problems_of(data_copy)
    assert (problem.file, problem.row, problem.column, problem.message) == (str(path), 5, "title", "value is empty")


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [("sdgs", "sdg", ids.ALL_SDGS[-1]), ("action_lines", "action_line", ids.ALL_ACTION_LINES[-1])],
)
def test_every_sdg_and_action_line_has_its_row(data_copy: Path, table: str, column: str, value: object):
    path = data_copy / f"reference/{table}.csv"
    edit_rows(path, lambda row: None if row[0] == str(value) else row)
    found = problems_of(data_copy)
    mine = [p for p in found if p.file == str(path)]
    assert [(p.column, p.value) for p in mine] == [(column, value)] and mine[0].message.startswith("no row for")


# Provenance --------------------------------------------------------------------------------------


def test_the_project_s_source_toml_pins_the_tables_the_tool_reads():
    provenance = load_edition(2019).reference_provenance
    assert provenance.status == "pinned" and provenance.unpinned == ()
    assert "at commit 368e082ea2fc288cb85ad20b780cf13c601b79a7" in provenance.statement()


def test_tables_not_pinned_are_said_so_and_the_lines_to_add_pin_them(data_copy: Path):
    provenance = load_edition(2019, data_copy).reference_provenance
    assert provenance.status == "tables not pinned"
    assert provenance.unpinned == ("sdg_targets.csv", "sdg_goal_titles.csv")
    assert "unchanged" not in provenance.statement()
    lines = tomllib.loads(source_lines(data_copy / "reference"))
    assert {name: t["sha256"] for name, t in lines["tables"].items()} == table_checksums(data_copy / "reference")
    pin_tables(data_copy)
    provenance = load_edition(2019, data_copy).reference_provenance
    assert provenance.status == "pinned" and provenance.unpinned == ()
    assert provenance.commit("sdg_targets.csv") == "368e082ea2fc288cb85ad20b780cf13c601b79a7"
    assert "at commit 368e082ea2fc288cb85ad20b780cf13c601b79a7" in provenance.statement()
    assert provenance.as_dict()["status"] == "pinned"


def test_a_reworded_target_stops_validate_naming_the_file_and_what_to_do(data_copy: Path, capsys):
    pin_tables(data_copy)
    path = data_copy / "reference/sdg_targets.csv"
    edit_rows(path, lambda row: [row[0], row[1], "SYNTHETIC reworded target", row[3]] if row[0] == "9.c" else row)
    [problem] = problems_of(data_copy)
    assert problem.file == str(path)
    assert "differs from the copy pinned in" in problem.message and "restore the pinned copy" in problem.message
    assert 'changed_locally = "<why, by whom, when>"' in problem.message
    assert main(["validate", "--year", "2019", "--data-dir", str(data_copy)]) == 1
    assert f"{path}: differs from the copy pinned" in capsys.readouterr().err


def test_a_changed_copy_of_open_sdg_is_refused_even_before_the_tables_are_pinned(data_copy: Path):
    path = data_copy / "reference/open-sdg/global_targets.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("eradicate", "reduce", 1), encoding="utf-8")
    [problem] = problems_of(data_copy)
    assert problem.file == str(path) and "files.global_targets.yml.sha256" in problem.message


def test_texts_changed_on_purpose_load_and_say_so(data_copy: Path):
    reason = "SYNTHETIC: target 9.c shortened for the test, by the analyst, 2024-01-01"
    pin_tables(data_copy, f'changed_locally = "{reason}"\n')
    path = data_copy / "reference/sdg_targets.csv"
    edit_rows(path, lambda row: [row[0], row[1], "SYNTHETIC reworded target", row[3]] if row[0] == "9.c" else row)
    provenance = load_edition(2019, data_copy).reference_provenance
    assert provenance.status == "changed locally" and provenance.changed == ("sdg_targets.csv",)
    assert provenance.statement().endswith(f"changed locally: {reason}")


def test_changed_locally_when_nothing_changed_is_refused(data_copy: Path):
    source = pin_tables(data_copy, 'changed_locally = "SYNTHETIC: nothing really"\n')
    [problem] = problems_of(data_copy)
    assert (problem.file, problem.key) == (str(source), "changed_locally")


def test_a_misspelt_key_of_source_toml_is_refused(data_copy: Path):
    source = data_copy / "reference" / SOURCE_FILE
    source.write_text(source.read_text(encoding="utf-8").replace('sha256 = "75b1', 'sha265 = "75b1'), encoding="utf-8")
    keys = [p.key for p in problems_of(data_copy)]
    assert keys == ["files.global_targets.yml.sha265", "files.global_targets.yml.sha256"]


def test_a_reference_folder_without_source_toml_says_not_recorded(data_copy: Path):
    (data_copy / "reference" / SOURCE_FILE).unlink()
    problems: list = []
    provenance = read_provenance(data_copy / "reference", problems)
    assert problems == [] and provenance.status == "not recorded"
    assert load_edition(2019, data_copy).reference_provenance.status == "not recorded"


# The link audit without targets ------------------------------------------------------------------


def test_without_a_targets_table_the_edition_says_so_and_the_audit_says_why_it_did_not_run(data_copy: Path):
    (data_copy / "reference/sdg_targets.csv").unlink()
    edition = load_edition(2019, data_copy)
    assert edition.sdg_targets is None and edition.sdg_goal_titles is not None
    result = audit.for_edition(edition, coverage.outcome_mapping(edition), *audit.outcome_texts(edition))
    assert isinstance(result, audit.NotRun) and not result
    assert str(result).startswith("Link audit not run because data/reference/sdg_targets.csv is absent")
    assert result.absent == ("data/reference/sdg_targets.csv",)


def test_with_its_tables_the_audit_runs_for_the_edition():
    edition = load_edition(2019)
    assert audit.not_run(edition) is None
    result = audit.for_edition(edition, coverage.outcome_mapping(edition), *audit.outcome_texts(edition))
    assert isinstance(result, audit.Audit) and len(result.evaluation)
