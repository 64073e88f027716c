"""Normalisation of staff names and IINs for blind indexes (staff records, DESIGN §5).

The person registry's Kazakh/Russian-aware normaliser (people/) supersedes this for victims and
offenders; staff names only need a stable exact key.
"""

from __future__ import annotations

import unicodedata

NORMALISER_VERSION = 1


def name_key(full_name: str) -> str:
    text = unicodedata.normalize("NFKC", full_name).casefold().replace("ё", "е")
    return " ".join(sorted(text.split()))


def iin_key(iin: str) -> str:
    return "".join(ch for ch in iin if ch.isdigit())
