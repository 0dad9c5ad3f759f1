"""The `itud` command: validate data, parse a source annex, build reports.

Heavy libraries (pandas, papermill, matplotlib) are imported inside the
commands that need them, so `--help` and an up-to-date check answer fast.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import threading
from pathlib import Path

from itud import paths
from itud.data.ids import NOT_PUBLISHED
from itud.errors import UsageError

DESCRIPTION = """\
Reproducible report on how ITU-D's work serves the WSIS Action Lines (C1-C11)
and the Sustainable Development Goals (SDGs 1-17).

The data flow: a TDAG contribution's annex is parsed into tables under
data/<year>/ (`itud parse`), validated (`itud validate`), analysed by the
notebooks in notebooks/ and rendered as a versioned TDAG-style report under
reports/<year>/v<N>/ (`itud report`, or `itud batch` for several years).
"""

EPILOG = """\
examples:
  itud validate                      validate the newest edition, print its summary
  itud validate --year 2019
  itud parse ../shared/seeds/000_b35b5415e02ee5de.txt --year 2019
  itud notebooks                     re-execute notebooks/ in place after a change
  itud report --year 2019            build reports/2019/v<N>/ (or say it is up to date)
  itud batch --jobs 2                every edition in data/, in parallel
  itud report --check                rebuild and compare with the newest version (CI)
  itud verify                        check every published file against its manifest
  itud diff 2019 v4 v5               what changed between two versions
  itud new-edition 2020 --from 2019  start data/2020/ with the facts to enter
  itud new-notebook 07-delegate-question   a new analysis notebook that meets every rule
exit status: 0 success, 1 invalid data or a failed build, 2 wrong usage,
  130 stopped by Ctrl-C (SIGINT), 143 stopped by SIGTERM.
