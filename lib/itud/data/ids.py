"""Canonical identifiers: `D.1`, `D.1-5`, `SG1`, `Q3/2`, `C7`, SDG as int.

Every id that enters the project passes through one of these functions once,
at parse or load time. Each returns the canonical form or raises `IdError`
with a short reason; the callers add file/line context.
"""

from __future__ import annotations

import re

SDG_RANGE = range(1, 18)
ACTION_LINE_RANGE = range(1, 12)
ALL_SDGS: tuple[int, ...] = tuple(SDG_RANGE)
ALL_ACTION_LINES: tuple[str, ...] = tuple(f"C{n}" for n in ACTION_LINE_RANGE)

# The targets of each SDG (2030 Agenda, A/RES/70/1): how many numbered targets (1.1 ... 1.5), then the
# letters of its lettered targets, the means of implementation (1.a, 1.b). 169 in all.
_TARGETS_PER_SDG: dict[int, tuple[int, str]] = {
    1: (5, "ab"), 2: (5, "abc"), 3: (9, "abcd"), 4: (7, "abc"), 5: (6, "abc"), 6: (6, "ab"), 7: (3, "ab"),
    8: (10, "ab"), 9: (5, "abc"), 10: (7, "abc"), 11: (7, "abc"), 12: (8, "abc"), 13: (3, "ab"),
    14: (7, "abc"), 15: (9, "abc"), 16: (10, "ab"), 17: (19, ""),
}  # fmt: skip
SDG_TARGETS: dict[int, tuple[str, ...]] = {
    sdg: (*(f"{sdg}.{n}" for n in range(1, numbered + 1)), *(f"{sdg}.{letter}" for letter in letters))
    for sdg, (numbered, letters) in _TARGETS_PER_SDG.items()
}
ALL_SDG_TARGETS: tuple[str, ...] = tuple(target for sdg in ALL_SDGS for target in SDG_TARGETS[sdg])


class NotPublished:
    """The one marker for links an edition's data do not hold: missing data, never zero coverage.

    Its text, "not published", is also what edition.toml's `question_links.status` and the
    notebooks' results (JSON) hold; `results` turns that text back into this marker.
    """

    def __repr__(self) -> str:
        return "not published"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return False


NOT_PUBLISHED = NotPublished()
NOT_GIVEN = "not given"  # a value no source gives (a question without links, an unknown date): never zero


class IdError(ValueError):
    """An identifier that cannot be read as the kind asked for."""


# ASCII only (re.ASCII): `\d` would read a full-width "４" or an Arabic-Indic "٤" as 4, and `\s` a
# no-break space as a space; `_ascii` names such a character instead.
_OBJECTIVE = re.compile(r"^\s*([A-Z])\s*[.\-]\s*(\d+)\s*$", re.ASCII)
_OUTCOME = re.compile(r"^\s*([A-Z])\s*[.\-]\s*(\d+)\s*[.\-]\s*(\d+)\s*$", re.ASCII)
_STUDY_GROUP = re.compile(r"^\s*(?:SG|Study\s+Group)\s*(\d+)\s*$", re.IGNORECASE | re.ASCII)
_QUESTION = re.compile(r"^\s*(?:Q|Question)\s*(\d+)\s*/\s*(\d+)\s*$", re.IGNORECASE | re.ASCII)
_ACTION_LINE = re.compile(r"^\s*(?:(?:WSIS\s+)?AL\s*)?C\s*(\d+)\s*$", re.IGNORECASE | re.ASCII)
_SDG = re.compile(r"^\s*(?:SDG\s*(?:Goal\s*)?)?(\d+)\s*$", re.IGNORECASE | re.ASCII)


def _ascii(raw: object) -> str:
    """The id's text, refusing a character that only looks like an ASCII one: a digit of another script
    (named with its code point) or any other character outside ASCII."""
    import unicodedata

    text = str(raw)
    for char in text:
        if char.isascii():
            continue
        if char.isspace():  # a no-break or other space: read as a space, as in the source's tables
            continue
        name = unicodedata.name(char, "unnamed character")
        what = "a look-alike digit" if unicodedata.digit(char, None) is not None else "a character outside ASCII"
        raise IdError(f"{what} {char!r} (U+{ord(char):04X} {name}); ids are written in ASCII, digits 0-9: {raw!r}")
    return " ".join(text.split()) if text.strip() else text


def objective_id(raw: str) -> str:
    """`D-1`, `D.1`, `d.1` -> `D.1`. Also used for priorities and other parents."""
    match = _OBJECTIVE.match(_ascii(raw).upper())
    if not match:
        raise IdError(f"not an objective id like 'D.1': {raw!r}")
    return f"{match[1]}.{int(match[2])}"


def outcome_id(raw: str) -> str:
    """`D.1.5`, `D-4-1`, `D.1-5` -> `D.1-5` (letter, objective number, outcome number)."""
    match = _OUTCOME.match(_ascii(raw).upper())
    if not match:
        raise IdError(f"not an outcome id like 'D.1-5': {raw!r}")
    return f"{match[1]}.{int(match[2])}-{int(match[3])}"


def study_group_id(raw: str) -> str:
    """`SG1`, `sg 1`, `Study Group 1` -> `SG1`."""
    match = _STUDY_GROUP.match(_ascii(raw))
    if not match:
        raise IdError(f"not a study group id like 'SG1': {raw!r}")
    return f"SG{int(match[1])}"


def question_id(raw: str) -> str:
    """`Q3/2`, `q 3/2`, `Question 3/2` -> `Q3/2` (question 3 of study group 2)."""
    match = _QUESTION.match(_ascii(raw))
    if not match:
        raise IdError(f"not a question id like 'Q3/2': {raw!r}")
    return f"Q{int(match[1])}/{int(match[2])}"


def action_line_id(raw: str) -> str:
    """`C7`, `c 7`, `AL C7` -> `C7`; only C1-C11 exist."""
    match = _ACTION_LINE.match(_ascii(raw))
    if not match:
        raise IdError(f"not a WSIS Action Line id like 'C7': {raw!r}")
    number = int(match[1])
    if number not in ACTION_LINE_RANGE:
        raise IdError(f"not a WSIS Action Line (C1-C11): {raw!r}")
    return f"C{number}"


def sdg_id(raw: str | int) -> int:
    """`5`, `SDG 5`, `SDG Goal 5` -> 5; only 1-17 exist."""
    match = _SDG.match(_ascii(raw))
    if not match:
        raise IdError(f"not an SDG number: {raw!r}")
    number = int(match[1])
    if number not in SDG_RANGE:
        raise IdError(f"not an SDG (1-17): {raw!r}")
    return number


def action_line_number(action_line: str) -> int:
    """Sort key for canonical Action Line ids: `C11` -> 11."""
    return int(action_line[1:])


def target_sdg(target: str) -> int:
    """The SDG a target id belongs to, from its goal part: `9.c` -> 9, `16.10` -> 16."""
    goal, dot, _ = str(target).strip().partition(".")
    if not dot or not goal.isascii() or not goal.isdigit():
        raise IdError(f"not an SDG target id like '9.c': {target!r}")
    return int(goal)
