"""The command line's one error path: checked arguments, a message naming the file and what to do,
exit status 1 (bad data) or 2 (wrong usage), and a traceback only with --debug."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from itud import cli, paths
from itud.cli import main
from itud.errors import EditionError, UsageError, describe


def run(capsys, *argv: str) -> tuple[int, str]:
    """Exit status and standard error of `itud ARGV`."""
    status = main(list(argv))
    return status, capsys.readouterr().err


@pytest.mark.parametrize("command", ["validate", "report"])
@pytest.mark.parametrize("year", ["", "٢٠١٩", "2019\n", "19", "../../etc"])
def test_year_that_is_not_four_ascii_digits(capsys, command: str, year: str):
    status, err = run(capsys, command, "--year", year)
    assert status == 2
    assert f"itud {command}: error: argument --year: not a year (expected four digits such as 2019): {year!r}" in err


def test_year_without_an_edition_folder(data_copy: Path, capsys, tmp_path: Path):
    reports = tmp_path / "reports"
    status, err = run(capsys, "report", "--year", "1901", "--data-dir", str(data_copy), "--reports-dir", str(reports))
    editions = ", ".join(paths.available_years(data_copy))
    assert status == 2
    assert err == (
        f"itud report: error: {data_copy}/1901: no edition 1901 in the data folder (editions: {editions}): "
        "give one of these, or --data-dir\n"
    )
    assert not reports.exists()  # refused before any work


def test_batch_years_are_checked(data_copy: Path, capsys):
    assert run(capsys, "batch", "--data-dir", str(data_copy), "1901")[1].startswith(
        f"itud batch: error: {data_copy}/1901: no edition 1901 in the data folder "
        f"(editions: {', '.join(paths.available_years(data_copy))})"
    )
    status, err = run(capsys, "batch", "--data-dir", str(data_copy), "twenty")
    assert status == 2 and "argument years: not a year (expected four digits such as 2019): 'twenty'" in err


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["batch", "--jobs", "0"], "--jobs"),
        (["batch", "--jobs", "-1"], "--jobs"),
        (["batch", "--jobs", "two"], "--jobs"),
        (["report", "--kernels", "-5"], "--kernels"),
        (["report", "--kernels", "٣"], "--kernels"),
    ],
)
def test_jobs_and_kernels_are_positive_whole_numbers(capsys, argv: list[str], option: str):
    status, err = run(capsys, *argv)
    assert status == 2
    assert f"error: argument {option}: must be a whole number of at least 1: {argv[-1]!r}" in err


def test_notebooks_on_a_folder_without_notebooks(tmp_path: Path, capsys):
    status, err = run(capsys, "notebooks", "--notebooks-dir", str(tmp_path))
    assert status == 2
    assert err == (
        f"itud notebooks: error: {tmp_path}: no notebooks (files named like 01-name.ipynb) in the folder: "
        "give --notebooks-dir FOLDER\n"
    )
    status, err = run(capsys, "notebooks", "--notebooks-dir", str(tmp_path / "missing"))
    assert status == 2
    assert "missing: the notebooks folder does not exist: give --notebooks-dir FOLDER" in err


@pytest.mark.parametrize("command", [["datapackage", "--check"], ["datapackage"], ["validate"], ["batch"]])
def test_missing_data_folder(tmp_path: Path, capsys, command: list[str]):
    missing = tmp_path / "no-data"
    status, err = run(capsys, *command, "--data-dir", str(missing))
    assert status == 2
    assert err == (
        f"itud {command[0]}: error: {missing}: the data folder does not exist: give --data-dir FOLDER "
        "(the folder holding reference/ and one folder per edition year)\n"
    )
    assert not missing.exists()


def test_data_folder_without_editions(tmp_path: Path, capsys):
    status, err = run(capsys, "validate", "--data-dir", str(tmp_path))
    assert status == 2
    assert f"{tmp_path}: no edition folders (four-digit years) in the data folder: give --data-dir" in err


def test_reports_path_that_is_a_file(tmp_path: Path, capsys):
    reports = tmp_path / "reports"
    reports.write_text("not a folder")
    status, err = run(capsys, "report", "--year", "2019", "--reports-dir", str(reports))
    assert status == 2
    assert err == f"itud report: error: {reports}: is a file, not a folder: move it away or give --reports-dir FOLDER\n"
    (tmp_path / "reports2").mkdir()
    (tmp_path / "reports2" / "2019").write_text("not a folder")
    status, err = run(capsys, "batch", "2019", "--reports-dir", str(tmp_path / "reports2"))
    assert status == 2 and f"{tmp_path}/reports2/2019: is a file, not a folder" in err


def test_read_only_reports_folder(tmp_path: Path, capsys, monkeypatch):
    reports = tmp_path / "reports"
    reports.mkdir()
    reports.chmod(0o555)
    if os.geteuid() == 0:  # root may write anyway, so os.access says yes: emulate an ordinary user
        monkeypatch.setattr(cli, "_writable", lambda folder: folder != reports)
    try:
        status, err = run(capsys, "report", "--year", "2019", "--reports-dir", str(reports))
    finally:
        reports.chmod(0o755)
    assert status == 2
    assert err == (
        f"itud report: error: {reports}: the folder is read-only, reports cannot be written there: "
        "make it writable or give --reports-dir FOLDER\n"
    )
    assert list(reports.iterdir()) == []


def test_report_check_reads_a_read_only_reports_folder(tmp_path: Path, capsys, monkeypatch):
    """`--check` writes nothing into the reports folder: a read-only one is no reason to refuse it."""
    reports = tmp_path / "reports"
    reports.mkdir()
    monkeypatch.setattr(cli, "_writable", lambda folder: False)
    from itud.publish import build

    monkeypatch.setattr(build, "build_report", lambda *args, **kwargs: build.BuildResult(2019, "differs", None, 0.0))
    monkeypatch.setattr(cli, "_report_differences", lambda result, reports_dir: 1)
    status, err = run(capsys, "report", "--year", "2019", "--reports-dir", str(reports), "--check")
    assert (status, err) == (1, "")


def test_bad_edition_file_is_one_message_without_traceback(data_copy: Path, capsys):
    path = data_copy / "2019/edition.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("synthetic = false", 'synthetic = "false"'))
    status, err = run(capsys, "validate", "--year", "2019", "--data-dir", str(data_copy))
    assert status == 1
    assert err == (
        "itud validate: edition 2019: 1 problem(s) in the data:\n"
        f"  - {path}, key 'synthetic', value 'false': must be true or false, without quotes\n"
        "fix the file(s) listed, then run `itud validate --year 2019`\n"
    )


def test_fifo_table_through_the_command(data_copy: Path, capsys):
    path = data_copy / "2019/questions.csv"
    path.unlink()
    os.mkfifo(path)
    status, err = run(capsys, "validate", "--year", "2019", "--data-dir", str(data_copy))
    assert status == 1
    assert f"  - {path}: is a named pipe (FIFO), not a regular file: replace it with the file itself\n" in err
    assert "Traceback" not in err


def test_debug_shows_the_traceback(data_copy: Path):
    (data_copy / "2019/outcomes.csv").write_text("")
    with pytest.raises(EditionError):
        main(["--debug", "validate", "--year", "2019", "--data-dir", str(data_copy)])
    with pytest.raises(UsageError):
        main(["--debug", "validate", "--year", "2023", "--data-dir", str(data_copy)])


def test_system_errors_name_the_file_and_what_to_do(capsys, monkeypatch):
    def full_disk(args) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(paths.DATA_DIR / "datapackage.json"))

    monkeypatch.setitem(cli.COMMANDS, "datapackage", full_disk)
    status, err = run(capsys, "datapackage")
    assert status == 1
    assert err == (
        f"itud datapackage: {paths.DATA_DIR}/datapackage.json: No space left on device "
        "(free some disk space and run again)\n"
    )


def test_describe_a_permission_error():
    error = PermissionError(errno.EACCES, "Permission denied", "/srv/reports/2019")
    assert describe(error) == "/srv/reports/2019: Permission denied (check the permissions, or choose another folder)"


def test_parse_refuses_a_year_in_non_ascii_digits(tmp_path: Path):
    with pytest.raises(SystemExit) as error:  # cmd_parse's own check, now on ASCII digits only
        main(["parse", "x.txt", "--year", "٢٠٢٠", "--data-dir", str(tmp_path)])
    assert "not a year: '٢٠٢٠'" in str(error.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the dropped exception
def test_a_stop_whose_exception_python_dropped_is_raised_at_the_next_check():
    """A signal handler that runs inside a finaliser: Python prints "Exception ignored" and goes on; the
    stop is remembered, so a build checks it before it publishes (`raise_if_stopped`)."""
    from itud import errors
    from itud.cli import Stopped

    class Finalised:
        def __del__(self):
            errors.stop(Stopped(2))  # as `cli._stop` does when Ctrl-C comes at that moment

    try:
        Finalised()  # dropped at once: its __del__ runs, and its exception is lost ("Exception ignored")
        with pytest.raises(Stopped):
            errors.raise_if_stopped()
    finally:
        errors.forget_stops()
    errors.raise_if_stopped()  # nothing asked for any more


def test_a_lost_stop_is_not_printed_as_a_traceback_and_anything_else_is(capsys):
    import sys

    from itud import errors
    from itud.cli import Stopped

    def unraisable(error: BaseException):
        """What Python hands its hook when a finaliser raises `error`."""
        caught = []

        class Finalised:
            def __del__(self):
                raise error

        hook, sys.unraisablehook = sys.unraisablehook, caught.append
        try:
            Finalised()
        finally:
            sys.unraisablehook = hook
        return caught[0]

    stop = Stopped(2)
    with pytest.raises(Stopped):
        errors.stop(stop)  # remembered, and raised (here, where nothing drops it)
    errors.quiet_lost_stops(unraisable(stop))
    assert capsys.readouterr().err == ""
    errors.quiet_lost_stops(unraisable(ValueError("a real bug")))
    assert "ValueError: a real bug" in capsys.readouterr().err
