"""Writes for the person registry: validation of identity fields, blind indexes, exact IIN links."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from qorgau.accounts.models import User
from qorgau.accounts.normalise import name_key
from qorgau.core import clock, crypto
from qorgau.core import iin as iin_rules
from qorgau.core.errors import Invalid
from qorgau.core.geography import DEFAULT_ZONE
from qorgau.people.matching import Record, blocking_keys, phone_key
from qorgau.people.models import IinStatus, Person, PersonKey, Sex
from qorgau.people.names import NORMALISER_VERSION

FIELD_LIMITS = {"phone": 40, "address": 300, "workplace": 200}


@dataclass
class PersonInput:
    full_name: str
    iin: str = ""
    iin_unverified_ok: bool = False  # the user confirmed keeping an IIN that fails the check
    birth_date: dt.date | None = None
    sex: str = Sex.UNKNOWN
    phone: str = ""
    address: str = ""
    workplace: str = ""


def iin_index(iin: str) -> str:
    return crypto.blind_index("iin", iin)


def iin_candidates(iin: str) -> list[str]:
    return crypto.blind_index_candidates("iin", iin)


def name_dob_key(full_name: str, birth_date: dt.date | None) -> str:
    return f"{name_key(full_name)}|{birth_date.isoformat()}" if birth_date else ""


def validate_person(data: PersonInput, *, prefix: str) -> tuple[dict[str, list[str]], str]:
    """Field errors (keyed ``<prefix>iin`` …) and the IIN status the person would get."""
    errors: dict[str, list[str]] = {}
    name = " ".join(data.full_name.split())
    for attr in ("full_name", "iin", "phone", "address", "workplace"):
        if "\x00" in getattr(data, attr):
            errors[f"{prefix}{attr}"] = [_("The text contains characters that are not allowed.")]
    if not name:
        errors[f"{prefix}full_name"] = [_("Enter the full name.")]
    elif len(name) > 200:
        errors[f"{prefix}full_name"] = [_("The name is too long.")]
    # Today in Kazakhstan, not in UTC: a child born after midnight local time is not "in the future".
    if data.birth_date and data.birth_date > clock.local(clock.now(), DEFAULT_ZONE).date():
        errors[f"{prefix}birth_date"] = [_("The birth date is in the future.")]
    for name_field, limit in FIELD_LIMITS.items():
        if len(getattr(data, name_field).strip()) > limit:
            errors[f"{prefix}{name_field}"] = [_("This value is too long.")]
    if data.sex not in Sex.values:
        errors[f"{prefix}sex"] = [_("Choose one of the offered values.")]
    status = IinStatus.NONE
    iin = data.iin.strip()
    if iin:
        found = iin_rules.problems(iin)
        if iin_rules.IinProblem.FORMAT in found:
            errors[f"{prefix}iin"] = [_("An IIN is exactly 12 digits.")]
        elif found:
            if data.iin_unverified_ok:
                status = IinStatus.UNVERIFIED
            else:
                errors[f"{prefix}iin"] = [
                    _("This IIN fails the check (date, century digit or check digit). Correct it, or confirm to keep it as unverified.")
                ]
        else:
            status = IinStatus.VALID
            info = iin_rules.parse(iin)
            assert info is not None
            if data.birth_date and data.birth_date != info.birth_date:
                errors.setdefault(f"{prefix}birth_date", []).append(_("The birth date does not match the IIN."))
            if data.sex in (Sex.FEMALE, Sex.MALE) and data.sex != info.sex:
                errors.setdefault(f"{prefix}sex", []).append(_("The sex does not match the IIN."))
    return errors, status


def person_create(*, actor: User, data: PersonInput, prefix: str = "") -> Person:
    errors, status = validate_person(data, prefix=prefix)
    if errors:
        raise Invalid(fields=errors)
    assert actor.unit is not None
    name = " ".join(data.full_name.split())
    iin = data.iin.strip()
    info = iin_rules.parse(iin) if status == IinStatus.VALID else None
    birth_date = data.birth_date or (info.birth_date if info else None)
    person = Person.objects.create(
        full_name=name,
        iin=iin or None,
        iin_status=status,
        iin_bidx=iin_index(iin) if iin else "",
        name_bidx=crypto.blind_index("person_name", name_key(name)),
        name_dob_bidx=crypto.blind_index("person_name_dob", name_dob_key(name, birth_date)) if birth_date else "",
        birth_date=birth_date,
        sex=data.sex if data.sex != Sex.UNKNOWN or not info else info.sex,
        phone=data.phone.strip() or None,
        address=data.address.strip() or None,
        workplace=data.workplace.strip() or None,
        created_at=clock.now(),
        created_by_unit=actor.unit,
    )
    person.cluster_id = person.pk
    Person.objects.filter(pk=person.pk).update(cluster_id=person.pk)
    person_keys_file(person, fresh=True)
    return person


def person_record(person: Person) -> Record:
    """The matching engine's view of a stored record (decrypts its name, IIN and phone)."""
    return Record(
        full_name=person.full_name or "",
        iin=person.iin or "",
        iin_valid=person.iin_status == IinStatus.VALID,
        birth_date=person.birth_date,
        sex=person.sex,
        phone=phone_key(person.phone or ""),
    )


def person_key_bidx(kind: str, value: str, *, key_id: str | None = None) -> str:
    return crypto.blind_index(f"person_key:{kind}", value, normaliser=NORMALISER_VERSION, key_id=key_id)


def person_keys_file(person: Person, record: Record | None = None, *, fresh: bool = False) -> int:
    """(Re)file a record's blocking keys (DESIGN §6) under the active key and current normaliser;
    ``fresh``: the record was created just now and has none to replace."""
    record = record or person_record(person)
    if not fresh:
        PersonKey.objects.filter(person=person).delete()
    rows = [
        PersonKey(person=person, kind=kind, normaliser=NORMALISER_VERSION, bidx=person_key_bidx(kind, value))
        for kind, value in sorted(blocking_keys(record))
    ]
    PersonKey.objects.bulk_create(rows)
    return len(rows)


def person_blind_indexes_rebuild() -> int:
    """Recompute every person's blind indexes under the active blind-index key (``rotate-keys``).

    Row by row from the decrypted fields, so it is idempotent and may be interrupted. People whose
    personal fields were removed by retention keep the indexes they have (DESIGN §10).
    """
    rebuilt, last = 0, 0
    while batch := list(Person.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:500]):
        for pk in batch:
            rebuilt += _person_blind_indexes_rebuild_one(pk)
        last = batch[-1]
    return rebuilt


@transaction.atomic
def _person_blind_indexes_rebuild_one(pk: int) -> int:
    # Locked while its indexes and keys are recomputed: a change that lands meanwhile is not replaced
    # by indexes of the older values, and searches never see the record without its keys.
    person = Person.objects.select_for_update().only("id", "full_name", "iin", "birth_date").filter(pk=pk).first()
    if person is None or not person.full_name:
        return 0
    values = {
        "iin_bidx": iin_index(person.iin) if person.iin else "",
        "name_bidx": crypto.blind_index("person_name", name_key(person.full_name)),
        "name_dob_bidx": crypto.blind_index("person_name_dob", name_dob_key(person.full_name, person.birth_date))
        if person.birth_date
        else "",
    }
    rebuilt = Person.objects.filter(pk=person.pk).exclude(**values).update(**values)
    person_keys_file(person)
    return rebuilt
