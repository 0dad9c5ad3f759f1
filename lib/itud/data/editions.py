"""Start a new edition from the previous one: its structure and wording kept, its facts left to enter.

`itud new-edition 2020 --from 2019` writes `data/2020/edition.toml`: the previous
edition's file, comments and layout kept (tomlkit), every fact that belongs to one
edition (meeting, dates, document number, source document, the report's prose and
every [sources] entry) replaced by `TO_ENTER`. No table of the source is copied: the new
edition's tables come from its own source (`itud parse`), never from last year's. The
previous edition's corrections are carried over or left behind as the analyst says
(`corrections`): carried rows keep their reason, authority, date and reference and say in
`first_made` which edition first made them. `itud validate` then lists what is still to enter.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from itud import paths
from itud.errors import EditionError, Problem

TO_ENTER = "TO ENTER"
# Facts that stay true from one edition to the next unless a source says otherwise.
_KEPT = {"group", "synthetic", "question_links.status"}
_EDITION_FILE = "edition.toml"
_SOURCE_TABLE = "source_document"
_PARSED_SOURCE_KEYS = ("file", "sha256")  # what `itud parse` records of its source (`parse.record_source`)


def _blank(table, prefix: str = "") -> None:
    """Replace every value of a tomlkit table by TO_ENTER, except the kept facts (in place)."""
    for key in list(table.keys()):
        dotted = f"{prefix}{key}"
        value = table[key]
        if hasattr(value, "keys"):
            _blank(value, f"{dotted}.")
        elif dotted in _KEPT or dotted == "year":
            continue
        elif isinstance(value, list):
            table[key] = [TO_ENTER]
        else:
            table[key] = TO_ENTER


def _mark_parsed_source_keys(document, year: int) -> None:
    """Say beside [source_document] `file` and `sha256` (where the previous edition has them) that
    `itud parse` writes them: their value stays TO_ENTER until it does, never a guess."""
    table = document.get(_SOURCE_TABLE)
    for key in _PARSED_SOURCE_KEYS if hasattr(table, "keys") else ():
        if key in table:
            table[key].comment(f"written by `itud parse SOURCE --year {year}`")


def new_edition_toml(previous_text: str, year: int) -> str:
    """The new edition's edition.toml from the previous one's text."""
    import tomlkit

    document = tomlkit.parse(previous_text)
    previous = document.get("year", "the previous edition")
    _blank(document)
    document["year"] = year
    if "question_links" in document:
        document["question_links"]["status"] = "not published"
    _mark_parsed_source_keys(document, year)
    head = (
        f"# Edition {year}, started by `itud new-edition` from edition {previous}: every '{TO_ENTER}' is a fact\n"
        "# of this edition still to enter, each with its source under [sources]. Comments below are\n"
        f"# the {previous} edition's; update them too. [{_SOURCE_TABLE}] {' and '.join(_PARSED_SOURCE_KEYS)}\n"
        f"# are written by `itud parse SOURCE --year {year}`, from the source file itself.\n"
    )
    return head + tomlkit.dumps(document)


CORRECTIONS = "corrections.csv"


def carried_corrections(previous_text: str, previous_year: int) -> str:
    """The previous edition's corrections.csv for the next edition: every row as it was, with `first_made`
    the edition that first made it (kept where the row was itself carried)."""
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(previous_text)))
    columns = [c for c in (rows[0].keys() if rows else []) if c != "first_made"] or [
        "action", "table", "unit", "target", "reason", "authority", "date", "reference"
    ]  # fmt: skip
    out = io.StringIO()
    writer = csv.DictWriter(out, [*columns, "first_made"], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**{c: row.get(c, "") for c in columns}, "first_made": row.get("first_made") or previous_year})
    return out.getvalue()


def new_edition(
    year: object, previous: object, data_dir: Path = paths.DATA_DIR, corrections: str | None = None
) -> Path:
    """Make `data_dir/<year>/` with an edition.toml to fill in; refuses to touch an existing edition.

    `corrections`: "carry" the previous edition's corrections.csv over, or "leave" it; when the previous
    edition has corrections, one of the two must be said."""
    data_dir = Path(data_dir)
    text = str(year).strip()
    if not (text.isascii() and paths.YEAR.match(text)):
        raise EditionError([Problem("<year argument>", "not a year (expected four digits such as 2020)", value=year)])
    source = paths.edition_dir(data_dir, previous) / _EDITION_FILE
    target = data_dir / text
    if target.exists():
        raise EditionError([Problem(str(target), "already exists; new-edition never overwrites an edition")])
    if int(text) <= int(source.parent.name):
        raise EditionError([Problem("<year argument>", f"must come after the edition it starts from ({previous})")])
    made = source.parent / CORRECTIONS
    if made.is_file() and corrections not in ("carry", "leave"):
        raise EditionError([Problem(
            str(made), f"the {source.parent.name} edition has corrections: say whether they carry over to {text} "
            "(--corrections carry: the same links corrected again, each saying where it was first made) or not "
            "(--corrections leave)",
        )])  # fmt: skip
    scratch = Path(tempfile.mkdtemp(prefix=f".new-{text}-", dir=data_dir))
    try:
        (scratch / _EDITION_FILE).write_text(
            new_edition_toml(source.read_text(encoding="utf-8"), int(text)), encoding="utf-8"
        )
        if made.is_file() and corrections == "carry":
            carried = carried_corrections(made.read_text(encoding="utf-8-sig"), int(source.parent.name))
            (scratch / CORRECTIONS).write_text(carried, encoding="utf-8")
        scratch.chmod(0o755)
        scratch.rename(target)  # all or nothing
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return target


def still_to_enter(meta: dict, prefix: str = "") -> list[str]:
    """Dotted keys of edition.toml whose value is still TO_ENTER."""
    found = []
    for key, value in meta.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            found += still_to_enter(value, f"{dotted}.")
        elif value == TO_ENTER or (isinstance(value, list) and TO_ENTER in value):
            found.append(dotted)
    return found
