"""Which articles of the Criminal Code of the Republic of Kazakhstan (2014) count as a death or as grave
harm to health in the analytics (DESIGN §8; docs/analytics.md).

Deaths: 99 murder, 100 murder of a newborn by the mother, 101 murder in a state of passion, 102 murder
exceeding the limits of necessary defence, 103 murder exceeding the measures needed to detain a
criminal, 104 causing death by negligence, 105 incitement to suicide. Grave harm: 106 intentional
infliction of grave harm to health. Other articles (107 moderate harm, 108-1 light harm, 109 beating,
110 torture, 115 threat, …) count as neither.

The article is free text as the papers give it: "ст. 99 ч. 1 УК РК", "ч. 2 ст. 106 УК", "art. 106",
"ҚР ҚК 99-бабы", "99". The number after "ст." / "статья" / "art." / "article", or before "-бап" /
"-бабы", is the article; failing both, the first number not marked as a part or paragraph ("ч. 2",
"п. 1", "part 2"); nothing else is guessed.
"""

from __future__ import annotations

import re

DEATH_ARTICLES = frozenset({99, 100, 101, 102, 103, 104, 105})
GRAVE_HARM_ARTICLES = frozenset({106})

DEATHS = "deaths"
GRAVE_HARM = "grave_harm"

_KEYWORD = re.compile(r"(?:\bст(?:атья|атьи|\.)?|\bart(?:icle|\.)?)\s*(\d{1,3})(?!\d)", re.IGNORECASE)
_KAZAKH = re.compile(r"(?<!\d)(\d{1,3})\s*-?\s*ба[пб]", re.IGNORECASE)
_PART = re.compile(
    r"(?:\bч\.|\bчасть|\bчасти|\bп\.|\bпункт|\bpart|\bpara(?:graph)?\.?|\bбөлік\w*)\s*\d{1,3}", re.IGNORECASE
)
_NUMBER = re.compile(r"(?<!\d)(\d{1,3})(?!\d)")


def article_number(text: str) -> int | None:
    """The article's number in ``text`` ("ст. 99 ч. 1 УК РК" -> 99), or None when there is none."""
    text = text or ""
    match = _KEYWORD.search(text) or _KAZAKH.search(text) or _NUMBER.search(_PART.sub(" ", text))
    return int(match.group(1)) if match else None


def article_outcome(text: str) -> str:
    """``"deaths"``, ``"grave_harm"`` or ``""`` for an article as recorded on a criminal case."""
    number = article_number(text)
    if number in DEATH_ARTICLES:
        return DEATHS
    if number in GRAVE_HARM_ARTICLES:
        return GRAVE_HARM
    return ""


def article_values(outcome: str, recorded: list[str] | set[str]) -> list[str]:
    """The distinct article strings among ``recorded`` that map to ``outcome`` (the refresh filters the
    criminal cases on these: the mapping runs once per distinct text, not once per case)."""
    return sorted(a for a in set(recorded) if article_outcome(a) == outcome)