errors name the file and what to do; `itud --debug COMMAND ...` also shows the Python traceback.
"""


def year_argument(text: str) -> str:
    """argparse type of --year: four ASCII digits (an empty value is an error, not "the newest")."""
    if not paths.YEAR.match(text):
        raise argparse.ArgumentTypeError(f"not a year (expected four digits such as 2019): {text!r}")
    return text


def note_text(text: str) -> str:
    """argparse type of --note: checked before any notebook runs (`itud.data.edition_file.note_argument`),
    imported only when a note is given (pydantic is slow to import for --help)."""
    from itud.data.edition_file import note_argument

    return note_argument(text)


def positive_int(text: str) -> int:
    """argparse type of --jobs and --kernels: a whole number of at least 1, in ASCII digits."""
    if not re.fullmatch(r"[0-9]+", text) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1: {text!r}")
    return int(text)


def _data_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=paths.DATA_DIR,
        help=f"folder holding reference/ and one folder per edition year (default: {paths.DATA_DIR})",
    )


def _year_and_data(parser: argparse.ArgumentParser, year_help: str, year_type=year_argument) -> None:
    _data_dir_option(parser)
    parser.add_argument("--year", type=year_type, help=year_help)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="itud",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--debug", action="store_true", help="on an error, also show the Python traceback")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    validate = commands.add_parser(
        "validate",
        help="load and validate an edition, print counts per table",
        description="Load data/<year>/ and the reference tables, check every rule (ids, links, "
        "duplicates, encoding) and print the number of rows per table and the state of question "
        "links. Every problem is listed with file, row, column and value. When the source document "
        "is in ../shared/seeds, its SHA-256 is checked against the one edition.toml gives.",
    )
    _year_and_data(validate, "edition year (default: the newest edition in the data folder)")

    parse = commands.add_parser(
        "parse",
        help="read a contribution's annexes (plain text or .docx) and write the edition's tables",
        description="Read Annex 1 (objectives, outcomes and their SDG and Action Line links) and "
        "Annex 2 (study groups) of a TDAG contribution, given as UTF-8 plain text or .docx, and write "
        "objectives.csv, outcomes.csv, outcome_sdg.csv, outcome_action_line.csv, study_groups.csv and "
        "normalisations.csv. A .docx is read in document order: paragraphs and tables (row by row, "
        "cell by cell, nested tables too), manual line breaks as new lines, tracked changes as if "
        "accepted. Every normalisation made (typo'd ids, ranges, lists joined by 'and', doubled or "
        "trailing spaces, tracked changes) is printed with its line number. A line that cannot be "
        "read, or tables that `itud validate` would refuse, are errors and nothing is written; "
        "otherwise all tables are replaced together, under a lock on the edition folder.",
    )
    parse.add_argument("source", type=Path, help="the contribution: a .txt (UTF-8 plain text) or .docx file")
    _year_and_data(
        parse,
        "edition year, four ASCII digits: the tables go to DATA_DIR/<year>/ (required unless --out)",
        year_type=str,
    )
    parse.add_argument("--out", type=Path, help="write the tables to this folder instead")
    parse.add_argument(
        "--max-source-mb",
        type=float,
        default=None,
        help="refuse a source larger than this many MB (a .docx: its unzipped size); default: the "
        "ITUD_MAX_SOURCE_MB environment variable, else 200",
    )

    package = commands.add_parser(
        "datapackage",
        help="write data/datapackage.json (Frictionless description of every table)",
        description="Describe every table in the data folder (columns, types, keys, links) as a "
        "Frictionless Data Package, generated from the schemas the loader validates with.",
    )
    _data_dir_option(package)
    package.add_argument("--check", action="store_true", help="only check the file is current; exit 1 if not")

    refresh = commands.add_parser(
        "notebooks",
        help="re-execute the committed notebooks in place (after a data or code change)",
        description="Execute every notebook in notebooks/ with its default parameters and save it with "
        "its outputs, volatile metadata stripped. Run this and commit the notebooks when nbval reports "
        "that a checked output changed because the data or the code did.",
    )
    refresh.add_argument(
        "--notebooks-dir", type=Path, default=paths.NOTEBOOKS_DIR, help="folder of the notebooks (default: %(default)s)"
    )
    _timeout_option(refresh)

    new = commands.add_parser(
        "new-notebook",
        help="write a new analysis notebook that meets every rule, executed, ready to edit",
        description="Write notebooks/NAME.ipynb: a title and question to write, the parameters cell, the "
        "set-up, one example table (the output nbval checks) and one example figure declared for the report, "
        "and the cell that hands them on; then execute it, so that it meets every rule of the README's "
        "'Adding an analysis' from the start. Replace the examples with your analysis.",
    )
    new.add_argument("name", help="NN-words: two digits (its place in the reading order, unused) and lower-case "
                     "words joined by hyphens, e.g. 07-delegate-question")  # fmt: skip
    new.add_argument(
        "--section", default="coverage", help="the report section its table and figure go to (default: %(default)s; "
        "the sections are the files of report/sections/, e.g. coverage, matrix, study-groups)",
    )  # fmt: skip
    new.add_argument(
        "--notebooks-dir", type=Path, default=paths.NOTEBOOKS_DIR, help="folder of the notebooks (default: %(default)s)"
    )
    _timeout_option(new)

    report = commands.add_parser(
        "report",
        help="build the TDAG report of one year as a new version (HTML, DOCX, PDF)",
        description="Execute every notebook with papermill for the year (each in a fresh kernel), render "
        "the TDAG-style document as HTML, DOCX and PDF and publish it as reports/<year>/v<N>/ with a "
        "manifest, only when what readers see changed. When inputs, code and packages are unchanged since "
        "the newest version, says 'up to date' and writes nothing; when they changed but every document, "
        "table, figure and result comes out byte-identical, says 'reproduced vN byte for byte' and writes "
        "nothing; when only the PDF's bytes differ and it was printed from the same page (another machine's "
        "Pango or HarfBuzz laid it out), says 'reproduced vN's content', names how this machine's libraries "
        "differ from the version's build record, and writes nothing. A version whose text, tables, numbers and "
        "figures are those of the one before is the same ITU revision in another form (say why with --note). "
        "A failed or interrupted run leaves every published version untouched.",
    )
    _year_and_data(report, "edition year (default: the newest edition in the data folder)")
    _report_options(report)
    report.add_argument(
        "--kernels", type=positive_int, default=None, help="notebooks executed at once (default: number of cores)"
    )
    report.add_argument(
        "--note",
        default="",
        metavar="TEXT",
        type=note_text,
        help="why this version is published, in words for readers (one sentence, e.g. 'the PDF now embeds its "
        "fonts the same way on every machine.'): printed in its 'Changes in this revision' block, its manifest "
        "and reports/index.html; ignored when nothing is published",
    )
    report.add_argument(
        "--check",
        action="store_true",
        help="rebuild in a temporary folder and compare with the newest published version, file by file; "
        "publish nothing; exit 1 if what readers see differs (CI runs this through the tests)",
    )

    verify = commands.add_parser(
        "verify",
        help="check every published version's files against its manifest",
        description="Recompute the SHA-256 of every file in every reports/<year>/v<N>/ and compare it with "
        "the version's manifest.json: a file changed, removed or added after publishing is reported. "
        "Exit 1 if anything differs.",
    )
    verify.add_argument("year", nargs="?", help="only this year (default: every year in the reports folder)")
    verify.add_argument("--reports-dir", type=Path, default=paths.REPORTS_DIR, help="the reports folder")

    diff = commands.add_parser(
        "diff",
        help="what changed between two published versions of a year",
        description="Print the changes from one version to another: links added or removed, corrections, "
        "key numbers and paragraphs, as the 'Changes in this revision' block of the report says them.",
    )
    diff.add_argument("year", help="the report's year, e.g. 2019")
    diff.add_argument("old", help="the earlier version, e.g. v4")
    diff.add_argument("new", help="the later version, e.g. v5")
    diff.add_argument("--reports-dir", type=Path, default=paths.REPORTS_DIR, help="the reports folder")

    new = commands.add_parser(
        "new-edition",
        help="start data/<year>/ from the previous edition, with its facts left to enter",
        description="Write data/<year>/edition.toml from the previous edition's file, keeping its layout, "
        "comments and wording, with every fact that belongs to one edition (meeting, dates, document, "
        "source, the report's prose and their sources) set to 'TO ENTER'. No table is copied: parse the "
        "new contribution with `itud parse SOURCE --year <year>`. `itud validate --year <year>` lists "
        "what is still to enter.",
    )
    new.add_argument("year", type=year_argument, help="the new edition's year, e.g. 2020")
    new.add_argument(
        "--from", dest="previous", type=year_argument, required=True, help="the edition to start from, e.g. 2019"
    )
    new.add_argument(
        "--corrections",
        choices=("carry", "leave"),
        help="whether the previous edition's corrections (corrections.csv) carry over: 'carry' copies each row, "
        "its reason, authority, date and reference kept and first_made naming the edition that first made it; "
        "'leave' starts with none. Required when the previous edition has corrections",
    )
    _data_dir_option(new)

    batch = commands.add_parser(
        "batch",
        help="build the reports of several years in parallel",
        description="Build the report of every edition in the data folder (or of the years "
        "given), several at once, with a progress bar. A failing year does not stop the others; "
        "a summary table follows and the exit status is 1 if any year failed.",
    )
    batch.add_argument(
        "years", nargs="*", type=year_argument, help="years to build (default: every edition in the data folder)"
    )
    _data_dir_option(batch)
    batch.add_argument("--jobs", type=positive_int, default=None, help="years built at once (default: number of cores)")
    _report_options(batch)
    return parser


def _report_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--reports-dir",
        type=Path,
        default=paths.REPORTS_DIR,
        help=f"where version folders are published (default: {paths.REPORTS_DIR})",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="rebuild even when inputs, code and packages are unchanged (a check that they still give the "
        "newest version); a new version is still published only if what readers see differs",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    _timeout_option(parser)


def _timeout_option(parser: argparse.ArgumentParser) -> None:
    from itud.run.execute import DEFAULT_TIMEOUT

    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help="time limit of each notebook, kernel start-up included (and, when a report is built, of printing "
        "its PDF); a step over it fails the run (default: %(default)g)",
    )


def _seconds(text: str) -> float:
    """A positive number of seconds, for argparse."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text!r}")
    return value


