"""The `itud` commands from a notebook (`notebooks/00-publish.ipynb`): the same messages and refusals as on
the command line, for an analyst who works only in JupyterLab.

Each call runs `itud.cli.main` in the kernel, so what the command line prints is printed in the cell, and a
command that fails or is refused stops "Run All" there (`CommandFailed`) instead of going on to publish.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from itud import paths


class CommandFailed(Exception):
    """An `itud` command ended with a non-zero exit status; its message is printed above."""


def run(command: str, *arguments: str) -> None:
    """`itud COMMAND ARGUMENTS`, as on the command line; raises `CommandFailed` if it does not succeed."""
    from itud.cli import main

    status = main([command, *arguments])
    if status:
        raise CommandFailed(f"itud {command} ended with exit status {status}: its message is printed above")


def uncommitted() -> list[str]:
    """Files of data/, notebooks/, report/ and lib/ with changes git has not committed (a version built from
    them records its commit "with uncommitted changes"); [] outside git."""
    try:
        listed = subprocess.run(
            ["git", "status", "--porcelain", "--", "data", "notebooks", "report", "lib"],
            cwd=paths.PROJECT_ROOT, capture_output=True, text=True, check=True, timeout=30,
        ).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return []
    return [line[3:] for line in listed.splitlines() if line.strip()]


def newest_documents(year: int, reports_dir: str | Path = "", start: Path | None = None) -> str:
    """Markdown links to the newest version's HTML, Word and PDF documents of `year` and to the index of
    every version, relative to `start` (the notebook's folder), so JupyterLab opens them on a click."""
    import os

    from itud.publish.versions import latest

    reports = Path(reports_dir) if str(reports_dir) else paths.REPORTS_DIR
    _, newest, _ = latest(reports / str(year))
    if newest is None:
        return f"No version of the {year} report is published in {reports}."
    here = Path(start or Path.cwd())
    links = [
        f"[{label}]({Path(os.path.relpath(newest / f'report-{year}.{kind}', here)).as_posix()})"
        for kind, label in (("html", "HTML"), ("docx", "Word"), ("pdf", "PDF"))
    ]
    index = Path(os.path.relpath(reports / "index.html", here)).as_posix()
    return f"**{year}, {newest.name}:** " + " · ".join(links) + f" · [every version]({index})"
