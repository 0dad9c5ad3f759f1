"""Validation of what the report needs: edition.toml as a whole, the tables' layout and text,
edition-wide link rules, the reference tables' cross-row rule, and inputs that are not files."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import tomllib
from pathlib import Path

import pytest

from itud import paths
from itud.cli import main
from itud.data.edition_file import parse_edition_file
from itud.data.load import load_edition
from itud.errors import EditionError, InputFileError
from tests.conftest import SEED, SYNTHETIC_DIR


def problems_of(data_dir: Path, year: object = 2019) -> list[str]:
    with pytest.raises(EditionError) as error:
        load_edition(year, data_dir)
    return [str(p) for p in error.value.problems]


def rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def drop_rows(path: Path, outcome: str) -> None:
    """Remove every row of `outcome` from a link table (kept as CSV, quoting as the csv module does)."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    kept = [rows[0], *(r for r in rows[1:] if r[0] != outcome)]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(kept)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def keep_header_only(path: Path) -> None:
    path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")


# edition.toml: a typed model -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("[report]\ntitle = ", "[report]\ntitle = 2019\nx = ", None),
        ("synthetic = false", 'synthetic = "false"', "key 'synthetic', value 'false': must be true or false, without quotes"),  # noqa: E501
        ("summary = \"\"\"This", "summary = 5\nx = \"\"\"This", None),
    ],
)  # fmt: skip
def test_wrong_types_in_edition_toml(data_copy: Path, old: str, new: str, expected: str | None):
    rewrite(data_copy / "2019/edition.toml", old, new)
    problems = problems_of(data_copy)
    toml = f"{data_copy}/2019/edition.toml"
    if expected:
        assert problems == [f"{toml}, {expected}"]
    else:  # the wrongly typed value and the stray key carrying the old text are both reported
        assert problems[0].startswith(f"{toml}, key 'report.")
        assert problems[0].endswith(": must be text in quotes")
        assert problems[1].startswith(f"{toml}, key 'report.x', value '")
        assert problems[1].endswith(
            "...': unknown key (known keys here: "
            "title, short_title, date, source, original_language, summary, action_required, source_summary, "
            "source_action_required, references, licence, "
            "annex_1_title, contact, sources)"
        )


def test_references_as_a_string_and_question_links_as_a_value(data_copy: Path):
    path = data_copy / "2019/edition.toml"
    rewrite(path, "references = [", 'references = "WTDC Resolution 30"\nold_references = [')
    rewrite(path, "year = 2019", 'year = 2019\nquestion_links = "published"')
    rewrite(path, "[question_links]", "[question_link]")
    toml = f"{data_copy}/2019/edition.toml"
    assert problems_of(data_copy) == [
        f"{toml}, key 'question_links', value 'published': must be a table (a [section] with keys), not a single value",
        f"{toml}, key 'report.references', value 'WTDC Resolution 30': "
        'must be a list of texts, e.g. ["first", "second"]',
        f"{toml}, key 'report.old_references', value \"['WTDC Resolution 30 (Rev. Buenos Aires, 2017)', "
        "'PP Resolut...\": unknown key (did you mean 'references'?)",
        f"{toml}, key 'question_link': unknown key (did you mean 'question_links'?)",
    ]


def test_misspelt_key_suggests_the_known_one_and_every_problem_comes_at_once(data_copy: Path):
    path = data_copy / "2019/edition.toml"
    rewrite(path, 'summary = """This', 'sumary = """This')
    rewrite(path, "year = 2019", "year = 2018")
    rewrite(path, 'status = "not published"', 'status = "unpublished"')
    rewrite(path, "meeting_end = 2019-04-05", "meeting_end = 2019-04-01")
    toml = f"{data_copy}/2019/edition.toml"
    assert problems_of(data_copy) == [
        f"{toml}, key 'year', value '2018': must equal the folder name 2019",
        f"{toml}, key 'meeting_end', value '2019-04-01': is before meeting_start 2019-04-03",
        f"{toml}, key 'question_links.status', value 'unpublished': must be one of 'published' or 'not published'",
        f"{toml}, key 'report.summary': required key is missing",
        f"{toml}, key 'report.sumary', value 'This document provides an update on the contribution of ITU-...': "
        "unknown key (did you mean 'summary'?)",
    ]


