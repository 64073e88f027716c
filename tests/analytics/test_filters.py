"""Parsing the dashboard filters: defaults, the inverse, and every refusal with its field."""

from __future__ import annotations

import datetime as dt

import pytest

from qorgau.analytics.filters import Filters, filters_default, filters_parse, filters_query
from qorgau.core.errors import Invalid

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 6, 15)


def refused(data: dict[str, str]) -> dict[str, list[str]]:
    with pytest.raises(Invalid) as caught:
        filters_parse(data, today=TODAY)
    return caught.value.fields


def test_the_default_is_the_last_twelve_complete_months():
    f = filters_default(TODAY)
    assert (f.start, f.end, f.months) == (dt.date(2025, 6, 1), dt.date(2026, 5, 1), 12)
    assert filters_parse({}, today=TODAY) == f
    assert filters_default(dt.date(2026, 1, 1)).end == dt.date(2025, 12, 1)


def test_a_full_filter_parses_and_its_query_parses_back(reference):
    data = {"start": "2024-01", "end": "2025-12", "region": "KZ-75", "district": "751110000", "urban": "urban"}
    f = filters_parse(data, today=TODAY)
    assert f == Filters(dt.date(2024, 1, 1), dt.date(2025, 12, 1), "KZ-75", "751110000", True, "")
    assert filters_query(f) == data
    g = Filters(dt.date(2025, 1, 1), dt.date(2025, 3, 1), "KZ-23", urban=False, breakdown="group:women")
    assert filters_parse(filters_query(g), today=TODAY) == g


def test_one_end_alone_brings_the_other(reference):
    assert filters_parse({"end": "2024-03"}, today=TODAY).start == dt.date(2023, 4, 1)
    assert filters_parse({"start": "2026-06"}, today=TODAY).end == dt.date(2026, 6, 1)
    assert filters_parse({"start": "2026-01"}, today=TODAY).end == dt.date(2026, 5, 1)


def test_a_district_alone_brings_its_region(reference):
    assert filters_parse({"district": "751110000"}, today=TODAY).region == "KZ-75"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"start": "2025-13"}, "start"),
        ({"start": "March"}, "start"),
        ({"end": "2026-07"}, "end"),  # beyond the current month
        ({"start": "2025-05", "end": "2025-01"}, "end"),
        ({"start": "2010-01", "end": "2025-12"}, "end"),  # more than ten years
        ({"region": "KZ-99"}, "region"),
        ({"district": "000000000"}, "district"),
        ({"region": "KZ-23", "district": "751110000"}, "district"),
        ({"urban": "suburban"}, "urban"),
        ({"breakdown": "group:astronauts"}, "breakdown"),
        ({"breakdown": "form:physical", "district": "751110000"}, "breakdown"),
    ],
)
def test_bad_filters_are_refused_on_their_field(reference, data, field):
    fields = refused(data)
    assert list(fields) == [field]
    assert fields[field][0]


def test_ten_years_exactly_is_allowed(reference):
    f = filters_parse({"start": "2016-06", "end": "2026-05"}, today=TODAY)
    assert f.months == 120


def test_messages_are_localised(reference):
    from django.utils import translation

    with translation.override("en"):
        english = refused({"district": "751110000", "breakdown": "form:physical"})["breakdown"][0]
    assert "district" in english
