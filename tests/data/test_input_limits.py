"""Every value is checked where it enters, against what every writer can hold: `itud report --note`,
edition.toml's texts (the Word document's core properties hold 255 characters, XML no control character)
and corrections.csv's `first_made`. Each refusal names the file, key or option, and the limit."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from itud.cli import build_parser, main
from itud.data.corrections import FIRST_EDITION
from itud.data.edition_file import MAX_NOTE_CHARACTERS, note_argument
from itud.data.load import load_edition
from itud.errors import EditionError
from tests.conftest import SYNTHETIC_DIR

# --- itud report --note ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("note", "refused"),
    [
        ("fonts\x07embedded", "U+0007 at position 6 is a character the report's documents cannot hold"),
        ("fonts\x0bembedded", "U+000B at position 6 is a character the report's documents cannot hold"),
        ("\x00", "U+0000 at position 1 is a character the report's documents cannot hold"),
        ("end\ufffe", "U+FFFE at position 4 is a character the report's documents cannot hold"),
        ("end\uffff", "U+FFFF at position 4 is a character the report's documents cannot hold"),
        ("x\udc80y", "U+DC80 at position 2 is a character the report's documents cannot hold"),  # undecodable byte
        ("one\nsentence", "U+000A at position 4 is a line break (the note is one sentence)"),
        ("one\r\nsentence", "U+000D at position 4 is a line break (the note is one sentence)"),
        ("a" * 501, "is 501 characters, over the limit of 500 (one sentence for the version's changes block)"),
    ],
)
def test_a_note_the_documents_cannot_hold_is_refused_before_any_work(synthetic_data, tmp_path, capsys, note, refused):
    reports = tmp_path / "reports"
    argv = ["report", "--year", "2090", "--data-dir", str(synthetic_data), "--reports-dir", str(reports)]
    assert main([*argv, "--note", note]) == 2
    assert f"itud report: error: argument --note: {refused}" in capsys.readouterr().err
    assert not reports.exists()  # refused before any notebook ran


def test_a_note_of_one_sentence_within_the_limit_is_taken_as_given():
    note = "the PDF now\tembeds its fonts – the same way on every machine. " * 8
    note = note[:MAX_NOTE_CHARACTERS]
    assert note_argument(note) == note
    assert build_parser().parse_args(["report", "--note", note]).note == note
    assert build_parser().parse_args(["report"]).note == ""


def test_the_publish_notebook_passes_its_note_through_the_same_check(capsys):
    from itud import jupyter

    with pytest.raises(jupyter.CommandFailed):
        jupyter.run("report", "--check", "--note", "bell\x07")  # as 00-publish.ipynb runs it
    assert "argument --note: U+0007 at position 5" in capsys.readouterr().err


# --- edition.toml: what the Word document's properties and XML hold -----------------------------------


def edition(synthetic_data: Path, old: str, new: str) -> Path:
    """Edition 2090 of the synthetic data with `old` replaced by `new` in its edition.toml."""
    path = synthetic_data / "2090" / "edition.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def problems(data: Path, year: int = 2090) -> list[str]:
    with pytest.raises(EditionError) as error:
        load_edition(year, data)
    return [str(p) for p in error.value.problems]


WORD_LIMIT = "over the limit of 255 (a property of the Word document holds at most 255): shorten it"


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        (
            'title = "SYNTHETIC report',
            'title = "' + "x" * 207 + "SYNTHETIC report",
            "report.title",
        ),  # the Word document's title
        ('source = ""', 'source = "' + "x" * 256 + '"', "report.source"),  # its author
    ],
)
def test_a_text_longer_than_a_word_property_is_refused_naming_the_key(synthetic_data, old, new, key):
    path = edition(synthetic_data, old, new)
    (problem,) = problems(synthetic_data)
    assert problem.startswith(f"{path}, key '{key}', value 'x")
    assert problem.endswith(f": is 256 characters, {WORD_LIMIT}")


def test_a_title_of_255_characters_is_taken(synthetic_data):
    title = "SYNTHETIC " + "t" * 245
    edition(synthetic_data, "title = \"SYNTHETIC report 2090 <script>alert('x')</script>\"", f'title = "{title}"')
    assert load_edition(2090, synthetic_data).meta["report"]["title"] == title


def test_validate_refuses_a_title_word_cannot_hold(synthetic_data, capsys):
    path = edition(synthetic_data, 'title = "SYNTHETIC report 2090', 'title = "SYNTHETIC report 2090' + "!" * 300)
    assert main(["validate", "--year", "2090", "--data-dir", str(synthetic_data)]) == 1
    err = capsys.readouterr().err
    assert f"{path}, key 'report.title', value 'SYNTHETIC report 2090!!!" in err
    assert f"is 349 characters, {WORD_LIMIT}" in err


def test_a_document_number_longer_than_the_running_header_holds_is_refused(synthetic_data):
    path = edition(
        synthetic_data, 'document_number = "SYNTHETIC/2090"', 'document_number = "SYNTHETIC/' + "9" * 31 + '"'
    )
    assert problems(synthetic_data) == [
        f"{path}, key 'document_number', value 'SYNTHETIC/{'9' * 31}': is 41 characters, over the limit of 40 "
        "(the running header names it and the title on one line): shorten it"
    ]


@pytest.mark.parametrize(
    ("old", "new", "key", "character"),
    [
        ('group = "SYNTHETIC', 'group = "SYN\\u0007THETIC', "group", "U+0007"),
        ('file = "none"', 'file = "no\\u000bne"', "source_document.file", "U+000B"),
        ('meeting = "SYNTHETIC', 'meeting = "\\uFFFESYNTHETIC', "meeting", "U+FFFE"),
        ('references = ["SYNTHETIC', 'references = ["\\uFFFFSYNTHETIC', "report.references[0]", "U+FFFF"),
        ('status = "published"', 'status = "published"\nnote = "\\u001b[31m"', "question_links.note", "U+001B"),
        ("[report]", '[report.contact]\nemail = "a\\u0000b"\n\n[report]', "report.contact.email", "U+0000"),
        ("[report]", '[sources]\n"group\\u0008" = "seed line 1"\n\n[report]', "sources", "U+0008"),
    ],
)
def test_a_character_xml_cannot_hold_is_refused_in_every_text_naming_key_and_character(
    synthetic_data, old, new, key, character
):
    path = edition(synthetic_data, old, new)
    (problem,) = problems(synthetic_data)
    assert problem.startswith(f"{path}, key '{key}', value ")
    assert problem.endswith(f"contains control character(s) {character}: remove them")


# --- corrections.csv: first_made names an earlier edition -------------------------------------------

HEADER = "action,table,unit,target,reason,authority,date,reference,first_made\n"
ROW = "add,outcome_sdg,P.1-1,{target},SYNTHETIC reason,SYNTHETIC authority,2025-01-02,SYNTHETIC ref,{made}\n"


def carried(data: Path, *first_made: str) -> Path:
    """2091's corrections.csv: one carried correction per `first_made`, each adding a link P.1-1 lacks."""
    path = data / "2091" / "corrections.csv"
    rows = (ROW.format(target=target, made=made) for target, made in zip((2, 3, 4, 5, 6), first_made, strict=False))
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


