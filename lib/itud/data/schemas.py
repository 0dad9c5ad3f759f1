"""What each table in `data/` holds: one catalogue drives validation and the datapackage.

`TABLES` describes every table (columns, keys, links to other tables). From it
come the pandera schemas the loader validates with, and `data/datapackage.json`
(Frictionless Data), so that people outside Python can read and check the data.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from itud.data import ids

if TYPE_CHECKING:  # pandera is imported where schemas are built, so reading the catalogue stays cheap
    import pandera.pandas as pa

STATUSES = ("VERIFIED", "LIKELY", "UNVERIFIED")
ROLES = ("facilitator", "co-facilitator", "partner", "none")
PARENT_KINDS = ("objective", "priority")


@dataclass(frozen=True)
class Col:
    """One column: type, meaning, and the rules a value must follow."""

    name: str
    description: str
    type: str = "string"  # "string", "integer" or "date" (Frictionless types; a date is written YYYY-MM-DD)
    required: bool = True  # a value must be present (not empty)
    normalise: Callable[[str], object] | None = None  # id normaliser from `ids`
    enum: tuple = ()
    minimum: int | None = None
    maximum: int | None = None
    pattern: str | None = None
    references: tuple[str, str] | None = None  # (table, column) this column points to
    may_be_left_out: bool = False  # the file may lack the column itself (read as empty): added after files existed


@dataclass(frozen=True)
class Table:
    name: str  # file stem and resource name
    description: str
    columns: tuple[Col, ...]
    primary_key: tuple[str, ...]
    scope: str = "edition"  # "edition" (data/<year>/) or "reference" (data/reference/)
    optional: bool = False  # may be absent (question links when not published)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


PROVENANCE = (
    Col("source_document", "File name of the source document the row was read from"),
    Col("annex", "Annex of the source document (e.g. 'Annex 1')"),
    Col("source_line", "Line number in the source text the row was read from", "integer", minimum=1),
)
# Question links are read from a source (its document, annex and line, or table row) or entered by hand from
# a reference (by whom, when, from which document): each row says which, and nothing is made up for the other.
LINK_PROVENANCE = (
    Col("source_document", "File name of the source document the link was read from (empty: entered by hand)",
        required=False),
    Col("annex", "Annex of the source document (e.g. 'Annex 2'; empty: entered by hand)", required=False),
    Col("source_line", "Line (or table row) of the source the link was read from (empty: entered by hand)",
        "integer", required=False, minimum=1),
    Col("entered_by", "Who entered the link by hand (empty: read from the source)", required=False,
        may_be_left_out=True),
    Col("entered_on", "When the link was entered by hand (YYYY-MM-DD; empty: read from the source)", "date",
        required=False, may_be_left_out=True),
    Col("reference", "The document the hand-entered link was taken from, and where in it (empty: read from the "
        "source)", required=False, may_be_left_out=True),
)  # fmt: skip
READ_FROM_SOURCE = ("source_document", "source_line")  # what a link read from the source gives
ENTERED_BY_HAND = ("entered_by", "entered_on", "reference")  # what a link entered by hand gives
STATUS = Col("status", "How sure the value is: VERIFIED, LIKELY or UNVERIFIED", enum=STATUSES)
SOURCE = Col("source", "Where the row's facts come from")
SDG = Col(
    "sdg",
    f"SDG number ({ids.SDG_RANGE[0]}-{ids.SDG_RANGE[-1]})",
    "integer",
    normalise=ids.sdg_id,
    references=("sdgs", "sdg"),
)
ACTION_LINE = Col(
    "action_line",
    f"WSIS Action Line (C{ids.ACTION_LINE_RANGE[0]}-C{ids.ACTION_LINE_RANGE[-1]})",
    normalise=ids.action_line_id,
    references=("action_lines", "action_line"),
)
OUTCOME_REF = Col("outcome", "Outcome id, e.g. D.1-5", normalise=ids.outcome_id, references=("outcomes", "outcome"))
QUESTION_REF = Col(
    "question", "Question id, e.g. Q3/2", normalise=ids.question_id, references=("questions", "question")
)

TABLES: tuple[Table, ...] = (
    Table(
        "sdgs",
        f"The {len(ids.SDG_RANGE)} Sustainable Development Goals: short name and official colour",
        (
            Col("sdg", "SDG number", "integer", normalise=ids.sdg_id),
            Col("short_name", "Short name of the goal"),
            Col("colour", "Colour of the goal's icon (hex RGB)", pattern=r"^#[0-9A-F]{6}$"),
            Col("name_status", "Certainty of the name", enum=STATUSES),
            Col("colour_status", "Certainty of the colour", enum=STATUSES),
            SOURCE,
        ),
        ("sdg",),
        scope="reference",
    ),
    Table(
        "action_lines",
        f"The {len(ids.ACTION_LINE_RANGE)} WSIS Action Lines of the Geneva Plan of Action",
        (Col("action_line", "Action Line id", normalise=ids.action_line_id), Col("name", "Name"), STATUS, SOURCE),
        ("action_line",),
        scope="reference",
    ),
    Table(
        "c7_sublines",
        "The eight sub-lines of Action Line C7 (ICT applications), in order",
        (ACTION_LINE, Col("position", "Order within C7", "integer", minimum=1), Col("name", "Name"), STATUS, SOURCE),
        ("action_line", "position"),
        scope="reference",
    ),
    Table(
        "itu_roles",
        "ITU's role per Action Line over a period of years",
        (
            ACTION_LINE,
            Col("role", "facilitator, co-facilitator, partner or none", enum=ROLES),
            Col("period_start", "First year the role holds", "integer", minimum=1900, maximum=2100),
            Col("period_end", "Last year the role holds", "integer", minimum=1900, maximum=2100),
            STATUS,
            SOURCE,
        ),
        ("action_line", "period_start"),
        scope="reference",
    ),
    Table(
        "sdg_targets",
        "The SDG targets (English text), which the link audit scores outcome texts against "
        "(data/reference/open-sdg/SOURCE.toml: repository, commit, licence)",
        (
            Col("target", "Target id, e.g. 9.c or 16.10", pattern=r"^\d{1,2}\.(\d{1,2}|[a-z])$"),
            SDG,
            Col("text", "The target's text"),
            SOURCE,
        ),
        ("target",),
        scope="reference",
        optional=True,  # versions published before the link audit have no copy in their inputs
    ),
    Table(
        "sdg_goal_titles",
        "The SDGs' full titles (English), for the link audit (data/reference/open-sdg/SOURCE.toml)",
        (SDG, Col("title", "The goal's full title"), SOURCE),
        ("sdg",),
        scope="reference",
        optional=True,
    ),
    Table(
        "objectives",
        "The edition's parents of outcomes: objectives (2019) or priorities (Kigali, 2022)",
        (
            Col("objective", "Objective or priority id, e.g. D.1", normalise=ids.objective_id),
            Col("kind", "objective or priority", enum=PARENT_KINDS),
            Col("short_name", "Short name"),
            Col("text", "Full text"),
            *PROVENANCE,
        ),
        ("objective",),
    ),
    Table(
        "outcomes",
        "Outcomes, each under one objective",
        (
            Col("outcome", "Outcome id, e.g. D.1-5", normalise=ids.outcome_id),
            Col(
                "objective",
                "Objective the outcome serves",
                normalise=ids.objective_id,
                references=("objectives", "objective"),
            ),
            Col("text", "Text of the outcome"),
            *PROVENANCE,
        ),
        ("outcome",),
    ),
    Table(
        "outcome_sdg",
        "Which SDGs each outcome contributes to",
        (OUTCOME_REF, SDG, *PROVENANCE),
        ("outcome", "sdg"),
    ),
    Table(
        "outcome_action_line",
        "Which WSIS Action Lines each outcome helps implement",
        (OUTCOME_REF, ACTION_LINE, *PROVENANCE),
        ("outcome", "action_line"),
    ),
    Table(
        "study_groups",
        "ITU-D study groups of the study period",
        (
            Col("study_group", "Study group id, e.g. SG1", normalise=ids.study_group_id),
            Col("name", "Name"),
            *PROVENANCE,
        ),
        ("study_group",),
    ),
    Table(
        "questions",
        "Study group questions of the study period (titles entered from the reference facts)",
        (
            Col("question", "Question id, e.g. Q3/2", normalise=ids.question_id),
            Col(
                "study_group",
                "Study group that holds the question",
                normalise=ids.study_group_id,
                references=("study_groups", "study_group"),
            ),
            Col("title", "Title of the question"),
            Col("title_status", "Certainty of the title's wording", enum=STATUSES),
            Col("status_note", "What is unsure about the title", required=False),
            SOURCE,
        ),
        ("question",),
    ),
    Table(
        "question_sdg",
        "Which SDGs each question contributes to (only where the source publishes it)",
        (QUESTION_REF, SDG, *LINK_PROVENANCE),
        ("question", "sdg"),
        optional=True,
    ),
    Table(
        "question_action_line",
        "Which WSIS Action Lines each question helps implement (only where published)",
        (QUESTION_REF, ACTION_LINE, *LINK_PROVENANCE),
        ("question", "action_line"),
        optional=True,
    ),
    Table(
        "corrections",
        "Links added to or removed from the source's tables, each with its reason and authority",
        (
            Col("action", "add or remove", enum=("add", "remove")),
            Col(
                "table",
                "The link table corrected",
                enum=("outcome_sdg", "outcome_action_line", "question_sdg", "question_action_line"),
            ),
            Col("unit", "Outcome or question id, e.g. D.2-1"),
            Col("target", "SDG number or Action Line id the link points to, e.g. 4 or C7"),
            Col("reason", "Why the source's link is wrong or missing"),
            Col("authority", "Who decided the correction (e.g. BDT, the contribution's author)"),
            Col("date", "When the correction was decided (YYYY-MM-DD)", "date"),
            Col("reference", "Where the correction is written down (document, e-mail, meeting report)"),
            Col(
                "first_made",
                "The edition a correction carried over from an earlier edition was first made in (empty: this one)",
                required=False, pattern=r"^([0-9]{4})?$", may_be_left_out=True,
            ),  # fmt: skip
        ),
        ("table", "unit", "target"),
        optional=True,
    ),
    Table(
        "normalisations",
        "Every change the annex parser made to the source text (typo'd ids, ranges, spaces), by line",
        (
            Col("source_document", "File name of the source document"),
            Col("source_line", "Line number in the source text", "integer", minimum=1),
            Col("kind", "What was normalised"),
            Col("before", "The text as the source has it"),
            Col("after", "The text as read", required=False),
        ),
        ("source_document", "source_line", "kind"),
        optional=True,
    ),
)

TABLES_BY_NAME = {table.name: table for table in TABLES}


def reference_tables(folder: Path) -> list[Table]:
    """The reference tables a reference folder holds: all of them but an optional one it lacks (a version
    published before the link audit has no SDG targets in its inputs). A broken link counts as present,
    so that reading it says what is wrong."""
    return [
        t for t in TABLES if t.scope == "reference" and (not t.optional or os.path.lexists(folder / f"{t.name}.csv"))
    ]


QUESTION_LINK_TABLES = ("question_sdg", "question_action_line")


@dataclass
class KnownIds:
    """Ids already loaded, by (table, column), for the link checks of later tables."""

    values: dict[tuple[str, str], set] = field(default_factory=dict)
    unreadable: set[str] = field(default_factory=set)  # tables that could not be read: links to them not checked

    def get(self, key: tuple[str, str]) -> set:
        return self.values.get(key, set())


def pandera_schema(table: Table, known: KnownIds) -> pa.DataFrameSchema:
    """The pandera schema of `table`, with link checks against ids in `known`."""
    import pandera.pandas as pa

    columns = {}
    for col in table.columns:
        checks: list[pa.Check] = []
        if col.required:
            checks.append(pa.Check(lambda s: s.astype(str).str.strip() != "", error="value is empty"))
        if col.enum:
            checks.append(pa.Check.isin(col.enum, error=f"must be one of {', '.join(col.enum)}"))
        if col.minimum is not None:
            checks.append(pa.Check.ge(col.minimum, error=f"must be at least {col.minimum}"))
        if col.maximum is not None:
            checks.append(pa.Check.le(col.maximum, error=f"must be at most {col.maximum}"))
        if col.pattern:
            checks.append(pa.Check.str_matches(col.pattern, error=f"must match {col.pattern}"))
        if col.type == "date":
            checks.append(pa.Check(_is_past_date, element_wise=True, error=DATE_RULE))
        if col.references and col.references[0] not in known.unreadable:  # else every row would be wrong
            target, column = col.references
            checks.append(
                pa.Check.isin(
                    sorted(known.get(col.references), key=str),
                    error=f"not a known {column} (no such row in {target})",
                )
            )
        dtype = "Int64" if col.type == "integer" else str
        columns[col.name] = pa.Column(
            dtype, checks=checks, unique=table.primary_key == (col.name,), report_duplicates="exclude_first",
            nullable=col.type == "integer" and not col.required,  # an empty optional number is read as missing
        )
    return pa.DataFrameSchema(
        columns,
        unique=list(table.primary_key) if len(table.primary_key) > 1 else None,
        report_duplicates="exclude_first",
        strict=False,
        name=table.name,
    )


DATE_RULE = "must be a date written YYYY-MM-DD (e.g. 2019-05-20), on the calendar and not after today"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _is_past_date(value: object) -> bool:
    """Whether `value` is a day that exists, written YYYY-MM-DD, and is not later than today (a correction
    cannot have been decided in the future). Empty values are the `required` check's."""
    text = "" if value is None or value != value else str(value).strip()  # value != value: NaN
    if not text:
        return True
    if not _DATE.match(text):
        return False
    try:
        return dt.date.fromisoformat(text) <= dt.date.today()
    except ValueError:  # 2019-02-30, 2019-13-01
        return False


