"""The IIN rules of shared/reference/README.md: format, century and sex digit, date, two-pass check digit."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from qorgau.core.iin import IinInfo, IinProblem, check_digit, is_valid, make, parse, problems

dates = st.dates(min_value=dt.date(1800, 1, 1), max_value=dt.date(2099, 12, 31))
sexes = st.sampled_from(["M", "F"])
serials = st.integers(min_value=0, max_value=9999)


def _first_pass(first11: str) -> int:
    return sum(int(d) * w for d, w in zip(first11, range(1, 12), strict=True)) % 11


def _with_check(first11: str) -> str:
    """Complete 11 digits with their check digit (they must have one)."""
    check = check_digit(first11)
    assert check is not None
    return first11 + str(check)


def _make(birth: dt.date, sex: str, serial: int = 0) -> str:
    for s in range(serial, serial + 20):
        value = make(birth, sex, s % 10000)
        if value is not None:
            return value
    raise AssertionError("twenty serials without a check digit")


@st.composite
def valid_iins(draw) -> str:
    value = make(draw(dates), draw(sexes), draw(serials))
    assume(value is not None)
    return value


def test_reference_examples():
    assert problems("791028302728") == []
    assert is_valid("791028302728")
    assert parse("791028302728") == IinInfo(birth_date=dt.date(1979, 10, 28), sex="M")
    assert problems("010101600586") == [IinProblem.CHECK_DIGIT]
    assert not is_valid("010101600586")
    assert parse("010101600586") is None


def test_check_digit_second_pass():
    # 00000000010: first pass 1*10 = 10 -> second pass 1*1 = 1.
    assert _first_pass("00000000010") == 10
    assert check_digit("00000000010") == 1
    # 11 digits whose two passes both give 10 cannot be completed.
    impossible = next(
        f"{n:011d}" for n in range(0, 10**6) if _first_pass(f"{n:011d}") == 10 and check_digit(f"{n:011d}") is None
    )
    assert all(IinProblem.CHECK_DIGIT in problems(impossible + str(d)) for d in range(10))


@settings(max_examples=50, deadline=None)
@given(birth=dates, sex=sexes, serial=serials)
def test_make_gives_valid_iins_that_parse_back(birth, sex, serial):
    value = make(birth, sex, serial)
    assume(value is not None)  # no check digit exists: the next test covers that case
    assert len(value) == 12 and value.isdigit()
    assert value.startswith(f"{birth:%y%m%d}")
    assert value[7:11] == f"{serial:04d}"
    assert problems(value) == []
    assert parse(value) == IinInfo(birth_date=birth, sex=sex)


@settings(max_examples=50, deadline=None)
@given(birth=dates, sex=sexes, serial=serials)
def test_make_returns_none_exactly_when_no_check_digit_exists(birth, sex, serial):
    value = make(birth, sex, serial)
    century_sex = {1800: 1, 1900: 3, 2000: 5}[birth.year // 100 * 100] + (sex == "F")
    first11 = f"{birth:%y%m%d}{century_sex}{serial:04d}"
    assert (value is None) == (check_digit(first11) is None)


@settings(max_examples=50, deadline=None)
@given(value=valid_iins(), wrong=st.integers(0, 9))
def test_a_changed_check_digit_is_always_invalid(value, wrong):
    assume(str(wrong) != value[11])
    changed = value[:11] + str(wrong)
    assert problems(changed) == [IinProblem.CHECK_DIGIT]
    assert parse(changed) is None


@settings(max_examples=50, deadline=None)
@given(value=valid_iins(), position=st.integers(0, 9), digit=st.integers(0, 9))
def test_one_digit_edits_are_caught_when_the_first_pass_decides(value, position, digit):
    """Weights 1..10 are non-zero mod 11, so a changed digit among the first ten always changes the
    first-pass sum; only an edit that sends either number to the second pass can land on another
    valid IIN."""
    assume(str(digit) != value[position])
    edited = value[:position] + str(digit) + value[position + 1 :]
    assume(_first_pass(value[:11]) != 10 and _first_pass(edited[:11]) != 10)
    assert IinProblem.CHECK_DIGIT in problems(edited)
    assert not is_valid(edited)


@settings(max_examples=50, deadline=None)
@given(value=valid_iins(), digit=st.integers(0, 9))
def test_the_eleventh_digit_is_invisible_to_the_first_pass(value, digit):
    """Its first-pass weight is 11, i.e. 0 mod 11: the official rule cannot see an edit there unless
    the second pass decides. Recorded here so nobody relies on the check digit for it."""
    assume(str(digit) != value[10])
    edited = value[:10] + str(digit) + value[11]
    assert _first_pass(edited[:11]) == _first_pass(value[:11])
    if _first_pass(value[:11]) != 10:
        assert IinProblem.CHECK_DIGIT not in problems(edited)


@settings(max_examples=50, deadline=None)
@given(first11=st.text(alphabet="0123456789", min_size=11, max_size=11))
def test_at_most_one_completion_of_eleven_digits_passes_the_check(first11):
    passing = [d for d in range(10) if IinProblem.CHECK_DIGIT not in problems(first11 + str(d))]
    check = check_digit(first11)
    assert passing == ([] if check is None else [check])


@pytest.mark.parametrize(
    "value",
    [
        "79102830272",  # 11 digits
        "7910283027281",  # 13 digits
        "",
        "79102830272A",
        "7910 2830272",
        "791028-02728",
        " 791028302728",
        "٧٩١٠٢٨٣٠٢٧٢٨",  # Arabic-Indic digits: isdigit() but not ASCII
        "７９１０２８３０２７２８",  # fullwidth digits
    ],
)
def test_bad_formats(value):
    assert problems(value) == [IinProblem.FORMAT]
    assert parse(value) is None


@pytest.mark.parametrize("century_digit", ["0", "7", "8", "9"])
def test_century_digits_outside_one_to_six(century_digit):
    value = _with_check(f"791028{century_digit}0273")
    assert problems(value) == [IinProblem.CENTURY]
    assert parse(value) is None


@pytest.mark.parametrize(
    ("digit7", "birth", "sex"),
    [
        ("1", dt.date(1879, 10, 28), "M"),
        ("2", dt.date(1879, 10, 28), "F"),
        ("3", dt.date(1979, 10, 28), "M"),
        ("4", dt.date(1979, 10, 28), "F"),
        ("5", dt.date(2079, 10, 28), "M"),
        ("6", dt.date(2079, 10, 28), "F"),
    ],
)
def test_digit_seven_gives_century_and_sex(digit7, birth, sex):
    for serial in range(10):
        first11 = f"791028{digit7}027{serial}"
        if check_digit(first11) is not None:
            break
    assert parse(_with_check(first11)) == IinInfo(birth_date=birth, sex=sex)


@pytest.mark.parametrize(
    ("yymmdd", "digit7", "problem"),
    [
        ("000230", "5", [IinProblem.DATE]),  # 30 February 2000
        ("790230", "3", [IinProblem.DATE]),  # 30 February 1979
        ("000229", "5", []),  # 2000 was a leap year
        ("000229", "3", [IinProblem.DATE]),  # 1900 was not
        ("040229", "5", []),
        ("030229", "5", [IinProblem.DATE]),
        ("791328", "3", [IinProblem.DATE]),  # month 13
        ("790028", "3", [IinProblem.DATE]),  # month 0
        ("791000", "3", [IinProblem.DATE]),  # day 0
        ("790431", "3", [IinProblem.DATE]),  # 31 April
    ],
)
def test_dates_are_checked_for_their_century(yymmdd, digit7, problem):
    for serial in range(10):
        first11 = f"{yymmdd}{digit7}000{serial}"
        if check_digit(first11) is not None:
            break
    assert problems(_with_check(first11)) == problem


def _wrong_check(first11: str) -> str:
    check = check_digit(first11)
    return first11 + str(0 if check is None else (check + 1) % 10)


def test_several_problems_are_all_reported():
    assert problems(_wrong_check("00023050000")) == [IinProblem.DATE, IinProblem.CHECK_DIGIT]
    assert problems(_wrong_check("79102870273")) == [IinProblem.CENTURY, IinProblem.CHECK_DIGIT]


def test_synthetic_iins_cover_all_three_centuries_and_both_sexes():
    for birth in (dt.date(1899, 12, 31), dt.date(1900, 1, 1), dt.date(2000, 2, 29), dt.date(2099, 12, 31)):
        for sex in ("M", "F"):
            value = _make(birth, sex)
            assert parse(value) == IinInfo(birth_date=birth, sex=sex)