def _default_year(data_dir: Path) -> str:
    years = paths.available_years(data_dir)
    if not years:
        raise UsageError(f"{data_dir}: no edition folders (four-digit years) in the data folder: give --data-dir")
    return years[-1]


def _check_data_dir(data_dir: Path) -> None:
    if not data_dir.is_dir():
        state = "is not a folder" if data_dir.exists() else "does not exist"
        raise UsageError(
            f"{data_dir}: the data folder {state}: give --data-dir FOLDER (the folder holding reference/ "
            "and one folder per edition year)"
        )


def _check_years(data_dir: Path, years: list[str]) -> None:
    present = paths.available_years(data_dir)
    for year in years:
        if year not in present:
            raise UsageError(
                f"{data_dir / year}: no edition {year} in the data folder (editions: {', '.join(present) or 'none'}): "
                "give one of these, or --data-dir"
            )


def _writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK | os.X_OK)


def check_reports_dir(reports_dir: Path, years: list[str], writing: bool = True) -> None:
    """Before any work: the reports folder (and each year's folder in it) is a folder, and one we can write
    into when `writing` (`itud report --check` only reads it)."""
    for folder in [reports_dir, *(reports_dir / year for year in years)]:
        if folder.exists() and not folder.is_dir():
            raise UsageError(f"{folder}: is a file, not a folder: move it away or give --reports-dir FOLDER")
    existing = next(p for p in [reports_dir, *reports_dir.parents] if p.exists())
    if not existing.is_dir():
        raise UsageError(f"{existing}: is a file, not a folder: give --reports-dir FOLDER")
    for folder in [existing, *(reports_dir / year for year in years)] if writing else []:
        if folder.is_dir() and not _writable(folder):
            raise UsageError(
                f"{folder}: the folder is read-only, reports cannot be written there: "
                "make it writable or give --reports-dir FOLDER"
            )