_FRICTIONLESS_CONSTRAINTS = {"enum": "enum", "minimum": "minimum", "maximum": "maximum", "pattern": "pattern"}


def _field(col: Col) -> dict:
    constraints: dict = {"required": True} if col.required else {}
    for attribute, key in _FRICTIONLESS_CONSTRAINTS.items():
        value = getattr(col, attribute)
        if value not in (None, ()):
            constraints[key] = list(value) if attribute == "enum" else value
    entry: dict = {"name": col.name, "type": col.type, "description": col.description}
    if constraints:
        entry["constraints"] = constraints
    return entry


def _resource(table: Table, folder: str) -> dict:
    prefix = "" if table.scope == "reference" else f"{folder}-"
    schema: dict = {
        "fields": [_field(col) for col in table.columns],
        "primaryKey": list(table.primary_key),
    }
    foreign_keys = [
        {
            "fields": col.name,
            "reference": {
                "resource": ("" if TABLES_BY_NAME[col.references[0]].scope == "reference" else prefix)
                + col.references[0],
                "fields": col.references[1],
            },
        }
        for col in table.columns
        if col.references
    ]
    if foreign_keys:
        schema["foreignKeys"] = foreign_keys
    return {
        "name": f"{prefix}{table.name}",
        "path": f"{folder}/{table.name}.csv",
        "profile": "tabular-data-resource",
        "format": "csv",
        "encoding": "utf-8",
        "description": table.description,
        "schema": schema,
    }


def datapackage(data_dir: Path, editions: Iterable[str]) -> dict:
    """The Frictionless descriptor of `data_dir`: reference tables plus each edition's files."""
    resources = [_resource(t, "reference") for t in TABLES if t.scope == "reference"]
    for edition in editions:
        for table in TABLES:
            if table.scope == "edition" and (data_dir / edition / f"{table.name}.csv").exists():
                resources.append(_resource(table, edition))
    return {
        "profile": "tabular-data-package",
        "name": "itu-d-wsis-sdg-mapping",
        "title": "ITU-D objectives, outcomes and study group questions mapped to WSIS Action Lines and SDGs",
        "description": "Generated by `itud datapackage` from lib/itud/data/schemas.py; do not edit by hand.",
        "resources": resources,
    }


def datapackage_json(data_dir: Path, editions: Iterable[str]) -> str:
    return json.dumps(datapackage(data_dir, editions), indent=2, ensure_ascii=False) + "\n"
