"""The reference tables as a whole, and where the SDG texts come from.

Each reference table is first read and checked row by row like an edition's tables (`load.load_tables`).
This module adds what no single row shows, when any data folder is loaded:

- completeness: every SDG of `ids.ALL_SDGS` has its row in sdgs.csv and its title in sdg_goal_titles.csv,
  every Action Line of `ids.ALL_ACTION_LINES` its row in action_lines.csv, and sdg_targets.csv holds every
  target of `ids.ALL_SDG_TARGETS`, each under the SDG its id names (9.c under 9). The counts come from
  `ids`, never typed here.
- provenance: open-sdg/SOURCE.toml (in the reference folder) records the SHA-256 of the files copied from
  open-sdg/sdg-translations ([files]) and may record those of the tables made from them ([tables]). Each is
  compared with the file, so that a reworded target is not published under the sentence that the texts
  come from open-sdg at a pinned commit. An analyst who changes the texts on purpose says so in
  SOURCE.toml (`changed_locally = "why"`), and the report can say they were changed locally
  (`ReferenceProvenance`, on the loaded edition as `edition.reference_provenance`).

`python -m itud.data.reference [REFERENCE_FOLDER]` prints the [tables] lines SOURCE.toml needs.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from itud.data import ids
from itud.data.edition_file import toml_syntax_problem
from itud.data.grammar import listing
from itud.errors import InputFileError, Problem
from itud.paths import read_input

SOURCE_FILE = "open-sdg/SOURCE.toml"  # in the reference folder
AUDIT_TABLES = ("sdg_targets", "sdg_goal_titles")  # the tables made from the copied files; the link audit reads them
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_TOP_KEYS = ("repository", "licence", "changed_locally", "files", "tables")
_FILE_KEYS = ("path", "commit", "sha256")
_TABLE_KEYS = ("made_from", "sha256")


# --- Completeness ---------------------------------------------------------------------------------


def _line(frame: pd.DataFrame, row: int) -> int | None:
    lines = frame.attrs.get("lines")
    return lines[row - 1] if lines and row <= len(lines) else None


def _no_rows(frame: pd.DataFrame, name: str, what: str) -> list[Problem]:
    if len(frame):
        return []
    return [Problem(name, f"has no rows (only a header): it must hold {what}; restore it from the project's "
                          "data/reference/ (or from git)")]  # fmt: skip


def _missing(frame: pd.DataFrame, column: str, expected: tuple, name: str, what: str) -> list[Problem]:
    """One problem per expected id that has no row (the file, the column and the missing id named)."""
    present = set(frame[column].dropna())
    return [
        Problem(
            name,
            f"no row for {what} {value}: the table needs one for each of the {len(expected)}; add it",
            column=column,
            value=value,
        )  # fmt: skip
        for value in expected
        if value not in present
    ]


def _target_problems(targets: pd.DataFrame, name: str) -> list[Problem]:
    """Every target of `ids.ALL_SDG_TARGETS`, once, each under the SDG its id names; no other target."""
    found = _no_rows(targets, name, f"the {len(ids.ALL_SDG_TARGETS)} SDG targets")
    if found:
        return found
    known = set(ids.ALL_SDG_TARGETS)
    for row, (target, sdg) in enumerate(zip(targets["target"], targets["sdg"], strict=True), start=1):
        if target not in known:
            span = f"{ids.ALL_SDG_TARGETS[0]} to {ids.ALL_SDG_TARGETS[-1]}"
            found.append(Problem(name, f"not an SDG target (the 2030 Agenda's targets are {span}): remove or "
                                       "correct it", row, "target", target, _line(targets, row)))  # fmt: skip
        elif not pd.isna(sdg) and int(sdg) != ids.target_sdg(target):
            found.append(Problem(
                name, f"target {target} belongs to SDG {ids.target_sdg(target)} (its id's goal part), not to SDG "
                f"{int(sdg)}: correct the sdg column", row, "sdg", int(sdg), _line(targets, row),
            ))  # fmt: skip
    present = set(targets["target"])
    for sdg in ids.ALL_SDGS:
        lacking = [t for t in ids.SDG_TARGETS[sdg] if t not in present]
        if lacking:
            whole = "all its targets" if len(lacking) == len(ids.SDG_TARGETS[sdg]) else listing(lacking)
            found.append(Problem(
                name, f"SDG {sdg} lacks {whole} ({len(lacking)} of {len(ids.SDG_TARGETS[sdg])}): the table must "
                f"hold all {len(ids.ALL_SDG_TARGETS)} targets; restore the missing rows", column="sdg", value=sdg,
            ))  # fmt: skip
    return found


def completeness_problems(reference: dict[str, pd.DataFrame], folder: Path, problems: list[Problem]) -> list[Problem]:
    """What the reference tables lack as a whole. A table that already has a problem of its own (unreadable,
    a bad row) is not checked again: its missing rows would only echo that problem."""
    troubled = {p.file for p in problems}

    def checked(table: str) -> tuple[pd.DataFrame, str] | None:
        name, frame = str(folder / f"{table}.csv"), reference.get(table)
        return None if frame is None or name in troubled else (frame, name)

    found: list[Problem] = []
    if held := checked("sdgs"):
        frame, name = held
        found += _no_rows(frame, name, f"the {len(ids.ALL_SDGS)} SDGs") or _missing(frame, "sdg", ids.ALL_SDGS,
                                                                                     name, "SDG")  # fmt: skip
    if held := checked("action_lines"):
        frame, name = held
        found += _no_rows(frame, name, f"the {len(ids.ALL_ACTION_LINES)} WSIS Action Lines") or _missing(
            frame, "action_line", ids.ALL_ACTION_LINES, name, "Action Line")  # fmt: skip
    if held := checked("sdg_goal_titles"):
        frame, name = held
        found += _no_rows(frame, name, f"the title of each of the {len(ids.ALL_SDGS)} SDGs") or _missing(
            frame, "sdg", ids.ALL_SDGS, name, "the title of SDG")  # fmt: skip
    if held := checked("sdg_targets"):
        found += _target_problems(*held)
    return found


# --- Provenance -----------------------------------------------------------------------------------


def sha256_of(path: Path, root: Path | None = None) -> str:
    """The SHA-256 of an input file, as `sha256sum` prints it (read with `paths.read_input`)."""
    return hashlib.sha256(read_input(path, root)).hexdigest()


def table_checksums(reference_dir: Path) -> dict[str, str]:
    """The SHA-256 of each table made from the copied files that `reference_dir` holds, by file name."""
    return {
        f"{t}.csv": sha256_of(Path(reference_dir) / f"{t}.csv", Path(reference_dir))
        for t in AUDIT_TABLES
        if (Path(reference_dir) / f"{t}.csv").is_file()
    }


MADE_FROM = {"sdg_targets.csv": "global_targets.yml", "sdg_goal_titles.csv": "global_goals.yml"}


def source_lines(reference_dir: Path) -> str:
    """The [tables] of SOURCE.toml for the tables `reference_dir` holds now: what to add once they are
    (re)made from the pinned copies, so that the loader compares them too."""
    blocks = [
        f'[tables."{name}"]\nmade_from = "{MADE_FROM[name]}"\nsha256 = "{digest}"'
        for name, digest in table_checksums(reference_dir).items()
    ]
    return "\n\n".join(blocks) + "\n"


STATUSES = {
    "pinned": "every file SOURCE.toml pins matches its SHA-256",
    "changed locally": "the texts were changed on purpose (SOURCE.toml's changed_locally says why)",
    "tables not pinned": "the copied files match, but SOURCE.toml records no SHA-256 of a table made from them",
    "not recorded": "the reference folder has no open-sdg/SOURCE.toml (e.g. the inputs of an older version)",
}


@dataclass(frozen=True)
class ReferenceProvenance:
    """Where the SDG texts of a loaded data folder come from, as checked against open-sdg/SOURCE.toml."""

    source: Path | None  # SOURCE.toml; None when the reference folder has none
    repository: str = ""
    licence: str = ""
    files: dict[str, dict] = field(default_factory=dict)  # copied file -> path in the repository, commit, sha256
    tables: dict[str, dict] = field(default_factory=dict)  # "sdg_targets.csv" -> made_from, sha256
    changed_locally: str = ""  # why the texts were changed on purpose; "" when they were not
    changed: tuple[str, ...] = ()  # the files that differ from their pinned SHA-256 (only with changed_locally)
    unpinned: tuple[str, ...] = ()  # tables the link audit reads that SOURCE.toml records no SHA-256 of

    @property
    def status(self) -> str:
        """One of `STATUSES`: "pinned", "changed locally", "tables not pinned", "not recorded"."""
        if self.source is None:
            return "not recorded"
        if self.changed_locally:
            return "changed locally"
        return "tables not pinned" if self.unpinned else "pinned"

    def commit(self, table: str) -> str:
        """The commit of open-sdg the table (`sdg_targets.csv`) was made from ("" when not recorded)."""
        made_from = self.tables.get(table, {}).get("made_from") or MADE_FROM.get(table, "")
        return str(self.files.get(made_from, {}).get("commit", ""))

    def statement(self) -> str:
        """What the report may say of the texts' origin, true in each status."""
        where = listing(f"{e.get('path', name)} at commit {e.get('commit', '')}" for name, e in self.files.items()
                        if name in MADE_FROM.values())  # fmt: skip
        if self.status == "pinned":
            return f"The SDG goal titles and target texts are {self.repository} {where} ({self.licence}), unchanged."
        if self.status == "changed locally":
            return (f"The SDG goal titles and target texts were taken from {self.repository} {where} "
                    f"({self.licence}) and changed locally: {self.changed_locally}")  # fmt: skip
        if self.status == "tables not pinned":
            return (f"The SDG goal titles and target texts are said to come from {self.repository} {where}; "
                    "the tables made from those files are not checked against them.")  # fmt: skip
        return "Where the SDG goal titles and target texts come from is not recorded in the data folder."

    def as_dict(self) -> dict:
        """For a notebook's results (JSON)."""
        return {
            "status": self.status,
            "repository": self.repository,
            "licence": self.licence,
            "commits": {name: self.commit(name) for name in MADE_FROM},
            "changed_locally": self.changed_locally,
            "changed": list(self.changed),
            "unpinned": list(self.unpinned),
            "statement": self.statement(),
        }


