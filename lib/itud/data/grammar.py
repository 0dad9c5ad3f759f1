"""English for generated text: plurals, lists and agreement, for figures' captions, the report's templates and
the revision notes."""

from __future__ import annotations


def plural_form(word: str) -> str:
    """`outcome` -> `outcomes`, `priority` -> `priorities`."""
    if word.endswith("y") and word[-2:-1] not in tuple("aeiou"):
        return word[:-1] + "ies"
    return word + "s"


def listing(items, conjunction: str = "and", empty: str = "nothing") -> str:
    """`[1, 3, 17]` -> `1, 3 and 17`, as the source annex writes its lists; `[]` -> `nothing`."""
    items = [str(i) for i in items]
    if not items:
        return empty
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def plural(n, word: str, many: str = "", none: str = "") -> str:
    """`1 outcome`, `3 outcomes`, `2 priorities`, `0 outcomes` (or `none` when given for zero, e.g. "no outcome")."""
    count = len(n) if isinstance(n, (list, tuple)) else n
    if count == 0 and none:
        return none
    return f"{count} {word if count == 1 else many or plural_form(word)}"


def agree(subject, singular: str, many: str) -> str:
    """The verb form for a subject: a list of 0 or 1 items ("nothing was", "D.3-2 was") or a count."""
    if isinstance(subject, (list, tuple)):
        return singular if len(subject) <= 1 else many
    return singular if subject == 1 else many
