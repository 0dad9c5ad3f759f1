"""Issue 10, the parser: bad sources and bad annexes get clear messages; tables are written all or none."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from itud import paths
from itud.cli import main
from itud.data import parse
from itud.data.parse import parse_annexes, parse_file, write_tables
from itud.errors import EditionError
from tests.data.test_parse_docx import TEXT_LINES

TEXT = "\n".join(TEXT_LINES) + "\n"
TABLE_FILES = [
    "objectives.csv",
    "outcomes.csv",
    "outcome_sdg.csv",
    "outcome_action_line.csv",
    "study_groups.csv",
    "normalisations.csv",
]


def _source(tmp_path: Path, text: str = TEXT, name: str = "annex.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(["parse", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture
def edition(tmp_path: Path) -> Path:
    """An edition folder holding tables from a first parse and a hand-entered file."""
    shutil.copytree(paths.DATA_DIR / "reference", tmp_path / "data" / "reference")
    folder = tmp_path / "data" / "2090"
    write_tables(parse_annexes(TEXT_LINES, "annex.txt"), folder)
    (folder / "edition.toml").write_text("# SYNTHETIC: hand-entered facts, never touched by the parser\n")
    return folder


# --- Annexes that parse but must not be written -------------------------------------------------


def _refused(tmp_path: Path, capsys, text: str) -> str:
    out = tmp_path / "out"
    status, stdout, err = _run(capsys, str(_source(tmp_path, text)), "--out", str(out))
    assert status == 1
    assert "wrote" not in stdout
    assert not out.exists()
    assert err.endswith(f"\nnothing was written to {out}\n")
    return err


def test_duplicated_outcome_is_refused(tmp_path: Path, capsys):
    outcome = "\n".join(TEXT_LINES[7:10])
    err = _refused(tmp_path, capsys, TEXT.replace(outcome, outcome + "\n" + outcome))
    assert err.splitlines()[:4] == [
        "itud parse: 3 problem(s) in the data:",
        "  - annex.txt, line 11, column 'outcome', value 'D.1-1': duplicate id (ids must be unique) (table outcomes)",
        "  - annex.txt, line 12: duplicate row: the same outcome 'D.1-1' and sdg '1' as an earlier row (each may "
        "appear only once) (table outcome_sdg)",
        "  - annex.txt, line 13: duplicate row: the same outcome 'D.1-1' and action_line 'C1' as an earlier row (each "
        "may appear only once) (table outcome_action_line)",
    ]


def test_outcome_under_an_unknown_objective_is_refused(tmp_path: Path, capsys):
    err = _refused(tmp_path, capsys, TEXT.replace("D.2-1:", "D.3-1:"))
    assert (
        "annex.txt, line 11, column 'objective', value 'D.3': not a known objective (no such row in objectives) "
        "(table outcomes)" in err
    )


def test_duplicated_objective_is_refused(tmp_path: Path, capsys):
    err = _refused(tmp_path, capsys, TEXT.replace("D.2 Second:", "D.1 Second:"))
    assert (
        "annex.txt, line 6, column 'objective', value 'D.1': duplicate id (ids must be unique) (table objectives)"
        in err
    )


def test_duplicated_study_group_is_refused(tmp_path: Path, capsys):
    err = _refused(tmp_path, capsys, TEXT + "SG1: The same group again\n")
    assert (
        "annex.txt, line 16, column 'study_group', value 'SG1': duplicate id (ids must be unique) (table study_groups)"
        in err
    )


def test_an_annex_without_outcomes_is_refused(tmp_path: Path, capsys):
    text = "\n".join(TEXT_LINES[:7] + TEXT_LINES[-2:])
    status, _, err = _run(capsys, str(_source(tmp_path, text)), "--out", str(tmp_path / "out"))
    assert status == 1
    assert err == (
        "itud parse: annex.txt: 1 line(s) could not be read:\n"
        "  annex.txt, line 2: Annex 1 has no outcomes read (found 2 objective(s) or priorit(ies), 0 outcome(s), "
        "1 title line(s)): ''\n"
    )
    assert not (tmp_path / "out").exists()


def test_a_refused_annex_leaves_the_edition_as_it_was(edition: Path, capsys):
    before = _snapshot(edition)
    source = _source(edition.parent.parent, TEXT.replace("D.2-1:", "D.3-1:"))
    status, _, _ = _run(capsys, str(source), "--year", "2090", "--data-dir", str(edition.parent))
    assert status == 1
    assert _snapshot(edition) == before


# --- Normalisations: every prefix rewritten is logged ----------------------------------------------


def test_sdg_and_action_line_prefixes_are_logged():
    lines = list(TEXT_LINES)
    lines[8] = "Contributes to achievement of SDG Goals SDG 1, SDG Goal 3 and sdg17"
    lines[9] = "Contributes to facilitation of implementation of WSIS AL c1 and AL c11"
    parsed = parse_annexes(lines, "annex.txt")
    assert parsed.outcome_sdg["sdg"].tolist()[:3] == [1, 3, 17]
    assert [(n.line, n.kind, n.before, n.after) for n in parsed.normalisations if n.line in (9, 10)] == [
        (9, "sdg id normalised", "SDG 1", "1"),
        (9, "sdg id normalised", "SDG Goal 3", "3"),
        (9, "sdg id normalised", "sdg17", "17"),
        (10, "action_line id normalised", "c1", "C1"),
        (10, "action_line id normalised", "AL c11", "C11"),
    ]


# --- Sources that are not UTF-8 text or not files ------------------------------------------------


def test_utf8_bom_does_not_hide_the_annex_heading(tmp_path: Path):
    path = tmp_path / "annex.txt"
    path.write_bytes(b"\xef\xbb\xbf" + "\n".join(TEXT_LINES[1:]).encode())  # the BOM sits before "ANNEX 1"
    parsed = parse_file(path)
    assert len(parsed.outcomes) == 2
    assert (parsed.normalisations[0].line, parsed.normalisations[0].kind) == (1, "byte order mark removed")


def test_utf16_is_not_utf8_text(tmp_path: Path, capsys):
    path = tmp_path / "annex.txt"
    path.write_bytes(TEXT.encode("utf-16"))
    assert _run(capsys, str(path), "--out", str(tmp_path / "out"))[2] == (
        "itud parse: annex.txt: not UTF-8 text: it is UTF-16 (it starts with a UTF-16 byte order mark); save as UTF-8\n"
    )


def test_binary_is_not_utf8_text(tmp_path: Path, capsys):
    path = tmp_path / "annex.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert _run(capsys, str(path), "--out", str(tmp_path / "out"))[2] == (
        "itud parse: annex.txt: not UTF-8 text: byte b'\\x89' at line 1, offset 0; save as UTF-8\n"
    )
    path.write_bytes(b"ANNEX 1\n\x00\x00\x00")
    assert _run(capsys, str(path), "--out", str(tmp_path / "out"))[2] == (
        "itud parse: annex.txt: not UTF-8 text: a NUL byte at line 2 (a binary file?); save as UTF-8 text\n"
    )


def test_a_folder_as_source_is_an_error(tmp_path: Path, capsys):
    assert _run(capsys, str(tmp_path), "--out", str(tmp_path / "out"))[2] == (
        f"itud parse: {tmp_path}: is a folder, not a file: give the contribution's .txt or .docx file\n"
    )


def test_a_missing_source_is_an_error(tmp_path: Path, capsys):
    assert _run(capsys, str(tmp_path / "nope.txt"), "--out", str(tmp_path / "out"))[2] == (
        f"itud parse: {tmp_path / 'nope.txt'}: no such file\n"
    )


def test_a_fifo_as_source_is_refused_without_hanging(tmp_path: Path, capsys):
    fifo = tmp_path / "annex.txt"
    os.mkfifo(fifo)
    assert "is not a regular file (a FIFO, socket or device?)" in _run(capsys, str(fifo), "--out", str(tmp_path))[2]


def test_out_naming_a_file_is_an_error(tmp_path: Path, capsys):
    target = tmp_path / "tables.csv"
    target.write_text("keep me")
    with pytest.raises(SystemExit) as error:
        main(["parse", str(_source(tmp_path)), "--out", str(target)])
    assert str(error.value) == f"itud parse: {target} is a file, not a folder: give a folder for the tables"
    assert target.read_text() == "keep me"


def test_write_tables_refuses_a_file_as_folder(tmp_path: Path):
    target = tmp_path / "tables"
    target.write_text("keep me")
    with pytest.raises(parse.ParseFileError, match="is a file, not a folder"):
        write_tables(parse_annexes(TEXT_LINES, "annex.txt"), target)


def test_a_symlinked_edition_folder_is_refused(tmp_path: Path):
    real = tmp_path / "elsewhere"
    real.mkdir()
    (tmp_path / "2090").symlink_to(real)
    with pytest.raises(parse.ParseFileError, match="is a symbolic link: give the real folder"):
        write_tables(parse_annexes(TEXT_LINES, "annex.txt"), tmp_path / "2090")
    assert list(real.iterdir()) == []


@pytest.mark.parametrize("year", ["\u0662\u0660\u0662\u0660", "２０２０", "20201", "../../etc", ""])
def test_year_must_be_four_ascii_digits(tmp_path: Path, year: str):
    with pytest.raises(SystemExit) as error:
        main(["parse", str(_source(tmp_path)), "--year", year, "--data-dir", str(tmp_path / "data")])
    assert str(error.value) == f"itud parse: not a year: {year!r} (expected four ASCII digits such as 2019)"
    assert not (tmp_path / "data").exists()


# --- Writing: all tables or none, under the edition's lock ----------------------------------------


def test_parse_writes_only_its_tables_and_leaves_nothing_else(edition: Path, tmp_path: Path, capsys):
    source = _source(tmp_path, TEXT.replace("First outcome.", "First outcome, reworded."))
    status, out, _ = _run(capsys, str(source), "--year", "2090", "--data-dir", str(edition.parent))
    assert status == 0
    assert sorted(p.name for p in edition.iterdir()) == sorted([*TABLE_FILES, "edition.toml"])  # no lock, no temp
    assert "First outcome, reworded." in (edition / "outcomes.csv").read_text()
    assert (edition / "edition.toml").read_text().startswith("# SYNTHETIC")


def test_a_write_that_fails_halfway_changes_nothing(edition: Path, monkeypatch):
    before = _snapshot(edition)
    real = pd.DataFrame.to_csv
    calls = []

    def disk_full(self, path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", disk_full)
    changed = parse_annexes([line.replace("First outcome.", "Changed.") for line in TEXT_LINES], "annex.txt")
    with pytest.raises(parse.ParseFileError) as error:
        write_tables(changed, edition)
    assert str(error.value) == (
        f"{edition}: could not write outcome_sdg.csv (No space left on device); nothing was changed"
    )
    assert _snapshot(edition) == before


def test_a_swap_that_fails_halfway_is_rolled_back(edition: Path, monkeypatch):
    before = _snapshot(edition)
    real = os.replace
    moved = []

    def failing_replace(source, target):
        if Path(target).parent == edition and Path(target).suffix == ".csv":
            moved.append(target)
            if len(moved) == 4:
                raise OSError(5, "Input/output error")
        return real(source, target)

    monkeypatch.setattr(os, "replace", failing_replace)
    changed = parse_annexes([line.replace("First outcome.", "Changed.") for line in TEXT_LINES], "annex.txt")
    with pytest.raises(parse.ParseFileError) as error:
        write_tables(changed, edition)
    assert str(error.value) == f"{edition}: could not replace the tables (Input/output error); the old tables are kept"
    assert _snapshot(edition) == before


def test_an_interrupted_swap_is_rolled_back_by_the_next_run(edition: Path):
    before = _snapshot(edition)
    # What a run killed in the middle of its swap leaves: its journal, the old tables, some new ones in place.
    leftover = edition / ".parse-killed"
    (leftover / "previous").mkdir(parents=True)
    for name in TABLE_FILES:
        (leftover / "previous" / name).write_bytes(before[name])
    (leftover / "swap.json").write_text(json.dumps({"replaced": TABLE_FILES[:-1], "added": TABLE_FILES[-1:]}))
    (edition / "outcomes.csv").write_text("half-written new table\n")
    with parse.edition_lock(edition):
        parse._roll_back_interrupted(edition)
    del before["normalisations.csv"]  # the journal says the killed run added it
    assert _snapshot(edition) == before


@pytest.mark.slow
def test_two_parses_at_once_never_mix_their_tables(tmp_path: Path):
    out = tmp_path / "out"
    sources = []
    for label in ("alpha", "beta"):
        sources.append(_source(tmp_path, TEXT.replace("First outcome.", f"Outcome {label}."), f"{label}.txt"))
    command = [sys.executable, "-m", "itud.cli", "parse"]
    for _ in range(3):
        runs = [subprocess.Popen([*command, str(s), "--out", str(out)], stdout=subprocess.DEVNULL) for s in sources]
        assert [run.wait(timeout=120) for run in runs] == [0, 0]
        written = {name: (out / name).read_text() for name in ("outcomes.csv", "outcome_sdg.csv", "normalisations.csv")}
        label = "alpha" if "Outcome alpha." in written["outcomes.csv"] else "beta"
        assert all(f"{label}.txt" in text for text in written.values()), written
        assert sorted(p.name for p in out.iterdir()) == sorted(TABLE_FILES)


def test_the_edition_folder_lock_is_exclusive(tmp_path: Path):
    folder = tmp_path / "2090"
    with parse.edition_lock(folder):
        probe = subprocess.run(
            [
                sys.executable,
                "-c",
                "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDONLY);"
                "fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)",
                str(folder),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert "BlockingIOError" in probe.stderr
    assert list(folder.iterdir()) == []


def test_reference_problems_are_reported_not_written(tmp_path: Path):
    with pytest.raises(EditionError, match="file is missing"):
        write_tables(parse_annexes(TEXT_LINES, "annex.txt"), tmp_path / "out", tmp_path / "no-reference")
    assert not (tmp_path / "out").exists()