def _entries(raw: dict, key: str, allowed: tuple[str, ...], name: str, problems: list[Problem]) -> dict[str, dict]:
    """The [files] or [tables] of SOURCE.toml; unknown keys are problems (a misspelt `sha256` would leave a
    file unchecked), and each entry needs a SHA-256 of 64 hexadecimal digits."""
    section = raw.get(key, {})
    if not isinstance(section, dict):
        problems.append(Problem(name, f'must be a table of [{key}."<file>"] entries', key=key))
        return {}
    found = {}
    for entry, values in section.items():
        if not isinstance(values, dict):
            problems.append(Problem(name, f'must be a table [{key}."{entry}"]', key=f"{key}.{entry}"))
            continue
        for unknown in sorted(set(values) - set(allowed)):
            problems.append(Problem(name, f"unknown key: the keys are {', '.join(allowed)}",
                                    key=f"{key}.{entry}.{unknown}"))  # fmt: skip
        digest = values.get("sha256")
        if not isinstance(digest, str) or not _SHA256.match(digest):
            problems.append(Problem(name, "must be the file's SHA-256, 64 hexadecimal digits (sha256sum prints it)",
                                    key=f"{key}.{entry}.sha256", value=digest))  # fmt: skip
            continue
        commit = values.get("commit")
        if key == "files" and not (isinstance(commit, str) and _COMMIT.match(commit)):
            problems.append(Problem(name, "must be the commit the file was copied at, 40 hexadecimal digits",
                                    key=f"{key}.{entry}.commit", value=commit))  # fmt: skip
            continue
        found[entry] = dict(values)
    return found


