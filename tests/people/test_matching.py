"""The matching engine's decisions (people.matching) against DESIGN §6 and §10."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qorgau.core import iin as iin_rules
from qorgau.people.matching import (
    REVIEW_FLOOR,
    Decision,
    KeyKind,
    Reason,
    Record,
    blocking_keys,
    compare,
    iin_neighbours,
    phone_key,
    unusable,
)

BORN = dt.date(1985, 3, 14)


def _iin(birth: dt.date, sex: str, serial: int) -> str:
    for s in range(serial, serial + 20):
        value = iin_rules.make(birth, sex, s)
        if value is not None:
            return value
    raise AssertionError("no check digit in twenty serials")


IIN = _iin(BORN, "M", 123)


def decide(a: Record, b: Record) -> tuple[Decision, list[Reason]]:
    result = compare(a, b)
    return result.decision, result.reasons


# Automatic links -----------------------------------------------------------------------------------


def test_valid_equal_iin_with_agreeing_name_links_automatically() -> None:
    decision, reasons = decide(Record.build("Ахметов Серік", IIN), Record.build("AKHMETOV SERIK", IIN))
    assert decision == Decision.AUTO
    assert Reason.IIN_EQUAL in reasons


def test_valid_equal_iin_agrees_with_a_name_typo() -> None:
    decision, reasons = decide(Record.build("Ахметов Серік", IIN), Record.build("Ахметов Серк", IIN))
    assert decision == Decision.AUTO
    assert reasons == [Reason.GIVEN_SIMILAR, Reason.BIRTH_DATE_EQUAL, Reason.IIN_EQUAL]


def test_valid_equal_iin_with_another_name_is_reviewed_not_linked() -> None:
    # An IIN copied from a relative's document: same IIN, another given name.
    decision, reasons = decide(Record.build("Ахметов Серік", IIN), Record.build("Ахметов Ерлан", IIN))
    assert decision == Decision.REVIEW
    assert Reason.GIVEN_DIFFERENT in reasons


def test_invalid_equal_iins_do_not_link_automatically() -> None:
    bad = IIN[:11] + str((int(IIN[11]) + 1) % 10)
    assert not iin_rules.is_valid(bad)
    decision, reasons = decide(Record.build("Ахметов Серік", bad), Record.build("Ахметов Серік", bad))
    assert decision == Decision.REVIEW
    assert reasons == [Reason.NAME_EXACT, Reason.BIRTH_DATE_MISSING, Reason.IIN_EQUAL]


def test_exact_normalised_name_and_birth_date_link_automatically() -> None:
    decision, reasons = decide(
        Record.build("Ахметова Айгерім Нұрланқызы", birth_date=BORN, sex="F"),
        Record.build("Айгерим Нурлановна Ахметова", birth_date=BORN, sex="F"),
    )
    assert decision == Decision.AUTO
    assert reasons == [Reason.NAME_EXACT, Reason.BIRTH_DATE_EQUAL]


@pytest.mark.parametrize(
    "other",
    [
        "AKHMETOVA AIGERIM",
        "Akhmetova Aigerim",
        "Ahmetova Aigerim",
        "Ahmetova Aıgerım",
        "Айгерим Ахметова",
        "Ахмет Айгерім",
    ],
)
def test_latin_swapped_and_suffix_dropped_spellings_are_the_exact_name(other: str) -> None:
    decision, reasons = decide(Record.build("Ахметова Айгерім", birth_date=BORN), Record.build(other, birth_date=BORN))
    assert decision == Decision.AUTO
    assert reasons == [Reason.NAME_EXACT, Reason.BIRTH_DATE_EQUAL]


def test_swapped_order_with_a_typo_is_reviewed_and_says_so() -> None:
    decision, reasons = decide(
        Record.build("Серік Ахметов", birth_date=BORN), Record.build("Ахметов Серк", birth_date=BORN)
    )
    assert decision == Decision.REVIEW
    assert reasons == [Reason.GIVEN_SIMILAR, Reason.NAME_SWAPPED, Reason.BIRTH_DATE_EQUAL]


def test_exact_name_without_a_birth_date_is_not_enough() -> None:
    result = compare(Record.build("Ахметов Серік"), Record.build("Ахметов Серік"))
    assert result.score < REVIEW_FLOOR
    assert result.decision == Decision.NONE
    assert result.reasons == [Reason.NAME_EXACT, Reason.BIRTH_DATE_MISSING]


def test_initial_with_birth_date_is_reviewed() -> None:
    decision, reasons = decide(
        Record.build("Ахметов С.", birth_date=BORN), Record.build("Ахметов Серік", birth_date=BORN)
    )
    assert decision == Decision.REVIEW
    assert reasons == [Reason.GIVEN_INITIAL, Reason.BIRTH_DATE_EQUAL]


def test_an_initial_that_disagrees_is_a_different_given_name() -> None:
    decision, reasons = decide(
        Record.build("Ахметов Б.", birth_date=BORN), Record.build("Ахметов Серік", birth_date=BORN)
    )
    assert decision == Decision.NONE
    assert Reason.GIVEN_DIFFERENT in reasons


# Hard negatives ------------------------------------------------------------------------------------


def test_same_name_different_sex_is_none() -> None:
    decision, reasons = decide(
        Record.build("Ахметов Серік", birth_date=BORN, sex="M"), Record.build("Ахметов Серік", birth_date=BORN, sex="F")
    )
    assert decision == Decision.NONE
    assert Reason.SEX_DIFFERENT in reasons


def test_spouses_are_none() -> None:
    decision, _ = decide(
        Record.build("Ахметов Серік", birth_date=BORN, sex="M", phone="+7 701 111 22 33"),
        Record.build("Ахметова Айгерім", birth_date=dt.date(1987, 5, 1), sex="F", phone="87011112233"),
    )
    assert decision == Decision.NONE


def test_brothers_are_none() -> None:
    decision, reasons = decide(
        Record.build("Ахметов Серік Нұрланұлы", birth_date=BORN, sex="M"),
        Record.build("Ахметов Ерлан Нұрланұлы", birth_date=dt.date(1988, 5, 1), sex="M"),
    )
    assert decision == Decision.NONE
    assert reasons == [Reason.GIVEN_DIFFERENT, Reason.BIRTH_DATE_DIFFERENT]


def test_twins_with_consecutive_iins_are_not_linked() -> None:
    # Serials 500 and 501 differ in the 11th digit, whose weight is 11: both IINs are valid and
    # one edit apart.
    a, b = iin_rules.make(BORN, "M", 500), iin_rules.make(BORN, "M", 501)
    assert a and b and iin_rules.is_valid(a) and iin_rules.is_valid(b)
    assert b in iin_neighbours(a)
    decision, reasons = decide(Record.build("Ахметов Серік", a), Record.build("Ахметов Берік", b))
    assert decision == Decision.NONE
    assert reasons == [Reason.GIVEN_DIFFERENT, Reason.BIRTH_DATE_EQUAL, Reason.IIN_ONE_EDIT]


def test_father_and_son_of_one_name_are_none() -> None:
    decision, reasons = decide(
        Record.build("Иванов Александр Петрович", birth_date=dt.date(1960, 2, 1)),
        Record.build("Иванов Александр Александрович", birth_date=dt.date(1986, 7, 9)),
    )
    assert decision == Decision.NONE
    assert reasons == [Reason.NAME_EXACT, Reason.PATRONYMIC_DIFFERENT, Reason.BIRTH_DATE_DIFFERENT]


def test_namesakes_with_different_valid_iins_are_none() -> None:
    other = _iin(dt.date(1979, 11, 2), "M", 77)
    decision, reasons = decide(Record.build("Ахметов Серік", IIN), Record.build("Ахметов Серік", other))
    assert decision == Decision.NONE
    assert Reason.IIN_DIFFERENT in reasons


# Mistyped IINs -------------------------------------------------------------------------------------


def test_a_mistyped_iin_is_found_through_its_neighbours_and_reviewed() -> None:
    mistyped = IIN[:3] + str((int(IIN[3]) + 1) % 10) + IIN[4:]
    assert not iin_rules.is_valid(mistyped)
    assert IIN in iin_neighbours(mistyped)
    decision, reasons = decide(Record.build("Ахметов Серік", mistyped), Record.build("Ахметов Серик", IIN))
    assert decision == Decision.REVIEW
    assert reasons == [Reason.NAME_EXACT, Reason.BIRTH_DATE_MISSING, Reason.IIN_ONE_EDIT]


def test_a_transposed_iin_is_a_neighbour() -> None:
    swapped = IIN[:7] + IIN[8] + IIN[7] + IIN[9:]
    assert swapped != IIN
    assert IIN in iin_neighbours(swapped)


def test_iin_neighbours_count() -> None:
    transpositions = sum(IIN[i] != IIN[i + 1] for i in range(11))
    neighbours = iin_neighbours(IIN)
    assert len(neighbours) == 12 * 9 + transpositions
    assert len(set(neighbours)) == len(neighbours)
    assert IIN not in neighbours
    assert iin_neighbours("12345") == []


# Keys and notes ------------------------------------------------------------------------------------


def test_blocking_keys_file_both_orders() -> None:
    keys = blocking_keys(Record.build("Ахметов Серік", birth_date=BORN, phone="8 701 111 22 33"))
    assert {
        (KeyKind.SURNAME_YEAR, "ahmet|1985"),
        (KeyKind.SURNAME_YEAR, "serik|1985"),
        (KeyKind.GIVEN_DATE, "serik|1985-03-14"),
        (KeyKind.GIVEN_DATE, "ahmetov|1985-03-14"),
        (KeyKind.GIVEN_PREFIX, "serik|ahm"),
        (KeyKind.GIVEN_SUFFIX, "serik|met"),
        (KeyKind.GIVEN_PREFIX, "ahmetov|ser"),
        (KeyKind.GIVEN_SUFFIX, "ahmetov|rik"),
        (KeyKind.PHONE, "7011112233"),
    } <= keys
    # The same person written given name first, in Latin, files the same name keys.
    assert blocking_keys(Record.build("SERIK AKHMETOV", birth_date=BORN)) == {k for k in keys if k[0] != KeyKind.PHONE}


def test_phone_key() -> None:
    assert phone_key("+7 (701) 111-22-33") == phone_key("87011112233") == "7011112233"
    assert phone_key("111-22") == ""


def test_unusable() -> None:
    bad = IIN[:11] + str((int(IIN[11]) + 1) % 10)
    assert unusable(Record.build("Ахметов", bad)) == ["only_one_name", "iin_unverified", "no_birth_date"]
    assert unusable(Record.build("Ахметов Серік", IIN)) == []


# Symmetry ------------------------------------------------------------------------------------------

WORDS = ["Ахметов", "Ахметова", "Ахмет", "AKHMETOV", "Серік", "Серик", "Серк", "SERIK", "Берік", "Ким", "Ли",
         "Нұрланұлы", "Нурлановна", "Айгерім", "Айгерим", "А.", "С.", "Жанбулат", "Джанбулатов", "Бауыржан"]  # fmt: skip
DATES = [None, BORN, dt.date(1985, 3, 15), dt.date(1985, 14 - 11, 3), dt.date(1990, 1, 1)]
IINS = ["", IIN, IIN[:3] + "9" + IIN[4:], _iin(BORN, "M", 500), _iin(BORN, "F", 900)]


@st.composite
def records(draw: st.DrawFn) -> Record:
    name = " ".join(draw(st.lists(st.sampled_from(WORDS), min_size=0, max_size=3)))
    return Record.build(
        name,
        draw(st.sampled_from(IINS)),
        draw(st.sampled_from(DATES)),
        draw(st.sampled_from(["M", "F", "U"])),
        draw(st.sampled_from(["", "+7 701 111 22 33", "87055550000"])),
    )


@settings(max_examples=400, deadline=None)
@given(records(), records())
def test_compare_is_symmetric(a: Record, b: Record) -> None:
    # The name alignment tries both orders on both sides, and every field comparison is symmetric,
    # so the argument order changes neither the decision nor the score nor the reasons.
    ab, ba = compare(a, b), compare(b, a)
    assert (ab.decision, ab.score, sorted(ab.reasons)) == (ba.decision, ba.score, sorted(ba.reasons))
