"""Demo anonymous intake: two anonymous records at the Almaty crisis centre (user "shelter"), one
under an alias and one fully anonymous; the first is shared with the Almaly police (the unit of user
"inspector") with her consent covering identity and narrative only.

Call after ``seed_demo`` and ``shelters_seed``: ``intake_seed()``; safe to run again."""

from __future__ import annotations

from datetime import timedelta

from qorgau.accounts.models import User
from qorgau.core import clock
from qorgau.intake.models import AnonymousRecord, RecordShare
from qorgau.intake.services import RecordInput, record_register, share_give


def intake_seed(*, shelter_username: str = "shelter", police_username: str = "inspector") -> dict[str, int]:
    staff = User.objects.filter(username=shelter_username).select_related("unit").first()
    police = User.objects.filter(username=police_username).first()
    if staff is None or staff.unit is None:
        return {"records": 0, "shares": 0}
    made = shared = 0
    records = list(AnonymousRecord.objects.filter(unit=staff.unit).order_by("id")[:2])
    now = clock.now()
    if not records:
        first = record_register(actor=staff, data=RecordInput(
            region=staff.unit.region_id, district=staff.unit.district_id, alias="Айгуль", full_name="Нурланова Айгуль Маратовна",
            phone="+7 700 000 11 22", birth_year=1993, children=1, forms=frozenset({"physical", "psychological"}),
            narrative="Муж угрожал ей и избил её дома; она пришла в центр сама, ночью, с сыном.",
            services=frozenset({"psychologist", "lawyer"}), taken_in_at=now - timedelta(days=6)))
        second = record_register(actor=staff, data=RecordInput(
            region=staff.unit.region_id, district=staff.unit.district_id, age_band="30_44", forms=frozenset({"economic"}),
            narrative="Позвонила на линию доверия; имя не назвала.", services=frozenset({"psychologist"}),
            taken_in_at=now - timedelta(days=2)))
        records = [first, second]
        made = 2
    if police is not None and police.unit_id and not RecordShare.objects.filter(record=records[0], to_unit_id=police.unit_id).exists():
        share_give(actor=staff, record_id=records[0].pk, to_unit_id=police.unit_id, how="written",
                   purpose="Заявление в полицию о побоях: она согласна дать показания.",
                   shares=frozenset({"identity", "narrative"}), given_at=now - timedelta(days=5))
        shared = 1
    return {"records": made, "shares": shared}