def test_year_must_match_the_folder(data_copy: Path):
    rewrite(data_copy / "2019/edition.toml", "year = 2019", "year = 2018")
    assert problems_of(data_copy) == [
        f"{data_copy}/2019/edition.toml, key 'year', value '2018': must equal the folder name 2019"
    ]


def test_control_character_in_edition_toml(data_copy: Path):
    rewrite(data_copy / "2019/edition.toml", 'meeting_place = "Geneva"', 'meeting_place = "Gen\\u0007eva"')
    assert problems_of(data_copy) == [
        f"{data_copy}/2019/edition.toml, key 'meeting_place', value 'Gen\\x07eva': "
        "contains control character(s) U+0007: remove them"
    ]


def test_empty_title_and_missing_table(data_copy: Path):
    path = data_copy / "2019/edition.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("[report]")], encoding="utf-8")
    assert problems_of(data_copy) == [f"{data_copy}/2019/edition.toml, key 'report': required key is missing"]


@pytest.mark.parametrize("edition", sorted(p.name for p in SYNTHETIC_DIR.iterdir() if p.is_dir()))
def test_the_model_accepts_every_synthetic_edition_file_as_it_is(edition: str):
    path = SYNTHETIC_DIR / edition / "edition.toml"
    model, problems = parse_edition_file(tomllib.loads(path.read_text(encoding="utf-8")), str(path))
    assert problems == [] and model.synthetic is True


def test_meta_is_the_plain_dict_of_the_file_with_dates_kept():
    edition = load_edition(2019, paths.DATA_DIR)
    raw = tomllib.loads((paths.DATA_DIR / "2019/edition.toml").read_text(encoding="utf-8"))
    assert edition.meta == raw and type(edition.meta) is dict
    assert edition.meta["meeting_start"] == dt.date(2019, 4, 3)
    assert edition.synthetic is False


# The reference tables: one ITU role per Action Line and period --------------------------------


def test_overlapping_itu_roles(data_copy: Path):
    path = data_copy / "reference/itu_roles.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([*lines, "C1,partner,2019,2021,VERIFIED,test"]) + "\n", encoding="utf-8")
    row = len(lines)  # the appended row: data rows count from 1 below the header
    assert problems_of(data_copy) == [
        f"{path}, row {row} (line {row + 1}), column 'period_start', value '2019': C1 is 'partner' from 2019 but "
        "already 'co-facilitator' in 2018-2019 (row 1): one ITU role per Action Line and period; fix the periods"
    ]


def test_period_ending_before_it_starts(data_copy: Path):
    path = data_copy / "reference/itu_roles.csv"
    rewrite(path, "C5,facilitator,2018,2019,", "C5,facilitator,2018,2017,")
    assert problems_of(data_copy) == [
        f"{path}, row 5 (line 6), column 'period_end', value '2017': period_end is before period_start 2018"
    ]


# What the report needs -------------------------------------------------------------------------


def test_an_edition_needs_objectives_and_outcomes(data_copy: Path):
    for table in ("objectives", "outcomes", "outcome_sdg", "outcome_action_line"):
        keep_header_only(data_copy / f"2019/{table}.csv")
    assert problems_of(data_copy) == [
        f"{data_copy}/2019/objectives.csv: has no rows: an edition needs at least one objective (or priority)",
        f"{data_copy}/2019/outcomes.csv: has no rows: an edition needs at least one outcome",
    ]


def test_link_table_with_only_a_header(data_copy: Path):
    keep_header_only(data_copy / "2019/outcome_sdg.csv")
    problems = problems_of(data_copy)
    assert len(problems) == len(load_edition(2019, paths.DATA_DIR).outcomes)
    assert problems[0] == (
        f"{data_copy}/2019/outcomes.csv, row 1 (line 2), column 'outcome', value 'D.1-1': outcome has no SDG link "
        "in outcome_sdg.csv: add its links, or, if the source gives none, list it under [outcome_links] "
        "without_sdg in edition.toml with the source"
    )


