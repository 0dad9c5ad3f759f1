"""The typed model of an edition's `edition.toml`: every key, its type, and whether it is required.

The model is strict: nothing is coerced (`synthetic = "false"` is an error, not `True`;
`title = 2019` is an error, not "2019"), unknown keys are errors with the nearest known key
suggested, and every problem of the file is reported at once with its dotted key and value.
Adding a key is one line in the class of its table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import re
import unicodedata
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from itud.errors import Problem

# Characters a report cannot carry: C0/C1 control characters (except tab and line ends) make
# python-docx fail, and U+FFFE/U+FFFF and lone surrogates are not XML characters.
_ALLOWED_CONTROLS = frozenset("\t\n\r")
_NON_CHARACTERS = frozenset("\ufffe\uffff")


def _unwritable(ch: str) -> bool:
    """Whether a report cannot carry the character `ch` (see above)."""
    return ch not in _ALLOWED_CONTROLS and (unicodedata.category(ch) in ("Cc", "Cs") or ch in _NON_CHARACTERS)


def _label(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def control_characters(text: str) -> list[str]:
    """The characters of `text` a report cannot show, as 'U+0007' labels (empty when clean)."""
    return [_label(ch) for ch in dict.fromkeys(ch for ch in text if _unwritable(ch))]


# `itud report --note` is one sentence for readers, printed in the version's "Changes in this revision"
# block, its manifest and a cell of reports/index.html's table of versions: 500 characters (about 80 words)
# is a long sentence, and keeps that block a few lines of the report's first pages.
MAX_NOTE_CHARACTERS = 500
_LINE_BREAKS = frozenset("\n\r\u2028\u2029")
_NOT_XML = "a character the report's documents cannot hold (XML 1.0 has no such character)"


def note_argument(text: str) -> str:
    """argparse type of `itud report --note`: refuses, before any notebook runs, a line break, a character
    the documents cannot carry (named as U+XXXX with its position, from 1) and a note over the limit."""
    for position, ch in enumerate(text, start=1):
        if ch in _LINE_BREAKS or _unwritable(ch):
            what = "a line break (the note is one sentence)" if ch in _LINE_BREAKS else _NOT_XML
            raise argparse.ArgumentTypeError(f"{_label(ch)} at position {position} is {what}: remove it")
    if len(text) > MAX_NOTE_CHARACTERS:
        raise argparse.ArgumentTypeError(
            f"is {len(text)} characters, over the limit of {MAX_NOTE_CHARACTERS} "
            "(one sentence for the version's changes block): shorten it"
        )
    return text


# The PDF lays each of the summary box's parts out as one table row, and a row taller than a page
# cannot be laid out (about 5,600 characters of body text fail); 3,000 leaves room for the header.
MAX_TEXT_CHARACTERS = 3000


def _too_long(length: int) -> str:
    return (
        f"is {length} characters, over the limit of {MAX_TEXT_CHARACTERS}: "
        "the report's boxes must fit on one PDF page; shorten it"
    )


def _clean_text(text: str) -> str:
    bad = control_characters(text)
    if bad:
        raise ValueError(f"contains control character(s) {', '.join(bad)}: remove them")
    if len(text) > MAX_TEXT_CHARACTERS:
        raise ValueError(_too_long(len(text)))
    return text


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be empty")
    return text


Text = Annotated[str, AfterValidator(_clean_text)]
NOT_GIVEN = "not given"  # what a hand-entered fact no source gives may say (a text may also stay "")


def _date_or_not_given(value: dt.date | str) -> dt.date | str:
    if isinstance(value, str) and value != NOT_GIVEN:
        raise ValueError(
            f'must be a date such as 2019-04-03, without quotes, or "{NOT_GIVEN}" where no source gives it'
        )
    return value


DateOrNotGiven = Annotated[dt.date | str, AfterValidator(_date_or_not_given)]
NonEmptyText = Annotated[Text, AfterValidator(_not_blank)]
Key = Annotated[str, AfterValidator(_clean_text)]  # a key of a free-form table ([sources]) is text too

# The Word document's core properties (docProps/core.xml) hold at most 255 characters each, and python-docx
# refuses a longer one while writing it, after the notebooks ran: report.title is its title, report.source
# its author, document_number its identifier (the subject and comments are cut to fit by the writer).
CORE_PROPERTY_CHARACTERS = 255
# The running header names "Document <number> – <title>" on one line of 80 characters (and is the Word
# subject): a number of 40 leaves room for the start of the title. ITU numbers are short (TDAG-19/12).
DOCUMENT_NUMBER_CHARACTERS = 40


def _at_most(limit: int, where: str) -> AfterValidator:
    """A validator refusing a text over `limit` characters, saying `where` the report puts it."""

    def check(text: str) -> str:
        if len(text) > limit:
            raise ValueError(f"is {len(text)} characters, over the limit of {limit} ({where}): shorten it")
        return text

    return AfterValidator(check)


CORE_PROPERTY = _at_most(CORE_PROPERTY_CHARACTERS, "a property of the Word document holds at most 255")
DocumentNumber = Annotated[
    Text, _at_most(DOCUMENT_NUMBER_CHARACTERS, "the running header names it and the title on one line")
]


class _Table(BaseModel):
    """A TOML table: strict types, no unknown keys."""

    model_config = ConfigDict(extra="forbid", strict=True)


class SourceDocument(_Table):
    """[source_document]: the contribution the tables were read from."""

    file: Text
    title: Text
    description: Text
    sha256: str | None = None  # the source file's SHA-256 (`sha256sum FILE`), or "not given"

    @field_validator("sha256")
    @classmethod
    def _a_checksum_or_not_given(cls, value: str | None) -> str | None:
        if value is not None and value != NOT_GIVEN and not re.fullmatch(r"[0-9a-f]{64}", value):
            raise ValueError(
                "must be the source file's SHA-256, 64 characters 0-9 and a-f (`sha256sum FILE` prints it), "
                f'or "{NOT_GIVEN}"'
            )
        return value


class QuestionLinks(_Table):
    """[question_links]: whether the source publishes the questions' SDG and Action Line links."""

    status: Literal["published", "not published"]
    note: Text = ""


