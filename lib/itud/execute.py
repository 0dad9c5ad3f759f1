"""Run the notebooks with papermill, reproducibly.

- Kernels talk over `ipc` (Unix sockets in a private folder) instead of TCP:
  parallel kernels then cannot collide on ports, the known papermill/jupyter_client
  race (papermill issue #511: ports are picked, released, then bound).
- Volatile metadata (timestamps, durations, temporary paths) is stripped from the
  executed notebook, so the same inputs give byte-identical files.
- A failure raises `BuildError` naming the notebook and the cell.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from itud.errors import BuildError
from itud.paths import NOTEBOOKS_DIR

KERNEL = "python3"


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


def execute(source: Path, target: Path, parameters: dict | None = None, cwd: Path | None = None) -> Path:
    """Execute `source` into `target` with papermill; raises `BuildError` on failure."""
    import papermill
    from jupyter_client.manager import KernelManager

    # Socket paths must stay under ~100 characters, hence a short private folder in /tmp.
    sockets = Path(tempfile.mkdtemp(prefix="itud-k-", dir="/tmp"))
    kernel = KernelManager(kernel_name=KERNEL, transport="ipc", ip=str(sockets / "k"))
    try:
        papermill.execute_notebook(
            str(source),
            str(target),
            parameters=parameters or {},
            cwd=str(cwd or source.parent),
            kernel_name=KERNEL,
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
            km=kernel,
        )
    except papermill.PapermillExecutionError as error:
        raise BuildError(
            f"notebook {source.name} failed in {_failed_cell(target)}: {error.ename}: {error.evalue}"
        ) from None
    except Exception as error:  # kernel death, timeouts: name the notebook all the same
        raise BuildError(f"notebook {source.name} could not be executed: {type(error).__name__}: {error}") from None
    finally:
        if kernel.has_kernel:  # papermill does not own a kernel it is handed, so it leaves it running
            kernel.shutdown_kernel(now=True)
        shutil.rmtree(sockets, ignore_errors=True)
    strip_volatile(target)
    return target


def execute_in_place(folder: Path = NOTEBOOKS_DIR) -> list[Path]:
    """Re-execute the committed notebooks with their default parameters (after a data or code change)."""
    done = []
    for path in notebooks(folder):
        with tempfile.TemporaryDirectory() as scratch:
            executed = execute(path, Path(scratch) / path.name)
            shutil.copyfile(executed, path)
        done.append(path)
    return done
