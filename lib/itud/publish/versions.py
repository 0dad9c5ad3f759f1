"""Published report versions: reports/<year>/v<N>/, each with a manifest, never overwritten.

This module knows version folders and manifests:
- what a build depends on: its inputs, read once into a `Snapshot` (the bytes the
  build uses are the bytes it hashed), and the fingerprint of inputs, code and
  environment. The fingerprint decides whether to *rebuild*; whether to *publish*
  is decided by the outputs (`reader_outputs`): a new version only when what
  readers see changed (as in owid/etl, where a checksum decides what is dirty);
- which versions exist, the per-year lock under which a new one is put in place,
  and `verify`, which checks every published file against its manifest.
`itud.publish.build` makes the report itself.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import platform
import re
import subprocess
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from itud import paths
from itud.errors import BuildError
from itud.paths import read_input
from itud.publish import manifest as schema
from itud.publish.manifest import MANIFEST, ManifestError
from itud.run.execute import notebooks

INPUTS_DIR = "inputs"  # the snapshot of the data a version was built from, inside the version
_VERSION = re.compile(r"^v(\d+)$")
_PACKAGE = "itud-wsis-report"
_NOT_IN_A_BUILD = {"jupyterlab", "nbval"}  # direct dependencies for people, not for building a report
# Outputs that are records of the build rather than what readers see: they do not make a new version.
_NOT_READER_FACING = ("notebooks/", f"{INPUTS_DIR}/", MANIFEST)
EDITION_FILE = "edition.toml"
OVERRIDES_DIR = "report"  # data/<year>/report/: the edition's own section templates


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def notebook_source_digest(data: bytes) -> str:
    """Digest of what a notebook does (cell types, sources, tags), not of its stored outputs."""
    notebook = json.loads(data.decode("utf-8"))
    cells = [(c["cell_type"], "".join(c["source"]), c.get("metadata", {}).get("tags", [])) for c in notebook["cells"]]
    return hashlib.sha256(json.dumps(cells, sort_keys=True).encode()).hexdigest()


@dataclass
class Snapshot:
    """The inputs of one build, read once: data files by their name under data/, notebooks by file name."""

    data: dict[str, bytes] = field(default_factory=dict)  # "2019/outcomes.csv", "reference/sdgs.csv"
    notebooks: dict[str, bytes] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)  # files in an edition folder that are not inputs

    def write(self, folder: Path) -> None:
        """Lay the data out under `folder` as a data folder the notebooks can read."""
        for name, data in self.data.items():
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)


def edition_input_names() -> list[str]:
    """The files of an edition folder that are inputs: edition.toml and the catalogue's tables."""
    from itud.data.schemas import TABLES

    return [EDITION_FILE, *(f"{t.name}.csv" for t in TABLES if t.scope == "edition")]


def snapshot(year: int, data_dir: Path, notebooks_dir: Path) -> Snapshot:
    """Read every input of the report of `year` once. Stray files (an editor's lock file) are listed, not read.

    Each input must be a regular file of sane size inside its folder (`paths.read_input`).
    """
    from itud.data.reference import SOURCE_FILE
    from itud.data.schemas import reference_tables

    taken = Snapshot()
    reference = paths.reference_dir(data_dir)
    for table in reference_tables(reference):
        taken.data[f"reference/{table.name}.csv"] = read_input(reference / f"{table.name}.csv", reference)
    pinned = (reference / SOURCE_FILE).parent  # SOURCE.toml and the files it pins: checked in the build too
    for path in sorted(pinned.iterdir()) if pinned.is_dir() else []:
        taken.data[f"reference/{path.relative_to(reference).as_posix()}"] = read_input(path, reference)
    wanted = set(edition_input_names())
    older = [y for y in paths.available_years(data_dir) if int(y) < year]
    for edition in [*older[-1:], str(year)]:  # the previous edition feeds the year-over-year section
        folder = Path(data_dir) / edition
        for path in sorted(folder.iterdir()):
            if path.name in wanted:
                taken.data[f"{edition}/{path.name}"] = read_input(path, Path(data_dir))
            elif path.name == OVERRIDES_DIR and path.is_dir():  # the edition's own report wording
                for override in sorted(path.glob("*.j2")):
                    taken.data[f"{edition}/{OVERRIDES_DIR}/{override.name}"] = read_input(override, Path(data_dir))
            elif edition == str(year):
                taken.ignored.append(str(path))
    for path in notebooks(notebooks_dir):
        taken.notebooks[path.name] = read_input(path, notebooks_dir)
    return taken