class OutcomeLinks(_Table):
    """[outcome_links]: outcomes the source explicitly links to no SDG / no Action Line.

    Without this table every outcome must have at least one link of each kind: an outcome with
    none is far more often a parsing or typing slip than a fact, and the report would count it
    as reaching nothing. When the source really gives none, list it here with the source.
    """

    without_sdg: list[Text] = []
    without_action_line: list[Text] = []
    note: NonEmptyText  # where the source says so (every hand-entered fact names its source)


class Contact(_Table):
    """[report.contact]: whom to ask about the document (ITU contributions end page 1 with it); "" where no
    source gives it (printed "not given")."""

    name: Text = ""  # name and organization or entity
    phone: Text = ""
    email: Text = ""


class Report(_Table):
    """[report]: the report's prose. Header fields no source gives stay "" (printed "not given")."""

    title: Annotated[NonEmptyText, CORE_PROPERTY]  # also the Word document's title
    short_title: Text = ""  # the running header's title from page 2 (default: the title, shortened)
    date: Text
    source: Annotated[Text, CORE_PROPERTY]  # also the Word document's author
    original_language: Text
    summary: NonEmptyText
    action_required: NonEmptyText
    # The source's own summary and action required, word for word: the introduction quotes them ("" for none).
    source_summary: Text = ""
    source_action_required: Text = ""
    references: list[Text]
    licence: Text = ""  # the licence of the tables, when a source gives one (printed "not given" otherwise)
    annex_1_title: Text = ""  # Annex 1's title as the source gives it (default: built from strategic_plan)
    contact: Contact = Contact()
    sources: dict[Key, Text] = {}

    @field_validator("references")
    @classmethod
    def _references_fit_their_box(cls, references: list[str]) -> list[str]:
        length = len("; ".join(references))  # the report prints them on one line, joined by "; "
        if length > MAX_TEXT_CHARACTERS:
            raise ValueError(_too_long(length))
        return references


class EditionFile(_Table):
    """The whole `edition.toml`."""

    year: int
    synthetic: bool
    group: Text
    meeting: Text
    meeting_place: Text
    meeting_start: DateOrNotGiven | None = None
    meeting_end: DateOrNotGiven | None = None
    strategic_plan: Text
    study_period: Text
    document_number: DocumentNumber
    source_document: SourceDocument
    question_links: QuestionLinks
    outcome_links: OutcomeLinks | None = None
    sources: dict[Key, Text] = {}
    report: Report

    @field_validator("study_period")
    @classmethod
    def _study_period_is_two_years(cls, period: str) -> str:
        if period in ("", NOT_GIVEN):
            return period
        start, dash, end = period.partition("-")
        if not (dash and len(start) == len(end) == 4 and start.isdigit() and end.isdigit() and start < end):
            raise ValueError("must be the first and last year of the study period, e.g. 2018-2021")
        return period

    @field_validator("meeting_end")
    @classmethod
    def _meeting_ends_after_it_starts(cls, end, info: ValidationInfo):
        start = info.data.get("meeting_start")
        if isinstance(start, dt.date) and isinstance(end, dt.date) and end < start:
            raise ValueError(f"is before meeting_start {start}")
        return end

    @model_validator(mode="after")
    def _both_meeting_dates_or_neither(self) -> EditionFile:
        if (self.meeting_start is None) != (self.meeting_end is None):
            raise ValueError(
                f'give both meeting_start and meeting_end, or neither ("{NOT_GIVEN}" for one no source gives)'
            )
        return self


