"""Build one year's report into a private folder and publish it only when readers would see a change.

A build:
1. reads every input once (`versions.snapshot`) and fingerprints inputs, code and
   runtime environment. If the newest version has the same fingerprint, it says
   "up to date" and writes nothing (a fast path: no notebook runs).
2. otherwise builds everything in a private folder beside the versions: the input
   snapshot (`inputs/`), executed notebooks, figures, results, the HTML/DOCX/PDF
   documents and the tables. Notebooks read the snapshot through a path relative to
   the build folder, so no checkout path ends up in a version.
3. renders the documents as the newest version would say them; if every file readers
   see (documents, tables, figures, results) is byte-identical to the newest version,
   it says "reproduced vN byte for byte" and writes nothing. A version means the
   documents changed.
4. otherwise renders them as the next revision (header and "Changes in this
   revision" against the newest version) and, under the year's lock, renames the
   folder into place as v<N+1> in one step. A failure removes the build folder; a
   published version is never touched again. `reports/index.html` is rewritten.

Nothing time-dependent goes into the documents, so a rebuild with the same inputs
gives byte-identical files.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import functools
import json
import os
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from itud import __version__, paths
from itud.errors import BuildError, TimeLimit, raise_if_stopped, time_limit, work_is_kept
from itud.publish.revisions import (
    Revision,
    changes,
    content,
    document_name,
    reason,
    revision_number,
    what_the_revision_changed,
)
from itud.publish.versions import (
    INPUTS_DIR,
    MANIFEST,
    check_next_name_free,
    code_commit,
    differing,
    fingerprint,
    is_intermediate,
    latest,
    locked,
    make_readable,
    output_hashes,
    reader_outputs,
    same_pdf_text,
    sha256,
    snapshot,
    state_of,
)
from itud.run.buildinfo import differences
from itud.run.execute import DEFAULT_TIMEOUT, remove_stale_sockets, write_notebook

_DOCUMENTS = ("html", "docx", "pdf")
_SCRATCH = ".tmp-"
_WARNED: set[str] = set()  # warnings already printed by this process
_NOTEBOOK_OUTPUTS = ("figures/", "results/")  # what the notebooks made, before any document is rendered
REPRODUCED = ".reproduced.json"  # git-ignored: which fingerprint last reproduced the newest version here


@dataclass
class BuildResult:
    year: int
    # "built", "up to date" (same inputs), "reproduced" (rebuilt: the same bytes), "reproduced content" (rebuilt
    # elsewhere: the same content, a PDF laid out by other system libraries) or "differs" (`publish=False`)
    status: str
    version: Path | None
    seconds: float
    ignored: list[str] = field(default_factory=list)  # stray files in the edition folder, not inputs
    why: list[str] = field(default_factory=list)  # "reproduced content": how this machine's environment differs
    record: dict = field(default_factory=dict)  # the build record of this machine's PDF (`buildinfo.record`)

    @property
    def message(self) -> str:
        if self.status == "up to date":
            return (
                f"{self.year}: up to date ({self.version} was built or reproduced with these inputs, "
                "code, packages and system libraries); nothing written"
            )
        if self.status == "reproduced":
            return f"{self.year}: reproduced {self.version.name} byte for byte with the current code; nothing written"
        if self.status == "reproduced content":
            return (
                f"{self.year}: reproduced {self.version.name}'s content (text, tables, numbers, figures); the PDF's "
                f"bytes differ because {'; '.join(self.why)}; nothing written"
            )
        return f"{self.year}: built {self.version} in {self.seconds:.1f} s"

    def documents(self) -> list[Path]:
        """The HTML, DOCX and PDF of the version built or found."""
        if self.version is None:
            return []
        return [self.version / f"report-{self.year}.{kind}" for kind in _DOCUMENTS]


def build_report(
    year: object,
    data_dir: Path = paths.DATA_DIR,
    reports_dir: Path = paths.REPORTS_DIR,
    *,
    notebooks_dir: Path = paths.NOTEBOOKS_DIR,
    force: bool = False,
    progress: bool = True,
    kernels: int | None = None,
    publish: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    note: str = "",
    on_event=None,
) -> BuildResult:
    """Build the report of `year`; publish it as a new version only if its documents changed.

    `force`: rebuild even when the fingerprint is unchanged (still publishes only on a change).
    `publish=False`: build and compare with the newest version, never write a version (`itud report --check`).
    `kernels`: notebooks executed at once (default: the number of cores); the outputs do not depend on it.
    `timeout`: seconds each notebook may take.
    `note`: why this version is published, in its changes block and the manifest (`itud report --note`).
    `on_event(kind, text)`: told of each notebook done ("notebook", its name) and each warning ("warning",
    its text) instead of printing them (a batch shows them for every year at once).
    """
    started = time.perf_counter()
    data_dir, reports_dir = Path(data_dir).resolve(), Path(reports_dir).resolve()
    year = int(paths.edition_dir(data_dir, year).name)
    year_dir = reports_dir / str(year)
    if publish:  # `--check` writes nothing into the reports folder, which may be read-only
        year_dir.mkdir(parents=True, exist_ok=True)
        remove_stale_scratch(year_dir)  # no lock needed: a folder is only removed once its run is gone
    remove_stale_sockets()  # and the kernels' sockets of such runs, even when this one turns out up to date
    check_next_name_free(year_dir)
    taken = snapshot(year, data_dir, Path(notebooks_dir))
    state = state_of(year, taken)
    current = fingerprint(state)
    number, newest, manifest = latest(year_dir)
    if newest is not None and current in (manifest.get("fingerprint"), _reproduced(year_dir, newest)) and not force:
        return BuildResult(year, "up to date", newest, time.perf_counter() - started, taken.ignored)

    from itud.report.printer import PdfPrinter

    work_is_kept(False)  # a stop ends this build (after another one's publication in the same process)
    print_ = _printer(progress)
    # Started once the first notebook is done: its process imports WeasyPrint while the others run, and a
    # build that fails or is stopped in its first notebooks (a broken edition, Ctrl-C) never starts it.
    pdf = PdfPrinter(start=False)
    bar = Progress(year, len(taken.notebooks), enabled=progress)
    try:
        scratch = make_scratch(year_dir if publish else Path(tempfile.gettempdir()))
    except BaseException:
        bar.close()
        pdf.close()
        raise
    try:
        taken.write(scratch / INPUTS_DIR / "data")
        meta_file = scratch / INPUTS_DIR / "data" / str(year) / "edition.toml"
        try:
            _build_into(scratch, year, taken, bar, kernels or os.cpu_count() or 1, timeout, on_event, pdf.start)
        except BuildError as error:
            raise BuildError(_as_in_data_dir(str(error), data_dir)) from None
        raise_if_stopped()
        render = functools.partial(
            _render, scratch, year, meta_file, pdf=pdf, timeout=timeout, data_dir=data_dir, on_event=on_event,
            memo={}, progress=bar,
        )  # fmt: skip
        # `itud report --check` lists the files that differ, so it renders every one of them.
        verdict = _compare(render, scratch, year_dir, number, manifest, pdf, complete=not publish) if newest else None
        if verdict and verdict.same:
            shutil.rmtree(scratch)
            if publish and manifest.get("fingerprint") != current:
                _remember_reproduced(year_dir, newest, current)
            return BuildResult(
                year, verdict.status, newest, time.perf_counter() - started, taken.ignored, verdict.why, pdf.record
            )
        if not publish:
            return BuildResult(year, "differs", scratch, time.perf_counter() - started, taken.ignored, [], pdf.record)
        with locked(year_dir):
            check_next_name_free(year_dir)
            seen = number
            number, newest, manifest = latest(year_dir)  # a concurrent run may have published meanwhile
            if number != seen and (verdict := _compare(render, scratch, year_dir, number, manifest, pdf)).same:
                shutil.rmtree(scratch)
                return BuildResult(
                    year, verdict.status, newest, time.perf_counter() - started, taken.ignored, verdict.why, pdf.record
                )
            revision = render(newest, note=note)
            for name in list(output_hashes(scratch)):
                if is_intermediate(name):
                    (scratch / name).unlink()
            for notebook in sorted((scratch / "notebooks").glob("*.ipynb")):
                _figures_by_reference(notebook)
            record = {
                "year": year,
                "version": number + 1,
                "previous_version": newest.name if newest else None,
                "built_by": f"itud {__version__}",
                "code_commit": code_commit(),
                "published": dt.datetime.now(dt.UTC).date().isoformat(),
                "fingerprint": current,
                **state,
                "corrections": _count_corrections(scratch / INPUTS_DIR / "data" / str(year)),
                "outputs": output_hashes(scratch),
                "revision": revision.number,
                "build_record": {k: v for k, v in pdf.record.items() if k != "page"},
                "printed_from": {f"report-{year}.pdf": pdf.record.get("page")},
                **({"note": note} if note else {}),
            }
            record["reason"] = reason(manifest, record, form_only=revision.form_only)
            if revision.changes:  # what readers find changed, as the changes block says it (the index shows it)
                record["changes"] = revision.changes
            (scratch / MANIFEST).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            make_readable(scratch)
            target = year_dir / f"v{number + 1}"
            raise_if_stopped()  # a Ctrl-C whose exception Python dropped: nothing is published after it
            work_is_kept()  # from the rename on, a stop cannot undo it: the build ends as published
            os.rename(scratch, target)  # atomic on one file system; fails rather than overwrite
    except BaseException as error:
        shutil.rmtree(scratch, ignore_errors=True)
        if isinstance(error, OSError) and error.filename is None and error.strerror:  # e.g. a full disk:
            raise OSError(error.errno, error.strerror, str(year_dir)) from None  # say where it was writing
        raise
    finally:
        bar.close()  # clears its line, so an error message is not printed after the bar
        pdf.close()
    from itud.publish.index import write_index

    write_index(reports_dir)
    print_(f"published {target}")
    return BuildResult(year, "built", target, time.perf_counter() - started, taken.ignored)


def _as_in_data_dir(message: str, data_dir: Path, scratch: Path | None = None) -> str:
    """An error about a file of the build's input snapshot (`inputs/data/...`, a copy of the data folder,
    relative or under the `scratch` folder, which is gone once the error is read) names the file the analyst
    edits instead."""
    if scratch is not None:
        message = message.replace(f"{scratch}/{INPUTS_DIR}/data/", f"{data_dir}/")
    return message.replace(f"{INPUTS_DIR}/data/", f"{data_dir}/")


def _figures_by_reference(path: Path) -> None:
    """Drop the pictures of figures from a published notebook: the version's figures/ holds them, and the
    figure's text output (`<Figure name: title>`) names the file. Everything else the notebook showed stays."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "text/plain" in data and str("".join(data["text/plain"])).startswith("<Figure "):
                for kind in [k for k in data if k.startswith("image/")]:
                    del data[kind]
    write_notebook(path, notebook)


