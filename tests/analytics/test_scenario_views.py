"""The scenario page: who may see it, the assumptions in the address, results, and bad input (422, never 500)."""

from __future__ import annotations

import re

import pytest

from qorgau.accounts.roles import Role


@pytest.fixture
def analyst(signed_in):
    return signed_in(Role.ANALYST, language="en")


def _html(response) -> str:
    return response.content.decode()


def _value(html: str, name: str) -> str | None:
    """The value attribute of the input named ``name`` (None when there is no such input)."""
    tag = re.search(rf'<input [^>]*name="{name}"[^>]*>', html)
    if tag is None:
        return None
    value = re.search(r'value="([^"]*)"', tag.group(0))
    return value.group(1) if value else None


def test_the_default_page_shows_charts_tables_calibration_and_the_comparison(analyst):
    r = analyst.get("/analytics/scenarios/")
    assert r.status_code == 200
    html = _html(r)
    assert 'data-testid="results"' in html and 'data-testid="errors"' not in html
    for key in ("reports", "victims", "deaths", "cost"):
        chart = re.search(rf'data-testid="chart-{key}">(.*?)</figure>', html, re.S)
        assert chart is not None, key
        assert len(re.findall(r"<polyline ", chart.group(1))) == 3  # one median line per scenario
        assert len(re.findall(r"<polygon ", chart.group(1))) == 3  # one band per scenario
    years = re.findall(r'<tr data-year="(\d+)" data-scenario="(\w+)"', html)
    assert years[0] == ("2024", "base") and len(years) == 1 + 3 * 10 and years[-1] == ("2034", "strategic")
    assert re.findall(r'<tr data-measure="(\w+)"', html) == ["reports", "orders", "deaths", "grave_harm"]
    assert 'data-testid="calibrated"' in html and "within 2%" in html
    assert 'data-testid="reports-rise"' in html  # the defaults: reports rise first under the strategy
    assert "The default assumptions." in html
    comparison = re.search(r'data-testid="deaths-averted">(.*?)</tr>', html, re.S)
    assert comparison is not None and comparison.group(1).count("<td") == 2  # reactive and strategic
    assert 'href="/analytics/scenarios/"' in html  # the reset link


def test_every_assumption_is_an_input_with_its_default_range_and_source(analyst):
    """Each input has a name: a label for the common ones, a spoken name with the scenario for the others."""
    from qorgau.analytics import scenario_params

    html = _html(analyst.get("/analytics/scenarios/"))
    for name, value in scenario_params.defaults().items():
        assert _value(html, name) == f"{value:g}", name
    source = str(scenario_params.PARAMS["reporting"].source)
    assert source in html
    assert '<label for="id_reporting">Reporting share</label>' in html
    assert re.search(
        r'<input [^>]*name="prevention_strategic"[^>]*aria-label="Prevention: fewer new victims — Strategic"', html
    )


def test_the_assumptions_in_the_address_drive_the_results(analyst):
    no_strategy = {
        f"{code}_strategic": "0"
        for code in ("prevention", "deterrence", "reporting_change", "repeat_effect", "protection", "spending")
    }
    r = analyst.get("/analytics/scenarios/", {**no_strategy, "reporting_change_strategic": "-3", "horizon": "5"})
    assert r.status_code == 200
    html = _html(r)
    years = re.findall(r'<tr data-year="(\d+)"', html)
    assert years[-1] == "2029" and "2030" not in years
    row = re.search(r'data-testid="deaths-averted">(.*?)</tr>', html, re.S)
    assert row is not None
    strategic_cell = re.findall(r'<td class="num">(.*?)</td>', row.group(1), re.S)[1]
    assert strategic_cell.startswith("0 ")  # the same as inertial: nothing averted
    assert _value(html, "horizon") == "5"
    assert "6 changed from the defaults" in html  # deterrence_strategic=0 is its default
    assert 'data-testid="reports-rise"' not in html


def test_a_decimal_comma_is_accepted_and_shown_back_with_a_point(analyst):
    r = analyst.get("/analytics/scenarios/", {"uncertainty": "0,5", "cost_case": "1 200"})
    assert r.status_code == 200
    html = _html(r)
    assert _value(html, "uncertainty") == "0.5" and _value(html, "cost_case") == "1200"


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"horizon": "11"}, "horizon", "Enter a value from 5 to 10."),
        ({"reporting": "60"}, "reporting", "Enter a value from 5 to 50."),
        ({"prevention_strategic": "abc"}, "prevention_strategic", "Enter a number."),
        ({"draws": "1e9"}, "draws", "Enter a value from 100 to 5,000."),
        ({"uncertainty": "nan"}, "uncertainty", "Enter a number."),
        ({"repeat": ""}, "repeat", "Enter a number."),
        ({"build_years": "2.5"}, "build_years", "Enter a whole number from 1 to 8."),
    ],
)
def test_a_bad_value_gives_its_message_and_no_results(analyst, query, field, message):
    r = analyst.get("/analytics/scenarios/", query)
    assert r.status_code == 422
    html = _html(r)
    assert 'data-testid="errors"' in html and 'data-testid="results"' not in html
    assert f'<div class="field-error" id="id_{field}_error">{message}</div>' in html
    assert f'<a href="#id_{field}">' in html  # the summary links to the field
    assert 'data-testid="assumptions"' in html  # the form stays, to be corrected
    assert _value(html, field) == {"1e9": "1000000000"}.get(query[field], query[field])  # with what was typed
    assert re.search(rf'<input [^>]*name="{field}"[^>]*aria-invalid="true" aria-describedby="id_{field}_error"', html)


def test_unknown_names_in_the_address_are_ignored(analyst):
    assert analyst.get("/analytics/scenarios/", {"nonsense": "1", "reporting_nowhere": "x"}).status_code == 200


def test_changed_base_figures_show_that_the_calibration_no_longer_holds(analyst):
    html = _html(analyst.get("/analytics/scenarios/", {"reporting": "20"}))
    assert 'data-testid="not-calibrated"' in html
    assert re.search(r'<tr data-measure="reports" class="overdue">', html)


def test_the_page_has_no_inline_script_or_style(analyst):
    html = _html(analyst.get("/analytics/scenarios/"))
    assert "style=" not in html and "<style" not in html
    assert all('src="' in tag for tag in re.findall(r"<script[^>]*>", html))


def test_only_analysts_see_the_page(signed_in, client):
    assert signed_in(Role.POLICE_INSPECTOR).get("/analytics/scenarios/").status_code == 403
    assert signed_in(Role.ADMINISTRATOR).get("/analytics/scenarios/").status_code == 403
    anonymous = client.get("/analytics/scenarios/")
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]


def test_the_page_is_read_only(analyst):
    assert analyst.post("/analytics/scenarios/", {"horizon": "5"}).status_code == 405


@pytest.mark.parametrize(
    ("language", "base_reports", "base_cost"), [("en", "99,961", "79.4"), ("ru", "99\xa0961", "79,4")]
)
def test_numbers_are_grouped_and_punctuated_for_the_language(signed_in, language, base_reports, base_cost):
    html = _html(signed_in(Role.ANALYST, language=language).get("/analytics/scenarios/"))
    base = re.search(r'<tr data-year="2024" data-scenario="base">(.*?)</tr>', html, re.S)
    assert base is not None
    cells = re.findall(r'<td class="num">([^<]+?) <span', base.group(1))
    assert cells[0] == base_reports and cells[3] == base_cost