def _check_arguments(args: argparse.Namespace) -> None:
    """What argparse cannot check alone: folders exist, years are editions, reports can be written."""
    if args.command in ("validate", "report", "batch", "datapackage"):
        _check_data_dir(args.data_dir)
    if args.command in ("validate", "report"):
        args.year = args.year or _default_year(args.data_dir)  # None: not given; "" is refused by argparse
        _check_years(args.data_dir, [args.year])
    if args.command == "batch":
        _check_years(args.data_dir, args.years)
    if args.command in ("report", "batch"):
        years = [args.year] if args.command == "report" else args.years or paths.available_years(args.data_dir)
        check_reports_dir(args.reports_dir, years, writing=not getattr(args, "check", False))
    if args.command == "new-notebook":
        _check_new_notebook(args)
    if args.command == "notebooks":
        from itud.run.execute import notebooks

        if not args.notebooks_dir.is_dir():
            raise UsageError(f"{args.notebooks_dir}: the notebooks folder does not exist: give --notebooks-dir FOLDER")
        if not notebooks(args.notebooks_dir):
            raise UsageError(
                f"{args.notebooks_dir}: no notebooks (files named like 01-name.ipynb) in the folder: "
                "give --notebooks-dir FOLDER"
            )


def cmd_validate(args: argparse.Namespace) -> int:
    from itud.data.load import load_edition, source_checksum

    edition = load_edition(args.year, args.data_dir)
    checksum = source_checksum(edition)
    print(_summary_of_edition(edition))
    print(f"  source document: {edition.meta['source_document'].get('file', '')}, {checksum}")
    for key, what in (("without_sdg", "SDG"), ("without_action_line", "Action Line")):
        stated = edition.meta.get("outcome_links", {}).get(key, [])
        if stated:
            print(f"  outcomes with no {what} link, as edition.toml states: {', '.join(stated)}")
    return 0