@dataclass
class Verdict:
    """Whether a rebuild says what the newest version says: `status` "reproduced" (the same bytes), "reproduced
    content" (the same content, only the PDF's bytes differ: `why` says how the environment differs) or
    "differs"."""

    status: str
    why: list[str] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return self.status != "differs"


def _compare(render, scratch: Path, year_dir: Path, number: int, manifest: dict, pdf, *, complete=False) -> Verdict:
    """Whether readers would see exactly version `number` in `scratch`, rendered as that version says itself
    (`render(previous, note=its note)`). Figures and results are compared first, then the HTML: when they
    differ, the other documents are not rendered (they are rendered as the next version instead), unless
    `complete`.

    Every output is made by pinned Python code but the PDF, which the machine's Pango, HarfBuzz, FreeType and
    fontconfig lay out. A PDF printed from the very page the version's was (`printed_from`, recorded since
    itud recorded build environments) whose text is the published PDF's (`versions.same_pdf_text`: a claim of
    the manifest is not enough) says the same: if it is the only file that differs, the content is
    reproduced, and `why` says how this machine's environment differs from the version's build record (which
    only explains, never excuses, a difference)."""
    published = reader_outputs(manifest.get("outputs", {}))
    made = reader_outputs(output_hashes(scratch))
    made = {name: digest for name, digest in made.items() if name.startswith(_NOTEBOOK_OUTPUTS)}
    if not complete and made != {n: d for n, d in published.items() if n.startswith(_NOTEBOOK_OUTPUTS)}:
        return Verdict("differs")
    previous = year_dir / f"v{number - 1}" if number > 1 else None
    as_it_said_itself = {"previous": previous, "note": manifest.get("note", "")}
    if not complete:  # the HTML first: when it differs, printing the PDF to compare it would be wasted
        html = f"report-{year_dir.name}.html"
        render(**as_it_said_itself, kinds=("html",))
        if sha256(scratch / html) != published.get(html):
            return Verdict("differs")
    render(**as_it_said_itself)
    made = reader_outputs(output_hashes(scratch))
    if made == published:
        return Verdict("reproduced")
    pdf_name = f"report-{year_dir.name}.pdf"
    printed_from = manifest.get("printed_from", {}).get(pdf_name)
    same_page = bool(printed_from) and printed_from == pdf.record.get("page")  # as the manifest claims
    if differing(published, made) == [pdf_name] and same_page and same_pdf_text(
        year_dir / f"v{number}" / pdf_name, scratch / pdf_name
    ):  # and as the two PDFs' text shows
        version = f"v{number}"
        why = differences(manifest.get("build_record"), pdf.record, version) or [
            f"of something this machine's build record does not show (it matches {version}'s): please report it"
        ]
        return Verdict("reproduced content", why)
    return Verdict("differs")


