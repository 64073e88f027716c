"""Person registry rows in bulk, stored exactly as ``people.services.person_create`` and
``person_keys_file`` store them: names, IIN, phone, address and workplace encrypted with their
column's context, the blind indexes of the IIN, the name and the name with the birth date, and the
blocking keys (``PersonKey``) under the current normaliser, so that search and matching find a bulk
person as they find one registered through the services. Each person is one record (its own cluster)."""

from __future__ import annotations

import datetime as dt

from qorgau.accounts.normalise import name_key
from qorgau.core import crypto
from qorgau.demo.national.tables import Loader, encrypted, sealed
from qorgau.demo.synthetic import PersonPlan
from qorgau.people.matching import Record, blocking_keys, phone_key
from qorgau.people.models import IinStatus, Person, PersonKey
from qorgau.people.names import NORMALISER_VERSION
from qorgau.people.services import iin_index, name_dob_key, person_key_bidx

PERSON = (
    "id", "full_name", "iin", "iin_status", "iin_bidx", "name_bidx", "name_dob_bidx", "birth_date", "sex",
    "phone", "address", "workplace", "created_at", "created_by_unit_id", "version", "merged_into_id", "cluster_id",
)  # fmt: skip
KEY = ("person_id", "kind", "normaliser", "bidx")

_F = {name: encrypted(Person, name) for name in ("full_name", "iin", "phone", "address", "workplace")}


def people_tables(loader: Loader) -> None:
    loader.table("person", Person, PERSON)
    loader.table("person_key", PersonKey, KEY)


def _seal(value: str, name: str) -> str | None:
    return sealed(value, _F[name]) if value else None


def person_add(loader: Loader, plan: PersonPlan, *, at: dt.datetime, unit_id: int) -> int:
    pk = loader.next_id(Person)
    name = " ".join(plan.full_name.split())
    iin = plan.iin.strip()
    status = IinStatus.UNVERIFIED if plan.iin_unverified else (IinStatus.VALID if iin else IinStatus.NONE)
    birth = plan.birth_date
    phone = plan.phone.strip()
    loader.add("person", (
        pk,
        _seal(name, "full_name"),
        _seal(iin, "iin"),
        str(status),
        iin_index(iin) if iin else "",
        crypto.blind_index("person_name", name_key(name)),
        crypto.blind_index("person_name_dob", name_dob_key(name, birth)) if birth else "",
        birth,
        plan.sex,
        _seal(phone, "phone"),
        _seal(plan.address.strip(), "address"),
        _seal(plan.workplace.strip(), "workplace"),
        at,
        unit_id,
        1,
        None,
        pk,
    ))  # fmt: skip
    record = Record(full_name=name, iin=iin, iin_valid=status == IinStatus.VALID, birth_date=birth, sex=plan.sex, phone=phone_key(phone))
    for kind, value in sorted(blocking_keys(record)):
        loader.add("person_key", (pk, str(kind), NORMALISER_VERSION, person_key_bidx(kind, value)))
    return pk