def format_summary(year: int, meeting: str, counts: dict, kind: str, note: str, synthetic: bool) -> str:
    """The counts of a validated edition, as `itud validate` and `itud report` print them."""
    from itud.data.grammar import plural_form

    labels = {
        "objectives": plural_form(kind),
        "outcomes": "outcomes",
        "outcome_sdg_links": "outcome -> SDG links",
        "outcome_action_line_links": "outcome -> Action Line links",
        "study_groups": "study groups",
        "questions": "questions",
        "question_sdg_links": "question -> SDG links",
        "question_action_line_links": "question -> Action Line links",
        "question_links": "question links",
    }
    lines = [f"Edition {year}: {meeting} - valid" + ("  [SYNTHETIC test edition]" if synthetic else "")]
    lines += [f"  {label:<30} {counts[key]:>13}" for key, label in labels.items() if key in counts]
    if counts.get("question_links") == str(NOT_PUBLISHED):
        lines.append(f"  ({note or 'the source does not publish them'})")
    return "\n".join(lines)


def _summary_of_edition(edition) -> str:
    from itud.data.corrections import describe_all

    note = edition.meta["question_links"].get("note", "")
    text = format_summary(
        edition.year, edition.meta.get("meeting", ""), edition.summary(), edition.parent_kind, note, edition.synthetic
    )
    if edition.corrections:
        lines = describe_all(edition.corrections)
        text += (
            f"\n  {len(lines)} correction(s) applied (data/{edition.year}/corrections.csv; counts above include them):"
        )
        text += "".join(f"\n    {line}" for line in lines)
    return text


def _summary_of_version(version: Path) -> str:
    """The same summary, read from a published version's key figures (no pandas needed)."""
    import json

    from itud.report.document import parent_kind

    payload = json.loads((version / "results" / "01-mapping-tables.json").read_text(encoding="utf-8"))
    key = payload.get("numbers") or payload["key_figures"]  # versions before the typed results say key_figures
    meta = key["meta"]
    note = key["question_links"].get("note", "")
    kind = parent_kind(key["objectives"])
    return format_summary(
        meta["year"], meta.get("meeting", ""), key["summary"], kind, note, bool(meta.get("synthetic"))
    )


def cmd_parse(args: argparse.Namespace) -> int:
    from itud.data.parse import parse_file, record_source, write_tables
    from itud.errors import EditionError

    if args.out is None and args.year is None:
        raise SystemExit("itud parse: give --year (writes to DATA_DIR/<year>/) or --out FOLDER")
    if args.year is not None and not (str(args.year).isascii() and paths.YEAR.match(str(args.year))):
        raise SystemExit(f"itud parse: not a year: {args.year!r} (expected four ASCII digits such as 2019)")
    out = args.out or args.data_dir / str(args.year)
    if out.exists() and not out.is_dir():
        raise SystemExit(f"itud parse: {out} is a file, not a folder: give a folder for the tables")
    parsed = parse_file(args.source, args.max_source_mb)
    for normalisation in parsed.normalisations:
        print(f"{parsed.source_document}: {normalisation}")
    print(f"{len(parsed.normalisations)} normalisation(s) made")
    try:
        written = write_tables(parsed, out, args.data_dir / "reference")
    except EditionError as error:
        print(f"itud parse: {error}\nnothing was written to {out}", file=sys.stderr)
        return 1
    for path in written:
        rows = len(parsed.tables()[path.stem])
        print(f"wrote {path} ({rows} rows)")
    print(record_source(args.source, out))
    if parsed.question_rows == 0:
        print(
            f"Annex 2: no question rows in {args.source.name}: set question_links.status = "
            f"'{NOT_PUBLISHED}' in edition.toml and say in its note why the links are missing"
        )
    return 0


def cmd_datapackage(args: argparse.Namespace) -> int:
    from itud.data.schemas import datapackage_json

    text = datapackage_json(args.data_dir, paths.available_years(args.data_dir))
    path = args.data_dir / "datapackage.json"
    if args.check:
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            print(f"{path} is out of date: run `itud datapackage`", file=sys.stderr)
            return 1
        print(f"{path} is current")
        return 0
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    return 0


