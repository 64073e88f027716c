"""The law's defaults for each kind of order, read from ``legal.json`` (kk/ru/en texts, durations,
ages and reporting ranges), so that a change in the law is a change of data, not of code."""

from __future__ import annotations

import calendar
import datetime as dt
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.utils.translation import get_language

LEGAL_FILE = Path(__file__).resolve().parent / "legal.json"
LANGUAGES = ("kk", "ru", "en")


@dataclass(frozen=True)
class Span:
    unit: str  # "days" or "months"
    default: int
    min: int
    max: int

    def after(self, start: dt.datetime, n: int) -> dt.datetime:
        return start + dt.timedelta(days=n) if self.unit == "days" else add_months(start, n)


@dataclass(frozen=True)
class Rules:
    kind: str
    duration: Span
    extension_max: Span | None  # None: the order cannot be extended
    min_age: int
    reporting: tuple[int, int, int] | None  # (min, max, default) times a month, None: no reporting
    cohabitation_ban: bool
    basis: dict[str, str]

    def basis_text(self, language: str | None = None) -> str:
        lang = (language or get_language() or "ru")[:2]
        return self.basis.get(lang) or self.basis["ru"]


def add_months(value: dt.datetime, months: int) -> dt.datetime:
    """The same day ``months`` later, or the month's last day when it has fewer days."""
    month = value.month - 1 + months
    year, month = value.year + month // 12, month % 12 + 1
    day = min(value.day, calendar.monthrange(year, month)[1])
    return value.replace(year=year, month=month, day=day)


def _span(raw: dict[str, Any] | None) -> Span | None:
    if raw is None:
        return None
    return Span(raw["unit"], int(raw.get("default", raw["max"])), int(raw.get("min", 0)), int(raw["max"]))


@cache
def _load(path: Path = LEGAL_FILE) -> dict[str, Rules]:
    data = json.loads(path.read_text(encoding="utf-8"))
    out = {}
    for kind, raw in data["kinds"].items():
        rep = raw.get("reporting")
        duration = _span(raw["duration"])
        assert duration is not None
        out[kind] = Rules(
            kind=kind,
            duration=duration,
            extension_max=_span(raw.get("extension")),
            min_age=int(raw["min_age"]),
            reporting=(int(rep["min"]), int(rep["max"]), int(rep["default"])) if rep else None,
            cohabitation_ban=bool(raw.get("cohabitation_ban")),
            basis={lang: str(raw["basis"][lang]) for lang in LANGUAGES},
        )
    return out


def rules_for(kind: str) -> Rules:
    return _load()[str(kind)]
