"""The errors a user can cause, with messages that say where and what; and how a stop (Ctrl-C, SIGTERM)
is raised from a signal handler, now or at the end of an `uninterrupted()` block.

Kept free of heavy imports so the command line can catch them cheaply.
"""

from __future__ import annotations

import errno
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one place of one data file.

    `row` counts data rows from 1 (the header is not a row); `line` is the physical line of the
    file where that row starts (they differ after a quoted newline). `key` is a dotted TOML key.
    """

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    value: object = None
    line: int | None = None
    key: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}" + (f" (line {self.line})" if self.line is not None else "")
        elif self.line is not None:
            where += f", line {self.line}"
        if self.column is not None:
            where += f", column '{self.column}'"
        if self.key is not None:
            where += f", key '{self.key}'"
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


class InputFileError(ValueError):
    """An input that is not a regular file of sane size (a folder, a FIFO, a device, too big...)."""

    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(str(problem))


class UsageError(ValueError):
    """A command-line argument that cannot be used (exit status 2, like argparse's own errors)."""


_OS_HINTS = {
    errno.ENOSPC: "free some disk space and run again",
    errno.EDQUOT: "free some disk space and run again",
    errno.EACCES: "check the permissions, or choose another folder",
    errno.EPERM: "check the permissions, or choose another folder",
    errno.EROFS: "the file system is read-only: choose another folder",
    errno.ENOENT: "check the path",
    errno.EISDIR: "give a file, not a folder",
    errno.ENOTDIR: "a part of the path is a file, not a folder: check the path",
}


def describe(error: BaseException) -> str:
    """The one-paragraph message a user sees for `error` (file first, then what to do)."""
    if isinstance(error, OSError) and not isinstance(error, UnicodeError) and error.strerror:
        where = f"{error.filename}: " if error.filename is not None else ""
        hint = _OS_HINTS.get(error.errno, "check the path and run again")
        return f"{where}{error.strerror} ({hint})"
    return str(error)


USER_ERRORS = (EditionError, AnnexParseError, BuildError, InputFileError, UsageError, OSError, UnicodeDecodeError)


# --- Stops (Ctrl-C, SIGTERM) that must wait a moment -----------------------------------------------

_uninterrupted = 0  # nesting depth of `uninterrupted()` in the main thread (signal handlers run there)
_deferred: list[BaseException] = []
_requested: list[BaseException] = []  # the stop a signal asked for, for `raise_if_stopped`
_kept = False  # the work is published (`work_is_kept`): a stop can no longer undo it


def stop(exception: BaseException) -> None:
    """Raise `exception` from a signal handler now, or, inside `uninterrupted()`, when that block ends.

    The stop is also remembered. A signal handler runs wherever the main thread is, and when that is
    a finaliser (a weak reference's callback, an event loop's `__del__`), Python drops the exception
    ("Exception ignored in ..."): a build stopped with Ctrl-C then went on and published. So a step
    that must not follow a stop checks `raise_if_stopped` first.
    """
    if not _requested:
        _requested.append(exception)
    if _kept:  # too late to undo: remembered (a batch stops before its next year), not raised
        return
    if _uninterrupted:
        _deferred.append(exception)
        return
    raise exception


def quiet_lost_stops(unraisable) -> None:
    """`sys.unraisablehook` while a command runs: a stop raised where Python drops exceptions (a finaliser)
    is not printed as "Exception ignored ..." with a traceback; it is remembered (`stop`) and raised at the
    next check. Anything else goes to Python's own hook."""
    if not any(unraisable.exc_value is requested for requested in _requested):
        sys.__unraisablehook__(unraisable)


def raise_if_stopped() -> None:
    """Raise the stop a signal asked for, if one did, even if its first raise was lost."""
    if _requested:
        raise _requested[0]


def work_is_kept(kept: bool = True) -> None:
    """`kept`: the work is published (a version renamed into place), so a stop that comes from now on is
    not raised: it could not undo the publication, and the command would end saying "nothing published"
    (seen) without writing the index. `False` when a new build starts."""
    global _kept
    _kept = kept


def forget_stops() -> None:
    """A new command starts: no stop is asked for yet (tests run several commands in one process)."""
    _requested.clear()
    _deferred.clear()
    work_is_kept(False)


@contextmanager
def uninterrupted() -> Iterator[None]:
    """A few steps that a stop must not split: e.g. launching a kernel and recording it, so that a Ctrl-C
    between the two cannot leave a kernel running that nobody knows to kill. A stop that arrives meanwhile
    (through `stop`) is raised when the block ends. (The standard library has no such guard: a Python
    signal handler runs between any two bytecodes, even inside `subprocess.Popen`.)"""
    global _uninterrupted
    if threading.current_thread() is not threading.main_thread():  # handlers interrupt only the main thread
        yield
        return
    _uninterrupted += 1
    try:
        yield
    finally:
        _uninterrupted -= 1
        if not _uninterrupted and _deferred:
            deferred = _deferred.pop(0)
            _deferred.clear()
            raise deferred


class TimeLimit(Exception):
    """Work under `time_limit` that ran past its seconds; the caller names what it was."""


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise `TimeLimit` in this block once `seconds` have passed (a report template that loops for ever,
    a document writer that hangs). A timer signal, so that it stops pure Python as well as a loop in a
    template; in a thread other than the main one (where no signal can be set), and for None, no limit.
    (No library bounds a block of the caller's own thread in time; hence SIGALRM by hand.)"""
    import signal

    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame) -> None:
        raise TimeLimit(f"did not finish within its time limit of {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
