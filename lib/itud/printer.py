"""The PDF printer: a process of its own that prints the report's PDF with WeasyPrint (`render.print_pdf`).

A build starts it with its notebooks (`build.build_report`): the process imports WeasyPrint while
the notebooks run, and prints the PDF while the build writes the other documents.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from itud.document import Document
from itud.render import figures_url, font_faces, html, print_pdf


class PdfError(Exception):
    """Printing the PDF failed in the printer's process; the message names the error there."""


def serve_pdf() -> None:
    """The printer's process (`PdfPrinter`): imports WeasyPrint and lets it find its fonts once (a one-line
    page), then prints each request read from stdin, one JSON object a line, answering on stdout."""
    import json
    import sys

    import weasyprint

    weasyprint.HTML(string="<p>itud</p>").write_pdf(stylesheets=[weasyprint.CSS(string=font_faces())])
    for line in sys.stdin:
        request = json.loads(line)
        try:
            print_pdf(request["page"], Path(request["path"]), request["base_url"])
            answer = {"path": request["path"]}
        except Exception as error:
            answer = {"error": f"{type(error).__name__}: {error}"}
        print(json.dumps(answer), flush=True)


class PdfPrinter:
    """Prints PDFs in a process of its own, started ahead of need.

    The process imports WeasyPrint while the notebooks run, and prints the PDF while the
    caller writes the other documents: the PDF takes most of a report's rendering, and
    WeasyPrint holds the interpreter lock, so a thread would not run beside it.

    The process runs in a session of its own, so the terminal's Ctrl-C reaches only the
    build, which stops it (`close`); it also ends when the build's process dies (its stdin
    closes). (A pipe and one JSON line each way, by hand: a multiprocessing pool cannot start
    its workers outside the terminal's process group, and they print tracebacks on Ctrl-C.)
    """

    def __init__(self) -> None:
        import subprocess
        import sys
        import tempfile
        from concurrent.futures import ThreadPoolExecutor

        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by `close`): its stderr, for a crash's last word
        self._process = subprocess.Popen(
            [sys.executable, "-c", "from itud.printer import serve_pdf; serve_pdf()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, text=True, encoding="utf-8",
            start_new_session=True,
        )  # fmt: skip
        self._waiter = ThreadPoolExecutor(1, thread_name_prefix="itud-pdf")  # one request at a time

    def print(self, document: Document, path: Path):
        """Start printing `document` to `path` (as `write_pdf`); returns a future: `result(timeout)` is the path,
        or raises `PdfError`."""
        import json

        request = {"page": html(document, for_print=True), "path": str(path), "base_url": figures_url(document)}
        return self._waiter.submit(self._ask, json.dumps(request))

    def _ask(self, request: str) -> Path:
        import json

        try:
            self._process.stdin.write(request + "\n")
            self._process.stdin.flush()
            answer = self._process.stdout.readline()
        except (OSError, ValueError):  # the process is gone, or `close` closed its pipes
            answer = ""
        if not answer:
            self._process.wait()
            raise PdfError(f"the PDF printer stopped (exit status {self._process.returncode}){self._last_words()}")
        answer = json.loads(answer)
        if "error" in answer:
            raise PdfError(answer["error"])
        return Path(answer["path"])

    def _last_words(self) -> str:
        self._log.seek(0)
        lines = [line.strip() for line in self._log.read().decode("utf-8", "replace").splitlines() if line.strip()]
        return f": {lines[-1][:200]}" if lines else ""

    def close(self) -> None:
        """Stop the process at once, whatever it is doing."""
        self._process.kill()
        self._process.wait()
        self._waiter.shutdown(wait=True)  # a request waiting for an answer sees the pipe close
        for pipe in (self._process.stdin, self._process.stdout):
            with contextlib.suppress(OSError):  # a broken pipe: nothing was left to send
                pipe.close()
        self._log.close()

    def __enter__(self) -> PdfPrinter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