def test_outcome_without_links_is_accepted_when_edition_toml_states_it(data_copy: Path, capsys):
    drop_rows(data_copy / "2019/outcome_sdg.csv", "D.1-2")
    drop_rows(data_copy / "2019/outcome_action_line.csv", "D.1-2")
    problems = problems_of(data_copy)
    assert [p.split(": ", 1)[1].split(" in ")[0] for p in problems] == [
        "outcome has no SDG link",
        "outcome has no Action Line link",
    ]
    assert all("row 2 (line 3), column 'outcome', value 'D.1-2'" in p for p in problems)
    # SYNTHETIC statement, for this test only: the real source links D.1-2 to SDGs and Action Lines.
    with (data_copy / "2019/edition.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[outcome_links]\nwithout_sdg = ["D.1-2"]\nwithout_action_line = ["D.1-2"]\nnote = "test"\n')
    assert load_edition(2019, data_copy).meta["outcome_links"]["without_sdg"] == ["D.1-2"]
    assert main(["validate", "--year", "2019", "--data-dir", str(data_copy)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-2:] == [
        "  outcomes with no SDG link, as edition.toml states: D.1-2",
        "  outcomes with no Action Line link, as edition.toml states: D.1-2",
    ]


def test_a_stated_outcome_without_links_must_really_have_none(data_copy: Path):
    with (data_copy / "2019/edition.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[outcome_links]\nwithout_sdg = ["D.1-2", "D.9-9"]\nnote = "test"\n')
    toml = f"{data_copy}/2019/edition.toml"
    assert problems_of(data_copy) == [
        f"{toml}, key 'outcome_links.without_sdg', value 'D.1-2': listed as having no SDG link but has SDG links "
        "in outcome_sdg.csv: remove it from the list",
        f"{toml}, key 'outcome_links.without_sdg', value 'D.9-9': listed as having no SDG link but is not an "
        "outcome: remove it from the list",
    ]


def test_control_character_in_a_table_cell(data_copy: Path):
    rewrite(data_copy / "2019/outcomes.csv", "Assessment of the", "Assessment\x0b of the")
    assert problems_of(data_copy) == [
        f"{data_copy}/2019/outcomes.csv, row 2 (line 3), column 'text', value 'Assessment\\x0b of the "
        "implementation of the Action Plan and of the WSIS Plan of Action.': control character(s) U+000B in the "
        "text: remove them"
    ]


def test_text_too_long_for_the_report(data_copy: Path):
    rewrite(data_copy / "2019/outcomes.csv", "Assessment of the", "Assessment " + "very " * 200 + "of the")
    toml = data_copy / "2019/edition.toml"
    rewrite(toml, 'action_required = """', 'action_required = """' + "TDAG " * 700)
    value = "TDAG " * 12
    cell = "Assessment " + "very " * 9 + "very"
    import tomllib

    length = len(tomllib.loads(toml.read_text(encoding="utf-8"))["report"]["action_required"])
    assert problems_of(data_copy) == [
        f"{toml}, key 'report.action_required', value '{value}...': is {length} characters, over the limit of 3000: "
        "the report's boxes must fit on one PDF page; shorten it",
        f"{data_copy}/2019/outcomes.csv, row 2 (line 3), column 'text', value '{cell}...': text is 1083 characters, "
        "over the limit of 1000 (a table cell must fit on one PDF page): shorten it",
    ]


def test_duplicate_column_names(data_copy: Path):
    rewrite(data_copy / "2019/outcome_sdg.csv", "outcome,sdg,source_document,", "outcome,sdg,sdg,")
    path = f"{data_copy}/2019/outcome_sdg.csv"
    assert problems_of(data_copy) == [
        f"{path}, column 'sdg': column name appears 2 times in the header (columns 2, 3): column names must be "
        "unique; rename or remove the extra column",
        f"{path}, column 'source_document': required column is missing",
    ]


def test_row_and_line_numbers_after_a_quoted_newline(data_copy: Path):
    path = data_copy / "2019/outcomes.csv"
    rewrite(path, "Assessment of the implementation", '"Assessment of the\nimplementation')
    rewrite(path, "WSIS Plan of Action.,", 'WSIS Plan of Action.",')
    rewrite(path, "D.4-4,D.4,", "D.4-4,D.5,")
    assert problems_of(data_copy) == [
        f"{path}, row 16 (line 18), column 'objective', value 'D.5': not a known objective (no such row in objectives)"
    ]


def test_row_with_too_many_fields(data_copy: Path):
    path = data_copy / "2019/outcome_sdg.csv"
    rewrite(path, "D.1-1,3,", "D.1-1,3,3,")
    problems = problems_of(data_copy)
    assert problems[0] == f"{path}, row 2 (line 3): has 6 fields but the header has 5: check the commas and quotes"


# Inputs are regular files of sane size ---------------------------------------------------------


def test_table_that_is_a_folder(data_copy: Path):
    path = data_copy / "2019/outcomes.csv"
    path.unlink()
    path.mkdir()
    assert problems_of(data_copy)[0] == (f"{path}: is a folder, not a regular file: replace it with the file itself")


def test_edition_toml_that_is_a_folder(data_copy: Path):
    path = data_copy / "2019/edition.toml"
    path.unlink()
    path.mkdir()
    assert problems_of(data_copy) == [f"{path}: is a folder, not a regular file: replace it with the file itself"]


def test_table_that_is_a_fifo_does_not_hang(data_copy: Path):
    path = data_copy / "2019/outcome_sdg.csv"
    path.unlink()
    os.mkfifo(path)
    assert problems_of(data_copy)[0] == (
        f"{path}: is a named pipe (FIFO), not a regular file: replace it with the file itself"
    )


def test_symlink_leaving_the_data_folder_is_refused(data_copy: Path):
    path = data_copy / "2019/outcome_sdg.csv"
    path.unlink()
    path.symlink_to("/dev/zero")
    assert problems_of(data_copy)[0] == (
        f"{path}: is a symbolic link to /dev/zero, outside the data folder {data_copy.resolve()}: "
        "put a copy of the file in the data folder instead"
    )


def test_symlink_inside_the_data_folder_is_read(data_copy: Path):
    path = data_copy / "2019/outcome_sdg.csv"
    path.rename(data_copy / "outcome_sdg-2019.csv")
    path.symlink_to("../outcome_sdg-2019.csv")
    assert len(load_edition(2019, data_copy).outcome_sdg) == len(
        load_edition(2019, paths.DATA_DIR).as_published["outcome_sdg"]
    )


def test_a_device_is_refused_before_it_is_read():
    with pytest.raises(InputFileError) as error:
        paths.read_input(Path("/dev/zero"))
    assert str(error.value) == "/dev/zero: is a character device, not a regular file: replace it with the file itself"


def test_reading_is_bounded(data_copy: Path, monkeypatch):
    inputs = [*(data_copy / "reference").glob("*.csv"), *(data_copy / "2019").glob("*.*")]
    path = max(inputs, key=lambda p: p.stat().st_size)  # the largest input: the only one refused
    size = path.stat().st_size
    monkeypatch.setattr(paths, "MAX_INPUT_BYTES", size - 1)
    assert (
        f"{path}: is {size} bytes, over the limit of {size - 1} bytes for an input file: "
        "is it the right file? (a larger limit: set ITUD_MAX_INPUT_MB)"
    ) in problems_of(data_copy)
    monkeypatch.setenv("ITUD_MAX_INPUT_MB", "1")
    assert len(load_edition(2019, data_copy).outcome_sdg) > 0  # the limit raised: read


def test_years_are_ascii_digits_only(data_copy: Path):
    (data_copy / "٢٠٢٠").mkdir()
    assert "٢٠٢٠" not in paths.available_years(data_copy) and "2019" in paths.available_years(data_copy)
    assert problems_of(data_copy, "٢٠٢٠") == [
        "<year argument>, value '٢٠٢٠': not a year (expected four digits such as 2019)"
    ]


# The source's checksum, against the source file when it is at hand (`itud validate`) ------------------


def test_the_source_checksum_is_checked_against_the_source_file_when_at_hand(data_copy: Path, tmp_path: Path):
    from itud.data.load import source_checksum

    edition = load_edition(2019, data_copy)
    name, given = edition.meta["source_document"]["file"], edition.meta["source_document"]["sha256"]
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    assert source_checksum(edition, seeds) == f"SHA-256 not checked: the source file is not in {seeds}"
    (seeds / name).write_text("not the source\n", encoding="utf-8")
    with pytest.raises(EditionError) as error:
        source_checksum(edition, seeds)
    (problem,) = error.value.problems
    assert str(problem).startswith(
        f"{data_copy}/2019/edition.toml, key 'source_document.sha256', value '{given}': does not match the source "
        f"file {seeds / name}, whose SHA-256 is "
    )


@pytest.mark.skipif(not SEED.exists(), reason="shared/seeds is not beside this checkout")
def test_the_2019_edition_gives_the_checksum_of_its_source(capsys):
    assert main(["validate", "--year", "2019"]) == 0
    assert f"source document: {SEED.name}, SHA-256 matches {SEED}" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("meeting_end = 2019-04-05", "meeting_end = 2019-04-35",
         "line 15, key 'meeting_end', value '2019-04-35': not readable TOML"),
        ('[source_document]\nfile = "000', '[source_document]\nfile = 000',
         "line 22, key 'source_document.file', value '000_b35b5415e02ee5de.txt\"': not readable TOML"),
    ],
)  # fmt: skip
def test_a_toml_syntax_error_names_its_line_key_and_value(data_copy: Path, old: str, new: str, expected: str):
    rewrite(data_copy / "2019/edition.toml", old, new)
    (problem,) = problems_of(data_copy)
    assert problem.startswith(f"{data_copy}/2019/edition.toml, {expected} (")
    assert problem.endswith("): text in quotes, dates as a real day YYYY-MM-DD, true/false and numbers without quotes")


@pytest.mark.parametrize("period", ["2018-21", "2021-2018", "this one", "2018 - 2021"])
def test_the_study_period_is_two_years(data_copy: Path, period: str):
    rewrite(data_copy / "2019/edition.toml", 'study_period = "2018-2021"', f'study_period = "{period}"')
    assert problems_of(data_copy) == [
        f"{data_copy}/2019/edition.toml, key 'study_period', value '{period}': must be the first and last year of "
        "the study period, e.g. 2018-2021"
    ]


def test_a_fact_no_source_gives_may_say_not_given_and_the_documents_say_so(data_copy: Path):
    """Dates included: no placeholder date need be typed for a meeting whose dates no source gives."""
    from itud.report import document

    path = data_copy / "2019/edition.toml"
    rewrite(path, "meeting_start = 2019-04-03", 'meeting_start = "not given"')
    rewrite(path, "meeting_end = 2019-04-05", 'meeting_end = "not given"')
    rewrite(path, 'study_period = "2018-2021"', 'study_period = "not given"')
    edition = load_edition(2019, data_copy)
    assert edition.meta["meeting_start"] == "not given" == edition.meta["meeting_end"]
    assert document._dates(edition.meta) == "dates not given"
    assert document._dates({"meeting_start": dt.date(2019, 4, 3), "meeting_end": "not given"}) == (
        "from 3 April 2019 (end not given)"
    )
    rewrite(path, 'meeting_start = "not given"', 'meeting_start = "TO ENTER"')
    rewrite(path, 'meeting_end = "not given"', 'meeting_end = "3 April"')
    toml = f"{data_copy}/2019/edition.toml"
    found = problems_of(data_copy)
    assert f"{toml}, key 'meeting_start': still to enter (itud new-edition left 'TO ENTER'): give the value and its " \
        "source under [sources]" in found  # fmt: skip
    assert f"{toml}, key 'meeting_end', value '3 April': must be a date such as 2019-04-03, without quotes, or " \
        '"not given" where no source gives it' in found  # fmt: skip
