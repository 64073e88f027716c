"""Language-walker pages for the public help page (merged into ``test_languages.PAGES``).

The page takes its language from the address, so each rendering asks for the walker's language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PAGES: dict[str, tuple[int, Callable[[Any, str], object]]] = {
    "public-help": (200, lambda w, lang: w.anonymous(lang).get(f"/help/{lang}/")),
    "public-help-signed-in": (200, lambda w, lang: w.signed_in("inspector", lang).get(f"/help/{lang}/")),
}
