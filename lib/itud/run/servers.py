"""Processes of a build's own that answer requests, one JSON line each way: the PDF printer
(`printer`) and the kernel server (`kernel_server`).

Each is a Python process started ahead of need, in a session of its own: the terminal's
Ctrl-C reaches only the build, which stops it (`close`); it also ends when the build's
process dies (its stdin closes). (A pipe and one JSON line each way, by hand: a
multiprocessing pool cannot start its workers outside the terminal's process group, and
they print tracebacks on Ctrl-C; its fork server re-imports the caller's main script in
each child.)
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable

from itud.run.buildinfo import PINNED_VARIABLES


def last_line(text: str) -> str:
    """The last line of a process's log that is not blank (a crash's last word), at most 200 characters; or ''."""
    return next((line.strip() for line in reversed(text.splitlines()) if line.strip()), "")[:200]


class ServerStopped(Exception):
    """The server's process ended, or did not answer in time; the message says which, with its last words."""


def serve(answer: Callable[[dict], dict]) -> None:
    """The server's side: answer each request read from stdin (one JSON object a line) on stdout."""
    for line in sys.stdin:
        print(json.dumps(answer(json.loads(line))), flush=True)


class ServerProcess:
    """A Python process running `entry` ("module:function", a function that calls `serve`)."""

    name = "server"

    def __init__(self, entry: str, variables: dict[str, str] | None = None, *, start: bool = True) -> None:
        """`variables`: environment variables the process is given beyond the caller's and the pinned ones.
        `start=False`: the process is started by `start` (or the first `ask`), not now."""
        self.entry = entry
        self.variables = dict(variables or {})
        self._lock = threading.Lock()  # one request at a time, whichever thread asks
        self._starting = threading.Lock()  # `start` and `close` from different threads (a build's stop)
        self._process: subprocess.Popen | None = None
        self._closed = False
        self.pid: int | None = None
        if start:
            self.start()

    def start(self) -> None:
        """Start the process, unless it was started or closed already."""
        with self._starting:
            if self._process is not None or self._closed:
                return
            module, function = self.entry.split(":")
            self._log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by `close`): its stderr, for a crash's last word
            self._process = subprocess.Popen(
                [sys.executable, "-c", f"from {module} import {function}; {function}()"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, text=True, encoding="utf-8",
                start_new_session=True,
                # Python's view of the environment, as kernels are given it (C code such as readline can add
                # variables, LINES and COLUMNS, that only a child started without `env` would inherit), with
                # the hash seed, time zone and locale fixed (`buildinfo.PINNED_VARIABLES`): the kernels it forks
                # and the PDF printer make the same bytes whatever the user's shell has set.
                env={**os.environ, **PINNED_VARIABLES, **self.variables},
            )  # fmt: skip
            self.pid = self._process.pid

    def ask(self, request: dict, timeout: float | None = None) -> dict:
        """Send `request` and return the answer; raises `ServerStopped` if the process ended, or did not answer
        within `timeout` seconds (it is then stopped)."""
        self.start()
        if self._process is None:
            raise ServerStopped(f"the {self.name} was closed")
        with self._lock:
            try:
                self._process.stdin.write(json.dumps(request) + "\n")
                self._process.stdin.flush()
                # One request in flight, so nothing is buffered: waiting on the pipe itself is safe.
                ready, _, _ = select.select([self._process.stdout], [], [], timeout)
                answer = self._process.stdout.readline() if ready else None
            except (OSError, ValueError):  # the process is gone, or `close` closed its pipes
                answer = ""
        if answer is None:
            self.close()
            raise ServerStopped(f"the {self.name} did not answer within {timeout:g} s")
        if not answer:
            self._process.wait()
            raise ServerStopped(f"the {self.name} stopped (exit status {self._process.returncode}){self._last_words()}")
        return json.loads(answer)

    def _last_words(self) -> str:
        with contextlib.suppress(ValueError):  # closed already
            self._log.seek(0)
            words = last_line(self._log.read().decode("utf-8", "replace"))
            return f": {words}" if words else ""
        return ""

    def close(self, grace: float = 0.0) -> None:
        """Stop the process: at once, whatever it is doing (a request waiting for an answer sees the pipe
        close), or after up to `grace` seconds to end by itself once its stdin is closed. A process not
        started yet never will be."""
        with self._starting:
            self._closed = True
            process = self._process
        if process is None:
            return
        if grace and process.poll() is None:
            with contextlib.suppress(OSError):
                process.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(grace)
        process.kill()
        process.wait()
        for pipe in (process.stdin, process.stdout):
            with contextlib.suppress(OSError):  # a broken pipe: nothing was left to send
                pipe.close()
        self._log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
