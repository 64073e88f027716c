"""Normalisation of staff names and IINs for blind indexes (staff records, DESIGN §5).

Offenders are matched against staff (a match restricts the case): by the IIN, or by the person
registry's Kazakh/Russian-aware exact name key together with the birth date (``staff_match_key``).
"""

from __future__ import annotations

import datetime as dt
import unicodedata

from qorgau.core import iin as iin_rules
from qorgau.people.names import exact_key, parse_name

NORMALISER_VERSION = 1


def name_key(full_name: str) -> str:
    text = unicodedata.normalize("NFKC", full_name).casefold().replace("ё", "е")
    return " ".join(sorted(text.split()))


def iin_key(iin: str) -> str:
    return "".join(ch for ch in iin if ch.isdigit())


def person_match_key(full_name: str, birth_date: dt.date | None) -> str:
    """The exact normalised name (any script, either order, surname suffix dropped) with the birth
    date: what links an offender to a staff record without an IIN."""
    key = exact_key(parse_name(full_name))
    return f"{key}|{birth_date.isoformat()}" if key and birth_date else ""


def staff_match_key(full_name: str, iin: str | None) -> str:
    info = iin_rules.parse(iin) if iin else None
    return person_match_key(full_name, info.birth_date if info else None)
