"""The schema of a published version's `manifest.json`, and the one way to read it.

A version folder may have been copied in, edited or received from others: its manifest is untrusted input.
Every reader of a manifest (`versions.read_manifest`: the next build, `itud report --check`, the index,
revisions, `itud diff`, `itud verify`) goes through `read` or `problems`, which accept the shapes the
committed manifests have and name the file and the key of anything else, never a traceback.

The keys, as the committed 2019 versions show them. From v1: year, version, previous_version, built_by,
code_commit, fingerprint, parameters (year, notebooks), inputs, environment (python, packages) and outputs;
from v5: corrections, published, reason; from v9: revision, build_record, printed_from, environment's
system, and note when `itud report --note` gave one; v9 alone: content. Only `outputs` is required (it is
what a version is checked against); a key an older manifest lacks stays absent, never invented, and a key
present must have its type (a `null` only where a manifest writes one: the first version's
previous_version). Keys not known here are kept as they are: nothing reads them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from itud.errors import BuildError, Problem

MANIFEST = "manifest.json"
NOT_A_MANIFEST = "not a manifest (no 'outputs' table of file names and SHA-256)"
_NULLABLE = {"previous_version"}  # the one key a manifest writes as null (the first version has none before it)


class ManifestError(BuildError):
    """A manifest that cannot be read or does not have the manifest's shape; `problems` names each key."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        if len(problems) == 1:
            super().__init__(problems[0])
        else:
            super().__init__(f"{len(problems)} problems in manifests:\n" + "\n".join(f"  - {p}" for p in problems))


class _Part(BaseModel):
    """A table of a manifest: strict types (no "7" for 7, no 7.0, no true), unknown keys kept."""

    model_config = ConfigDict(strict=True, extra="allow")


class Parameters(_Part):
    year: int | None = None
    notebooks: list[str] | None = None


class Environment(_Part):
    python: str | None = None
    packages: dict[str, str] | None = None
    system: dict[str, str] | None = None  # the PDF's system libraries, recorded since 2019 v9


class BuildRecord(_Part):
    """`buildinfo.record` of the version's PDF, without the page (that is `printed_from`)."""

    python: str | None = None
    machine: str | None = None
    pdf_renderer: dict[str, str] | None = None
    fonts: dict[str, str] | None = None


class Manifest(_Part):
    year: int | None = Field(None, ge=1000, le=9999)
    version: int | None = Field(None, ge=1)
    previous_version: str | None = Field(None, pattern=r"^v[1-9][0-9]*$")
    revision: int | None = Field(None, ge=0)
    built_by: str | None = None
    code_commit: str | None = None
    published: str | None = Field(None, pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
    fingerprint: str | None = None
    parameters: Parameters | None = None
    inputs: dict[str, str] | None = None
    environment: Environment | None = None
    corrections: int | None = Field(None, ge=0)
    outputs: dict[str, str]
    build_record: BuildRecord | None = None
    printed_from: dict[str, str | None] | None = None  # {PDF: the page's digest}; null if no page was recorded
    content: dict[str, str] | None = None
    note: str | None = None
    reason: str | None = None


_MESSAGES = {
    "missing": "missing (a manifest lists every file of its version with its SHA-256)",
    "string_type": "must be text",
    "int_type": "must be a whole number",
    "list_type": "must be a list of texts",
    "model_type": "must be a table (a JSON object)",
    "dict_type": "must be a table (a JSON object)",
    "greater_than_equal": "must be {ge} or more",
    "less_than_equal": "must be {le} or less",
    "string_pattern_mismatch": "must look like {example}",
}
_EXAMPLES = {"previous_version": "v12", "published": "2026-12-03 (a date)"}


def _nested(model: type[BaseModel] | None, key: object) -> type[BaseModel] | None:
    """The model of the table at `key` of `model`, None for a free-form table ({file: SHA-256})."""
    if model is None or not isinstance(key, str) or key not in model.model_fields:
        return None
    annotation = model.model_fields[key].annotation
    candidates = [annotation, *getattr(annotation, "__args__", ())]
    return next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)


