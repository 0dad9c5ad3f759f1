"""Run the notebooks with papermill: one fresh kernel per notebook, a time limit, tidy stops.

- Each notebook runs in a kernel of its own, started for it and killed after it, as
  papermill or JupyterLab would run it: nothing passes from one notebook to the next (a
  pandas option or a matplotlib setting made in one is not seen by another).
- Kernel start-up is most of the cost of a small notebook, so kernels are forked by the
  kernel server (`kernel_server`), which imported their libraries once, and started ahead
  of need (`KernelPool`): the next notebooks' kernels boot while earlier notebooks run.
  Which kernel runs which notebook does not matter: they are all fresh. The biggest
  notebooks start first, so that no long one is left to run alone at the end.
- Kernels talk over `ipc` (Unix sockets in a private folder) instead of TCP, so
  parallel builds cannot collide on ports: the known papermill/jupyter_client race
  (papermill issue #511: ports are picked, released, then bound).
- Every notebook has a time limit (`timeout`, for the whole notebook including its
  kernel's start-up). A notebook over its limit, or whose kernel dies, is a `BuildError`
  naming the notebook (and the cell it was in), as is a failing cell.
- Interrupted (Ctrl-C, SIGTERM, any exception in the calling thread), `execute_all` kills
  every kernel before the exception goes on, so the caller can remove its scratch folder
  with nothing left writing into it.
- Volatile metadata (timestamps, durations, papermill's random cell id) is stripped,
  so the same inputs give byte-identical files.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from itud.errors import BuildError, raise_if_stopped, uninterrupted
from itud.paths import NOTEBOOKS_DIR, remove_folders_of_dead_runs

KERNEL = "python3"
# papermill logs what it also raises (a dead kernel, a timeout): `BuildError` says it once, in one line.
logging.getLogger("papermill").addHandler(logging.NullHandler())
KERNEL_LOG = "kernel.log"
SOCKETS_PARENT, SOCKETS_PREFIX = Path("/tmp"), "itud-k-"  # a kernel's sockets: /tmp/itud-k-<pid>-<random>/
DEFAULT_TIMEOUT = 600.0
"""Seconds one notebook may take, kernel start-up included (the 2019 notebooks take a few)."""


def remove_stale_sockets() -> list[Path]:
    """Remove the kernels' socket folders of runs killed outright (SIGKILL: no cleanup ran); returns them."""
    return remove_folders_of_dead_runs(SOCKETS_PARENT, SOCKETS_PREFIX)


TOOLS = "00-"  # notebooks numbered 00 are the analyst's tools (00-publish.ipynb), not parts of the report


def notebooks(folder: Path = NOTEBOOKS_DIR) -> list[Path]:
    """The report's notebooks, in reading order (`01-...`, `02-...`): not the tools numbered 00, which a
    build and `itud notebooks` never run (00-publish runs them)."""
    return sorted(p for p in folder.glob("[0-9][0-9]-*.ipynb") if not p.name.startswith(TOOLS))


def strip_volatile(path: Path) -> None:
    """Remove timestamps, durations and paths that papermill and nbclient record."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    papermill = notebook.get("metadata", {}).get("papermill")
    if papermill is not None:
        notebook["metadata"]["papermill"] = {"parameters": papermill.get("parameters", {})}
    for cell in notebook["cells"]:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell["id"] = "injected-parameters"  # papermill gives it a random id
        cell.get("metadata", {}).pop("papermill", None)
        cell.get("metadata", {}).pop("execution", None)
    write_notebook(path, notebook)


def write_notebook(path: Path, notebook: dict) -> None:
    """Write a notebook as the project stores them: sorted keys, one-space indent, so the same cells give the
    same bytes."""
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")


def _source_cells(path: Path) -> list[dict]:
    """The cells of an executed notebook without those papermill inserts, numbered as in the source."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    added = {"injected-parameters", "papermill-error-cell-tag"}
    return [c for c in notebook["cells"] if not added & set(c.get("metadata", {}).get("tags", []))]


