"""The analytical note: its content tree from a seeded small data set, the PDF in three languages,
and the form and download routes (capability, bad periods, a period with no reports, the audit)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client

from qorgau.accounts.models import User
from qorgau.accounts.roles import Role
from qorgau.analytics.filters import Filters
from qorgau.analytics.note import Figure, Note, Paragraph, RateMap, Table, fmt_number, note_build, note_filename
from qorgau.analytics.note_pdf import note_pdf
from qorgau.core.errors import Forbidden, Invalid
from qorgau.core.models import AuditEvent, Region
from tests.analytics.support_e import SMALL, note_seed
from tests.conftest import sign_in

YEAR = Filters(start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 1))
NBSP = "\u00a0"


@pytest.fixture
def note_data(reference) -> dict[str, int]:
    return note_seed()


@pytest.fixture
def analyst(make_user: Callable[..., User]) -> User:
    return make_user(Role.ANALYST, username="note_analyst")


def _section(note: Note, number: int):
    return next(s for s in note.sections if s.number == number)


def _tables(note: Note, number: int) -> list[Table]:
    return [b for b in _section(note, number).blocks if isinstance(b, Table)]


def _row(table: Table, label: str) -> tuple[str, ...]:
    return next(r for r in table.rows if r[0] == label)


def test_key_figures_match_the_tallies_and_hide_small_cells(note_data, analyst) -> None:
    note = note_build(analyst, YEAR, "en")
    key = _tables(note, 1)[0]
    assert _row(key, "Reports")[1] == fmt_number(note_data["reports"], lang="en")
    assert _row(key, "Protective orders")[1] == "1,000"  # 50 in each of 20 regions
    assert _row(key, "Deaths")[1] == "<5"  # 2 in the country: hidden
    assert _row(key, "Grave harm to health")[1] == "9"
    assert "72,000" in _row(key, "Protective orders")[3]  # the published national figure beside it


def test_the_summary_states_the_main_findings(note_data, analyst) -> None:
    note = note_build(analyst, YEAR, "en")
    assert note.summary[0].startswith(fmt_number(note_data["reports"], lang="en") + " reports")
    assert any("2 crisis centres" in line and "1 of them" in line for line in note.summary)
    assert any("can be concluded from 18 regions" in line for line in note.summary)


def test_numbers_and_names_follow_the_language(note_data, analyst) -> None:
    ru = note_build(analyst, YEAR, "ru")
    kk = note_build(analyst, YEAR, "kk")
    assert _row(_tables(ru, 1)[0], str(_tables(ru, 1)[0].rows[0][0]))[1] == fmt_number(note_data["reports"], lang="ru")
    assert NBSP in fmt_number(note_data["reports"], lang="ru")  # 2 xxx with a no-break space, not a comma
    figure = next(b for b in _section(kk, 3).blocks if isinstance(b, Figure))
    assert isinstance(figure.chart, RateMap)
    names = {r.iso: r.name for r in figure.chart.regions}
    assert names["KZ-75"] == Region.objects.get(iso="KZ-75").name_kk
    assert ru.lang == "ru" and kk.lang == "kk"
    assert ru.filename == "qorgau-note-2025-ru.pdf" and kk.filename == "qorgau-note-2025-kk.pdf"


def test_the_women_map_hides_the_small_region(note_data, analyst) -> None:
    note = note_build(analyst, YEAR, "en")
    figure = next(b for b in _section(note, 3).blocks if isinstance(b, Figure))
    assert isinstance(figure.chart, RateMap)
    small = next(r for r in figure.chart.regions if r.iso == SMALL)
    assert small.suppressed and small.value is None
    almaty = next(r for r in figure.chart.regions if r.iso == "KZ-75")
    assert almaty.value is not None and almaty.value > 0  # a rate per 100,000
    assert "<5" in figure.chart.bars.series[0].texts
    assert "geokz" in figure.chart.attribution


def test_vulnerable_groups_table_shows_hidden_cells_as_less_than_5(note_data, analyst) -> None:
    groups, forms = _tables(note_build(analyst, YEAR, "en"), 4)
    assert _row(groups, "Children")[1] == "40"
    assert _row(groups, "Migrants' wives")[1] == "<5"
    assert _row(groups, "Elderly people")[1] == "0"
    assert _row(forms, "Physical violence")[1] == "1,200"


def test_centres_are_counted_in_full(note_data, analyst) -> None:
    section = _section(note_build(analyst, YEAR, "en"), 2)
    figure = next(b for b in section.blocks if isinstance(b, Figure))
    labels = figure.chart.labels  # type: ignore[union-attr]
    i = labels.index(Region.objects.get(iso="KZ-75").name_en)
    centres, sheltering = (s.values[i] for s in figure.chart.series)  # type: ignore[union-attr]
    assert (centres, sheltering) == (2.0, 1.0)
    assert any("without suppression" in n for n in figure.notes)


def test_correlations_state_what_cannot_be_concluded(note_data, analyst) -> None:
    section = _section(note_build(analyst, YEAR, "en"), 5)
    corr = _tables_in(section)[1]
    unemployment = corr.rows[0]
    assert unemployment[0] == "Unemployment, %"
    assert unemployment[1] == "18"  # 20 regions less the small one and the one hidden to protect it
    poverty = next(r for r in corr.rows if r[0] == "Poverty, %")
    assert "too few regions" in poverty[4]  # published for a handful of regions only
    verdicts = [b.text for b in section.blocks if isinstance(b, Paragraph) and b.style == "verdict"]
    assert any("With 18 regions" in v for v in verdicts)
    assert any("2022 reform" in b.text for b in section.blocks if isinstance(b, Paragraph))


def _tables_in(section) -> list[Table]:
    return [b for b in section.blocks if isinstance(b, Table)]


def test_scenario_section_is_present(note_data, analyst) -> None:
    section = _section(note_build(analyst, YEAR, "en"), 6)
    tables = _tables_in(section)
    assert tables, "the scenario model is in the tree: its table must be there"
    years = sorted({r[1] for r in tables[0].rows})
    assert len(years) == 3  # the base year, the middle and the end of the horizon
    assert tables[0].rows[0][0] == "All scenarios (base year)"
    assert {r[0] for r in tables[0].rows[1:]} == {"Inertial", "Reactive", "Strategic"}


def test_the_note_is_still_issued_when_the_scenario_model_fails(note_data, analyst, monkeypatch) -> None:
    from qorgau.analytics import scenarios

    def broken(*args: object, **kwargs: object) -> list[object]:
        raise ValueError("a broken assumption")

    monkeypatch.setattr(scenarios, "scenario_table", broken)
    section = _section(note_build(analyst, YEAR, "en"), 6)
    assert not _tables_in(section)
    assert any(isinstance(b, Paragraph) and "scenario model is unavailable" in b.text for b in section.blocks)


def test_a_period_of_only_hidden_cells_still_builds(reference, analyst) -> None:
    from qorgau.analytics.models import RefreshMark, Tally
    from qorgau.core import clock

    Tally.objects.create(month=dt.date(2024, 5, 1), region_id="KZ-75", indicator="reports", value=3)
    Tally.objects.create(
        month=dt.date(2024, 5, 1), region_id="KZ-75", indicator="reports", dimension="group:women", value=3
    )
    RefreshMark.objects.create(name="tallies", at=clock.now())
    note = note_build(analyst, Filters(start=dt.date(2024, 5, 1), end=dt.date(2024, 7, 1)), "en")
    key = _tables(note, 1)[0]
    assert _row(key, "Reports")[1:3] == ("<5", "—")  # hidden, and not scaled up to a year
    figure = next(b for b in _section(note, 3).blocks if isinstance(b, Figure))
    assert isinstance(figure.chart, RateMap)
    almaty = next(r for r in figure.chart.regions if r.iso == "KZ-75")
    assert almaty.suppressed and almaty.value is None
    assert {r.value for r in figure.chart.regions if r.iso != "KZ-75"} <= {0.0, None}  # true zeros are shown
    corr = _tables_in(_section(note, 5))[1]
    assert all(r[2] == "—" for r in corr.rows)
    assert "nothing to compare" in _row(corr, "Unemployment, %")[4]
    assert note_pdf(note).startswith(b"%PDF-")


def test_a_period_without_reports_is_refused(note_data, analyst) -> None:
    with pytest.raises(Invalid) as exc:
        note_build(analyst, Filters(start=dt.date(2001, 1, 1), end=dt.date(2001, 12, 1)), "en")
    assert "No reports in this period" in exc.value.fields["start"][0]


def test_only_analysts_may_build_it(note_data, make_user: Callable[..., User]) -> None:
    with pytest.raises(Forbidden):
        note_build(make_user(Role.POLICE_INSPECTOR), YEAR, "en")


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_the_pdf_builds_in_each_language(note_data, analyst, lang: str) -> None:
    pdf = note_pdf(note_build(analyst, YEAR, lang))
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert b"DejaVuSans" in pdf  # the embedded face with the Kazakh letters
    assert pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 6 or b"/Count" in pdf


def test_filenames_name_the_period() -> None:
    assert note_filename(YEAR, "ru") == "qorgau-note-2025-ru.pdf"
    assert (
        note_filename(Filters(start=dt.date(2024, 7, 1), end=dt.date(2025, 6, 1)), "kk")
        == "qorgau-note-2024-07_2025-06-kk.pdf"
    )


# --- the routes -----------------------------------------------------------------------------------


def test_the_form_opens_in_the_analysts_language(note_data, analyst) -> None:
    User.objects.filter(pk=analyst.pk).update(language="kk")
    analyst.refresh_from_db()
    r = sign_in(Client(), analyst).get("/analytics/note/")
    assert r.status_code == 200
    assert b'value="kk" selected' in r.content or b'value="kk"\n' in r.content or b'selected value="kk"' in r.content


def test_download_is_a_pdf_and_is_audited(note_data, analyst) -> None:
    before = AuditEvent.objects.filter(action="export", target_type="analytics_note").count()
    r = sign_in(Client(), analyst).get("/analytics/note/pdf/", {"start": "2025-01", "end": "2025-12", "lang": "ru"})
    assert r.status_code == 200
    assert r["Content-Type"] == "application/pdf"
    assert r["Content-Disposition"] == 'attachment; filename="qorgau-note-2025-ru.pdf"'
    assert r.content.startswith(b"%PDF-")
    events = AuditEvent.objects.filter(action="export", target_type="analytics_note")
    assert events.count() == before + 1
    assert events.latest("id").actor_id == analyst.pk


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"start": "2025-13", "end": "2025-12", "lang": "ru"}, "start", "YYYY-MM"),
        ({"start": "2025-06", "end": "2025-01", "lang": "en"}, "end", "before its start"),
        ({"start": "2025-01", "end": "2025-12", "lang": "de"}, "lang", ""),
        ({"start": "2001-01", "end": "2001-12", "lang": "en"}, "start", "No reports in this period"),
    ],
)
def test_bad_periods_come_back_on_the_form(note_data, analyst, query: dict[str, str], field: str, message: str) -> None:
    User.objects.filter(pk=analyst.pk).update(language="en")
    analyst.refresh_from_db()
    r = sign_in(Client(), analyst).get("/analytics/note/pdf/", query)
    assert r.status_code == 422
    assert r["Content-Type"].startswith("text/html")
    assert f'data-testid="error-{field}"'.encode() in r.content
    assert message.encode() in r.content
    assert not AuditEvent.objects.filter(action="export", target_type="analytics_note").exists()


def test_other_roles_are_refused(note_data, make_user: Callable[..., User]) -> None:
    client = sign_in(Client(), make_user(Role.POLICE_INSPECTOR))
    assert client.get("/analytics/note/").status_code == 403
    assert client.get("/analytics/note/pdf/", {"start": "2025-01", "end": "2025-12", "lang": "ru"}).status_code == 403
