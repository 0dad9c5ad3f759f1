"""The PDF printer: a process of its own that prints the report's PDF with WeasyPrint (`render.print_pdf`).

A build starts it once its first notebook is done (`build.build_report`): the process imports WeasyPrint
while the other notebooks run, and prints the PDF while the build writes the other documents. A build that
fails or is stopped before any notebook is done never starts it.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from itud.report.document import Document
from itud.report.render import figures_url, font_faces, html, print_pdf
from itud.run.buildinfo import pinned_pdf_environment
from itud.run.servers import ServerProcess, ServerStopped, serve


class PdfError(Exception):
    """Printing the PDF failed in the printer's process; the message names the error there."""


def serve_pdf() -> None:
    """The printer's process (`PdfPrinter`): imports WeasyPrint and lets it find its fonts once (a one-line
    page), then prints each request."""
    import weasyprint

    with pinned_pdf_environment():
        weasyprint.HTML(string="<p>itud</p>").write_pdf(stylesheets=[weasyprint.CSS(string=font_faces())])

    def answer(request: dict) -> dict:
        try:
            built_with = print_pdf(request["page"], Path(request["path"]), request["base_url"])
        except Exception as error:
            return {"error": f"{type(error).__name__}: {error}"}
        return {"path": request["path"], "record": built_with}

    serve(answer)


class PdfPrinter(ServerProcess):
    """Prints PDFs in a process of its own (`servers.ServerProcess`), started ahead of need.

    The process imports WeasyPrint while the notebooks run (once `start`ed), and prints the PDF while the
    caller writes the other documents: the PDF takes most of a report's rendering, and
    WeasyPrint holds the interpreter lock, so a thread would not run beside it.
    """

    name = "PDF printer"

    def __init__(self, *, start: bool = True) -> None:
        """`start=False`: the process starts with `start`, or with the first `print`."""
        super().__init__("itud.report.printer:serve_pdf", start=start)
        self._waiter = ThreadPoolExecutor(1, thread_name_prefix="itud-pdf")
        self.record: dict = {}  # the build record of the PDF printed last (`buildinfo.record`)

    def print(self, document: Document, path: Path):
        """Start printing `document` to `path` (as `write_pdf`); returns a future: `result(timeout)` is the path,
        or raises `PdfError`."""
        request = {"page": html(document, for_print=True), "path": str(path), "base_url": figures_url(document)}
        return self._waiter.submit(self._print, request)

    def _print(self, request: dict) -> Path:
        try:
            answer = self.ask(request)
        except ServerStopped as error:
            raise PdfError(str(error)) from None
        if "error" in answer:
            raise PdfError(answer["error"])
        self.record = answer["record"]
        return Path(answer["path"])

    def close(self) -> None:
        super().close()
        self._waiter.shutdown(wait=True)