@pytest.fixture
def three_editions(synthetic_data: Path) -> Path:
    """The synthetic data with one more edition, 2085, before 2090 and 2091 (a copy of 2090 under that year)."""
    shutil.copytree(SYNTHETIC_DIR / "2090", synthetic_data / "2085")
    toml = synthetic_data / "2085" / "edition.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("year = 2090", "year = 2085"), encoding="utf-8")
    return synthetic_data


def test_first_made_naming_an_earlier_edition_of_the_data_folder_is_taken(three_editions):
    carried(three_editions, "2085", "2090", "")
    made = [c.first_made for c in load_edition(2091, three_editions).corrections]
    assert made == ["2085", "2090", ""]


def test_first_made_that_is_not_an_earlier_edition_is_refused_naming_row_and_value(three_editions):
    path = carried(three_editions, "2095", "2091", "1999", "2087")
    where = f"{path}, row {{}} (line {{}}), column 'first_made', value '{{}}'"
    assert problems(three_editions, 2091) == [
        f"{where.format(1, 2, 2095)}: must be an edition before this one (2091): a carried correction was first "
        "made earlier",
        f"{where.format(2, 3, 2091)}: must be an edition before this one (2091): a carried correction was first "
        "made earlier",
        f"{where.format(3, 4, 1999)}: is before the first edition of this report ({FIRST_EDITION}): no correction "
        "was made then",
        f"{where.format(4, 5, 2087)}: names no edition of the data folder (the editions before 2091 are 2085, 2090)",
    ]


@pytest.mark.parametrize(
    ("first_made", "refused"),
    [
        ("2031", "must be an edition before this one (2019): a carried correction was first made earlier"),
        ("2019", "must be an edition before this one (2019): a carried correction was first made earlier"),
        ("1999", f"is before the first edition of this report ({FIRST_EDITION}): no correction was made then"),
    ],
)
def test_the_first_edition_carries_no_correction(data_copy, first_made, refused):
    path = data_copy / "2019" / "corrections.csv"
    path.write_text(
        HEADER + f"add,outcome_sdg,D.4-4,7,SYNTHETIC,SYNTHETIC,2025-01-02,SYNTHETIC,{first_made}\n", encoding="utf-8"
    )
    assert problems(data_copy, 2019) == [
        f"{path}, row 1 (line 2), column 'first_made', value '{first_made}': {refused}"
    ]


def test_first_made_before_the_editions_a_data_folder_holds_is_an_earlier_edition_it_left_out(synthetic_data):
    """A build's copy of the data holds only this edition and the previous one: an edition before those may
    have made the correction (carried through the previous one), as long as it is not before the first."""
    carried(synthetic_data, "2089", "2019")
    assert [c.first_made for c in load_edition(2091, synthetic_data).corrections] == ["2089", "2019"]
    carried(synthetic_data, "2018")
    (problem,) = problems(synthetic_data, 2091)
    assert problem.endswith(f"value '2018': is before the first edition of this report ({FIRST_EDITION}): "
                            "no correction was made then")  # fmt: skip


def test_validate_names_the_first_made_it_refuses(synthetic_data, capsys):
    path = carried(synthetic_data, "2091")
    assert main(["validate", "--year", "2091", "--data-dir", str(synthetic_data)]) == 1
    assert (
        f"{path}, row 1 (line 2), column 'first_made', value '2091': must be an edition before this one (2091)"
        in capsys.readouterr().err
    )
