"""`itud parse` records its source in edition.toml ([source_document] `file` and `sha256`), changing nothing
else; `itud new-edition` leaves them to enter and says that `itud parse` writes them. SYNTHETIC files only."""

from __future__ import annotations

import hashlib
import shutil
import stat
import tomllib
from pathlib import Path

import pytest

from itud import paths
from itud.cli import main
from itud.data.editions import TO_ENTER, still_to_enter
from itud.data.parse import ParseFileError, file_sha256, record_source, with_source_recorded
from tests.conftest import SEED
from tests.data.test_parse_docx import TEXT_LINES

TEXT = "\n".join(TEXT_LINES) + "\n"
EDITION = """\
# SYNTHETIC edition for these tests. A comment the parser must keep.
year = 2090
synthetic = true

[source_document]
# The contribution the tables were read from.
file = "TO ENTER"  # an inline comment, kept too
title = "SYNTHETIC contribution"
description = "SYNTHETIC"
sha256 = "not given"

[sources]
meeting = "SYNTHETIC source"
"""


def _data(tmp_path: Path, edition_toml: str | None = EDITION) -> Path:
    """A data folder: the real reference tables and edition 2090's folder, with `edition_toml` if given."""
    data = tmp_path / "data"
    shutil.copytree(paths.DATA_DIR / "reference", data / "reference")
    (data / "2090").mkdir()
    if edition_toml is not None:
        (data / "2090" / "edition.toml").write_bytes(edition_toml.encode("utf-8"))
    return data


def _source(tmp_path: Path, text: str = TEXT, name: str = "SYNTHETIC-contribution.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _parse(data: Path, source: Path, capsys) -> tuple[int, str, str]:
    status = main(["parse", str(source), "--year", "2090", "--data-dir", str(data)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_the_checksum_is_the_files_sha256_read_in_blocks(tmp_path: Path):
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(range(256)) * 20_000)  # 5 MB: more than one block
    assert file_sha256(big) == hashlib.sha256(big.read_bytes()).hexdigest()


def test_parse_records_the_source_name_and_sha256_and_keeps_everything_else(tmp_path: Path, capsys):
    data, source = _data(tmp_path), _source(tmp_path)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    status, out, err = _parse(data, source, capsys)
    assert (status, err) == (0, "")
    path = data / "2090" / "edition.toml"
    assert (
        f'recorded in {path}: [source_document] file = "SYNTHETIC-contribution.txt", sha256 = "{digest}" '
        "(was file = 'TO ENTER', sha256 = 'not given')"
    ) in out
    expected = EDITION.replace('file = "TO ENTER"', 'file = "SYNTHETIC-contribution.txt"').replace(
        'sha256 = "not given"', f'sha256 = "{digest}"'
    )
    assert path.read_text(encoding="utf-8") == expected
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".")] == []  # no temporary file left

    status, out, _ = _parse(data, source, capsys)  # the same source again: nothing to change
    assert status == 0
    assert f'{path}: [source_document] file = "SYNTHETIC-contribution.txt", sha256 = "{digest}" already recorded' in out
    assert path.read_text(encoding="utf-8") == expected


def test_another_source_replaces_the_recorded_one_and_says_what_it_was(tmp_path: Path):
    first = _source(tmp_path)
    second = _source(tmp_path, TEXT.replace("First outcome", "First outcome, reworded"), "SYNTHETIC-v2.txt")
    folder = _data(tmp_path) / "2090"
    record_source(first, folder)
    record = record_source(second, folder)
    assert record.written and record.previous == {"file": first.name, "sha256": file_sha256(first)}
    assert f"(was file = '{first.name}', sha256 = '{file_sha256(first)}')" in str(record)
    meta = tomllib.loads((folder / "edition.toml").read_text(encoding="utf-8"))
    assert meta["source_document"] == {
        "file": "SYNTHETIC-v2.txt", "title": "SYNTHETIC contribution", "description": "SYNTHETIC",
        "sha256": file_sha256(second),
    }  # fmt: skip


def test_missing_keys_and_a_missing_table_are_created_and_nothing_else_changes():
    where = Path("edition.toml")
    without_keys = EDITION.replace('file = "TO ENTER"  # an inline comment, kept too\n', "").replace(
        'sha256 = "not given"\n', ""
    )
    text, previous = with_source_recorded(without_keys, "a.docx", "ab" * 32, where)
    assert previous == {"file": None, "sha256": None}
    assert tomllib.loads(text)["source_document"]["file"] == "a.docx"
    assert text.startswith(without_keys.split("\n[sources]")[0].rstrip("\n") + '\nfile = "a.docx"\nsha256 = ')

    without_table = "# SYNTHETIC\nyear = 2090\n\n[sources]\nmeeting = \"SYNTHETIC\"\n"
    text, _ = with_source_recorded(without_table, "a.docx", "ab" * 32, where)
    assert text.startswith(without_table)
    assert tomllib.loads(text)["source_document"] == {"file": "a.docx", "sha256": "ab" * 32}


