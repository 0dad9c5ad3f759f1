"""The notebook executor: a fresh kernel per notebook, time limits, dead kernels, leftover scratch and socket
folders, a full disk. Notebooks here are tiny ones made by the tests. (Whole commands stopped or killed:
tests/test_signals.py.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from itud.cli import build_parser, main
from itud.errors import BuildError
from itud.publish import build
from itud.run.execute import DEFAULT_TIMEOUT, execute, execute_all

ITUD = str(Path(sys.executable).parent / "itud")

pytestmark = pytest.mark.slow  # every test here starts kernels


def make_notebook(path: Path, *cells: str) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    nbformat.write(notebook, path)
    return path


def outputs(path: Path) -> list[list[str]]:
    """The text each code cell printed or returned."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    texts = []
    for cell in cells:
        texts.append(["".join(o.get("text") or o.get("data", {}).get("text/plain", "")) for o in cell["outputs"]])
    return texts


def test_each_notebook_runs_in_a_fresh_kernel(tmp_path):
    first = make_notebook(
        tmp_path / "01-set.ipynb",
        "import matplotlib as mpl\nimport pandas as pd\n\n"
        "pd.set_option('display.max_rows', 3)\nmpl.rcParams['font.size'] = 30\nleft_behind = 'by 01'",
    )
    second = make_notebook(
        tmp_path / "02-show.ipynb",
        "import matplotlib as mpl\nimport pandas as pd\n\n"
        "print(pd.get_option('display.max_rows'), mpl.rcParams['font.size'], 'left_behind' in globals())",
    )
    out = tmp_path / "out"
    out.mkdir()
    # One notebook at a time: the second starts after the first is done, as in a shared kernel before.
    execute_all([(first, out / first.name), (second, out / second.name)], kernels=1)
    assert outputs(out / second.name) == [["60 10.0 False\n"]]  # the defaults, not 3 and 30.0
    counts = [c["execution_count"] for c in json.loads((out / second.name).read_text())["cells"]]
    assert counts == [1]  # its own kernel's first execution


@pytest.mark.parametrize("start", ["as usual", "slowly"])
def test_a_ready_kernel_has_nothing_left_to_say_and_a_stopped_one_is_gone(tmp_path, monkeypatch, start):
    """The client's wait for a ready kernel reads up to the kernel's idle after its last request (not until
    0.2 s of silence): nothing about it is left on the output channel afterwards. A kernel slow to start
    (here: one that compiles every module it imports, as where PYTHONDONTWRITEBYTECODE is set and nothing
    was compiled) answers an earlier request after a later one was sent: its messages were left behind."""
    from queue import Empty

    from jupyter_core.utils import run_sync

    from itud.run.execute import kernel_alive, start_kernel, stop_kernel

    if start == "slowly":
        monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
        monkeypatch.setenv("PYTHONPYCACHEPREFIX", str(tmp_path / "no compiled modules"))
    manager = start_kernel(tmp_path)
    try:
        client = manager.client()
        client.start_channels()
        run_sync(client.wait_for_ready)(timeout=60)
        with pytest.raises(Empty):
            run_sync(client.iopub_channel.get_msg)(timeout=0.5)
        run_sync(client.execute_interactive)("x = 1 + 1", timeout=60)
    finally:
        stop_kernel(manager)
    assert not kernel_alive(manager)


def test_a_hanging_notebook_fails_naming_itself_its_cell_and_the_time_limit(tmp_path):
    hang = make_notebook(tmp_path / "01-hang.ipynb", "x = 1", "import time\n\ntime.sleep(600)")
    with pytest.raises(BuildError) as error:
        execute(hang, tmp_path / "out.ipynb", timeout=4)
    assert str(error.value) == (
        "notebook 01-hang.ipynb did not finish within its time limit of 4 s (stopped in cell 2 ('import time')); "
        "give more time with --timeout SECONDS"
    )


def test_a_dead_kernel_is_an_error_naming_the_notebook_and_cell(tmp_path):
    dies = make_notebook(tmp_path / "01-dies.ipynb", "x = 1", "import os\n\nos._exit(1)", "print('never')")
    with pytest.raises(BuildError) as error:
        execute(dies, tmp_path / "out.ipynb", timeout=60)
    assert str(error.value) == "notebook 01-dies.ipynb: its kernel died in cell 2 ('import os')"


def test_the_first_failing_notebook_in_reading_order_is_reported_whatever_runs_in_parallel(tmp_path):
    fails = make_notebook(tmp_path / "01-fails.ipynb", "import time\n\ntime.sleep(2)\nraise ValueError('late')")
    early = make_notebook(tmp_path / "02-fails-early.ipynb", "raise ValueError('early')")
    with pytest.raises(BuildError, match=r"^notebook 01-fails\.ipynb failed in cell 1 \('import time'\): ValueError"):
        execute_all([(fails, tmp_path / "a.ipynb"), (early, tmp_path / "b.ipynb")], kernels=2, timeout=60)