def _reproduced(year_dir: Path, newest: Path) -> str | None:
    """The fingerprint with which `newest` was last reproduced here (a local note, not part of any version)."""
    try:
        note = json.loads((year_dir / REPRODUCED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return note.get("fingerprint") if note.get("version") == newest.name else None


def _remember_reproduced(year_dir: Path, newest: Path, current: str) -> None:
    """Note that these inputs reproduce `newest`, so the next run answers "up to date" without rebuilding."""
    note = year_dir / REPRODUCED
    scratch = note.with_name(f"{REPRODUCED}.{os.getpid()}")
    scratch.write_text(json.dumps({"version": newest.name, "fingerprint": current}) + "\n", encoding="utf-8")
    scratch.replace(note)


def _count_corrections(edition_dir: Path) -> int:
    path = edition_dir / "corrections.csv"
    if not path.exists():
        return 0
    import csv

    with open(path, encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def make_scratch(year_dir: Path) -> Path:
    """A private build folder `.tmp-<pid>-<random>` beside the versions; the pid tells whether its run is alive."""
    return Path(tempfile.mkdtemp(prefix=f"{_SCRATCH}{os.getpid()}-", dir=year_dir))


def remove_stale_scratch(year_dir: Path) -> list[Path]:
    """Remove the build folders of runs that were killed (their process is gone); returns them.

    A folder of a run still alive, on this machine, is left alone, as is a `.tmp-*` folder
    without a process id in its name (made by an older itud: it cannot be told apart).
    """
    return paths.remove_folders_of_dead_runs(year_dir, _SCRATCH)


def _printer(enabled: bool):
    return (lambda text: print(text, file=sys.stderr)) if enabled else (lambda text: None)


def document_steps(year: int, kinds: tuple[str, ...] = _DOCUMENTS, *, draft_html: bool = False) -> list[str]:
    """The documents one rendering (`_render`) writes, in the order the progress bar counts them: the HTML
    without its changes block first if `draft_html`, then the HTML and DOCX of `kinds`, the PDF (printed
    meanwhile) and, with the PDF, the workbook. The CSV tables are written with each and are no step."""
    names = [f"report-{year}.html"] if draft_html else []
    names += [f"report-{year}.{kind}" for kind in kinds if kind != "pdf"]
    if "pdf" in kinds:
        names += [f"report-{year}.pdf", f"tables-{year}.xlsx"]
    return names


class Progress:
    """A build's one progress bar on stderr: a step per notebook executed, then a step per document written,
    labelled with the document's file name, so that it reaches 100% when the last document is written.

    The bar expects one full rendering at first; a build that renders more (to compare with the newest
    version, then as the next revision) tells it so as each rendering starts (`expect`)."""

    def __init__(self, year: int, notebooks: int, *, enabled: bool = True) -> None:
        from tqdm import tqdm

        self.label = f"report {year}"
        self.bar = tqdm(
            total=notebooks + len(document_steps(year)), desc=self.label, unit="step", disable=not enabled,
            file=sys.stderr, leave=False, mininterval=0, miniters=1,
        )  # fmt: skip

    def notebook_done(self) -> None:
        """One notebook executed."""
        self.bar.update()

    def expect(self, names: list[str]) -> None:
        """A rendering that writes `names` starts: the total grows if they do not fit in the steps left."""
        if self.bar.n + len(names) > self.bar.total:
            self.bar.total = self.bar.n + len(names)
            self.bar.refresh()

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Writing the document `name`: shown in the bar's description, counted once it is written."""
        self.bar.set_description(f"{self.label}: {name}")
        yield
        self.bar.update()

    def write(self, text: str) -> None:
        """Print `text` on stderr above the bar (the bar is drawn again under it)."""
        self.bar.write(text, file=sys.stderr)

    def close(self) -> None:
        """Clear the bar's line."""
        self.bar.close()


def _build_into(
    folder: Path, year: int, taken, progress: Progress, kernels: int, timeout: float, on_event=None,
    on_notebook_done=None,
) -> None:
    """Execute the snapshot's notebooks in `folder`, reading the snapshot's data, in kernels forked by a kernel
    server of their own (stopped once they are done: its memory is the PDF's). `on_notebook_done()` is called
    as each notebook is done (the build's `PdfPrinter.start`, which starts the printer once); `progress`
    counts each."""
    from itud.report.results import NOTEBOOK_LIBRARIES
    from itud.run.execute import execute_all
    from itud.run.kernel_server import KernelServer

    sources = folder / ".notebook-sources"
    sources.mkdir()
    for name, data in taken.notebooks.items():
        (sources / name).write_bytes(data)
    names = sorted(taken.notebooks)
    (folder / "notebooks").mkdir()
    # Paths relative to the build folder: the same from .tmp-*/ and from the published v<N>/.
    parameters = {"year": year, "data_dir": f"{INPUTS_DIR}/data", "output_dir": "."}
    jobs = [(sources / name, folder / "notebooks" / name) for name in names]

    def done(source) -> None:
        if on_notebook_done:
            on_notebook_done()
        progress.notebook_done()
        if on_event:
            on_event("notebook", Path(source).name)

    # A version keeps its notebooks with their figures by reference (`_figures_by_reference`): its kernels
    # draw no pictures for them (a second of CPU a build).
    server = KernelServer({paths.FIGURE_PREVIEWS: "off"}, preload=NOTEBOOK_LIBRARIES)
    try:
        execute_all(
            jobs, parameters, cwd=folder, on_done=done, kernels=kernels, timeout=timeout,
            server=server,
        )  # fmt: skip
    finally:
        server.close()
        shutil.rmtree(sources, ignore_errors=True)


def _render(
    folder: Path, year: int, meta_file: Path, previous: Path | None, *, pdf, timeout: float, note: str = "",
    data_dir: Path = paths.DATA_DIR, on_event=None, kinds: tuple[str, ...] = _DOCUMENTS, memo: dict | None = None,
    progress: Progress | None = None,
) -> Revision:
    """Render the documents and tables into `folder` as the version after `previous` (None: the first);
    returns the revision they are. `kinds`: the documents to write (the workbook comes with the PDF).

    `pdf` (a `printer.PdfPrinter`) prints the PDF while this process writes the other files; it may take
    `timeout` seconds.

    The version is the next ITU revision of the document when its text, tables, numbers or figures differ
    from `previous`'s (`revisions.content`), and the same revision in another form otherwise; `note` says
    why it was published (`itud report --note`), in its changes block.

    The HTML is rendered first without its changes block, so the paragraphs the block
    compares are the document's own (the revision block is left out of the comparison).
    `memo`: a dict kept between the renderings of one build, which then compares `folder` with a given
    `previous` once (a build renders its HTML alone first, then every document, from the same outputs).
    `progress`: the build's bar, which counts each document written (`document_steps`).
    """
    from itud.report import document, render, results
    from itud.report.printer import PdfError

    progress = progress or Progress(year, 0, enabled=False)
    meta = document.read_prose(meta_file)
    edition_dir = meta_file.parent
    revision = Revision(revision_number(previous), previous.name if previous else None)

    def assemble(changes_so_far: list[str], final: bool) -> document.Document:
        header = None
        if previous is not None:
            header = {
                "number": revision.number,
                "of": meta.get("document_number") or "",
                "changes": changes_so_far,
                "version": f"v{int(previous.name.removeprefix('v')) + 1}",
                "previous_version": previous.name,
                "compared_with": document_name(previous),
                "form_only": revision.form_only,
                "revision_changes": revision.revision_changes,  # form only: what the revision itself changed
                "note": note,
            }
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", document.UnplacedItemWarning)
            try:
                built = document.build(
                    results.read_all(folder), meta, folder / "figures", edition_dir=edition_dir,
                    revision=header, timeout=timeout,
                )  # fmt: skip
            except (document.ReportError, results.ResultsError) as error:  # naming the analyst's own file
                raise BuildError(_as_in_data_dir(f"report {year}: {error}", data_dir, folder)) from None
        for warning in caught if final else []:
            if str(warning.message) not in _WARNED:  # a build may render twice (as the newest, then as the next)
                _WARNED.add(str(warning.message))
                if on_event:
                    on_event("warning", str(warning.message))
                else:
                    progress.write(f"warning: {warning.message}")
        return built

    writers = {"html": render.write_html, "docx": render.write_docx}

    def write(report: document.Document, kinds: tuple[str, ...]) -> None:
        path = folder / f"report-{year}.pdf"
        printing = pdf.print(report, path) if "pdf" in kinds else None
        for kind in (kind for kind in kinds if kind != "pdf"):
            try:
                with progress.step(f"report-{year}.{kind}"), time_limit(timeout):
                    writers[kind](report, folder / f"report-{year}.{kind}")
            except TimeLimit as error:
                raise BuildError(
                    f"writing report-{year}.{kind} {error}; give more time with --timeout SECONDS"
                ) from None
            except Exception as error:
                raise BuildError(f"rendering report-{year}.{kind} failed: {type(error).__name__}: {error}") from error
        with time_limit(timeout):
            render.write_tables_csv(report, folder / "tables")
        if printing is not None:
            try:
                with progress.step(path.name):
                    printing.result(timeout=timeout)
            except concurrent.futures.TimeoutError:
                raise BuildError(
                    f"printing {path.name} did not finish within its time limit of {timeout:g} s; "
                    "give more time with --timeout SECONDS"
                ) from None
            except PdfError as error:  # the message names the error in the printer's process
                raise BuildError(f"rendering {path.name} failed: {error}") from None
            except Exception as error:
                raise BuildError(f"rendering {path.name} failed: {type(error).__name__}: {error}") from None

    memo = {} if memo is None else memo
    progress.expect(document_steps(year, kinds, draft_html=previous is not None and previous not in memo))
    if previous is not None and previous in memo:
        revision.form_only, revision.number, revision.changes, revision.revision_changes = memo[previous]
    elif previous is not None:  # the document's own paragraphs and tables first, then what changed in them
        write(assemble([], final=False), ("html",))
        revision.form_only = content(previous, year) == content(folder, year)
        revision.number = revision_number(previous, content_changed=not revision.form_only)
        revision.changes = changes(previous, folder, year)
        if revision.form_only:  # the changes block then also says what the revision itself changed
            revision.revision_changes = what_the_revision_changed(previous, year)[1]
        memo[previous] = revision.form_only, revision.number, revision.changes, revision.revision_changes
    report = assemble(revision.changes, final=True)
    write(report, kinds)
    if "pdf" not in kinds:
        return revision
    try:
        with progress.step(f"tables-{year}.xlsx"), time_limit(timeout):
            render.write_xlsx(report, folder / f"tables-{year}.xlsx")
    except TimeLimit as error:
        raise BuildError(f"writing tables-{year}.xlsx {error}; give more time with --timeout SECONDS") from None
    return revision
