"""`reports/index.html`: every year and version with its date, the reason it was published, and links."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from itud.publish.revisions import manifest_reason, revision_of
from itud.publish.versions import MANIFEST, read_manifest, versions

INDEX = "index.html"
_LABELS = {"html": "HTML", "docx": "Word", "pdf": "PDF", "xlsx": "Excel"}


def _git_date(version: Path) -> str:
    """The date of the commit that added a version made before manifests recorded their date."""
    try:
        found = subprocess.run(
            ["git", "log", "--diff-filter=A", "-1", "--format=%cs", "--", MANIFEST],
            cwd=version, capture_output=True, text=True, timeout=10,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        found = ""
    return f"{found} (commit date)" if found else "not recorded"


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


def reader_reason(manifest: dict, version: Path, previous: Path | None) -> str:
    """Why a version was published, as its readers find it: the first lines of its changes block (recorded in
    its manifest since the index said so), else the reason its manifest gives."""
    listed = grouped_by_table(manifest.get("changes") or [])
    if not listed:
        return manifest_reason(version, previous)
    shown = [line[:1].upper() + line[1:].rstrip(".") for line in listed[:SHOWN_CHANGES]]
    more = len(listed) - len(shown)
    return "; ".join(shown) + (f"; and {more} more (the documents' 'Changes in this revision' lists them)" if more
                               else "") + "."  # fmt: skip


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
        "reason": reader_reason(manifest, version, previous),
        "revision": (f"Revision {number}" if (number := revision_of(version)) else "Original"),
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
    env = Environment(loader=PackageLoader("itud.publish", "templates"), autoescape=select_autoescape(["html", "j2"]))
    return env.get_template("index.html.j2").render(years=years)


def write_index(reports_dir: Path) -> Path:
    """Rewrite reports/index.html (atomically: a reader never sees half a page)."""
    path = Path(reports_dir) / INDEX
    scratch = path.with_name(f".{INDEX}.tmp-{os.getpid()}")
    scratch.write_text(index_html(reports_dir), encoding="utf-8")
    scratch.replace(path)
    return path
