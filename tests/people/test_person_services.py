"""The person registry's writes: identity validation, IIN statuses, encryption, blind indexes, links."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import translation

from qorgau.accounts.normalise import name_key
from qorgau.core import clock, crypto
from qorgau.core import iin as iin_rules
from qorgau.core.errors import Invalid
from qorgau.people.matching import Decision, Record
from qorgau.people.models import IinStatus, Person, Sex
from qorgau.people.registry import match
from qorgau.people.services import (
    PersonInput,
    iin_index,
    name_dob_key,
    person_create,
    validate_person,
)
from tests.cases.factories import synthetic_iin

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    # Messages are asserted in the source language, whatever the translations say.
    with translation.override("en"):
        yield

BIRTH = dt.date(1990, 5, 17)
VALID_F = synthetic_iin(BIRTH, "F")
VALID_M = synthetic_iin(dt.date(1986, 3, 2), "M")


def _with_check_digit(first11: str) -> str:
    """Eleven digits completed with their correct check digit, the serial bumped until one exists."""
    head, serial = first11[:7], int(first11[7:11])
    while True:
        digits = f"{head}{serial:04d}"
        check = iin_rules.check_digit(digits)
        if check is not None:
            return digits + str(check)
        serial += 1


BAD_CHECK = VALID_F[:11] + str((int(VALID_F[11]) + 1) % 10)
BAD_DATE = _with_check_digit("9013174" + "1000")  # month 13, the check digit right
BAD_CENTURY = _with_check_digit("9005170" + "1000")  # century digit 0


def test_the_constructed_iins_have_exactly_the_intended_problem():
    assert iin_rules.problems(VALID_F) == []
    assert iin_rules.problems(BAD_CHECK) == [iin_rules.IinProblem.CHECK_DIGIT]
    assert iin_rules.problems(BAD_DATE) == [iin_rules.IinProblem.DATE]
    assert iin_rules.problems(BAD_CENTURY) == [iin_rules.IinProblem.CENTURY]


def _errors(**kw) -> tuple[dict[str, list[str]], str]:
    data = PersonInput(**{"full_name": "Сапарова Айгерим", **kw})
    return validate_person(data, prefix="victim0_")


# --- names and dates ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "   ", "\t\n"])
def test_an_empty_name_is_refused(name):
    errors, _ = _errors(full_name=name)
    assert errors == {"victim0_full_name": ["Enter the full name."]}


def test_a_name_over_200_characters_is_refused_and_200_is_accepted():
    assert _errors(full_name="А" * 201)[0] == {"victim0_full_name": ["The name is too long."]}
    assert _errors(full_name="А" * 200)[0] == {}
    # Runs of spaces collapse before the length is measured.
    assert _errors(full_name="А" * 100 + " " * 50 + "Б" * 99)[0] == {}


def test_a_birth_date_in_the_future_is_refused_and_today_is_accepted():
    with clock.frozen(dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)):
        assert _errors(birth_date=dt.date(2025, 6, 2))[0] == {"victim0_birth_date": ["The birth date is in the future."]}
        assert _errors(birth_date=dt.date(2025, 6, 1))[0] == {}


def test_a_child_born_today_in_kazakhstan_is_not_in_the_future_while_utc_is_still_yesterday():
    # 20:30 UTC on 1 June is 01:30 on 2 June in Kazakhstan (UTC+5): a baby born that night is born "today".
    with clock.frozen(dt.datetime(2025, 6, 1, 20, 30, tzinfo=dt.UTC)):
        assert _errors(birth_date=dt.date(2025, 6, 2))[0] == {}
        assert _errors(birth_date=dt.date(2025, 6, 3))[0] == {"victim0_birth_date": ["The birth date is in the future."]}


def test_an_unknown_sex_code_is_refused():
    assert _errors(sex="X")[0] == {"victim0_sex": ["Choose one of the offered values."]}


# --- IIN -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("iin", ["90051740000", "9005174000012", "90051740000A", "ИИН901234567", "9005 1740000", "١٢٣٤٥٦٧٨٩٠١٢"])
def test_an_iin_that_is_not_12_ascii_digits_is_refused_even_when_confirmed(iin):
    for confirmed in (False, True):
        errors, status = _errors(iin=iin, iin_unverified_ok=confirmed)
        assert errors == {"victim0_iin": ["An IIN is exactly 12 digits."]}
        assert status == IinStatus.NONE


@pytest.mark.parametrize("iin", [BAD_CHECK, BAD_DATE, BAD_CENTURY])
def test_an_iin_failing_the_check_is_refused_with_a_warning_until_confirmed(iin):
    errors, status = _errors(iin=iin)
    assert list(errors) == ["victim0_iin"]
    assert "confirm to keep it as unverified" in errors["victim0_iin"][0]
    assert status == IinStatus.NONE

    errors, status = _errors(iin=iin, iin_unverified_ok=True)
    assert errors == {}
    assert status == IinStatus.UNVERIFIED


def test_a_valid_iin_is_cross_checked_with_the_entered_birth_date_and_sex():
    assert _errors(iin=VALID_F, birth_date=BIRTH, sex=Sex.FEMALE) == ({}, IinStatus.VALID)
    assert _errors(iin=VALID_F, birth_date=BIRTH + dt.timedelta(days=1), sex=Sex.FEMALE)[0] == {
        "victim0_birth_date": ["The birth date does not match the IIN."]
    }
    assert _errors(iin=VALID_F, birth_date=BIRTH, sex=Sex.MALE)[0] == {"victim0_sex": ["The sex does not match the IIN."]}
    assert _errors(iin=VALID_F, birth_date=dt.date(1991, 1, 1), sex=Sex.MALE)[0].keys() == {"victim0_birth_date", "victim0_sex"}
    # Sex "not known" and no birth date do not disagree with anything.
    assert _errors(iin=VALID_F, sex=Sex.UNKNOWN) == ({}, IinStatus.VALID)


def test_surrounding_spaces_of_an_iin_are_ignored():
    assert _errors(iin=f"  {VALID_F} ") == ({}, IinStatus.VALID)


def test_no_iin_is_allowed():
    assert _errors(iin="") == ({}, IinStatus.NONE)
    assert _errors(iin="   ") == ({}, IinStatus.NONE)


# --- person_create ------------------------------------------------------------------------------


def _raw(person: Person, *columns: str) -> dict[str, object]:
    qn = connection.ops.quote_name
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT {', '.join(qn(c) for c in columns)} FROM {qn(Person._meta.db_table)} WHERE {qn('id')} = %s",
            [person.pk],
        )
        row = cur.fetchone()
    return dict(zip(columns, row, strict=True))


def test_person_create_encrypts_every_personal_field_and_sets_the_blind_indexes(make_user):
    inspector = make_user("police_inspector")
    person = person_create(
        actor=inspector,
        data=PersonInput(
            full_name="  Сапарова   Айгерим ",
            iin=VALID_F,
            birth_date=BIRTH,
            sex=Sex.FEMALE,
            phone="+7 701 111 22 33",
            address="Алматы, Абая 10, кв. 5",
            workplace="Школа № 12",
        ),
    )
    raw = _raw(person, "full_name", "iin", "phone", "address", "workplace", "iin_bidx", "name_bidx", "name_dob_bidx")
    for column in ("full_name", "iin", "phone", "address", "workplace"):
        assert str(raw[column]).startswith("v1:"), column
    blob = " ".join(str(v) for v in raw.values())
    for clear in ("Сапарова", "Айгерим", VALID_F, "701", "Абая", "Школа"):
        assert clear not in blob

    assert raw["iin_bidx"] == iin_index(VALID_F)
    assert raw["name_bidx"] == crypto.blind_index("person_name", name_key("Сапарова Айгерим"))
    assert raw["name_dob_bidx"] == crypto.blind_index("person_name_dob", name_dob_key("Сапарова Айгерим", BIRTH))

    person.refresh_from_db()
    assert (person.full_name, person.iin, person.iin_status) == ("Сапарова Айгерим", VALID_F, IinStatus.VALID)
    assert (person.phone, person.address, person.workplace) == ("+7 701 111 22 33", "Алматы, Абая 10, кв. 5", "Школа № 12")
    assert person.created_by_unit == inspector.unit
    assert person.version == 1


def test_the_iin_fills_birth_date_and_sex_when_they_are_omitted(make_user):
    person = person_create(actor=make_user(), data=PersonInput(full_name="Сапаров Ерлан", iin=VALID_M))
    person.refresh_from_db()
    assert (person.birth_date, person.sex) == (dt.date(1986, 3, 2), Sex.MALE)
    # The name + birth-date index uses the birth date taken from the IIN.
    assert person.name_dob_bidx == crypto.blind_index("person_name_dob", name_dob_key("Сапаров Ерлан", dt.date(1986, 3, 2)))


def test_a_person_without_iin_or_birth_date_has_only_a_name_index(make_user):
    person = person_create(actor=make_user(), data=PersonInput(full_name="Неизвестная Женщина"))
    raw = _raw(person, "iin", "phone", "address", "workplace", "iin_bidx", "name_dob_bidx")
    assert raw == {"iin": None, "phone": None, "address": None, "workplace": None, "iin_bidx": "", "name_dob_bidx": ""}
    person.refresh_from_db()
    assert (person.iin_status, person.sex, person.birth_date) == (IinStatus.NONE, Sex.UNKNOWN, None)
    assert person.name_bidx == crypto.blind_index("person_name", name_key("Неизвестная Женщина"))


def test_an_unverified_iin_is_kept_as_entered_with_its_index_but_not_parsed(make_user):
    person = person_create(
        actor=make_user(), data=PersonInput(full_name="Сапарова Айгерим", iin=BAD_CHECK, iin_unverified_ok=True)
    )
    person.refresh_from_db()
    assert (person.iin, person.iin_status, person.iin_bidx) == (BAD_CHECK, IinStatus.UNVERIFIED, iin_index(BAD_CHECK))
    assert (person.birth_date, person.sex) == (None, Sex.UNKNOWN)


def test_person_create_refuses_bad_input_with_prefixed_fields_and_writes_nothing(make_user):
    inspector = make_user()
    before = Person.objects.count()
    with pytest.raises(Invalid) as exc:
        person_create(
            actor=inspector,
            data=PersonInput(full_name="", iin=VALID_F, birth_date=dt.date(1991, 1, 1), sex=Sex.MALE),
            prefix="offender_",
        )
    assert exc.value.fields.keys() == {"offender_full_name", "offender_birth_date", "offender_sex"}
    assert Person.objects.count() == before


# --- exact links ---------------------------------------------------------------------------------


def _decisions(record: Record) -> dict[int, str]:
    return {c.person.pk: c.comparison.decision for c in match(record)}


def test_only_a_valid_iin_links_automatically(make_user):
    inspector = make_user()
    valid = person_create(actor=inspector, data=PersonInput(full_name="Сапарова Айгерим", iin=VALID_F))
    unverified = person_create(
        actor=inspector, data=PersonInput(full_name="Сапарова Айгерим", iin=BAD_CHECK, iin_unverified_ok=True)
    )
    # The valid IIN with an agreeing name links; the unverified near miss only goes to review.
    assert _decisions(Record.build("Saparova Aigerim", VALID_F)) == {valid.pk: Decision.AUTO, unverified.pk: Decision.REVIEW}
    # An unverified IIN never links automatically, even to a record that holds the same digits.
    assert Decision.AUTO not in _decisions(Record.build("Сапарова Айгерим", BAD_CHECK)).values()
    assert _decisions(Record.build("Ахметова Жанар", VALID_M)) == {}


def test_a_valid_iin_does_not_link_to_a_person_who_holds_it_only_as_unverified(make_user):
    # Someone once confirmed the (valid) IIN as unverified: the status, not the digits, decides.
    inspector = make_user()
    person = person_create(actor=inspector, data=PersonInput(full_name="Сапарова Айгерим"))
    Person.objects.filter(pk=person.pk).update(iin=VALID_F, iin_bidx=iin_index(VALID_F), iin_status=IinStatus.UNVERIFIED)
    assert _decisions(Record.build("Сапарова Айгерим", VALID_F)) == {person.pk: Decision.REVIEW}


def test_contact_fields_have_length_limits():
    assert _errors(phone="7" * 40, address="а" * 300, workplace="б" * 200)[0] == {}
    assert _errors(phone="7" * 41, address="а" * 301, workplace="б" * 201)[0] == {
        "victim0_phone": ["This value is too long."],
        "victim0_address": ["This value is too long."],
        "victim0_workplace": ["This value is too long."],
    }