def _describe(index: int, cell: dict) -> str:
    """`cell N (first line of its code)`, as JupyterLab numbers cells."""
    lines = "".join(cell.get("source", "")).strip().splitlines()
    return f"cell {index + 1} ({(lines[0][:60] if lines else '')!r})"


def _failed_cell(path: Path) -> str:
    """The first cell whose output is an error."""
    if path.exists():
        for index, cell in enumerate(_source_cells(path)):
            if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
                return _describe(index, cell)
    return "an unknown cell"


READY_WAIT = 0.2
"""Seconds a client waits for the kernel's next output message while it checks that the kernel is ready
(jupyter_client's own figure)."""


@functools.cache
def _client_class() -> type:
    """`AsyncKernelClient` whose wait for a ready kernel ends when the kernel has said all it had to say.

    jupyter_client's `wait_for_ready` asks the kernel for its info, then reads the output channel
    until nothing came for 0.2 s: 0.2 s lost at the start of every notebook, a second of a
    report's five. It has no setting for it, hence this copy of its steps. The reading stops
    instead at the kernel's "idle" after the last request it was sent (its last message about
    it), so nothing about the requests is left to read; nbclient ignores shell replies that
    answer no cell of its own.
    """
    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_core.utils import ensure_async

    class ItudKernelClient(AsyncKernelClient):
        async def wait_for_ready(self, timeout: float | None = None) -> None:
            import time
            from queue import Empty

            deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
            while True:
                self.kernel_info()
                try:
                    reply = await ensure_async(self.shell_channel.get_msg(timeout=1))
                except Empty:
                    reply = None
                if reply is not None and reply["msg_type"] == "kernel_info_reply":
                    try:  # no output at all: the output channel is not connected yet, so ask again
                        message = await ensure_async(self.iopub_channel.get_msg(timeout=READY_WAIT))
                    except Empty:
                        message = None
                    if message is not None:
                        self._handle_kernel_info_reply(reply)
                        break
                if not await self._async_is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")
            # The output channel is connected now. Earlier rounds' requests may still be answered, and a slow
            # kernel may answer one after a later round was sent; what it said of a request made before the
            # channel was connected is lost. So one more request, and a wait for its idle: the kernel handles
            # requests in order, so everything it had to say of the earlier ones comes before. (Waiting for
            # the idle of the request answered left a later round's messages behind on a loaded machine, one
            # run of the suite in seven; waiting for 0.2 s of silence can end between two messages.)
            last = self.kernel_info()
            while not _is_idle_after(message, last):
                try:
                    message = await ensure_async(self.iopub_channel.get_msg(timeout=1))
                except Empty:
                    if not await self._async_is_alive() or time.monotonic() > deadline:
                        break

    return ItudKernelClient


def _is_idle_after(message: dict, request: str | None) -> bool:
    """Whether `message` is the kernel's "idle" once it has handled `request` (a message id)."""
    return (
        message.get("msg_type") == "status"
        and message.get("content", {}).get("execution_state") == "idle"
        and message.get("parent_header", {}).get("msg_id") == request
    )


@functools.cache
def _manager_class() -> type:
    """`AsyncKernelManager` that remembers the clients it gave out, to close them with the kernel, and gives
    out `_client_class` clients.

    nbclient leaves the client of a kernel it did not start connected (it is not its to close).
    """
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class ItudKernelManager(AsyncKernelManager):
        @default("client_factory")
        def _client_factory_default(self) -> type:
            return _client_class()

        def client(self, **kwargs):
            client = super().client(**kwargs)
            self.given_clients = [*getattr(self, "given_clients", []), client]
            return client

    return ItudKernelManager


