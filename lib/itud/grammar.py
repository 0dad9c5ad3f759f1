"""English for generated text: plurals of the domain's nouns, for figures' captions and the report's templates."""

from __future__ import annotations


def plural_form(word: str) -> str:
    """`outcome` -> `outcomes`, `priority` -> `priorities`."""
    if word.endswith("y") and word[-2:-1] not in tuple("aeiou"):
        return word[:-1] + "ies"
    return word + "s"
