"""The `itud` commands from a notebook (`notebooks/00-publish.ipynb`): the same messages and refusals as on
the command line, for an analyst who works only in JupyterLab.

Each call runs `itud.cli.main` in the kernel, so what the command line prints is printed in the cell, and a
command that fails or is refused stops "Run All" there (`CommandFailed`) instead of going on to publish.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from itud import paths

# What JupyterLab's Git panel (jupyterlab-git) calls its controls, for the messages that send the analyst there.
GIT_PANEL = (
    "open the Git panel (the Git icon in JupyterLab's left sidebar); under 'Changed' and 'Untracked', stage "
    "the files (the + beside each heading stages them all); write what you changed in the 'Summary' box at "
    "the bottom and click 'Commit'"
)


class CommandFailed(Exception):
    """An `itud` command ended with a non-zero exit status; its message is printed above."""


class PublishParameters(BaseModel):
    """The parameters of `00-publish.ipynb`, typed strictly: papermill's `-r check_only False` hands the
    notebook the text "False", which Python counts as true; it is refused instead, naming the parameter."""

    model_config = ConfigDict(strict=True, extra="forbid")

    year: int = Field(ge=0)
    note: str
    check_only: bool
    draft: bool
    refresh: bool
    run_tests: bool
    data_dir: str
    reports_dir: str

    @field_validator("note")
    @classmethod
    def _one_sentence_the_documents_can_hold(cls, note: str) -> str:
        """The same limits as `itud report --note`, checked before the notebooks are refreshed and tested."""
        import argparse

        from itud.data.edition_file import note_argument

        try:
            return note_argument(note)
        except argparse.ArgumentTypeError as error:
            raise ValueError(str(error)) from None


_WANTED = {bool: "True or False", int: "a whole number (0 or a year)", str: "text"}


def check_parameters(**values) -> PublishParameters:
    """The publish notebook's parameters, or `CommandFailed` naming each wrong one, its value and what it takes."""
    try:
        return PublishParameters(**values)
    except ValidationError as error:
        lines = []
        for problem in error.errors():
            name = ".".join(str(part) for part in problem["loc"])
            if problem["type"] == "value_error":
                lines.append(f"parameter {name} of 00-publish.ipynb: {problem['msg'].removeprefix('Value error, ')}")
                continue
            field = PublishParameters.model_fields.get(name)
            wanted = _WANTED.get(field.annotation, "") if field else "a parameter of this notebook"
            lines.append(
                f"parameter {name} of 00-publish.ipynb: {problem['input']!r} is not {wanted} ({problem['msg']}); "
                f"with papermill give it with `-p {name} VALUE` (not `-r`, which passes text)"
            )
        print("\n".join(lines), file=sys.stderr)
        raise CommandFailed("a parameter of the publish notebook is wrong: see above") from None


def run(command: str, *arguments: str) -> None:
    """`itud COMMAND ARGUMENTS`, as on the command line; raises `CommandFailed` if it does not succeed."""
    from itud.cli import main

    status = main([command, *arguments])
    if status:
        raise CommandFailed(f"itud {command} ended with exit status {status}: its message is printed above")


def run_fast_tests() -> None:
    """The fast tier of the tests (`python3 tasks.py test --fast`, without the linter): what a change breaks
    shows before anything is published. Raises `CommandFailed` naming the failures."""
    command = [sys.executable, "-m", "pytest", "tests", "-m", "not slow", "-q", "-n", "auto", "--dist", "load",
               "-p", "no:cacheprovider", "--no-header", "--color=no"]  # fmt: skip
    env = {**os.environ, "MPLBACKEND": "Agg"}
    done = subprocess.run(command, cwd=paths.PROJECT_ROOT, capture_output=True, text=True, env=env, timeout=1800)
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr.strip()[-500:]
    if done.returncode:
        failures = [line for line in done.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
        print(*failures, sep="\n", file=sys.stderr)
        raise CommandFailed(
            f"the fast tests failed ({summary}); README, 'When a test fails', says what each failure asks for"
        )
    print(f"fast tests: {summary}")


def uncommitted() -> list[str]:
    """Files of data/, notebooks/, report/ and lib/ with changes git has not committed (a version built from
    them records its commit "with uncommitted changes"); [] outside git."""
    from itud.publish.versions import uncommitted as pending

    return pending() or []


def require_committed(draft: bool) -> None:
    """Publishing from a committed state: say exactly what to commit first, in the Git panel's words; a draft
    (asked for by name) goes on, and its version records "(with uncommitted changes)"."""
    pending = uncommitted()
    if not pending:
        print("Everything the report is built from is committed.")
        return
    listed = "\n  ".join(pending)
    if draft:
        print(f"A draft: these changes are not committed, and the version will say so for good:\n  {listed}")
        return
    raise CommandFailed(
        f"not committed yet, so nothing is published:\n  {listed}\nCommit them first: {GIT_PANEL}; then run this "
        "notebook again (or set draft = True to publish a draft that records its uncommitted changes)"
    )


def newest_documents(year: int, reports_dir: str | Path = "", start: Path | None = None) -> str:
    """Markdown links to the newest version's HTML, Word and PDF documents of `year` and to the index of
    every version, relative to `start` (the notebook's folder), so JupyterLab opens them on a click."""
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
    return (
        f"**{year}, {newest.name}:** " + " · ".join(links) + f" · [every version]({index})\n\n"
        f"Now commit `reports/` ({GIT_PANEL})."
    )