def start_kernel(cwd: Path, server=None, timeout: float = DEFAULT_TIMEOUT):
    """Start a python3 kernel on ipc sockets in a private folder; returns its `KernelManager`.

    `server` (a `kernel_server.KernelServer`) forks it when it can; else it is started as a new program.
    Returns as soon as the process is launched: the kernel boots on its own while the caller
    goes on, and the notebook client waits for it to be ready.
    """
    import uuid

    from jupyter_core.utils import run_sync

    from itud.run.kernel_server import ForkingProvisioner

    # Socket paths must stay under ~100 characters, hence a short private folder in /tmp, named by this
    # process (`remove_stale_sockets`).
    sockets = Path(tempfile.mkdtemp(prefix=f"{SOCKETS_PREFIX}{os.getpid()}-", dir=SOCKETS_PARENT))
    # Asynchronous, as nbclient's own: with a blocking client nbclient waits for output forever
    # and never notices that its kernel died (a blocking read on the output channel).
    manager = _manager_class()(kernel_name=KERNEL, transport="ipc", ip=str(sockets / "k"))
    manager.kernel_id = str(uuid.uuid4())
    # The manager uses the provisioner it is given (else it makes jupyter_client's own).
    provisioner = ForkingProvisioner(kernel_id=manager.kernel_id, kernel_spec=manager.kernel_spec, parent=manager)
    provisioner.server, provisioner.timeout = server, timeout
    manager.provisioner = provisioner
    try:
        # The kernel's own messages go to a log beside its sockets, not to the terminal: what the
        # user needs to know comes as one `BuildError`, with the log's last line if the kernel died.
        with open(sockets / KERNEL_LOG, "wb") as log:
            # As nbclient starts its kernels: history in memory, nothing written to ~/.ipython.
            run_sync(manager.start_kernel)(
                cwd=str(cwd), extra_arguments=["--HistoryManager.hist_file=:memory:"], stdout=log, stderr=log
            )
        _own_group(manager.provisioner)
    except BaseException as error:  # Ctrl-C or SIGTERM while starting: no kernel may be left behind
        kill_kernel_process(manager)
        shutil.rmtree(sockets, ignore_errors=True)
        if isinstance(error, Exception):
            raise BuildError(f"the {KERNEL} kernel could not be started: {type(error).__name__}: {error}") from None
        raise
    return manager


def _own_group(provisioner) -> None:
    """The kernel's process group is its own: it is started in a new session, so the group's id is its pid.

    jupyter_client reads the group with `os.getpgid` just after launching, and on a loaded machine
    that can still be ours (seen: the kernel's `setsid` not yet done); killing "the kernel's group"
    then killed this process. (A correction of jupyter_client's record; it has no setting for it.)
    """
    pid = getattr(provisioner, "pid", None)
    if pid and getattr(provisioner, "pgid", None) != pid:
        provisioner.pgid = pid