def _check_new_notebook(args: argparse.Namespace) -> None:
    from itud.report.notebooks import NAME, numbers_taken

    rule = "(rule 'file name' of the README's 'Adding an analysis')"
    if not NAME.match(args.name) or args.name.startswith("00"):
        raise UsageError(
            f"{args.name!r}: a notebook's name is NN-words {rule}: two digits from 01, a hyphen and lower-case "
            "words joined by hyphens, e.g. 07-delegate-question (00 is for tools the build never runs)"
        )
    if not args.notebooks_dir.is_dir():
        raise UsageError(f"{args.notebooks_dir}: the notebooks folder does not exist: give --notebooks-dir FOLDER")
    taken = numbers_taken(args.notebooks_dir).get(args.name[:2])
    if taken:
        raise UsageError(f"{args.name!r}: the number {args.name[:2]} is {taken}'s {rule}; choose an unused number")
    sections = sorted(re.sub(r"^\d+-|\.md\.j2$", "", p.name) for p in paths.SECTIONS_DIR.glob("*.md.j2"))
    if args.section not in sections:
        raise UsageError(f"--section {args.section!r}: no such report section; the sections: {', '.join(sections)}")


def _lint_and_execute(folder: Path, timeout: float, only: list[Path] | None = None) -> list[Path]:
    """ruff's fixes, then the notebooks executed in place; raises if a notebook then breaks one of the rules."""
    from itud.errors import BuildError
    from itud.report.notebooks import apply_lint_fixes, problems
    from itud.report.results import NOTEBOOK_LIBRARIES
    from itud.run.execute import execute_in_place, notebooks

    remaining = apply_lint_fixes(only or notebooks(folder))
    executed = execute_in_place(folder, timeout=timeout, preload=NOTEBOOK_LIBRARIES, only=only)
    for path in executed:
        print(f"executed {path}")
    found = [f"{path.name}: {problem}" for path in executed for problem in problems(path)]
    if remaining:
        found.append("rule 'lint': ruff still finds, after applying its own fixes:\n" + remaining)
    if found:
        raise BuildError("\n".join(found))
    return executed


def cmd_notebooks(args: argparse.Namespace) -> int:
    _lint_and_execute(args.notebooks_dir, args.timeout)
    return 0


def cmd_new_notebook(args: argparse.Namespace) -> int:
    import nbformat

    from itud.report.notebooks import new_notebook

    path = args.notebooks_dir / f"{args.name}.ipynb"
    nbformat.write(new_notebook(args.name, args.section), path)
    try:
        _lint_and_execute(args.notebooks_dir, args.timeout, only=[path])
    except BaseException:
        path.unlink(missing_ok=True)  # all or nothing: no half-made notebook is left to commit
        raise
    print(
        f"wrote {path}\n"
        "next:\n"
        "  1. open it in JupyterLab; write its question; replace the example table and figure with your analysis\n"
        "     (keep the tag nbval-check-output on the cell that shows your main numbers);\n"
        f"  2. place its items in the text if you wish: report/sections/*{args.section}.md.j2 (report/README.md);\n"
        "     until then the build places them at the end of the section, with a warning;\n"
        "  3. run `itud notebooks`, then commit notebooks/ (and report/);\n"
        "  4. a new notebook changes every year's report: publish each year (`itud batch`, or 00-publish.ipynb "
        "per year), then commit reports/"
    )
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from itud.publish.build import build_report

    result = build_report(
        args.year,
        args.data_dir,
        args.reports_dir,
        force=args.force or args.check,
        progress=not args.quiet,
        kernels=args.kernels,
        publish=not args.check,
        timeout=args.timeout,
        note=args.note.strip(),
    )
    for path in result.ignored:
        print(f"ignored {path}: not an input of the report (only edition.toml and the tables are)")
    if result.status == "differs":
        return _report_differences(result, args.reports_dir)
    print(_summary_of_version(result.version))
    print(result.message)
    for path in result.documents():
        print(f"  {path}")
    print(f"  all versions: {args.reports_dir / 'index.html'}")
    return 0


