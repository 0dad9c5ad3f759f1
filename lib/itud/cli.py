"""The `itud` command: validate data, parse a source annex, build reports.

Heavy libraries (pandas, papermill, matplotlib) are imported inside the
commands that need them, so `--help` and an up-to-date check answer fast.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from itud import paths

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
exit status: 0 success, 1 invalid data or a failed build, 2 wrong usage,
  130 stopped by Ctrl-C (SIGINT), 143 stopped by SIGTERM.
"""


def _year_and_data(parser: argparse.ArgumentParser, year_help: str) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=paths.DATA_DIR,
        help=f"folder holding reference/ and one folder per edition year (default: {paths.DATA_DIR})",
    )
    parser.add_argument("--year", help=year_help)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="itud",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    validate = commands.add_parser(
        "validate",
        help="load and validate an edition, print counts per table",
        description="Load data/<year>/ and the reference tables, check every rule (ids, links, "
        "duplicates, encoding) and print the number of rows per table and the state of question "
        "links. Every problem is listed with file, row, column and value.",
    )
    _year_and_data(validate, "edition year (default: the newest edition in the data folder)")

    parse = commands.add_parser(
        "parse",
        help="read a contribution's annex text and write the edition's tables",
        description="Read Annex 1 (objectives, outcomes and their SDG and Action Line links) and "
        "Annex 2 (study groups) of a TDAG contribution, given as plain text or .docx, and write "
        "objectives.csv, outcomes.csv, outcome_sdg.csv, outcome_action_line.csv and "
        "study_groups.csv. Every normalisation made (typo'd ids, ranges, lists joined by 'and', "
        "doubled or trailing spaces) is printed with its line number; a line that cannot be read "
        "is an error and nothing is written.",
    )
    parse.add_argument("source", type=Path, help="the contribution: a .txt (plain text) or .docx file")
    _year_and_data(parse, "edition year: the tables go to DATA_DIR/<year>/ (required unless --out)")
    parse.add_argument("--out", type=Path, help="write the tables to this folder instead")

    package = commands.add_parser(
        "datapackage",
        help="write data/datapackage.json (Frictionless description of every table)",
        description="Describe every table in the data folder (columns, types, keys, links) as a "
        "Frictionless Data Package, generated from the schemas the loader validates with.",
    )
    package.add_argument("--data-dir", type=Path, default=paths.DATA_DIR, help="the data folder")
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

    report = commands.add_parser(
        "report",
        help="build the TDAG report of one year as a new version (HTML, DOCX, PDF)",
        description="Execute every notebook with papermill for the year, render the TDAG-style "
        "document as HTML, DOCX and PDF and publish it as reports/<year>/v<N>/ with a manifest. "
        "When inputs and code are unchanged since the newest version, says 'up to date' and "
        "writes nothing. A failed run leaves every published version untouched.",
    )
    _year_and_data(report, "edition year (default: the newest edition in the data folder)")
    _report_options(report)
    report.add_argument(
        "--kernels", type=int, default=None, help="notebooks executed at once (default: number of cores)"
    )

    batch = commands.add_parser(
        "batch",
        help="build the reports of several years in parallel",
        description="Build the report of every edition in the data folder (or of the years "
        "given), several at once, with a progress bar. A failing year does not stop the others; "
        "a summary table follows and the exit status is 1 if any year failed.",
    )
    batch.add_argument("years", nargs="*", help="years to build (default: every edition in the data folder)")
    batch.add_argument("--data-dir", type=Path, default=paths.DATA_DIR, help="the data folder")
    batch.add_argument("--jobs", type=int, default=None, help="years built at once (default: number of cores)")
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
        help="build a new version even when nothing changed (it must come out byte-identical)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    _timeout_option(parser)


def _timeout_option(parser: argparse.ArgumentParser) -> None:
    from itud.execute import DEFAULT_TIMEOUT

    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help="time limit of each notebook, kernel start-up included; a notebook over it fails the run "
        "(default: %(default)g)",
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
        raise SystemExit(f"itud: no edition folders in {data_dir}")
    return years[-1]