def _digest(path: Path, root: Path, problems: list[Problem]) -> str | None:
    """The SHA-256 of `path`; None when it is absent (or unreadable: then a problem is recorded)."""
    if not path.exists() and not path.is_symlink():
        return None
    try:
        return sha256_of(path, root)
    except InputFileError as error:
        problems.append(error.problem)
        return None


def read_provenance(reference_dir: Path, problems: list[Problem]) -> ReferenceProvenance:
    """Check open-sdg/SOURCE.toml of `reference_dir` against the files it pins; problems are recorded.

    A file that differs from its pinned SHA-256 is a problem naming the file and what to do, unless
    SOURCE.toml says the texts were changed on purpose (`changed_locally = "why"`). A table the folder does
    not hold (an older data folder without SDG targets) is not a provenance problem: the audit says it is
    absent. Without SOURCE.toml, the provenance is "not recorded".
    """
    reference_dir = Path(reference_dir)
    path = reference_dir / SOURCE_FILE
    name = str(path)
    if not path.exists() and not path.is_symlink():
        return ReferenceProvenance(None)
    try:
        text = read_input(path, reference_dir).decode("utf-8")
        raw = tomllib.loads(text)
    except InputFileError as error:
        problems.append(error.problem)
        return ReferenceProvenance(None)
    except UnicodeDecodeError as error:
        problems.append(Problem(name, f"not readable UTF-8 TOML: {error}"))
        return ReferenceProvenance(None)
    except tomllib.TOMLDecodeError as error:
        problems.append(toml_syntax_problem(name, text, error))
        return ReferenceProvenance(None)
    for unknown in sorted(set(raw) - set(_TOP_KEYS)):
        problems.append(Problem(name, f"unknown key: the keys are {', '.join(_TOP_KEYS)}", key=unknown))
    for key in ("repository", "licence"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            problems.append(Problem(name, "must be given, as text in quotes", key=key, value=raw.get(key)))
    reason = raw.get("changed_locally", "")
    if not isinstance(reason, str) or ("changed_locally" in raw and not reason.strip()):
        problems.append(Problem(name, "must say why the texts were changed, as text in quotes (or be removed)",
                                key="changed_locally", value=reason))  # fmt: skip
        reason = ""
    files = _entries(raw, "files", _FILE_KEYS, name, problems)
    tables = _entries(raw, "tables", _TABLE_KEYS, name, problems)
    for table, entry in tables.items():
        if entry.get("made_from") not in files:
            problems.append(Problem(name, f"must name a file of [files] ({', '.join(files) or 'none'})",
                                    key=f"tables.{table}.made_from", value=entry.get("made_from")))  # fmt: skip
    pinned = [(path.parent / f, e, f"files.{f}") for f, e in files.items()]
    pinned += [(reference_dir / t, e, f"tables.{t}") for t, e in tables.items()]
    changed = []
    for file, entry, key in pinned:
        actual = _digest(file, reference_dir, problems)
        if actual is None and key.startswith("files.") and not file.is_symlink():
            problems.append(Problem(str(file), f"file is missing, but {path.name} pins it ({key}): restore the "
                                               f"copy of {entry.get('path', file.name)} at commit "
                                               f"{entry.get('commit')}"))  # fmt: skip
        if actual is not None and actual != entry["sha256"]:
            changed.append(file.name)
            if not reason:
                problems.append(Problem(
                    str(file), f"differs from the copy pinned in {name} (its SHA-256 is {actual}, {key}.sha256 is "
                    f"{entry['sha256']}): restore the pinned copy (e.g. `git checkout -- {file}`), or, if the texts "
                    f"were changed on purpose, add changed_locally = \"<why, by whom, when>\" at the top of {name}, "
                    "so that the report says they were changed locally",
                ))  # fmt: skip
    unpinned = tuple(
        f"{t}.csv" for t in AUDIT_TABLES if (reference_dir / f"{t}.csv").exists() and f"{t}.csv" not in tables
    )
    if reason and not changed and not unpinned:
        problems.append(Problem(name, "says the texts were changed locally, but every file matches its pinned "
                                      "SHA-256: remove changed_locally (the report would say they were changed)",
                                key="changed_locally", value=reason))  # fmt: skip
    repository, licence = str(raw.get("repository", "")), str(raw.get("licence", ""))
    return ReferenceProvenance(path, repository, licence, files, tables, reason.strip(), tuple(changed), unpinned)


def main(argv: list[str] | None = None) -> int:
    """Print the [tables] lines of SOURCE.toml for a reference folder (default: the project's)."""
    import sys

    from itud import paths

    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else paths.DATA_DIR / "reference"
    print(f"# add to {folder / SOURCE_FILE}, after its [files]:\n")
    print(source_lines(folder), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
