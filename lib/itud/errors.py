"""The errors a user can cause, with messages that say where and what.

Kept free of heavy imports so the command line can catch them cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one place of one data file. `row` counts data rows from 1."""

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    value: object = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row} (line {self.row + 1})"
        if self.column is not None:
            where += f", column '{self.column}'"
        if self.value is not None:
            where += f", value {str(self.value)!r}"
        return f"{where}: {self.message}"


class EditionError(ValueError):
    """An edition that cannot be loaded; `problems` lists everything found."""

    def __init__(self, problems: list[Problem], year: object = None):
        self.problems = problems
        head = f"edition {year}: " if year is not None else ""
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{head}{len(problems)} problem(s) in the data:\n{lines}")


@dataclass(frozen=True)
class LineProblem:
    """A line of a source document the annex parser could not read."""

    line: int
    message: str
    text: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}: {self.text!r}"


class AnnexParseError(ValueError):
    """The annex text has lines the parser cannot read; lists all of them."""

    def __init__(self, source: str, problems: list[LineProblem]):
        self.source = source
        self.problems = problems
        listing = "\n".join(f"  {source}, {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} line(s) could not be read:\n{listing}")


class BuildError(RuntimeError):
    """A report build that failed; names the notebook and cell where it can."""


USER_ERRORS = (EditionError, AnnexParseError, BuildError, FileNotFoundError, UnicodeDecodeError)
