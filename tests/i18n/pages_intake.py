"""Language-walker pages of anonymous intake (merged into ``test_languages.PAGES``).

The walker's crisis centre (from pages_shelters) takes a woman in under an alias and shares her
record with the walker inspector's police unit with consent (identity and narrative only). Typed
values are digits or codes (language-neutral)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.i18n.pages_shelters import _centre, _staff, _staff_user


def _record(w: Any) -> int:
    from qorgau.intake.models import AnonymousRecord
    from qorgau.intake.services import RecordInput, record_register

    centre = _centre(w)
    found = AnonymousRecord.objects.filter(unit=centre.unit).first()
    if found is not None:
        return found.pk
    data = RecordInput(region="KZ-75", district="751110000", alias="Айым", birth_year=1990, children=1,
                       forms=frozenset({"physical"}), narrative="1 2 3", services=frozenset({"psychologist"}))
    return record_register(actor=_staff_user(w), data=data).pk


def _share(w: Any) -> int:
    from qorgau.intake.models import RecordShare
    from qorgau.intake.services import share_give

    record_id = _record(w)
    unit_id = w.user("inspector").unit_id
    found = RecordShare.objects.filter(record_id=record_id, to_unit_id=unit_id, withdrawn_at__isnull=True).first()
    if found is not None:
        return found.pk
    return share_give(actor=_staff_user(w), record_id=record_id, to_unit_id=unit_id, purpose="112", how="in_person",
                      shares=frozenset({"identity", "narrative"})).pk


def _record_url(w: Any) -> str:
    return f"/intake/{_record(w)}/"


PAGES: dict[str, tuple[int, Callable[[Any, str], object]]] = {
    "intake-records": (200, lambda w, lang: (_record(w), _staff(w, lang).get("/intake/"))[1]),
    "intake-new": (200, lambda w, lang: _staff(w, lang).get("/intake/new/")),
    "intake-new-bad": (422, lambda w, lang: _staff(w, lang).post("/intake/new/", {"region": "KZ-75", "children": "0", "iin": "123"})),
    "intake-record": (200, lambda w, lang: (_share(w), _staff(w, lang).get(_record_url(w)))[1]),
    "intake-record-conflict": (409, lambda w, lang: _staff(w, lang).post(_record_url(w), {"region": "KZ-75", "children": "0", "version": "99"})),
    "intake-share-no-purpose": (422, lambda w, lang: _staff(w, lang).post(
        f"{_record_url(w)}share/", {"to_unit": str(w.user("inspector").unit_id), "purpose": "", "how": "written", "shares": "contact"})),
    "intake-shared-list": (200, lambda w, lang: (_share(w), w.signed_in("inspector", lang).get("/intake/shared/"))[1]),
    "intake-shared": (200, lambda w, lang: w.signed_in("inspector", lang).get(f"/intake/shared/{_share(w)}/")),
}