def test_a_notebook_before_a_failure_in_reading_order_still_runs_though_started_later(tmp_path):
    """The biggest notebooks start first; a failure in one still lets those before it in reading order run."""
    first = make_notebook(tmp_path / "01-small.ipynb", "raise ValueError('first in reading order')")
    big = make_notebook(tmp_path / "02-big.ipynb", "# " + "x" * 20_000 + "\nraise ValueError('started first')")
    with pytest.raises(BuildError, match=r"^notebook 01-small\.ipynb failed in cell 1 .*first in reading order"):
        execute_all([(first, tmp_path / "a.ipynb"), (big, tmp_path / "b.ipynb")], kernels=1, timeout=60)


def test_report_with_a_too_short_timeout_fails_naming_the_first_notebook(synthetic_data, tmp_path, capsys, monkeypatch):
    """... and, no notebook being done, never starts the PDF printer (a second of CPU for nothing)."""
    from itud.report import printer

    started = []
    start = printer.PdfPrinter.start
    monkeypatch.setattr(printer.PdfPrinter, "start", lambda self: started.append(self) or start(self))
    reports = tmp_path / "reports"
    arguments = ["--data-dir", str(synthetic_data), "--reports-dir", str(reports), "--quiet"]
    assert main(["report", "--year", "2090", *arguments, "--timeout", "0.2"]) == 1
    message = capsys.readouterr().err
    first = "itud report: notebook 01-mapping-tables.ipynb"
    assert message.startswith(f"{first} did not finish within its time limit of 0.2 s (stopped in ")
    assert message.endswith("; give more time with --timeout SECONDS\n")
    assert list((reports / "2090").iterdir()) == []
    assert started == []


def test_timeout_must_be_positive(tmp_path):
    notebook = make_notebook(tmp_path / "01-x.ipynb", "x = 1")
    with pytest.raises(BuildError, match="positive number of seconds, not 0"):
        execute(notebook, tmp_path / "out.ipynb", timeout=0)


@pytest.mark.parametrize("command", ["report", "batch", "notebooks"])
def test_timeout_option_is_offered_with_its_default(command, capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args([command, "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--timeout SECONDS time limit of each notebook" in help_text
    assert f"(default: {DEFAULT_TIMEOUT:g})" in help_text
    assert build_parser().parse_args([command, "--timeout", "2.5"]).timeout == 2.5


@pytest.mark.parametrize("value", ["0", "-3", "soon", "inf"])
def test_timeout_option_refuses_what_is_not_a_positive_number(value, capsys):
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["report", "--timeout", value])
    assert exit_.value.code == 2
    assert "argument --timeout:" in capsys.readouterr().err


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_scratch_folders_of_dead_runs_are_removed_and_live_ones_kept(tmp_path):
    stale = tmp_path / f".tmp-{dead_pid()}-abc"
    live = tmp_path / f".tmp-{os.getpid()}-def"
    unknown = tmp_path / ".tmp-xyz"  # older naming: no process id to check, so left alone
    for folder in (stale, live, unknown):
        (folder / "notebooks").mkdir(parents=True)
    (tmp_path / "v1").mkdir()
    assert build.remove_stale_scratch(tmp_path) == [stale]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, unknown.name, "v1"])


def test_a_build_removes_leftover_scratch_folders_first(synthetic_data, tmp_path, monkeypatch):
    year_dir = tmp_path / "reports" / "2090"
    stale = year_dir / f".tmp-{dead_pid()}-abc"
    (stale / "notebooks").mkdir(parents=True)

    def broken(folder, *args):
        raise BuildError("stopped here by the test")

    monkeypatch.setattr(build, "_build_into", broken)
    with pytest.raises(BuildError, match="stopped here by the test"):
        build.build_report(2090, synthetic_data, tmp_path / "reports", progress=False)
    assert [p.name for p in year_dir.iterdir() if p.name.startswith(".tmp-")] == []


def test_kernel_sockets_of_runs_killed_outright_are_removed_by_the_next_run(tmp_path, monkeypatch):
    from itud.run import execute

    sockets = tmp_path / "sockets"
    stale, live = sockets / f"itud-k-{dead_pid()}-abc", sockets / f"itud-k-{os.getpid()}-def"
    for folder in (stale, live):
        folder.mkdir(parents=True)
    monkeypatch.setattr(execute, "SOCKETS_PARENT", sockets)
    notebook = make_notebook(tmp_path / "01-one.ipynb", "print(1)")
    execute_all([(notebook, tmp_path / "out.ipynb")])
    assert [p.name for p in sockets.iterdir()] == [live.name]  # and this run's own folders are gone too


def test_a_full_disk_names_where_the_build_was_writing(synthetic_data, tmp_path, monkeypatch, capsys):
    import errno

    def full(folder, *args):
        raise OSError(errno.ENOSPC, "No space left on device")  # as a write() says it: no file named

    monkeypatch.setattr(build, "_build_into", full)
    reports = tmp_path / "reports"
    arguments = ["report", "--year", "2090", "--data-dir", str(synthetic_data), "--reports-dir", str(reports)]
    assert main([*arguments, "--quiet"]) == 1
    assert capsys.readouterr().err == (
        f"itud report: {reports}/2090: No space left on device (free some disk space and run again)\n"
    )
    assert [p.name for p in (reports / "2090").iterdir() if p.name.startswith(".tmp-")] == []