def cmd_validate(args: argparse.Namespace) -> int:
    from itud.load import load_edition

    edition = load_edition(args.year or _default_year(args.data_dir), args.data_dir)
    print(_summary_of_edition(edition))
    return 0


def format_summary(year: int, meeting: str, counts: dict, kind: str, note: str, synthetic: bool) -> str:
    """The counts of a validated edition, as `itud validate` and `itud report` print them."""
    labels = {
        "objectives": f"{kind}s",
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
    if counts.get("question_links") == "not published":
        lines.append(f"  ({note or 'the source does not publish them'})")
    return "\n".join(lines)


def _summary_of_edition(edition) -> str:
    note = edition.meta["question_links"].get("note", "")
    return format_summary(
        edition.year, edition.meta.get("meeting", ""), edition.summary(), edition.parent_kind, note, edition.synthetic
    )


def _summary_of_version(version: Path) -> str:
    """The same summary, read from a published version's key figures (no pandas needed)."""
    import json

    from itud.document import parent_kind

    key = json.loads((version / "results" / "01-mapping-tables.json").read_text(encoding="utf-8"))["key_figures"]
    meta = key["meta"]
    note = key["question_links"].get("note", "")
    return format_summary(
        meta["year"], meta.get("meeting", ""), key["summary"], parent_kind(key), note, bool(meta.get("synthetic"))
    )


def cmd_parse(args: argparse.Namespace) -> int:
    from itud.parse import parse_file, write_tables

    if args.out is None and args.year is None:
        raise SystemExit("itud parse: give --year (writes to DATA_DIR/<year>/) or --out FOLDER")
    if args.out is None and not paths.YEAR.match(str(args.year)):
        raise SystemExit(f"itud parse: not a year: {args.year!r} (expected four digits such as 2019)")
    out = args.out or args.data_dir / str(args.year)
    parsed = parse_file(args.source)
    for normalisation in parsed.normalisations:
        print(f"{args.source.name}: {normalisation}")
    print(f"{len(parsed.normalisations)} normalisation(s) made")
    for path in write_tables(parsed, out):
        rows = len(parsed.tables()[path.stem])
        print(f"wrote {path} ({rows} rows)")
    if parsed.question_rows == 0:
        print("Annex 2: no question rows in the source: question links are not published")
    return 0


def cmd_datapackage(args: argparse.Namespace) -> int:
    from itud.schemas import datapackage_json

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


def cmd_notebooks(args: argparse.Namespace) -> int:
    from itud.execute import execute_in_place

    for path in execute_in_place(args.notebooks_dir, timeout=args.timeout):
        print(f"executed {path}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from itud.build import build_report

    year = args.year or _default_year(args.data_dir)
    result = build_report(
        year,
        args.data_dir,
        args.reports_dir,
        force=args.force,
        progress=not args.quiet,
        kernels=args.kernels,
        timeout=args.timeout,
    )
    print(_summary_of_version(result.version))
    print(result.message)
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    from itud.batch import format_results, run_batch

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
    "report": cmd_report,
    "batch": cmd_batch,
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
}


def _stop(signum: int, frame) -> None:
    for other in _STOP_SIGNALS:  # one stop is enough: a second Ctrl-C must not cut the cleanup short
        signal.signal(other, signal.SIG_IGN)
    raise Stopped(signum)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from itud.errors import USER_ERRORS

    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = {s: signal.signal(s, _stop) for s in _STOP_SIGNALS} if in_main_thread else {}
    try:
        return COMMANDS[args.command](args)
    except USER_ERRORS as error:
        print(f"itud {args.command}: {error}", file=sys.stderr)
        return 1
    except Stopped as stop:
        done = f"; {_AFTER_STOP[args.command]}" if args.command in _AFTER_STOP else ""
        print(f"itud {args.command}: stopped by {signal.Signals(stop.signum).name}{done}", file=sys.stderr)
        return 128 + stop.signum  # the shell's convention: 130 for SIGINT, 143 for SIGTERM
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


if __name__ == "__main__":
    sys.exit(main())
