"""The published regional indicators: the messy ``year`` column, gaps, and one period per cross-section."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from qorgau.analytics.reference_indicators import CSV_PATH, cross_section, national_value, period_parse, values_parse

SHARED = Path("/work/shared/reference/kz_indicators.csv")


@pytest.mark.parametrize(
    ("text", "start", "end", "flags"),
    [
        ("2022", date(2022, 1, 1), date(2022, 12, 31), ()),
        ("2022 (inferred)", date(2022, 1, 1), date(2022, 12, 31), ("inferred",)),
        ("2023Q4", date(2023, 10, 1), date(2023, 12, 31), ()),
        ("2024Q1", date(2024, 1, 1), date(2024, 3, 31), ()),
        ("2025H1", date(2025, 1, 1), date(2025, 6, 30), ()),
        ("2024-12", date(2024, 12, 1), date(2024, 12, 31), ()),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29), ()),  # a leap year
        ("2024-01..08", date(2024, 1, 1), date(2024, 8, 31), ()),
        ("2025-01-01", date(2025, 1, 1), date(2025, 1, 1), ("point",)),
        ("2024 (to ~Dec)", date(2024, 1, 1), date(2024, 12, 31), ("partial",)),
        ("2025 (to Nov)", date(2025, 1, 1), date(2025, 11, 30), ("partial",)),
        (" 2023Q3 ", date(2023, 7, 1), date(2023, 9, 30), ()),
    ],
)
def test_period_forms(text: str, start: date, end: date, flags: tuple[str, ...]) -> None:
    p = period_parse(text)
    assert (p.start, p.end) == (start, end)
    assert p.inferred == ("inferred" in flags)
    assert p.partial == ("partial" in flags)
    assert p.point == ("point" in flags)
    assert p.text == text


@pytest.mark.parametrize(
    "text", ["", "22", "2023Q5", "2024-13", "2024-08..01", "about 2022", "2024-02-30", "2025 (to Foo)"]
)
def test_unreadable_periods_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        period_parse(text)


def test_the_shipped_copy_is_the_shared_file() -> None:
    if not SHARED.exists():
        pytest.skip("the shared reference directory is not on this machine")
    assert CSV_PATH.read_bytes() == SHARED.read_bytes()


def test_every_row_of_the_file_parses_and_joins_by_iso_code() -> None:
    values = values_parse()
    assert len(values) > 200
    assert {v.region for v in values} <= {"KZ"} | {
        f"KZ-{n}" for n in (10, 11, 15, 19, 23, 27, 31, 33, 35, 39, 43, 47, 55, 59, 61, 62, 63, 71, 75, 79)
    }
    unemployment = cross_section("unemployment_rate", values)
    assert unemployment.period is not None and unemployment.period.text == "2023Q4"  # the later of two full periods
    assert len(unemployment.values) == 20 and unemployment.national == 4.7


def test_a_cross_section_takes_one_period_for_every_region(tmp_path: Path) -> None:
    path = tmp_path / "ind.csv"
    path.write_text(
        "region_iso,region,indicator,year,value,unit,source,notes\n"
        "KZ-11,Akmola,income,2020,100,KZT,s,old\n"
        "KZ-15,Aktobe,income,2020,110,KZT,s,old\n"
        "KZ-19,Almaty Region,income,2020,120,KZT,s,old\n"
        "KZ-15,Aktobe,income,2024Q2,300,KZT,s,new\n"  # later, but for one region only: not mixed in
        "KZ-11,Akmola,income,2024Q2,,KZT,s,a gap\n"  # an empty value is a gap, never a zero
        "KZ,Kazakhstan,income,2020,115,KZT,s,\n",
        encoding="utf-8",
    )
    values = values_parse(path)
    assert len(values) == 5
    cs = cross_section("income", values)
    assert cs.period is not None and cs.period.text == "2020"
    assert cs.values == {"KZ-11": 100.0, "KZ-15": 110.0, "KZ-19": 120.0}
    assert cs.national == 115.0
    assert national_value("income", values) is not None
    # Limited to current regions, a period is chosen by how many of them it covers.
    only = cross_section("income", values, regions={"KZ-15"})
    assert only.values == {"KZ-15": 300.0} and only.period is not None and only.period.text == "2024Q2"
    assert cross_section("missing", values).period is None


def test_the_copy_is_read_from_the_package_data() -> None:
    # core/reference/* is package data: the runtime never reads ../shared.
    assert CSV_PATH.parent.name == "reference" and CSV_PATH.parent.parent.name == "core"
    assert (CSV_PATH.parent / "kz_regions.csv").is_file()
