"""Exports of a dashboard view (CSV, XLSX, PDF): the same filtered, suppressed figures as the page, the
filters and notices at the head, one EXPORT audit row each, and bad input refused without a file."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from qorgau.accounts.roles import Role
from qorgau.analytics.exports import export_csv
from qorgau.core.models import AuditEvent, Region
from tests.analytics.support_b import ALMATY_REPORTS, PARTNER, SMALL, TOTAL, picture
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_(reference, frozen_now, analyst) -> Client:
    picture()
    return sign_in(Client(), analyst)


def _name(iso: str) -> str:
    with translation.override("ru"):
        return Region.objects.get(pk=iso).name


def _t(text: str) -> str:
    with translation.override("ru"):
        return gettext(text)


def _hidden() -> str:
    return _t("hidden")


def _csv(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_csv_holds_the_table_with_small_cells_hidden(client_):
    r = client_.get("/analytics/export/csv/", {"show": ["reports"], "indicator": "reports"})
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/csv")
    assert r["Content-Disposition"] == 'attachment; filename="qorgau-analytics-2025-06-2026-05.csv"'
    assert r["Cache-Control"] == "no-store"
    rows = _csv(r)
    by_place = {row[0]: row for row in rows if len(row) >= 3}
    assert by_place[_name("KZ-75")][2] == str(ALMATY_REPORTS)
    assert by_place[_name(SMALL)][2] == _hidden() and by_place[_name(PARTNER)][2] == _hidden()
    assert by_place[_name(SMALL)][3] == _hidden()  # its rate too
    assert by_place[_t("Kazakhstan")][2] == str(TOTAL)
    flat = "\n".join(",".join(row) for row in rows)
    assert "06.2025 – 05.2026" in flat  # the period at the head
    assert ",3," not in flat.replace(",3,0", "")  # Mangystau's 3 appears nowhere (neither in the table nor a month)


def test_the_monthly_series_is_exported_with_hidden_months(client_):
    rows = _csv(client_.get("/analytics/export/csv/", {"show": ["reports"]}))
    months = {row[0]: row[1] for row in rows if len(row) == 2 and row[0][:2].isdigit() and "." in row[0]}
    assert months["03.2026"] == "12" and months["04.2026"] == "8" and months["05.2026"] == "25"
    # January's 3 is hidden, and February's 6 with it: the period total minus the other months would give January away.
    assert months["01.2026"] == _hidden() and months["02.2026"] == _hidden()
    assert len(months) == 12


def test_each_export_writes_one_audit_row(client_, analyst):
    before = AuditEvent.objects.count()
    client_.get("/analytics/export/xlsx/", {"region": "KZ-75"})
    new = list(AuditEvent.objects.order_by("pk")[before:])
    assert [(e.action, e.target_type, e.target_id) for e in new] == [("export", "analytics_export", "xlsx")]
    assert new[0].actor_id == analyst.pk and new[0].count and new[0].count > 0


def test_the_xlsx_has_the_filters_the_places_and_the_months(client_):
    from openpyxl import load_workbook

    r = client_.get("/analytics/export/xlsx/", {"region": "KZ-75", "show": ["reports", "deaths"]})
    assert r.status_code == 200
    assert r["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(r.content))
    assert len(book.sheetnames) == 3
    about, places, months = (book[n] for n in book.sheetnames)
    assert _name("KZ-75") in [c.value for row in about.iter_rows() for c in row]
    values = {row[0].value: [c.value for c in row] for row in places.iter_rows(min_row=2)}
    header = [c.value for c in places[1]]
    reports = header.index(next(h for h in header if h and h.startswith(_t("Reports"))))
    from qorgau.core.models import District

    with translation.override("ru"):
        almaly = District.objects.get(pk="751110000").name
    assert values[almaly][reports] == 12 and isinstance(values[almaly][reports], int)  # numbers stay numbers
    assert months.max_row == 13  # the header and twelve months


def test_the_pdf_builds_in_kazakh(reference, frozen_now, make_user):
    picture()
    client = sign_in(Client(), make_user(Role.ANALYST, language="kk"))
    r = client.get("/analytics/export/pdf/", {"show": ["reports", "repeat_rate", "shelter_occupancy"]})
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF") and r.content.rstrip().endswith(b"%%EOF")
    assert b"DejaVuSans" in r.content  # the embedded font that has the Kazakh letters


def test_an_unknown_format_is_not_found_and_bad_filters_give_no_file(client_):
    before = AuditEvent.objects.filter(action="export").count()
    assert client_.get("/analytics/export/docx/").status_code == 404
    r = client_.get("/analytics/export/csv/", {"start": "2026-05", "end": "2026-01"})
    assert r.status_code == 422 and r["Content-Type"].startswith("text/html")
    assert 'data-testid="error-end"' in r.content.decode()
    assert AuditEvent.objects.filter(action="export").count() == before


def test_a_text_a_spreadsheet_would_run_is_written_as_text():
    from qorgau.analytics.exports import Export, Table

    export = Export(
        title="t",
        about=[('=HYPERLINK("x")', "+1")],
        notices=["@cmd"],
        places=Table("p", ["-x"], [["=1+1", 5]]),
        months=Table("m", [], []),
    )
    text = export_csv(export).decode("utf-8")
    assert "\n=" not in text and ",=" not in text and ",+" not in text and ",@" not in text
    assert "'=1+1" in text and "'+1" in text