def environment_verdict(manifest: dict, record: dict, version: str) -> str:
    """Whether this machine builds in the environment `version` was built in, and how it differs if not."""
    from itud.run.buildinfo import differences

    said = differences(manifest.get("build_record"), record, version)
    if not said:
        return f"The build environment is the one {version} was built in (Python, PDF renderer, fonts)."
    return "The build environment differs: " + "; ".join(said) + "."


def _report_differences(result, reports_dir: Path) -> int:
    """`itud report --check` found a rebuild that differs from the newest version: say which files."""
    import shutil

    from itud.publish.versions import differing, latest, output_hashes

    _, newest, manifest = latest(reports_dir / str(result.year))
    rebuilt = output_hashes(result.version)
    shutil.rmtree(result.version, ignore_errors=True)
    if newest is None:
        print(f"{result.year}: no published version; run `python3 tasks.py report --year {result.year}` and commit it")
        return 1
    changed = differing(manifest.get("outputs", {}), rebuilt)
    print(f"{result.year}: a rebuild differs from {newest} in {len(changed)} file(s):")
    print("".join(f"  {name}\n" for name in changed), end="")
    print(environment_verdict(manifest, result.record, newest.name))
    print(f"publish it with `python3 tasks.py report --year {result.year}` and commit reports/{result.year}/")
    return 1


def cmd_verify(args: argparse.Namespace) -> int:
    from itud.publish.versions import verify, versions

    years = [args.year] if args.year else sorted(p.name for p in args.reports_dir.iterdir() if p.name.isdigit())
    problems, checked = [], 0
    for year in years:
        year_dir = args.reports_dir / str(year)
        if not year_dir.is_dir():
            raise SystemExit(f"itud verify: no reports for {year} in {args.reports_dir}")
        checked += len(versions(year_dir))
        problems += verify(year_dir)
    for problem in problems:
        print(problem)
    print(f"{checked} version(s) checked, {len(problems)} difference(s) from their manifests")
    return 1 if problems else 0


def cmd_diff(args: argparse.Namespace) -> int:
    from itud.publish.revisions import changes, revision_problems
    from itud.publish.versions import read_manifest, reader_outputs, verify_version, versions

    year_dir = args.reports_dir / str(args.year)
    published = {path.name: path for _, path in versions(year_dir)}
    for name in (args.old, args.new):
        if name not in published:
            known = ", ".join(published) or "none"
            raise SystemExit(f"itud diff: no version {name!r} of {args.year} in {year_dir} (published: {known})")
    # A version received from others is compared only once it matches its own manifest, which names its year
    # and the revision its predecessors imply: a tampered one is named, with what was tampered, and never
    # said to differ "only in form".
    compared = [published[name] for name in dict.fromkeys((args.old, args.new))]
    tampered = [problem for version in compared for problem in verify_version(version)]
    if not tampered:
        tampered = list(dict.fromkeys(problem for version in compared for problem in revision_problems(version)))
    if tampered:
        print(f"itud diff: not compared: {len(tampered)} difference(s) from the versions' manifests:")
        print("".join(f"  {problem}\n" for problem in tampered), end="")
        return 1
    print(f"Changes from {args.old} to {args.new} of the {args.year} report:")
    old_outputs, new_outputs = (read_manifest(published[name])["outputs"] for name in (args.old, args.new))
    if reader_outputs(old_outputs) == reader_outputs(new_outputs):  # each matches its manifest (verified above)
        print(f"  - none: {args.old} and {args.new} are identical (every file readers see: documents, tables, "
              "figures, results)")  # fmt: skip
        return 0
    try:
        lines = changes(published[args.old], published[args.new], int(args.year), numbers=True)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
        raise SystemExit(f"itud diff: a file of {args.old} or {args.new} cannot be read ({error})") from None
    for line in lines:
        print(f"  - {line}")
    return 0