_MESSAGES = {
    "missing": "required key is missing",
    "string_type": "must be text in quotes",
    "bool_type": "must be true or false, without quotes",
    "int_type": "must be a whole number, without quotes",
    "list_type": 'must be a list of texts, e.g. ["first", "second"]',
    "model_type": "must be a table (a [section] with keys), not a single value",
    "dict_type": "must be a table (a [section] with keys), not a single value",
    "date_type": "must be a date such as 2019-04-03, without quotes",
}


def _model_at(location: tuple) -> type[BaseModel] | None:
    """The model class of the table at `location` (None inside a free-form table or list)."""
    model: type[BaseModel] | None = EditionFile
    for part in location:
        if model is None or not isinstance(part, str) or part not in model.model_fields:
            return None
        annotation = model.model_fields[part].annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        model = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
    return model


def _message(error: dict) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        model = _model_at(error["loc"][:-1])
        known = list(model.model_fields) if model else []
        near = difflib.get_close_matches(str(error["loc"][-1]), known, n=1)
        hint = f"did you mean '{near[0]}'?" if near else f"known keys here: {', '.join(known)}"
        return f"unknown key ({hint})"
    if kind == "literal_error":
        return f"must be one of {error['ctx']['expected']}"
    if kind == "value_error":
        return str(error["ctx"]["error"])
    return _MESSAGES.get(kind, error["msg"])


def _dotted(location: tuple) -> str:
    return ".".join(f"[{part}]" if isinstance(part, int) else str(part) for part in location).replace(".[", "[")


def _shown(value: object) -> object:
    """The offending value as a message shows it: tables are not repeated, long texts are cut."""
    if isinstance(value, dict):
        return None
    text = str(value)
    return text if len(text) <= _SHOWN_CHARACTERS else text[:_SHOWN_CHARACTERS] + "..."


_SHOWN_CHARACTERS = 60


def problems_of(error: ValidationError, file: str) -> list[Problem]:
    """One `Problem` per error pydantic found, with the dotted key and the offending value."""
    found = []
    for item in error.errors(include_url=False):
        value = None if item["type"] == "missing" else _shown(item["input"])
        location, message = item["loc"], _message(item)
        if location[-1:] == ("[key]",):  # the key itself of a free-form table: named as the table's value
            location, message = location[:-2], f"a key here {message}"
        found.append(Problem(file, message, key=_dotted(location) or None, value=value))
    return found


def parse_edition_file(raw: dict, file: str) -> tuple[EditionFile | None, list[Problem]]:
    """Validate the TOML content `raw` of `file`; the model, or None and every problem found."""
    try:
        return EditionFile.model_validate(raw), []
    except ValidationError as error:
        return None, problems_of(error, file)


def as_meta(model: EditionFile) -> dict:
    """The plain dict `Edition.meta` holds: exactly the keys the file gives, dates kept as dates."""
    return model.model_dump(mode="python", exclude_unset=True)


_TOML_PLACE = re.compile(r"\s*\(at line (\d+), column \d+\)$")
_TOML_TABLE = re.compile(r"^\s*\[+\s*([^\]]+?)\s*\]+")


def toml_syntax_problem(file: str, text: str, error: Exception) -> Problem:
    """A TOML syntax error as a `Problem` with its line, dotted key and value (tomllib gives only the line
    and column in its message), and what values look like: an impossible date (2019-04-35) or text
    without quotes is a syntax error before any key is known."""
    match = _TOML_PLACE.search(str(error))
    reason = _TOML_PLACE.sub("", str(error))
    advice = "text in quotes, dates as a real day YYYY-MM-DD, true/false and numbers without quotes"
    if not match:
        return Problem(file, f"not readable TOML ({reason}): {advice}")
    number = int(match[1])
    lines = text.splitlines()
    line = lines[number - 1] if 0 < number <= len(lines) else ""
    key, equals, value = line.partition("=")
    table = next((m[1] for m in map(_TOML_TABLE.match, reversed(lines[: number - 1])) if m), "")
    if not equals:
        return Problem(file, f"not readable TOML ({reason}): {advice}", line=number)
    dotted = ".".join(filter(None, [table, key.strip()]))
    return Problem(file, f"not readable TOML ({reason}): {advice}", line=number, key=dotted, value=value.strip())