def last_words(manager) -> str:
    """The last line the kernel wrote to its log (a crash message), or ''."""
    from itud.run.servers import last_line

    try:
        return last_line((Path(manager.ip).parent / KERNEL_LOG).read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return ""


def stop_kernel(manager) -> None:
    """Kill a kernel at once (its notebook is done: nothing to wait for) and remove its sockets."""
    from jupyter_core.utils import run_sync

    try:
        for client in getattr(manager, "given_clients", []):
            client.stop_channels()
        # Killed and waited for here first: jupyter_client's own kill polls the process every 0.1 s, and
        # the first poll, just after the signal, always finds it alive (0.1 s a notebook).
        kill_kernel_process(manager)
        if manager.has_kernel:
            run_sync(manager.shutdown_kernel)(now=True)
    finally:
        shutil.rmtree(Path(manager.ip).parent, ignore_errors=True)


def kernel_alive(manager) -> bool:
    """Whether the kernel's process is running (callable from any thread)."""
    process = getattr(getattr(manager, "provisioner", None), "process", None)
    return process is not None and process.poll() is None


def kill_kernel_process(manager) -> None:
    """Kill a kernel's process group from any thread; the thread running its notebook sees it die.

    Only the processes are touched (not the manager's sockets), so this is safe while another
    thread uses the manager; that thread calls `stop_kernel` afterwards.
    """
    if not kernel_alive(manager):
        return
    provisioner = manager.provisioner
    process = provisioner.process
    group = getattr(provisioner, "pgid", None)
    try:
        if group and group != os.getpgrp():  # never this process's own group
            os.killpg(group, signal.SIGKILL)
    except ProcessLookupError:  # no such group (yet): the process alone
        pass
    with contextlib.suppress(ProcessLookupError):
        process.kill()  # the group's leader is the kernel itself; killing it twice does no harm
    process.wait()


class KernelPool:
    """`total` kernels, at most `ahead` of them started before they are asked for; each handed out once.

    jupyter_client has no such pool (its `MultiKernelManager` starts kernels on demand), hence
    this small class. `close` kills every kernel still alive, handed out or not.
    """

    def __init__(self, cwd: Path, total: int, ahead: int, server=None, timeout: float = DEFAULT_TIMEOUT):
        self._cwd = cwd
        self._server, self._timeout = server, timeout
        self._unstarted = total
        self.ahead = max(0, ahead)
        self._ready: list = []
        self._alive: list = []
        self._lock = threading.Lock()
        self._closed = False

    def _start_one(self, *, for_stock: bool):
        """Start the next kernel: into the stock of ready ones, or for the caller; None if none is left."""
        with self._lock:
            if self._closed or self._unstarted == 0:
                return None
            self._unstarted -= 1
        with uninterrupted():  # a Ctrl-C inside the launch would leave a kernel that `close` cannot see
            manager = start_kernel(self._cwd, self._server, self._timeout)
            with self._lock:
                self._alive.append(manager)
                if for_stock:
                    self._ready.append(manager)
                closed = self._closed
        if closed:  # closed while this one was starting
            self._discard(manager)
            return None
        return manager

    def fill(self, stock: int | None = None) -> None:
        """Start kernels until `stock` (default: `ahead`) are waiting, or all `total` are started."""
        while len(self._ready) < (self.ahead if stock is None else stock) and self._start_one(for_stock=True):
            pass

    def take(self):
        """A started kernel, for one notebook; starts the next ones so that `ahead` stay ready."""
        with self._lock:
            manager = self._ready.pop(0) if self._ready else None
        if manager is None:
            manager = self._start_one(for_stock=False)
            if manager is None:
                raise BuildError("no kernel left to start: the notebooks' run was stopped")
        self.fill()
        return manager

    def release(self, manager) -> None:
        """The notebook is done: kill its kernel."""
        self._discard(manager)

    def _discard(self, manager) -> None:
        with self._lock:
            if manager not in self._alive:
                return
            self._alive.remove(manager)
            if manager in self._ready:
                self._ready.remove(manager)
        stop_kernel(manager)

    def close(self) -> None:
        """Kill every kernel still alive; those in use die under their notebook's thread."""
        with self._lock:
            self._closed = True
            waiting, self._ready = self._ready, []
            running = [m for m in self._alive if m not in waiting]
        for manager in running:
            kill_kernel_process(manager)
            # Also removed by its notebook's thread, which may not get that far before the process exits.
            shutil.rmtree(Path(manager.ip).parent, ignore_errors=True)
        for manager in waiting:
            self._discard(manager)


class _Notebook:
    """One notebook's run in a kernel from the pool, with its time limit."""

    def __init__(self, source: Path, target: Path, timeout: float):
        self.source, self.target, self.timeout = source, target, timeout
        self.manager = None
        self.cell: str | None = None  # the cell running, as nbclient reports it (None: none yet)
        self._ids: list | None = None  # cell ids of the source notebook, read once
        self.timed_out = threading.Event()
        self.cancelled = threading.Event()

    def kill(self, *, timed_out: bool = False) -> None:
        (self.timed_out if timed_out else self.cancelled).set()
        if self.manager is not None:
            kill_kernel_process(self.manager)

    def _cell_started(self, cell, cell_index: int) -> None:
        """nbclient's hook before each cell: remember it, numbered as in the source notebook."""
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            self.cell = "the cell of injected parameters"
            return
        if self._ids is None:
            self._ids = [c.get("id") for c in json.loads(self.source.read_text(encoding="utf-8"))["cells"]]
        index = self._ids.index(cell.get("id")) if cell.get("id") in self._ids else cell_index
        self.cell = _describe(index, cell)

    def run(self, pool: KernelPool, parameters: dict) -> None:
        """Execute the notebook; raises `BuildError` naming it (and its cell) on any failure."""
        import papermill

        self.manager = pool.take()
        # papermill and nbclient only limit single cells, not a whole notebook, hence this timer.
        timer = threading.Timer(self.timeout, self.kill, kwargs={"timed_out": True})
        timer.daemon = True
        timer.start()
        name = self.source.name
        try:
            # No `cwd` here: the kernel already runs in the build folder, and papermill's cwd
            # changes the directory of this whole process, which threads running at once would undo.
            papermill.execute_notebook(
                str(self.source),
                str(self.target),
                parameters=parameters,
                kernel_name=KERNEL,
                progress_bar=False,
                log_output=False,
                request_save_on_cell_execute=False,
                km=self.manager,
                on_cell_execute=self._cell_started,
            )
        except papermill.PapermillExecutionError as error:
            raise BuildError(
                f"notebook {name} failed in {_failed_cell(self.target)}: {error.ename}: {error.evalue}"
            ) from None
        except Exception as error:
            if self.timed_out.is_set():
                raise BuildError(
                    f"notebook {name} did not finish within its time limit of {self.timeout:g} s "
                    f"(stopped in {self.cell or 'the start-up of its kernel'}); give more time with --timeout SECONDS"
                ) from None
            if self.cancelled.is_set():
                raise BuildError(f"notebook {name} was stopped") from None
            if not kernel_alive(self.manager):
                words = last_words(self.manager)
                raise BuildError(
                    f"notebook {name}: its kernel died "
                    + (f"in {self.cell}" if self.cell else "while starting")
                    + (f"; the kernel's last message: {words}" if words else "")
                ) from None
            raise BuildError(f"notebook {name} could not be executed: {type(error).__name__}: {error}") from None
        finally:
            timer.cancel()
            pool.release(self.manager)
        strip_volatile(self.target)


def _import_papermill() -> None:
    """Import papermill without jsonschema's optional IRI checker, which no build uses.

    papermill -> nbformat -> jsonschema imports `rfc3987_syntax` when it is installed (it is, for
    jupyter-events) only to offer the "iri" and "iri-reference" formats, and that import compiles a
    grammar: 0.7 of papermill's 0.9 s of import, before the first notebook can start. nbformat
    checks no formats, so the module is marked absent (jsonschema then leaves those two formats out),
    unless something imported jsonschema already.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # `import rfc3987_syntax` raises ImportError
    import papermill  # noqa: F401


def execute_all(
    jobs: list[tuple[Path, Path]],
    parameters: dict | None = None,
    cwd: Path | None = None,
    on_done: Callable[[Path], None] | None = None,
    kernels: int = 1,
    timeout: float = DEFAULT_TIMEOUT,
    server=None,
    preload: tuple[str, ...] = (),
) -> list[Path]:
    """Execute each (source, target) pair, `kernels` notebooks at once, each in a fresh kernel.

    Raises `BuildError` for the first failing notebook in reading order, whatever ran in
    parallel; the outputs do not depend on `kernels`. `timeout`: seconds per notebook.
    `server`: the `kernel_server.KernelServer` that forks the kernels (default: one started here when there
    are several notebooks; a single one is started the usual way), importing `preload` for them.
    """
    if timeout <= 0:
        raise BuildError(f"the notebook timeout must be a positive number of seconds, not {timeout:g}")
    if not jobs:
        return []
    cwd = cwd or jobs[0][0].parent
    remove_stale_sockets()
    runs = [_Notebook(source, target, timeout) for source, target in jobs]
    count = max(1, min(kernels, len(runs)))
    from itud.run.kernel_server import KernelServer

    # A server pays off when it forks several kernels from one import of their libraries; one kernel
    # imports them itself, as fast, and no server process is started for it.
    own_server = server is None and len(runs) > 1
    server = KernelServer(preload=preload) if own_server else server
    pool = KernelPool(cwd, total=len(runs), ahead=count, server=server, timeout=timeout)
    # The biggest notebooks first: their stored outputs (figures) are the best guess of their cost, and
    # the long ones started last would leave a core idle at the end.
    pending = sorted(range(len(runs)), key=lambda order: -runs[order].source.stat().st_size)
    lock = threading.Lock()
    failures: dict[int, BaseException] = {}

    def worker() -> None:
        while True:
            with lock:  # after a failure, only the notebooks before it in reading order still matter
                order = next((o for o in pending if not failures or o < min(failures)), None)
                if order is None:
                    return
                pending.remove(order)
                run = runs[order]
            try:
                run.run(pool, parameters or {})
            except BaseException as error:
                with lock:
                    failures[order] = error
                    later = [r for r in runs[order + 1 :] if r.manager is not None]
                for other in later:  # their outcome cannot be the first failure any more
                    other.kill()
                continue  # to the notebooks before this one in reading order, if any is left
            if on_done:
                on_done(run.source)

    threads = [threading.Thread(target=worker, name=f"itud-notebooks-{i}", daemon=True) for i in range(count)]
    try:
        _import_papermill()  # once, here (not in each thread at once), while the kernel server imports
        pool.fill(count + pool.ahead)  # the first notebooks' kernels and the next ones boot at once

        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    except BaseException:
        for run in runs:
            run.cancelled.set()
        # Interrupted: kill every kernel, then give the notebooks' threads a moment to
        # notice (nbclient checks its kernel every second), so nothing writes afterwards.
        pool.close()
        for thread in threads:
            if thread.is_alive():
                thread.join(timeout=5)
        raise
    finally:
        pool.close()
        if own_server:
            server.close()
    if failures:  # the first failing notebook in reading order, whichever thread ran it
        raise failures[min(failures)]
    return [target for _, target in jobs]


def execute(
    source: Path,
    target: Path,
    parameters: dict | None = None,
    cwd: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Path:
    """Execute one notebook into `target` (in a kernel of its own)."""
    return execute_all([(source, target)], parameters, cwd, timeout=timeout)[0]


def execute_in_place(
    folder: Path = NOTEBOOKS_DIR,
    timeout: float = DEFAULT_TIMEOUT,
    kernels: int | None = None,
    preload: tuple[str, ...] = (),
    only: list[Path] | None = None,
) -> list[Path]:
    """Re-execute the committed notebooks with their default parameters (after a data or code change).

    `kernels`: notebooks executed at once (default: the number of cores); the outputs do not depend on it.
    `preload`: the modules they import, for the kernel server (`execute_all`). `only`: these notebooks of
    the folder, not all of them.
    """
    sources = [p for p in notebooks(folder) if only is None or p in only]
    if not sources:
        raise BuildError(f"no notebooks to execute in {folder} (expected files named like 01-name.ipynb)")
    with tempfile.TemporaryDirectory() as scratch:
        executed = execute_all(
            [(s, Path(scratch) / s.name) for s in sources],
            cwd=folder,
            timeout=timeout,
            kernels=kernels or os.cpu_count() or 1,
            preload=preload,
        )
        raise_if_stopped()  # a stop whose exception was lost: the committed notebooks stay as they were
        # Ctrl-C or SIGTERM now would leave some notebooks new and some old: they are ignored while
        # the copies are made (a few milliseconds); the work is done then, nothing is left to stop.
        in_main_thread = threading.current_thread() is threading.main_thread()
        stops = (signal.SIGINT, signal.SIGTERM)
        previous = {s: signal.signal(s, signal.SIG_IGN) for s in stops} if in_main_thread else {}
        try:
            for source, result in zip(sources, executed, strict=True):
                shutil.copyfile(result, source)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
    return sources
