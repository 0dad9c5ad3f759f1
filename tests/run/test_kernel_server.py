"""The kernel server: kernels forked from a process that imported the notebooks' libraries once; what it
refuses (started the usual way instead), a server that dies, and kernels that may not outlive it."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import pytest

from itud.report.results import NOTEBOOK_LIBRARIES
from itud.run import kernel_server
from itud.run.execute import execute_all, kernel_alive, start_kernel, stop_kernel
from itud.run.kernel_server import PRELOAD, KernelServer, can_fork, refused
from tests.run.test_execute import make_notebook, outputs

LAUNCH = [sys.executable, "-m", "ipykernel_launcher", "-f", "k.json"]


def test_a_kernel_is_forked_for_this_interpreter_and_the_servers_environment():
    assert refused(LAUNCH, {"A": "1"}, {"A": "1"}) == ""
    assert refused(LAUNCH, {"A": "1", "JPY_PARENT_PID": "7"}, {"A": "1"}) == ""  # jupyter_client's own


def test_what_a_fork_cannot_give_is_refused_naming_why():
    other = "not this interpreter's ipykernel: /other/python -m ipykernel_launcher"
    assert refused(["/other/python", *LAUNCH[1:]], {}, {}) == other
    assert refused([sys.executable, "-m", "other_kernel"], {}, {}).startswith("not this interpreter's ipykernel")
    assert refused(LAUNCH, {"A": "2", "B": "1"}, {"A": "1", "C": "1"}) == "environment differs: A, B, C"


def test_this_system_can_fork_kernels():  # Linux 5.3 or later, as CI; elsewhere kernels start the usual way
    assert can_fork()


def test_every_module_the_server_imports_exists():
    for module in [*PRELOAD, *NOTEBOOK_LIBRARIES]:
        importlib.import_module(module)


def _parent_and_preloaded(tmp_path: Path, **kwargs) -> tuple[int, bool]:
    """Run a notebook that prints its kernel's parent pid and whether pandas was imported before its first line."""
    notebook = make_notebook(tmp_path / "01-who.ipynb", "import os, sys\nprint(os.getppid(), 'pandas' in sys.modules)")
    execute_all([(notebook, tmp_path / "out.ipynb")], timeout=60, **kwargs)
    parent, preloaded = outputs(tmp_path / "out.ipynb")[0][0].split()
    return int(parent), preloaded == "True"


@pytest.mark.slow
def test_kernels_are_forked_by_the_server_with_the_libraries_imported(tmp_path):
    with KernelServer() as server:
        assert _parent_and_preloaded(tmp_path, server=server) == (server.pid, True)


SETTINGS = (
    "import hashlib, json, matplotlib, pandas, warnings\n"
    "warnings.simplefilter('ignore')  # reading deprecated options warns, naming the kernel's own file\n"
    "options = {k: repr(pandas.get_option(k)) for k in sorted(pandas._config.config._registered_options)}\n"
    "settings = [options, {k: repr(v) for k, v in sorted(matplotlib.rcParams.items())}]\n"
    "print(hashlib.sha256(json.dumps(settings).encode()).hexdigest(), options['display.max_columns'])"
)


@pytest.mark.slow
def test_a_forked_kernel_has_the_settings_of_a_kernel_started_the_usual_way(tmp_path, monkeypatch):
    """Every pandas option and matplotlib setting, as the libraries set them when imported in a kernel."""
    notebook = make_notebook(tmp_path / "01-settings.ipynb", SETTINGS)
    with KernelServer() as server:
        execute_all([(notebook, tmp_path / "forked.ipynb")], timeout=60, server=server)
        monkeypatch.setenv("ITUD_TEST_SETTING", "so that the server refuses")
        execute_all([(notebook, tmp_path / "usual.ipynb")], timeout=60, server=server)
    forked, usual = (outputs(tmp_path / f"{name}.ipynb")[0] for name in ("forked", "usual"))
    assert forked == usual and usual[0].split()[1] == "20"  # a kernel's, not a terminal's 0


@pytest.mark.slow
def test_a_kernel_asked_for_with_another_environment_is_started_the_usual_way(tmp_path, monkeypatch):
    with KernelServer() as server:
        monkeypatch.setenv("ITUD_TEST_SETTING", "changed after the server started")
        parent, preloaded = _parent_and_preloaded(tmp_path, server=server)
    assert (parent, preloaded) == (os.getpid(), False)


@pytest.mark.slow
def test_a_dead_server_leaves_kernels_to_be_started_the_usual_way(tmp_path):
    server = KernelServer()
    server._process.kill()  # noqa: SLF001 (a crash, as the test needs one)
    try:
        assert _parent_and_preloaded(tmp_path, server=server) == (os.getpid(), False)
    finally:
        server.close()


@pytest.mark.slow
def test_where_kernels_cannot_be_forked_no_server_runs_and_kernels_start_the_usual_way(tmp_path, monkeypatch):
    monkeypatch.setattr(kernel_server, "can_fork", lambda: False)
    with KernelServer() as server:
        assert not hasattr(server, "pid")
        assert _parent_and_preloaded(tmp_path, server=server) == (os.getpid(), False)


@pytest.mark.slow
def test_no_kernel_outlives_its_server(tmp_path):
    server = KernelServer()
    manager = start_kernel(tmp_path, server, timeout=60)
    try:
        assert manager.provisioner.forked and kernel_alive(manager)
        server.close()  # as when the build ends, or dies: the server's stdin closes
        manager.provisioner.process.wait(timeout=10)
        assert not kernel_alive(manager)
    finally:
        stop_kernel(manager)
        server.close()


def test_a_kernel_forked_a_moment_ago_is_killed_too():
    """One that has not made its own process group yet (a build killed just after asking for it): the
    server's kill of its group misses it, the kill of the process does not, so the server's wait ends."""
    import signal

    pid = os.fork()
    if pid == 0:  # as a kernel before its setsid: in the server's group, waiting for ever
        signal.pause()
        os._exit(0)
    children = {pid}

    def never_ended(*_):
        os.kill(pid, signal.SIGKILL)
        raise AssertionError("the server waited for a kernel it had not killed")

    previous = signal.signal(signal.SIGALRM, never_ended)
    signal.alarm(30)
    try:
        kernel_server.end_kernels(children)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert children == set()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
