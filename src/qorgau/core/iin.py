"""The Kazakh individual identification number (ИИН / ЖСН), validated as the reference data says.

12 digits: ``YYMMDD`` birth date; digit 7 gives century and sex (1/2 → 1800s, 3/4 → 1900s,
5/6 → 2000s; odd male, even female); digits 8–11 serial; digit 12 a two-pass mod-11 check digit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

WEIGHTS_1 = tuple(range(1, 12))
WEIGHTS_2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
CENTURY = {1: 1800, 2: 1800, 3: 1900, 4: 1900, 5: 2000, 6: 2000}


class IinProblem(StrEnum):
    FORMAT = "format"
    CENTURY = "century"
    DATE = "date"
    CHECK_DIGIT = "check_digit"


@dataclass(frozen=True)
class IinInfo:
    birth_date: dt.date
    sex: str  # "M" or "F"


def check_digit(first11: str) -> int | None:
    """The check digit for 11 digits, or None when no digit can make them valid."""
    digits = [int(c) for c in first11]
    s = sum(d * w for d, w in zip(digits, WEIGHTS_1, strict=True)) % 11
    if s == 10:
        s = sum(d * w for d, w in zip(digits, WEIGHTS_2, strict=True)) % 11
        if s == 10:
            return None
    return s


def problems(iin: str) -> list[IinProblem]:
    """Everything wrong with an IIN; empty when it is valid."""
    if len(iin) != 12 or not iin.isascii() or not iin.isdigit():
        return [IinProblem.FORMAT]
    found: list[IinProblem] = []
    century = CENTURY.get(int(iin[6]))
    if century is None:
        found.append(IinProblem.CENTURY)
    else:
        try:
            dt.date(century + int(iin[0:2]), int(iin[2:4]), int(iin[4:6]))
        except ValueError:
            found.append(IinProblem.DATE)
    if check_digit(iin[:11]) != int(iin[11]):
        found.append(IinProblem.CHECK_DIGIT)
    return found


def is_valid(iin: str) -> bool:
    return not problems(iin)


def parse(iin: str) -> IinInfo | None:
    """Birth date and sex of a valid IIN."""
    if not is_valid(iin):
        return None
    century = CENTURY[int(iin[6])]
    return IinInfo(
        birth_date=dt.date(century + int(iin[0:2]), int(iin[2:4]), int(iin[4:6])),
        sex="M" if int(iin[6]) % 2 else "F",
    )


def make(birth_date: dt.date, sex: str, serial: int) -> str | None:
    """A synthetic IIN for tests and the demo; None when this serial has no valid check digit."""
    digit7 = {1800: 1, 1900: 3, 2000: 5}[birth_date.year // 100 * 100] + (0 if sex == "M" else 1)
    first11 = f"{birth_date:%y%m%d}{digit7}{serial:04d}"
    check = check_digit(first11)
    return None if check is None else first11 + str(check)
