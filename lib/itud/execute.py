"""Run the notebooks with papermill, reproducibly, without paying kernel start-up for each one.

- The notebooks of one build share a few long-lived kernels (papermill's API,
  handed a running kernel): each kernel takes the next notebook in reading order.
  Before each notebook the kernel's namespace is cleared and its execution counter
  reset, so each notebook sees exactly what a fresh kernel would show, except that
  modules already imported stay imported. nbval runs every notebook alone in CI,
  so a notebook that leaned on another's variables would fail there.
- Kernels talk over `ipc` (Unix sockets in a private folder) instead of TCP, so
  parallel builds cannot collide on ports: the known papermill/jupyter_client race
  (papermill issue #511: ports are picked, released, then bound).
- Volatile metadata (timestamps, durations, papermill's random cell id) is
  stripped, so the same inputs give byte-identical files.
- A failure raises `BuildError` naming the notebook and the cell.
"""

from __future__ import annotations

import json
import queue
import shutil
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from itud.errors import BuildError
from itud.paths import NOTEBOOKS_DIR

KERNEL = "python3"
_RESET = "get_ipython().run_line_magic('reset', '-f')\nget_ipython().execution_count = 1"


def notebooks(folder: Path = NOTEBOOKS_DIR) -> list[Path]:
    """The report's notebooks, in reading order (`01-...`, `02-...`)."""
    return sorted(folder.glob("[0-9][0-9]-*.ipynb"))


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
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")


def _failed_cell(path: Path) -> str:
    """`cell N (first line of its code)` for the first cell whose output is an error."""
    if not path.exists():
        return "an unknown cell"
    notebook = json.loads(path.read_text(encoding="utf-8"))
    added = {"injected-parameters", "papermill-error-cell-tag"}  # cells papermill inserts
    cells = [c for c in notebook["cells"] if not added & set(c.get("metadata", {}).get("tags", []))]
    for index, cell in enumerate(cells):  # numbered as in the source notebook, as JupyterLab shows it
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            first = "".join(cell.get("source", "")).strip().splitlines()[0][:60] if cell.get("source") else ""
            return f"cell {index + 1} ({first!r})"
    return "an unknown cell"


@contextmanager
def kernel(cwd: Path) -> Iterator:
    """A python3 kernel on ipc sockets in a private folder, shut down on exit."""
    from jupyter_client.manager import KernelManager

    # Socket paths must stay under ~100 characters, hence a short private folder in /tmp.
    sockets = Path(tempfile.mkdtemp(prefix="itud-k-", dir="/tmp"))
    manager = KernelManager(kernel_name=KERNEL, transport="ipc", ip=str(sockets / "k"))
    try:
        try:
            # As nbclient starts its kernels: history in memory, nothing written to ~/.ipython.
            manager.start_kernel(cwd=str(cwd), extra_arguments=["--HistoryManager.hist_file=:memory:"])
        except Exception as error:
            raise BuildError(f"the {KERNEL} kernel could not be started: {type(error).__name__}: {error}") from None
        yield manager
    finally:
        if manager.has_kernel:
            manager.shutdown_kernel(now=True)
        shutil.rmtree(sockets, ignore_errors=True)


def _reset(manager) -> None:
    """Clear the namespace and restart the execution counter, silently (no history, no output).

    A new client each time: clients of one manager share a session identity, so the kernel
    answers only the newest connection, which papermill's own client has just replaced.
    Shell channel only, so no output broadcast by the notebooks is buffered here.
    """
    client = manager.client()
    client.start_channels(iopub=False, stdin=False, hb=False)
    try:
        request = client.execute(_RESET, silent=True, store_history=False)
        while client.get_shell_msg(timeout=60)["parent_header"].get("msg_id") != request:
            pass
    finally:
        client.stop_channels()


def _run(manager, source: Path, target: Path, parameters: dict) -> None:
    """One notebook in a running kernel, after a reset; raises `BuildError` naming notebook and cell."""
    import papermill

    _reset(manager)
    try:
        # No `cwd` here: the kernel already runs in the build folder, and papermill's cwd
        # changes the directory of this whole process, which threads running at once would undo.
        papermill.execute_notebook(
            str(source),
            str(target),
            parameters=parameters,
            kernel_name=KERNEL,
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
            km=manager,
        )
    except papermill.PapermillExecutionError as error:
        raise BuildError(
            f"notebook {source.name} failed in {_failed_cell(target)}: {error.ename}: {error.evalue}"
        ) from None
    except Exception as error:  # kernel death, timeouts: name the notebook all the same
        raise BuildError(f"notebook {source.name} could not be executed: {type(error).__name__}: {error}") from None
    strip_volatile(target)


def execute_all(
    jobs: list[tuple[Path, Path]],
    parameters: dict | None = None,
    cwd: Path | None = None,
    on_done: Callable[[Path], None] | None = None,
    kernels: int = 1,
) -> list[Path]:
    """Execute each (source, target) pair, in `kernels` kernels at once; raises `BuildError` on failure.

    Each kernel takes the next notebook in reading order when it is free. A notebook's outputs
    do not depend on which kernel ran it (namespace and counter are reset before each).
    """
    cwd = cwd or jobs[0][0].parent
    pending = queue.Queue()
    for order, job in enumerate(jobs):
        pending.put((order, job))
    failures: dict[int, BaseException] = {}

    def worker() -> None:
        with kernel(cwd) as manager:
            while not failures:
                try:
                    order, (source, target) = pending.get_nowait()
                except queue.Empty:
                    return
                try:
                    _run(manager, source, target, parameters or {})
                except BaseException as error:
                    failures[order] = error
                    return
                if on_done:
                    on_done(source)

    count = max(1, min(kernels, len(jobs)))
    try:
        with ThreadPoolExecutor(max_workers=count) as pool:
            for future in [pool.submit(worker) for _ in range(count)]:
                future.result()  # a kernel that could not start
    finally:
        if failures:  # the first failing notebook in reading order, whichever kernel ran it
            raise failures[min(failures)]
    return [target for _, target in jobs]


def execute(source: Path, target: Path, parameters: dict | None = None, cwd: Path | None = None) -> Path:
    """Execute one notebook into `target` (in a kernel of its own)."""
    return execute_all([(source, target)], parameters, cwd)[0]


def execute_in_place(folder: Path = NOTEBOOKS_DIR) -> list[Path]:
    """Re-execute the committed notebooks with their default parameters (after a data or code change)."""
    sources = notebooks(folder)
    with tempfile.TemporaryDirectory() as scratch:
        executed = execute_all([(s, Path(scratch) / s.name) for s in sources], cwd=folder)
        for source, result in zip(sources, executed, strict=True):
            shutil.copyfile(result, source)
    return sources
