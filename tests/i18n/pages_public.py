"""Language-walker pages for the public help page (merged into ``test_languages.PAGES``).

The page takes its language from the address, so each rendering asks for the walker's language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _registered_centre() -> None:
    """A centre in the shelters registry with a phone and hours, so that the list is not empty."""
    from qorgau.accounts.models import AgencyKind, Unit
    from qorgau.accounts.services import unit_create
    from qorgau.core.models import Region
    from qorgau.shelters.services import centre_register

    if Unit.objects.filter(name_en="Walker public centre").exists():
        return
    unit = unit_create(actor=None, kind=AgencyKind.objects.get(code="crisis_centre"), region=Region.objects.get(iso="KZ-79"),
                       name_ru="Кризисный центр «Мейірім»", name_kk="«Мейірім» дағдарыс орталығы", name_en="Walker public centre")
    centre_register(actor=None, unit=unit, phone="+7 7252 00 00 00", opening_hours="24/7")


PAGES: dict[str, tuple[int, Callable[[Any, str], object]]] = {
    "public-help": (200, lambda w, lang: (_registered_centre(), w.anonymous(lang).get(f"/help/{lang}/"))[1]),
    "public-help-signed-in": (200, lambda w, lang: w.signed_in("inspector", lang).get(f"/help/{lang}/")),
}