def code_files() -> dict[str, str]:
    """The package's code and templates, and the report's section templates (its wording), with their SHA-256."""
    found = {
        f"lib/itud/{path.relative_to(paths.PACKAGE_DIR).as_posix()}": sha256(path)
        for path in sorted(paths.PACKAGE_DIR.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }
    for path in sorted(paths.SECTIONS_DIR.glob("*.j2")):
        found[f"report/sections/{path.name}"] = sha256(path)
    return found


def inputs(taken: Snapshot) -> dict[str, str]:
    """Every input of a build with its SHA-256, by a name that does not depend on where the checkout is."""
    found = {f"data/{name}": hashlib.sha256(data).hexdigest() for name, data in sorted(taken.data.items())}
    found.update({f"notebooks/{n}": notebook_source_digest(d) for n, d in sorted(taken.notebooks.items())})
    found.update(code_files())
    return found


def _runtime_packages() -> dict[str, str]:
    """Versions of the packages the report's code runs on: the runtime dependencies, transitively.

    Test and lint tools (pytest, ruff) are extras, and the tools to edit and test notebooks
    (JupyterLab, nbval) take no part in a build: left out, they cannot change a report.
    """
    found: dict[str, str] = {}
    pending = [_PACKAGE]
    while pending:
        name = pending.pop()
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for requirement in requires:
            if "extra ==" in requirement:
                continue
            dependency = re.split(r"[ ;<>=!~\[(]", requirement, maxsplit=1)[0].lower().replace("_", "-")
            if dependency in found or dependency in _NOT_IN_A_BUILD:
                continue
            try:
                found[dependency] = metadata.version(dependency)
            except metadata.PackageNotFoundError:
                continue  # a dependency for another platform or Python
            pending.append(dependency)
    return dict(sorted(found.items()))


def environment() -> dict:
    """Python (major.minor: a patch release does not change a report), the runtime packages and the system
    libraries the PDF is printed with (`buildinfo.system_libraries`): a change in any of them means a rebuild."""
    from itud.run.buildinfo import system_libraries

    return {
        "python": ".".join(platform.python_version_tuple()[:2]),
        "packages": _runtime_packages(),
        "system": system_libraries(),
    }


def _minor(python: str) -> str:
    """Python's major.minor ("3.11") of a recorded version, which the first versions recorded as "3.11.7"."""
    return ".".join(python.split(".")[:2])


def _build_packages(environment: dict) -> dict[str, str]:
    """The packages an `environment` lists that take part in a build (the first versions also listed tools)."""
    return {name: version for name, version in environment.get("packages", {}).items() if name not in _NOT_IN_A_BUILD}


def same_software(before: dict | None, after: dict | None) -> bool:
    """Whether two manifests' `environment`s name the same software, in what both record: Python's
    major.minor, the packages a build uses and their versions, and the system libraries (which the versions
    before 2019 v9 did not record: not a change)."""
    if not before or not after:
        return True
    if "python" in before and "python" in after and _minor(before["python"]) != _minor(after["python"]):
        return False
    if _build_packages(before) != _build_packages(after):
        return False
    old, new = before.get("system", {}), after.get("system", {})
    return all(old[name] == new[name] for name in set(old) & set(new))


def fingerprint(state: dict) -> str:
    return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()


def state_of(year: int, taken: Snapshot) -> dict:
    """What a build depends on; its fingerprint decides whether a rebuild is needed."""
    return {
        "parameters": {"year": year, "notebooks": [Path(n).stem for n in sorted(taken.notebooks)]},
        "inputs": inputs(taken),
        "environment": environment(),
    }


BUILT_FROM = ("data", "notebooks", "report", "lib")  # the folders a version is built from, which git must hold


def _git(*arguments: str) -> str:
    return subprocess.run(
        ["git", *arguments], cwd=paths.PROJECT_ROOT, capture_output=True, text=True, check=True, timeout=60
    ).stdout


def uncommitted() -> list[str] | None:
    """The files of `BUILT_FROM` with changes git has not committed (new files included); None outside git."""
    try:
        listed = _git("status", "--porcelain", "--untracked-files=all", "--", *BUILT_FROM)
    except (OSError, subprocess.SubprocessError):
        return None
    return [line[3:] for line in listed.splitlines() if line.strip()]


def code_commit() -> str:
    """The git commit of the code, marked when the working tree has changes; 'unknown' outside git."""
    try:
        head = _git("rev-parse", "HEAD").strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + (" (with uncommitted changes)" if uncommitted() else "")


def versions(year_dir: Path) -> list[tuple[int, Path]]:
    """Published versions of a year, oldest first."""
    if not year_dir.is_dir():
        return []
    found = [(int(m[1]), p) for p in year_dir.iterdir() if (m := _VERSION.match(p.name)) and p.is_dir()]
    return sorted(found)


def check_next_name_free(year_dir: Path) -> None:
    """Refuse, before any work, a stray file or folder named like a version that is not one; and, before any
    work and again before publishing, a published version whose manifest the index could not then list
    (`check_manifests`)."""
    for path in sorted(year_dir.iterdir()) if year_dir.is_dir() else []:
        if _VERSION.match(path.name) and (not path.is_dir() or path.is_symlink()):
            raise BuildError(f"{path}: named like a version but not a version folder; move it away and run again")
        if _VERSION.match(path.name) and not (path / MANIFEST).is_file():
            raise BuildError(f"{path}: a version folder without {MANIFEST}; move it away and run again")
    check_manifests(year_dir.parent)


def check_manifests(reports_dir: Path) -> None:
    """Every manifest `reports/index.html` reads, checked as it will read them: each one's shape and year
    (`manifest.read`) and the revision it claims (`revisions.revision_problems`). A ManifestError naming
    every file and key that is wrong, so that a build stops before it publishes a version that the index
    could then not list."""
    from itud.publish.revisions import revision_problems

    found: list[str] = []
    reports_dir = Path(reports_dir)
    years = sorted(p for p in reports_dir.iterdir() if p.is_dir() and p.name.isdigit()) if reports_dir.is_dir() else []
    for year_dir in years:
        published = versions(year_dir)
        for _, version in published:
            try:
                schema.read(version)
            except ManifestError as error:
                found += error.problems
        if not found:
            for _, version in published:
                found += [problem for problem in revision_problems(version) if problem not in found]
    if found:
        raise ManifestError(found)


def read_manifest(version: Path) -> dict:
    """A published version's manifest as its file holds it, once checked (`manifest.read`: its shape and the
    year it names); a ManifestError naming the file and the key otherwise."""
    return schema.as_dict(schema.read(version))


def latest(year_dir: Path) -> tuple[int, Path | None, dict]:
    """The newest version of a year: (number, folder, manifest); (0, None, {}) when there is none."""
    published = versions(year_dir)
    if not published:
        return 0, None, {}
    number, path = published[-1]
    return number, path, read_manifest(path)


def reader_outputs(outputs: dict[str, str]) -> dict[str, str]:
    """The outputs readers see (documents, tables, figures, results), without build records or intermediates."""
    return {
        name: digest
        for name, digest in outputs.items()
        if not name.startswith(_NOT_READER_FACING) and not is_intermediate(name)
    }


def differing(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """The files readers see that differ between two {file: sha256} maps (changed, added or removed)."""
    before, after = reader_outputs(before), reader_outputs(after)
    return sorted(name for name in set(before) | set(after) if before.get(name) != after.get(name))


def is_intermediate(name: str) -> bool:
    """A file a build makes for its own use and does not publish: the figures' PNG renderings, which only
    the Word document needs (it embeds them; the SVGs are the figures readers get)."""
    return name.startswith("figures/") and name.endswith(".png")


def output_hashes(folder: Path) -> dict[str, str]:
    """{file under folder: sha256} for every file but the manifest."""
    return {
        p.relative_to(folder).as_posix(): sha256(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }


@contextmanager
def locked(year_dir: Path) -> Iterator[None]:
    """An exclusive lock per year, so concurrent runs publish one at a time.

    Opened with O_NOFOLLOW and never truncated: a `.lock` that is a symlink is refused instead of
    clobbering what it points to. (filelock truncates its file on open, hence fcntl by hand.)
    """
    path = year_dir / ".lock"
    try:
        handle = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    except OSError as error:
        raise BuildError(f"{path}: cannot open the lock file ({error.strerror}); remove it and run again") from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # closing releases the lock


def make_readable(folder: Path) -> None:
    """Folders 0755 and files 0644, so other users can read a published version (mkdtemp makes 0700)."""
    folder.chmod(0o755)
    for path in folder.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)


def verify_version(version: Path) -> list[str]:
    """Every way a published version differs from its manifest, each naming the file: a manifest that is not
    one (each key of the wrong type, named), that names another year's report, or a file edited, missing,
    added, unreadable, or listed outside the version (a manifest received from others is not trusted: any
    shape of it is a finding, never a crash)."""
    try:
        raw = schema.load_json(version)
    except ManifestError as error:
        return error.problems
    _, problems = schema.parse(raw, version)
    recorded = raw.get("outputs") if isinstance(raw, dict) else None
    if not isinstance(recorded, dict) or not all(isinstance(v, str) for v in recorded.values()):
        return problems  # no list of files to check the version against
    inside = version.resolve()
    for name in sorted(recorded):
        path = (version / name).resolve()
        if not path.is_relative_to(inside) or Path(name).is_absolute() or ".." in Path(name).parts:
            problems.append(f"{version / MANIFEST}: lists {name!r}, which is outside the version")
    try:
        present = output_hashes(version)
    except OSError as error:
        return [*problems, f"{error.filename or version}: not readable ({error.strerror})"]
    for name in sorted(set(recorded) | set(present)):
        if any(f"lists {name!r}" in problem for problem in problems):
            continue
        if name not in present:
            problems.append(f"{version / name}: missing (the manifest lists it)")
        elif name not in recorded:
            problems.append(f"{version / name}: not in the manifest (added after publishing?)")
        elif present[name] != recorded[name]:
            problems.append(f"{version / name}: changed since publishing (SHA-256 differs from the manifest)")
    return problems


def verify(year_dir: Path) -> list[str]:
    """Every difference between the published versions of a year and their manifests; then, up to the first
    version that differs (the versions after it cannot be compared with it), every revision a manifest
    claims that its predecessors do not imply (`revisions.revision_problems`)."""
    from itud.publish.revisions import revision_problems

    found: list[str] = []
    checking_revisions = True
    for _, version in versions(year_dir):
        problems = verify_version(version)
        checking_revisions = checking_revisions and not problems
        if checking_revisions:
            problems = [problem for problem in revision_problems(version) if problem not in found]
        found += problems
    return found


# --- What a PDF says --------------------------------------------------------------------------------------
# A PDF laid out by another Pango or HarfBuzz differs in its bytes (glyph positions, line breaks), not in
# what it says. What it says is its text: the glyphs each page shows, mapped to characters by the fonts'
# ToUnicode tables, in page order, with the text of the figures (form XObjects) where a page draws them,
# without the page furniture PDF/UA marks as artifacts, and without white space (a line broken elsewhere is
# the same text). Read with the standard library (zlib) as WeasyPrint writes PDFs; a PDF that cannot be
# read so is never said to be the same as another.

_PDF_OBJECT = re.compile(rb"(\d+)\s+0\s+obj\s*")
_PDF_STREAM = re.compile(rb"\s*stream\r?\n")
_PDF_ANGLES = re.compile(rb"<<|>>")
_PDF_REFERENCE = re.compile(rb"(\d+)\s+0\s+R")
_PDF_NAMED_REFERENCE = re.compile(rb"/([^\s/<>\[\]()%{}]+)\s+(\d+)\s+0\s+R")
_PDF_TOKEN = re.compile(rb"<<|>>|<[0-9A-Fa-f\s]*>|\((?:\\.|[^\\()])*\)|/[^\s/<>\[\]()%{}]*|[\[\]]|[^\s/<>\[\]()%{}]+")
_PDF_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
_NUMBER_STARTS = frozenset(b"+-.0123456789")
_SHOWS_TEXT = (b"Tj", b"TJ", b"'", b'"')


def _balanced(data: bytes, start: int) -> bytes:
    """The dictionary `<< ... >>` that starts at `start`, nested ones included."""
    depth = 0
    for match in _PDF_ANGLES.finditer(data, start):
        depth += 1 if match[0] == b"<<" else -1
        if depth == 0:
            return data[start : match.end()]
    return data[start:]


def _pdf_objects(data: bytes) -> tuple[dict[int, bytes], dict[int, bytes]]:
    """({number: dictionary} of the PDF's objects, those inside object streams too; {number: decoded data}
    of its streams)."""
    dictionaries: dict[int, bytes] = {}
    streams: dict[int, bytes] = {}
    position = 0
    while (match := _PDF_OBJECT.search(data, position)) is not None:
        number, position = int(match[1]), match.end()
        if not data.startswith(b"<<", position):
            continue
        dictionaries[number] = dictionary = _balanced(data, position)
        position += len(dictionary)
        if (stream := _PDF_STREAM.match(data, position)) is None:
            continue
        length = re.search(rb"/Length\s+(\d+)(?!\s+\d+\s+R)", dictionary)
        if length is None:
            raise ValueError(f"object {number}: a stream whose length is not given")
        position = stream.end() + int(length[1])
        raw = data[stream.end() : position]
        streams[number] = decoded = zlib.decompress(raw) if b"/FlateDecode" in dictionary else raw
        if b"/ObjStm" in dictionary:
            first = int(re.search(rb"/First\s+(\d+)", dictionary)[1])
            header = [int(x) for x in decoded[:first].split()]
            offsets = [*header[1::2], len(decoded) - first]
            for inner, start, end in zip(header[::2], offsets, offsets[1:], strict=False):
                dictionaries[inner] = decoded[first + start : first + end]
    return dictionaries, streams


def _to_unicode(cmap: bytes) -> tuple[dict[bytes, str], int]:
    """A ToUnicode CMap as ({glyph code: characters}, bytes per code)."""
    found, width = {}, 2
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, text in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>", block):
            width = len(code) // 2
            found[bytes.fromhex(code.decode())] = bytes.fromhex(text.decode()).decode("utf-16-be", "replace")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
        for low, high, text in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>", block):
            width, start, base = len(low) // 2, int(low, 16), int(text, 16)
            for i in range(int(high, 16) - start + 1):
                found[(start + i).to_bytes(width, "big")] = chr(base + i)
    return found, width


def _string_bytes(token: bytes) -> bytes:
    """The bytes of a PDF string, `<hex>` or `(literal)`."""
    if token[:1] == b"<":
        return bytes.fromhex(token[1:-1].decode())

    def unescape(match: re.Match) -> bytes:
        return bytes([int(match[1], 8) & 255]) if match[1][:1].isdigit() else _PDF_ESCAPES.get(match[1], match[1])

    return re.sub(rb"\\([0-7]{1,3}|.)", unescape, token[1:-1], flags=re.S)


def _entry(dictionaries: dict[int, bytes], dictionary: bytes, key: bytes) -> bytes:
    """The dictionary at `/key` of `dictionary`, given in place or by reference; b"" when there is none."""
    match = re.search(rb"/" + key + rb"(?![A-Za-z])\s*", dictionary)
    if match is None:
        return b""
    if reference := _PDF_REFERENCE.match(dictionary, match.end()):
        return dictionaries.get(int(reference[1]), b"")
    return _balanced(dictionary, match.end()) if dictionary.startswith(b"<<", match.end()) else b""


class _PdfText:
    """The text of one PDF (`pdf_text`)."""

    def __init__(self, data: bytes) -> None:
        self.dictionaries, self.streams = _pdf_objects(data)
        self.fonts: dict[int, tuple[dict[bytes, str], int] | None] = {}
        self.found: list[str] = []

    def resources(self, owner: bytes) -> tuple[dict[bytes, int], dict[bytes, int]]:
        """The fonts and the XObjects a page or a form names, {name: object number}."""
        table = _entry(self.dictionaries, owner, b"Resources")
        fonts, xobjects = (
            {name: int(number) for name, number in _PDF_NAMED_REFERENCE.findall(_entry(self.dictionaries, table, kind))}
            for kind in (b"Font", b"XObject")
        )
        return fonts, xobjects

    def font(self, number: int | None) -> tuple[dict[bytes, str], int] | None:
        if number not in self.fonts:
            cmap = re.search(rb"/ToUnicode\s+(\d+)\s+0\s+R", self.dictionaries.get(number, b""))
            self.fonts[number] = _to_unicode(self.streams.get(int(cmap[1]), b"")) if cmap else None
        return self.fonts[number]

    def pages(self) -> list[int]:
        """The page objects, in the order of the page tree's root."""
        pages = [n for n, d in sorted(self.dictionaries.items()) if re.search(rb"/Type\s*/Page(?![s\w])", d)]
        for dictionary in self.dictionaries.values():
            if re.search(rb"/Type\s*/Pages(?!\w)", dictionary) and b"/Parent" not in dictionary:
                kids = re.search(rb"/Kids\s*\[(.*?)\]", dictionary, re.S)
                order = [int(n) for n in _PDF_REFERENCE.findall(kids[1])] if kids else []
                if sorted(order) == pages:
                    return order
        return pages

    def show(self, strings: list, font: tuple[dict[bytes, str], int] | None) -> None:
        for string in strings:
            if string[:1] in (b"<", b"(") and string != b"<<":
                raw = _string_bytes(string)
                if font is None:
                    self.found.append(raw.decode("latin-1"))
                else:
                    mapping, width = font
                    self.found += [mapping.get(raw[i : i + width], "\ufffd") for i in range(0, len(raw), width)]

    def run(self, stream: bytes, fonts: dict[bytes, int], xobjects: dict[bytes, int], depth: int = 0) -> None:
        """The text a content stream shows, and the forms it draws, outside artifacts."""
        operands: list = []
        array: list | None = None
        artifact: list[bool] = []  # per marked-content sequence: inside an artifact
        font = None
        for token in _PDF_TOKEN.findall(stream):
            first = token[0]
            if first in _NUMBER_STARTS:
                continue  # positions, sizes, colours: not what the page says
            if token == b"[":
                array = []
            elif token == b"]":
                operands.append(array if array is not None else [])
                array = None
            elif first in b"<(/>":
                (array if array is not None else operands).append(token)
            else:  # an operator
                if token == b"Tf" and operands:
                    font = self.font(fonts.get(operands[-1][1:]))
                elif token in (b"BMC", b"BDC"):
                    artifact.append(bool(operands) and operands[0] == b"/Artifact" or bool(artifact) and artifact[-1])
                elif token == b"EMC" and artifact:
                    artifact.pop()
                elif token in _SHOWS_TEXT and operands and not (artifact and artifact[-1]):
                    self.show(operands[-1] if isinstance(operands[-1], list) else operands[-1:], font)
                elif token == b"Do" and operands and depth < 8:
                    number = xobjects.get(operands[-1][1:])
                    if number in self.streams:
                        self.run(self.streams[number], *self.resources(self.dictionaries[number]), depth + 1)
                operands = []


def pdf_text(path: Path) -> str:
    """The text a PDF shows, as described above; an error (ValueError, zlib.error...) for a PDF this reader
    cannot follow."""
    reader = _PdfText(Path(path).read_bytes())
    for page in reader.pages():
        fonts, xobjects = reader.resources(reader.dictionaries[page])
        contents = re.search(rb"/Contents\s*(\[[^\]]*\]|\d+\s+0\s+R)", reader.dictionaries[page])
        for number in _PDF_REFERENCE.findall(contents[1]) if contents else []:
            reader.run(reader.streams.get(int(number), b""), fonts, xobjects)
    return "".join("".join(reader.found).split())


def same_pdf_text(published: Path, rebuilt: Path) -> bool:
    """Whether two PDFs show the same text (`pdf_text`); False when either cannot be read or shows none."""
    try:
        text = pdf_text(published)
        return bool(text) and text == pdf_text(rebuilt)
    except Exception:  # an untrusted file: whatever stops the reader, the two are not shown to be the same
        return False