def cmd_new_edition(args: argparse.Namespace) -> int:
    from itud.data.editions import new_edition

    made = paths.edition_dir(args.data_dir, args.previous) / "corrections.csv"
    if args.corrections is None and made.is_file():  # a choice the command needs: a usage error, not bad data
        raise UsageError(
            f"{made}: the {args.previous} edition has corrections: say whether they carry over to {args.year} "
            "with --corrections carry (each row kept, saying where it was first made) or --corrections leave"
        )
    folder = new_edition(args.year, args.previous, args.data_dir, args.corrections)
    print(f"wrote {folder / 'edition.toml'}: the facts of {args.previous} with every edition-specific value 'TO ENTER'")
    if (folder / "corrections.csv").exists():
        print(f"wrote {folder / 'corrections.csv'}: the corrections of {args.previous}, carried over; remove a row the "
              "new source no longer needs (itud validate says which links the source now has)")
    print("next:")
    print(f"  itud parse SOURCE --year {args.year}      the new contribution's annexes -> tables; it records the "
          "source's file name and SHA-256 in [source_document]")
    print(f"  enter questions.csv and every 'TO ENTER' in {folder / 'edition.toml'}, each with its source")
    print(f"  itud validate --year {args.year}          lists what is still missing")
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    from itud.publish.batch import format_results, run_batch

    results = run_batch(
        args.years or None,
        args.data_dir,
        args.reports_dir,
        jobs=args.jobs,
        force=args.force,
        progress=not args.quiet,
        timeout=args.timeout,
    )
    print(format_results(results))
    return 0 if all(r.ok for r in results) else 1


COMMANDS = {
    "validate": cmd_validate,
    "parse": cmd_parse,
    "datapackage": cmd_datapackage,
    "notebooks": cmd_notebooks,
    "new-notebook": cmd_new_notebook,
    "report": cmd_report,
    "batch": cmd_batch,
    "verify": cmd_verify,
    "diff": cmd_diff,
    "new-edition": cmd_new_edition,
}


class Stopped(BaseException):
    """SIGINT (Ctrl-C) or SIGTERM arrived: unwinds like KeyboardInterrupt, so every cleanup runs."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_AFTER_STOP = {
    "report": "kernels shut down, nothing published",
    "batch": "kernels shut down, unfinished years not published",
    "notebooks": "kernels shut down, no notebook changed",
    "new-notebook": "kernels shut down, no notebook written",
}


def _stop(signum: int, frame) -> None:
    from itud.errors import stop

    for other in _STOP_SIGNALS:  # one stop is enough: a second Ctrl-C must not cut the cleanup short
        signal.signal(other, signal.SIG_IGN)
    stop(Stopped(signum))  # now, or once a kernel being launched is recorded


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit status. The one error path: every error a user can cause
    is printed as one message naming the file and what to do (exit 1, or 2 for wrong usage); the
    traceback only with --debug."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:  # argparse has printed its message (or the help)
        return stop.code if isinstance(stop.code, int) else 2
    from itud.errors import USER_ERRORS, EditionError, describe, forget_stops, quiet_lost_stops

    in_main_thread = threading.current_thread() is threading.main_thread()
    if in_main_thread:
        forget_stops()
    previous = {s: signal.signal(s, _stop) for s in _STOP_SIGNALS} if in_main_thread else {}
    unraisable, sys.unraisablehook = sys.unraisablehook, quiet_lost_stops
    try:
        _check_arguments(args)
        return COMMANDS[args.command](args)
    except USER_ERRORS as error:
        if args.debug:
            raise
        usage = isinstance(error, UsageError)
        print(f"itud {args.command}: {'error: ' if usage else ''}{describe(error)}", file=sys.stderr)
        if isinstance(error, EditionError):
            year = getattr(args, "year", None)
            print(
                f"fix the file(s) listed, then run `itud validate{f' --year {year}' if year else ''}`", file=sys.stderr
            )
        return 2 if usage else 1
    except Stopped as stop:
        done = f"; {_AFTER_STOP[args.command]}" if args.command in _AFTER_STOP else ""
        print(f"itud {args.command}: stopped by {signal.Signals(stop.signum).name}{done}", file=sys.stderr)
        return 128 + stop.signum  # the shell's convention: 130 for SIGINT, 143 for SIGTERM
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        sys.unraisablehook = unraisable


if __name__ == "__main__":
    sys.exit(main())