def test_line_ends_and_permissions_of_edition_toml_are_kept(tmp_path: Path):
    folder = _data(tmp_path, EDITION.replace("\n", "\r\n")) / "2090"
    path = folder / "edition.toml"
    path.chmod(0o640)
    assert record_source(_source(tmp_path), folder).written
    raw = path.read_bytes()
    assert raw.count(b"\r\n") == EDITION.count("\n") and b"\n" not in raw.replace(b"\r\n", b"")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_without_an_edition_toml_nothing_is_invented_and_the_values_are_printed(tmp_path: Path, capsys):
    data, source = _data(tmp_path, None), _source(tmp_path)
    status, out, _ = _parse(data, source, capsys)
    path = data / "2090" / "edition.toml"
    assert status == 0 and not path.exists()
    assert (
        f'{path} does not exist, so the source was not recorded: enter [source_document] file = '
        f'"SYNTHETIC-contribution.txt", sha256 = "{file_sha256(source)}" there'
    ) in out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("year = 2090\n[source_document\n", "is not valid TOML (Unexpected character"),
        ('year = 2090\nsource_document = "x.txt"\n', "key 'source_document' is 'x.txt', not a table [source_document]"),
    ],
)
def test_an_edition_toml_that_cannot_take_the_record_is_an_error_naming_it(tmp_path: Path, capsys, text, message):
    data = _data(tmp_path, text)
    status, _, err = _parse(data, _source(tmp_path), capsys)
    path = data / "2090" / "edition.toml"
    assert status == 1 and "Traceback" not in err
    assert err.startswith(f"itud parse: {path}: {message}")
    assert err.rstrip().endswith("the tables were written but the source was not recorded: fix the file and run "
                                 "`itud parse` again")
    assert path.read_text(encoding="utf-8") == text


def test_new_edition_leaves_the_source_to_parse_and_parse_fills_it(synthetic_data: Path, tmp_path: Path, capsys):
    assert main(["new-edition", "2095", "--from", "2090", "--data-dir", str(synthetic_data)]) == 0
    out = capsys.readouterr().out
    assert "itud parse SOURCE --year 2095" in out and "records the source's file name and SHA-256" in out
    path = synthetic_data / "2095" / "edition.toml"
    text = path.read_text(encoding="utf-8")
    assert "[source_document] file and sha256\n# are written by `itud parse SOURCE --year 2095`" in text
    assert 'file = "TO ENTER" # written by `itud parse SOURCE --year 2095`' in text
    assert "source_document.file" in still_to_enter(tomllib.loads(text))

    source = _source(tmp_path)
    assert main(["parse", str(source), "--year", "2095", "--data-dir", str(synthetic_data)]) == 0
    assert f"recorded in {path}" in capsys.readouterr().out
    after = path.read_text(encoding="utf-8")
    meta = tomllib.loads(after)
    assert meta["source_document"]["file"] == source.name
    assert meta["source_document"]["sha256"] == file_sha256(source)
    assert meta["source_document"]["title"] == TO_ENTER  # hand-entered: never guessed
    assert not {"source_document.file", "source_document.sha256"} & set(still_to_enter(meta))
    # only the two values changed: `file` in place, with its comment; `sha256` (2090 has none) added after it
    digest = file_sha256(source)
    assert after == text.replace('file = "TO ENTER"', f'file = "{source.name}"').replace(
        'description = "TO ENTER"\n', f'description = "TO ENTER"\nsha256 = "{digest}"\n', 1
    )


def test_a_folder_as_edition_toml_is_an_error(tmp_path: Path):
    folder = _data(tmp_path, None) / "2090"
    (folder / "edition.toml").mkdir()
    with pytest.raises(ParseFileError, match="edition.toml: is not a regular file; the tables were written"):
        record_source(_source(tmp_path), folder)


@pytest.mark.skipif(not SEED.exists(), reason="shared/seeds is not beside this checkout")
def test_the_2019_seed_gives_the_sha256_edition_2019_records(data_copy: Path, capsys):
    assert main(["parse", str(SEED), "--year", "2019", "--data-dir", str(data_copy)]) == 0
    assert f"{data_copy / '2019' / 'edition.toml'}: [source_document] file = \"{SEED.name}\"" in capsys.readouterr().out
    assert (data_copy / "2019" / "edition.toml").read_bytes() == (paths.DATA_DIR / "2019" / "edition.toml").read_bytes()