def _key(location: tuple) -> str:
    """`build_record.pdf_renderer`, `outputs["report-2019.pdf"]`, `parameters.notebooks[0]`."""
    key, model = "", Manifest
    for part in location:
        if isinstance(part, int):
            key += f"[{part}]"
        elif not key or (model is not None and part in model.model_fields):
            key += f".{part}" if key else str(part)
        else:
            key += f'["{part}"]'
        model = _nested(model, part)
    return key


def _nulls(raw: dict, model: type[BaseModel] | None, location: tuple = ()) -> list[tuple]:
    """Where `raw` gives null for a key of the schema (only `_NULLABLE` may be null)."""
    found = []
    for key, value in raw.items():
        if model is None or key not in model.model_fields:
            continue
        if value is None and key not in _NULLABLE:
            found.append((*location, key))
        elif isinstance(value, dict):
            found += _nulls(value, _nested(model, key), (*location, key))
    return found


def _kind(value: Any) -> str:
    """What a JSON value is, in words."""
    kinds = {dict: "a JSON object", list: "a JSON array", str: "a JSON string", bool: "a JSON boolean",
             type(None): "JSON null"}  # fmt: skip
    return kinds.get(type(value), "a JSON number")


def _shown(value: Any) -> Any:
    if isinstance(value, dict | list):
        return None
    text = json.dumps(value) if not isinstance(value, str) else value
    return text if len(text) <= 60 else text[:60] + "..."


def _problem(file: str, error: dict) -> str:
    location = tuple(error["loc"])
    message = _MESSAGES.get(error["type"], error["msg"])
    if error["type"] == "string_pattern_mismatch":
        message = message.format(example=_EXAMPLES.get(str(location[-1]), error["ctx"].get("pattern")))
    elif error["type"] in ("greater_than_equal", "less_than_equal"):
        message = message.format(**error["ctx"])
    if error["type"].endswith("_type"):  # the wrong kind of value: say which it is
        message += f", not {_kind(error['input'])}"
    value = None if error["type"] == "missing" else _shown(error["input"])
    return str(Problem(file, message, key=_key(location) or None, value=value))


def year_of(version: Path) -> int | None:
    """The year whose report a version folder holds, by its place (reports/<year>/v<N>); None elsewhere."""
    name = Path(version).parent.name
    return int(name) if re.fullmatch(r"[0-9]{4}", name) else None


def identity_problems(model: Manifest, version: Path, file: str) -> list[str]:
    """A manifest that names another year's report than its folder's (a 2090 version copied in as
    reports/2019/v14): the years it records, against the folder it is in."""
    year = year_of(version)
    if year is None:
        return []
    found = []
    claimed = {"year": model.year, "parameters.year": model.parameters.year if model.parameters else None}
    for key, value in claimed.items():
        if value is not None and value != year:
            found.append(str(Problem(
                file, f"a version of the {value} report, published as {version} (a version of {year})",
                key=key, value=value,
            )))  # fmt: skip
    return found


def parse(raw: Any, version: Path) -> tuple[Manifest | None, list[str]]:
    """The manifest `raw` (the parsed JSON of `version`'s manifest.json) and every problem found in it:
    its shape (`Manifest`) and the year it names (`identity_problems`)."""
    file = str(Path(version) / MANIFEST)
    if not isinstance(raw, dict):
        return None, [f"{file}: {NOT_A_MANIFEST}: it is {_kind(raw)}, not an object"]
    nulls = [str(Problem(file, "must not be null (leave the key out)", key=_key(at))) for at in _nulls(raw, Manifest)]
    try:
        model = Manifest.model_validate(raw)
    except ValidationError as error:
        return None, nulls + [_problem(file, item) for item in error.errors(include_url=False)]
    if nulls:
        return None, nulls
    return model, identity_problems(model, version, file)


def load_json(version: Path) -> Any:
    """The parsed JSON of a version's manifest; ManifestError when it cannot be read or is not JSON."""
    path = Path(version) / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ManifestError([f"{path}: not readable ({type(error).__name__}: {error})"]) from None


def read(version: Path) -> Manifest:
    """The manifest of a published version, checked; ManifestError naming the file and each key that is wrong."""
    model, found = parse(load_json(version), version)
    if found or model is None:
        raise ManifestError(found)
    return model


def as_dict(model: Manifest) -> dict:
    """The manifest as its file holds it: exactly the keys it gives (none invented), unknown ones kept."""
    return model.model_dump(mode="python", exclude_unset=True)
