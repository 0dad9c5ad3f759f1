"""`reports/index.html`: every year and version with its date, the reason it was published, and links."""

from __future__ import annotations

import functools
import json
import os
import subprocess
from pathlib import Path

from itud.publish.revisions import FORM_ONLY, changes, manifest_reason, revision_of
from itud.publish.versions import MANIFEST, read_manifest, versions

INDEX = "index.html"
_LABELS = {"html": "HTML", "docx": "Word", "pdf": "PDF", "xlsx": "Excel"}


def _git_date(version: Path) -> str:
    """The date of the commit that added a version made before manifests recorded their date (the page says so)."""
    try:
        found = subprocess.run(
            ["git", "log", "--diff-filter=A", "-1", "--format=%cs", "--", MANIFEST],
            cwd=version, capture_output=True, text=True, timeout=10,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        found = ""
    return found or "not recorded"


SHOWN_CHANGES = 3  # the changes a row of the index lists; the changes block of the documents lists them all


def grouped_by_table(changes: list[str]) -> list[str]:
    """The changes block's lines with a table's changed cells said once: "Table 2: 14 cells changed" instead of
    one line per cell (the documents' changes block lists each), in the order the block gives them."""
    import re

    cells: dict[str, int] = {}
    for line in changes:
        if (table := re.match(r"^(Table \d+): ", line)) and "->" in line:
            cells[table[1]] = cells.get(table[1], 0) + 1
        elif (more := re.match(r"^\.\.\. and (\d+) more table changes$", line)) and cells:
            cells[list(cells)[-1]] += int(more[1])
    grouped, said = [], set()
    for line in changes:
        table = re.match(r"^(Table \d+): ", line)
        if table and table[1] in cells:
            if table[1] not in said:
                said.add(table[1])
                grouped.append(f"{table[1]}: {cells[table[1]]} {'cell' if cells[table[1]] == 1 else 'cells'} changed")
        elif not line.startswith("... and "):
            grouped.append(line)
    return grouped


def reader_reason(manifest: dict, version: Path, previous: Path | None, year: int) -> str:
    """Why a version was published, as its readers find it: the first lines of its changes block (recorded in
    its manifest since the index said so; for an older version, worked out as the block works them out, from
    its documents and the previous version's), then its note; the reason its manifest gives when neither says
    anything (the first version)."""
    recorded = manifest.get("changes") or (_worked_out(previous, version, year, _outputs(previous, version))
                                            if previous else [])  # fmt: skip
    listed = grouped_by_table(list(recorded))
    note = (manifest.get("note") or "").strip().rstrip(".")
    if not listed and not note:
        said = manifest_reason(version, previous).rstrip(".")
        return f"{said[:1].upper()}{said[1:]}."
    if previous and listed and listed[0].startswith(FORM_ONLY) and revision_of(version) != revision_of(previous):
        listed[0] = listed[0].rstrip(".") + (f" (it was numbered {_revision_name(version)} before a new revision "
                                             "meant that the text, tables, numbers or figures changed)")  # fmt: skip
    shown = [line[:1].upper() + line[1:].rstrip(".") for line in listed[:SHOWN_CHANGES]]
    more = len(listed) - len(shown)
    said = "; ".join(shown) + (f"; and {more} more (the documents' 'Changes in this revision' lists them)" if more
                               else "")  # fmt: skip
    return " ".join(part for part in (said and f"{said}.", note and f"{note[:1].upper()}{note[1:]}.") if part)


def _outputs(*versions: Path) -> str:
    """What the versions' manifests record of their documents (their checksums): the key of `_worked_out`."""
    return json.dumps([read_manifest(version).get("outputs") for version in versions], sort_keys=True)


@functools.lru_cache(maxsize=256)
def _worked_out(previous: Path, version: Path, year: int, outputs: str) -> tuple[str, ...]:
    """The changes block of a version that did not record it, worked out from the two versions' documents
    (published versions do not change: a process works each out once; `outputs` keys it to their checksums)."""
    return tuple(changes(previous, version, year))


def _revision_name(version: Path) -> str:
    return f"Revision {number}" if (number := revision_of(version)) else "Original"


def _version_row(version: Path, previous: Path | None, year: str) -> dict:
    manifest = read_manifest(version)
    links = [
        (label, f"{year}/{version.name}/report-{year}.{kind}")
        for kind, label in _LABELS.items()
        if (version / f"report-{year}.{kind}").exists()
    ]
    links += [(path.stem, f"{year}/{version.name}/{path.name}") for path in sorted(version.glob("*.xlsx"))]
    return {
        "name": version.name,
        "published": manifest.get("published") or _git_date(version),
        "reason": reader_reason(manifest, version, previous, int(year)),
        "revision": _revision_name(version),
        "links": links,
    }


def index_html(reports_dir: Path) -> str:
    """The page, from the version folders and their manifests (no dates of its own: same folders, same bytes)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    years = []
    for year_dir in sorted((p for p in Path(reports_dir).iterdir() if p.is_dir() and p.name.isdigit()), reverse=True):
        found = [path for _, path in versions(year_dir)]
        rows = [_version_row(v, found[i - 1] if i else None, year_dir.name) for i, v in enumerate(found)]
        if rows:
            rows[-1]["current"] = True  # the newest version is the year's current one
            years.append({"year": year_dir.name, "versions": rows[::-1]})
    from itud.report.render import unbroken_ids

    env = Environment(loader=PackageLoader("itud.publish", "templates"), autoescape=select_autoescape(["html", "j2"]))
    env.filters["unbroken_ids"] = unbroken_ids  # identifiers and counts kept on one line, as in the documents
    return env.get_template("index.html.j2").render(years=years)


def write_index(reports_dir: Path) -> Path:
    """Rewrite reports/index.html (atomically: a reader never sees half a page)."""
    path = Path(reports_dir) / INDEX
    scratch = path.with_name(f".{INDEX}.tmp-{os.getpid()}")
    scratch.write_text(index_html(reports_dir), encoding="utf-8")
    scratch.replace(path)
    return path
