"""Kazakh/Russian/Latin name normalisation for record matching (DESIGN §6, reference/names.md).

Every spelling of a name is reduced to an ASCII *skeleton* that Kazakh Cyrillic, Russian Cyrillic
and the Latin schemes met in documents (the 2017/2018/2021 Kazakh alphabets, BGN/PCGN, ICS-630-01,
passport spellings) share: Әлихан, Алихан and Alikhan all become ``alihan``; Жанбулат, Джанбулатов
and Zhanbulatov share the surname stem ``janbulat``. Surname suffixes (-ов/-ева/-ин, -ұлы/-қызы)
are stripped into a stem; Russian and Kazakh patronymics are recognised and kept apart, at low
weight; initials are kept as initials.

The normaliser is versioned: blind indexes carry ``NORMALISER_VERSION``, and a change to anything
below that alters a key must add a new version (the registry is then re-indexed by
``qorgau reindex-people``; probes use every version still present).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

NORMALISER_VERSION = 1

# Cyrillic (Russian and Kazakh letters) to the shared ASCII skeleton alphabet.
_CYRILLIC = {
    "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e", "ё": "e",
    "ж": "j", "з": "z", "и": "i", "і": "i", "й": "i", "к": "k", "қ": "k", "л": "l", "м": "m",
    "н": "n", "ң": "n", "о": "o", "ө": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ұ": "u", "ү": "u", "ф": "f", "х": "h", "һ": "h", "ц": "c", "ч": "ch", "ш": "sh", "щ": "sh",
    "ъ": "", "ы": "i", "ь": "", "э": "e", "ю": "iu", "я": "ia",
}  # fmt: skip
# Latin letters whose diacritic carries a different sound (handled before diacritics are dropped).
_LATIN_SPECIAL = {
    "ş": "sh", "ç": "ch", "ı": "i", "ñ": "n", "ŋ": "n", "ž": "j", "š": "sh", "č": "ch", "ǵ": "g",
    "ý": "u",  # the 2018 acute alphabet writes У as Ý (names.md §4.1)
}  # fmt: skip
# The 2017 apostrophe alphabet (names.md §4.1): a letter followed by an apostrophe is another letter.
# Only S', C' and Y' change (Ш, Ч, У); A' G' N' O' U' I' fold to their base letter like the Cyrillic.
_APOSTROPHE = re.compile(r"([a-z])['’ʼ‘`´]")
_APOSTROPHE_LETTERS = {"s": "sh", "c": "ch", "y": "u"}
# Digraphs and letters that the schemes spell differently, applied in order on the ASCII form.
_ASCII_RULES = (
    ("shch", "sh"),
    ("zh", "j"),
    ("dj", "j"),  # Дж / Dzh / Dj → Ж (Джанбулатов ~ Жанбулат)
    ("kh", "h"),
    ("gh", "g"),
    ("ts", "c"),
    ("q", "k"),
    ("x", "ks"),
    ("w", "u"),
    ("y", "i"),
    ("ng", "n"),
)
_NON_LETTERS = re.compile(r"[^a-z]")
# Kazakh «уы» before a consonant is dropped to «у» in Russian spelling: Бауыржан / Бауржан,
# Bauyrzhan / Baurzhan (names.md §3.2).
_UY = re.compile(r"ui(?=[^aeiou])")
_DOUBLED = re.compile(r"(.)\1+")
# Longest first. Female/male Russian-style and Kazakh -ұлы/-қызы surname endings.
_SURNAME_ENDINGS = ("kizi", "uli", "ova", "eva", "ina", "ov", "ev", "in")
_PATRONYMIC_ENDINGS = ("ovich", "evich", "ovna", "evna", "ichna", "uli", "kizi")
_RUSSIAN_PATRONYMIC = ("ovich", "evich", "ovna", "evna", "ichna")
_PARTICLES = {"uli", "kizi"}  # «Серік ұлы» written as two words
MIN_STEM = 3


def skeleton(text: str) -> str:
    """The ASCII matching skeleton of one word (any script); empty when nothing is usable."""
    text = unicodedata.normalize("NFKC", text).casefold()
    out = []
    for ch in text:
        if ch in _CYRILLIC:
            out.append(_CYRILLIC[ch])
        elif ch in _LATIN_SPECIAL:
            out.append(_LATIN_SPECIAL[ch])
        else:
            out.append(ch)
    ascii_form = unicodedata.normalize("NFKD", "".join(out))
    ascii_form = "".join(c for c in ascii_form if not unicodedata.combining(c))
    ascii_form = _APOSTROPHE.sub(lambda m: _APOSTROPHE_LETTERS.get(m.group(1), m.group(1)), ascii_form)
    ascii_form = _NON_LETTERS.sub("", ascii_form)
    while True:  # to a fixed point, so that a skeleton is its own skeleton («kkh» → «kh» → «h»)
        folded = ascii_form
        for old, new in _ASCII_RULES:
            folded = folded.replace(old, new)
        folded = _DOUBLED.sub(r"\1", folded)
        folded = _UY.sub("u", folded)
        if folded.startswith("ie"):  # Yerlan / Ерлан, Yesenov / Есенов
            folded = folded[1:]
        if folded == ascii_form:
            return folded
        ascii_form = folded


@lru_cache(maxsize=65536)  # the matcher asks for the same few thousand words again and again
def surname_stem(word: str) -> str:
    """The surname without its Russian-style or -ұлы/-қызы ending (art. 194(2) of the Family Code)."""
    for ending in _SURNAME_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= MIN_STEM:
            stem = word[: -len(ending)]
            if ending in ("ev", "eva") and stem.endswith("a"):
                stem += "i"  # Серікбаев ← Серікбай: the й is absorbed by -ев
            return stem
    return word


def patronymic_stem(word: str) -> str:
    for ending in _PATRONYMIC_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= MIN_STEM:
            return word[: -len(ending)]
    return word


def _has_cyrillic(text: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in text)


def _has_latin(text: str) -> bool:
    return any(("a" <= ch.lower() <= "z") or "\u00c0" <= ch <= "\u024f" for ch in text)


@dataclass(frozen=True)
class ParsedName:
    """A full name split into what the matcher compares. ``names`` keeps the written order of the
    surname and given-name words (the order is not reliable: the matcher also tries the swap)."""

    names: tuple[str, ...]
    patronymic: str = ""
    initials: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())  # what could not be used, as codes (see NOTES)

    @property
    def surname(self) -> str:
        return self.names[0] if self.names else ""

    @property
    def given(self) -> str:
        return self.names[1] if len(self.names) > 1 else ""

    def orders(self) -> list[tuple[str, str]]:
        """(surname, given) as written and swapped; the given name may be empty."""
        if len(self.names) < 2:
            return [(self.surname, "")] if self.names else []
        first, second = self.names[0], self.names[1]
        return [(first, second), (second, first)]


NOTES = {
    "empty": "nothing usable in the name",
    "only_initials": "only initials",
    "only_one_name": "only one name (surname or given name)",
    "mixed_scripts": "Cyrillic and Latin letters mixed in one word",
    "unreadable_words": "words with no letters were ignored",
}


def parse_name(full_name: str) -> ParsedName:
    """Split a full name as written into name words, a patronymic and initials."""
    raw_words = [w for w in re.split(r"[\s,;]+", unicodedata.normalize("NFKC", full_name)) if w]
    notes: list[str] = []
    words: list[str] = []
    initials: list[str] = []
    for raw in raw_words:
        if _has_cyrillic(raw) and _has_latin(raw) and "mixed_scripts" not in notes:
            notes.append("mixed_scripts")
        # «А.Б.» carries two initials; «Али-Султан» is one compound name (written as one word).
        parts = [p for p in raw.split(".") if p] if "." in raw else [raw]
        for part in parts:
            is_initial = "." in raw or len(part.replace("-", "")) == 1
            key = skeleton(part.replace("-", ""))
            if not key:
                if "unreadable_words" not in notes:
                    notes.append("unreadable_words")
                continue
            if is_initial and len(part.replace("-", "")) <= 2:
                initials.append(key[0])
            elif key in _PARTICLES and words:
                words[-1] = words[-1] + key  # «Серік ұлы» → «Серікұлы»
            else:
                words.append(key)
    patronymic = ""
    if len(words) >= 3:
        # «Фамилия Имя Отчество» puts the patronymic last, the Russian order «Имя Отчество Фамилия»
        # second (names.md §2: the order varies across documents). When both look like one, the
        # second is the patronymic: a surname may end like one (Момышұлы, -ович), a given name not.
        at = [i for i in (1, len(words) - 1) if words[i].endswith(_PATRONYMIC_ENDINGS)]
        if at:
            patronymic = words.pop(at[0])
    elif len(words) == 2 and words[-1].endswith(_RUSSIAN_PATRONYMIC):
        patronymic = words.pop()  # «Айгерим Нурлановна»: a Russian-style patronymic, not a surname
    names = tuple(words[:2]) if len(words) <= 2 else (words[0], words[1])
    if not names and not initials:
        notes.append("empty")
    elif not names:
        notes.append("only_initials")
    elif len(names) == 1 and not initials:
        notes.append("only_one_name")
    return ParsedName(names=names, patronymic=patronymic, initials=tuple(initials), notes=tuple(notes))


@lru_cache(maxsize=65536)
def exact_key(parsed: ParsedName) -> str:
    """Order-free exact key of the name words (surname by its stem): equal for the same person written
    in another script, order or with a dropped suffix."""
    if len(parsed.names) < 2:
        return ""
    a, b = parsed.names
    return "|".join(sorted((surname_stem(a), surname_stem(b))))
