"""Bulk import of reports (issue 3): dry run, all or nothing, re-runs, CSV and XLSX, limits, command, page."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from qorgau.accounts.models import Unit, User
from qorgau.accounts.roles import Role
from qorgau.cases import imports
from qorgau.cases.models import Case, CaseEvent, Grant, Incident, Report
from qorgau.core import clock
from qorgau.core.errors import Forbidden, Invalid
from qorgau.core.models import AuditAction, AuditEvent
from qorgau.people.models import IinStatus, Person
from tests.conftest import sign_in
from tests.permission_matrix import ANON, MATRIX

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent / "data"
GOOD = DATA / "reports-good.csv"
BROKEN = DATA / "reports-broken.csv"
ALMATY = ZoneInfo("Asia/Almaty")
NOW = dt.datetime(2025, 6, 1, 9, 0, tzinfo=dt.UTC)
CHANNELS = "victim, relative, neighbour, school, hospital, hotline_150, hotline_111, police_102, patrol, online"
BROKEN_PROBLEMS = [
    (4, [("region", "Choose a region from the list. In the file: «KZ-99».")]),
    (5, [("victim_iin", "An IIN is exactly 12 digits.")]),
    (6, [("victim_birth_date", "The birth date is in the future.")]),
    (7, [("victim_full_name", "The victim and the offender are the same person.")]),
    (8, [("victim_full_name", "Enter the full name.")]),
    (9, [("received_at", "Write the date and time as 2025-03-05 14:30 or 05.03.2025 14:30.")]),
    (10, [("channel", f"Choose who reported. In the file: «telegram». Allowed: {CHANNELS}.")]),
]

@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def supervisor(make_user) -> User:
    return make_user(Role.POLICE_SUPERVISOR, language="en")


def run(actor: User, source: Path | bytes, *, dry_run: bool, name: str | None = None) -> imports.ImportResult:
    content = source.read_bytes() if isinstance(source, Path) else source
    filename = name or (source.name if isinstance(source, Path) else "register.csv")
    with translation.override("en"):  # the caller (page, command) chooses the language: here English
        return imports.report_import(actor=actor, filename=filename, content=content, dry_run=dry_run)


def summary(result: imports.ImportResult) -> list[str]:
    with translation.override("en"):
        return list(imports.summary_lines(result))


def problems(result: imports.ImportResult) -> list[tuple[int, list[tuple[str, str]]]]:
    with translation.override("en"):
        return [(p.line, [(e.column, e.text) for e in p.errors]) for p in result.problems]


def nothing_written() -> bool:
    return not (Report.objects.exists() or Case.objects.exists() or Person.objects.exists() or Incident.objects.exists())


def import_audits() -> list[tuple[str, int | None]]:
    return list(AuditEvent.objects.filter(action=AuditAction.IMPORT).order_by("id").values_list("outcome", "count"))


def csv_bytes(header: str, *rows: str, bom: bool = False) -> bytes:
    return (("\ufeff" if bom else "") + "\n".join([header, *rows]) + "\n").encode()


def file_errors(excinfo: pytest.ExceptionInfo[Invalid]) -> list[str]:
    return [str(m) for m in excinfo.value.fields["file"]]


# --- a good file ------------------------------------------------------------------------------------


def test_dry_run_of_a_good_file_checks_every_row_and_saves_nothing(supervisor):
    result = run(supervisor, GOOD, dry_run=True)
    assert (result.rows, result.valid, result.new_cases, result.already, result.problems) == (4, 4, 3, 0, [])
    assert result.committed is False and result.imported == 0
    assert nothing_written()
    assert import_audits() == [("dry_run", 4)]
    assert summary(result) == [
        "Rows read: 4; valid: 4; already imported: 0; with errors: 0.",
        "The file is ready: 4 reports would be imported and 3 new cases opened. Nothing was saved.",
    ]


def test_a_good_file_imports_four_reports_into_three_cases(supervisor):
    result = run(supervisor, GOOD, dry_run=False)
    assert (result.committed, result.imported, result.new_cases, result.problems) == (True, 4, 3, [])
    assert Report.objects.count() == 4 and Case.objects.count() == 3 and Incident.objects.count() == 4
    assert set(Report.objects.values_list("unit_id", flat=True)) == {supervisor.unit_id}
    assert all(len(k) == 64 for k in Report.objects.values_list("import_key", flat=True))

    first = Report.objects.get(channel="police_102")
    # 22:40 in Almaty (UTC+5) is 17:40 UTC; the narrative kept its comma.
    assert first.received_at == dt.datetime(2025, 5, 5, 17, 40, tzinfo=dt.UTC)
    assert first.incident.occurred_at == dt.datetime(2025, 5, 5, 16, 50, tzinfo=dt.UTC)
    assert first.narrative == "Ударил, угрожал ножом."
    incident = first.incident
    assert (incident.region_id, incident.district_id, incident.locality, incident.urban) == ("KZ-75", "751110000", "Алматы", True)
    assert (incident.physical, incident.psychological, incident.economic, incident.injuries, incident.alcohol) == (True, True, False, True, True)

    pair = Case.objects.get(victim__iin_bidx=first.incident.parties.get(role="victim").person.iin_bidx)
    assert pair.incidents.count() == 2 and pair.relationship == "spouse"
    assert list(pair.markers.values_list("code", flat=True)) == ["pregnant"]
    assert pair.victim.full_name == "Сапарова Айгерим" and pair.victim.iin_status == IinStatus.VALID
    assert pair.victim.phone == "+7 701 111 22 33" and pair.victim.address == "ул. Абая 10, кв. 5"
    assert Grant.objects.filter(case=pair, unit=supervisor.unit, scope="full").count() == 1
    assert CaseEvent.objects.filter(case=pair, kind="report_added").count() == 2

    rural = Incident.objects.get(region_id="KZ-19")  # Talgar district, urban left empty: the district's default
    assert (rural.urban, rural.economic) == (False, True)
    elderly = Case.objects.get(relationship="child")
    assert elderly.victim.iin is None and elderly.victim.birth_date == dt.date(1958, 7, 30)
    assert sorted(elderly.markers.values_list("code", flat=True)) == ["elderly", "rural"]
    assert Incident.objects.get(region_id="KZ-31").urban is False

    assert import_audits() == [("ok", 4)]
    event = AuditEvent.objects.get(action=AuditAction.IMPORT)
    assert (event.actor_id, event.target_type, event.target_id, event.term_hash) == (supervisor.pk, "reports", "", "")
    assert summary(result)[-1] == "Imported 4 reports; 3 new cases opened."


def test_running_the_same_file_again_adds_nothing(supervisor):
    run(supervisor, GOOD, dry_run=False)
    again_dry = run(supervisor, GOOD, dry_run=True)
    assert (again_dry.valid, again_dry.already) == (0, 4)
    again = run(supervisor, GOOD, dry_run=False)
    assert (again.committed, again.valid, again.already, again.problems) == (True, 0, 4, [])
    assert Report.objects.count() == 4 and Case.objects.count() == 3
    assert Person.objects.values("cluster_id").distinct().count() == 6
    assert summary(again) == [
        "Rows read: 4; valid: 0; already imported: 4; with errors: 0.",
        "Nothing new to import: every row was imported before.",
    ]
    assert import_audits() == [("ok", 4), ("dry_run", 4), ("ok", 0)]


def test_the_key_belongs_to_the_importing_unit(supervisor, make_user, other_unit: Unit):
    run(supervisor, GOOD, dry_run=False)
    elsewhere = make_user(Role.POLICE_SUPERVISOR, unit=other_unit, language="en")
    result = run(elsewhere, GOOD, dry_run=True)
    assert (result.valid, result.already) == (4, 0)


def test_a_changed_row_is_new_and_the_others_are_already_imported(supervisor):
    run(supervisor, GOOD, dry_run=False)
    changed = GOOD.read_bytes().replace("Забирает зарплату.".encode(), "Забирает зарплату и документы.".encode())
    result = run(supervisor, changed, dry_run=False, name="reports-good.csv")
    assert (result.valid, result.already, result.new_cases) == (1, 3, 0)
    assert Report.objects.count() == 5 and Case.objects.count() == 3


def test_a_repeated_row_in_one_file_is_skipped_and_named(supervisor):
    lines = GOOD.read_text(encoding="utf-8").splitlines()
    content = "\n".join([*lines, lines[2]]).encode()
    result = run(supervisor, content, dry_run=False)
    assert (result.valid, result.duplicates) == (4, [(6, 3)])
    assert "Line 6 repeats line 3 and was skipped." in summary(result)
    assert Report.objects.count() == 4


# --- bad rows ---------------------------------------------------------------------------------------


def test_dry_run_lists_every_bad_line_with_its_reason(supervisor):
    result = run(supervisor, BROKEN, dry_run=True)
    assert (result.rows, result.valid) == (9, 2)
    assert problems(result) == BROKEN_PROBLEMS
    assert nothing_written()
    assert import_audits() == [("dry_run", 9)]


def test_windows_line_endings_keep_the_line_numbers(supervisor):
    crlf = BROKEN.read_bytes().replace(b"\n", b"\r\n")
    assert problems(run(supervisor, b"\xef\xbb\xbf" + crlf, dry_run=True, name="r.csv")) == BROKEN_PROBLEMS


def test_one_bad_row_and_nothing_is_imported(supervisor):
    result = run(supervisor, BROKEN, dry_run=False)
    assert result.committed is False and result.imported == 0
    assert problems(result) == BROKEN_PROBLEMS
    assert nothing_written()
    assert import_audits() == [("rejected", 7)]
    assert summary(result)[-1] == (
        "Nothing was imported: correct the rows listed and try again. An import is all or nothing."
    )
    # Corrected, the same file imports: nothing of the rejected run was left behind.
    fixed = run(supervisor, GOOD, dry_run=False)
    assert (fixed.committed, fixed.valid, fixed.already) == (True, 4, 0)


def test_every_reason_of_a_row_is_listed_in_column_order(supervisor):
    header = "channel,received_at,occurred_at,region,district,urban,forms,victim_full_name,victim_birth_date,victim_sex,victim_relationship,victim_markers,offender_full_name"
    row = "fax,05-05-2025,05.05.2025 21:50,KZ-75,999,maybe,slapping,Айжан,31.02.1990,X,boss,famous,Ерлан"
    result = run(supervisor, csv_bytes(header, row), dry_run=True)
    assert problems(result) == [
        (2, [
            ("channel", f"Choose who reported. In the file: «fax». Allowed: {CHANNELS}."),
            ("received_at", "Write the date and time as 2025-03-05 14:30 or 05.03.2025 14:30."),
            ("district", "The district is not in the chosen region. In the file: «999»."),
            ("urban", "Write yes, no or leave it empty. In the file: «maybe». Allowed: yes, no."),
            ("forms", "Choose at least one form of violence. In the file: «slapping». Allowed: physical, psychological, economic, sexual, neglect."),
            ("victim_birth_date", "Write the date as 1990-05-17 or 17.05.1990."),
            ("victim_sex", "Choose one of the offered values. In the file: «X». Allowed: F, M."),
            ("victim_relationship", "Choose what the offender is to her. In the file: «boss». Allowed: spouse, ex_spouse, partner, parent, child, sibling, other_relative, household."),
            ("victim_markers", "Choose one of the offered values. In the file: «famous». Allowed: disabled, elderly, housewife_no_income, migrant_wife, minor, multigeneration, no_documents, pregnant, rural, single_mother."),
        ])
    ]


def test_an_empty_report_and_a_shifted_row_are_refused(supervisor):
    header = "channel,received_at,occurred_at,region,forms,narrative,victim_full_name,victim_relationship,offender_full_name"
    shifted = "victim,05.05.2025 10:00,05.05.2025 09:00,KZ-75,physical,Ударил, угрожал,Айжан,spouse,Ерлан"
    empty_report = ",,,,,,,,x"
    result = run(supervisor, csv_bytes(header, shifted, empty_report), dry_run=True)
    line, errors = problems(result)[0]
    assert (line, errors[0]) == (2, ("—", "This row has values outside the named columns; check for an unquoted separator."))
    line, errors = problems(result)[1]
    assert line == 3
    assert [c for c, _ in errors] == ["channel", "received_at", "occurred_at", "region", "forms", "victim_full_name", "victim_relationship"]


def test_an_iin_failing_the_check_is_kept_unverified_only_when_confirmed(supervisor):
    header = "channel,received_at,occurred_at,region,forms,victim_full_name,victim_iin,victim_iin_unverified_ok,victim_relationship,offender_full_name"
    refused = run(supervisor, csv_bytes(header, "victim,05.05.2025 10:00,05.05.2025 09:00,KZ-75,physical,Айжан,900517442001,,spouse,Ерлан"), dry_run=True)
    assert problems(refused) == [(2, [(
        "victim_iin",
        "This IIN fails the check (date, century digit or check digit). Correct it, or confirm to keep it as unverified.",
    )])]
    kept = run(supervisor, csv_bytes(header, "victim,05.05.2025 10:00,05.05.2025 09:00,KZ-75,physical,Айжан,900517442001,yes,spouse,Ерлан"), dry_run=False)
    assert kept.committed and Case.objects.get().victim.iin_status == IinStatus.UNVERIFIED


def test_an_iin_is_cross_checked_with_birth_date_and_sex(supervisor):
    header = "channel,received_at,occurred_at,region,forms,victim_full_name,victim_iin,victim_birth_date,victim_sex,victim_relationship,offender_full_name"
    row = "victim,05.05.2025 10:00,05.05.2025 09:00,KZ-75,physical,Айжан,900517442000,18.05.1990,M,spouse,Ерлан"
    result = run(supervisor, csv_bytes(header, row), dry_run=True)
    assert problems(result) == [(2, [
        ("victim_birth_date", "The birth date does not match the IIN."),
        ("victim_sex", "The sex does not match the IIN. In the file: «M». Allowed: F, M."),
    ])]


def test_a_report_received_in_the_future_or_before_it_happened_is_refused(supervisor):
    header = "channel,received_at,occurred_at,region,forms,victim_full_name,victim_relationship,offender_full_name"
    future = "victim,2025-06-02T10:00:00+05:00,05.05.2025 09:00,KZ-75,physical,Айжан,spouse,Ерлан"
    backwards = "victim,05.05.2025 09:00,05.05.2025 10:00,KZ-75,physical,Айжан,spouse,Ерлан"
    result = run(supervisor, csv_bytes(header, future, backwards), dry_run=True)
    assert problems(result) == [
        (2, [("received_at", "This time is in the future.")]),
        (3, [("occurred_at", "The incident cannot happen after it was reported.")]),
    ]


# --- formats ----------------------------------------------------------------------------------------


def test_russian_headers_semicolons_and_a_byte_order_mark(supervisor):
    header = "Канал;Получено;Дата происшествия;Регион;Район;Формы насилия;ФИО потерпевшей;Дата рождения потерпевшей;Кем приходится;ФИО обидчика;Пол обидчика"
    row = "102;05.05.2025 10:00;05.05.2025 09:00;kz-75;751110000;физ;Айжан Маратқызы;1990-05-17;spouse;Ерлан Сапаров;М"
    result = run(supervisor, csv_bytes(header, row, bom=True), dry_run=True)
    assert problems(result) == [(2, [(
        "Формы насилия",
        "Choose at least one form of violence. In the file: «физ». Allowed: physical, psychological, economic, sexual, neglect.",
    )])]
    result = run(supervisor, csv_bytes(header, row.replace(";физ;", ";physical;"), bom=True), dry_run=False)
    assert result.committed
    case = Case.objects.get()
    assert (case.victim.full_name, case.victim.birth_date, case.offender.sex) == ("Айжан Маратқызы", dt.date(1990, 5, 17), "M")
    assert Report.objects.get().channel == "police_102"


def _xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _good_rows_as_cells() -> list[list[object]]:
    """The good CSV as a spreadsheet would hold it: real date cells, IINs as numbers."""
    import csv

    rows: list[list[object]] = []
    for record in csv.reader(io.StringIO(GOOD.read_text(encoding="utf-8"), newline="")):
        cells: list[object] = [None if v == "" else v for v in record]
        rows.append(cells)
    header = rows[0]
    for row in rows[1:]:
        for i, name in enumerate(header):
            value = row[i]
            if name in ("received_at", "occurred_at") and isinstance(value, str):
                row[i] = imports._datetime(value, ALMATY).astimezone(ALMATY).replace(tzinfo=None)
            elif name.endswith("birth_date") and isinstance(value, str):
                row[i] = imports._date(value)
            elif name.endswith("_iin") or name == "district":
                row[i] = int(value) if isinstance(value, str) else value
    return rows


def test_xlsx_imports_like_csv_and_the_same_rows_are_the_same_keys(supervisor):
    content = _xlsx(_good_rows_as_cells())
    result = run(supervisor, content, dry_run=False, name="Register.XLSX")
    assert (result.committed, result.valid, result.new_cases) == (True, 4, 3)
    assert Report.objects.get(channel="police_102").received_at == dt.datetime(2025, 5, 5, 17, 40, tzinfo=dt.UTC)
    # The same register as CSV is the same rows: nothing new.
    again = run(supervisor, GOOD, dry_run=False)
    assert (again.valid, again.already) == (0, 4)


def test_an_iin_stored_as_a_number_gets_its_leading_zero_back(supervisor):
    header = ["channel", "received_at", "occurred_at", "region", "forms", "victim_full_name", "victim_iin", "victim_relationship", "offender_full_name"]
    row = ["school", dt.datetime(2025, 5, 5, 10, 0), dt.date(2025, 5, 5), "KZ-75", "physical", "Алия Серикова", 70211642004, "parent", "Серик Ахметов"]
    result = run(supervisor, _xlsx([header, row]), dry_run=False, name="school.xlsx")
    assert result.committed
    victim = Case.objects.get().victim
    assert (victim.iin, victim.iin_status, victim.birth_date, victim.sex) == ("070211642004", IinStatus.VALID, dt.date(2007, 2, 11), "F")


def test_xlsx_bad_rows_are_reported_by_sheet_row(supervisor):
    header = ["channel", "received_at", "occurred_at", "region", "forms", "victim_full_name", "victim_relationship", "offender_full_name"]
    good = ["victim", "05.05.2025 10:00", "05.05.2025 09:00", "KZ-75", "physical", "Айжан", "spouse", "Ерлан"]
    result = run(supervisor, _xlsx([header, good, [None] * 8, [*good[:3], "KZ-00", *good[4:]]]), dry_run=True, name="r.xlsx")
    assert problems(result) == [(4, [("region", "Choose a region from the list. In the file: «KZ-00».")])]


# --- files refused ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("big.csv", b"a" * (imports.MAX_BYTES + 1), "The file is larger than 5 MB. Split it into smaller files."),
        ("register.pdf", b"%PDF-1.7\n", "Only CSV and XLSX files are accepted."),
        ("register", b"channel\n", "Only CSV and XLSX files are accepted."),
        ("register.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100,
         "This spreadsheet is in the old XLS format. Save it as XLSX or as CSV UTF-8 and upload it again."),
        ("register.xlsx", b"channel,received_at\n", "The file is not an XLSX workbook, although its name says so."),
        ("register.csv", b"PK\x03\x04" + b"\0" * 100, "The file is not a CSV file, although its name says so."),
        ("register.xlsx", b"PK\x03\x04" + b"\0" * 100,
         "The workbook could not be read. Open it in your spreadsheet program, save it again and upload it again."),
        ("register.csv", "канал;получено\n".encode("cp1251"),
         "The CSV file is not in UTF-8. Save it as “CSV UTF-8” and upload it again."),
        ("register.csv", b"channel,\x00\x01\n", "This is not a text file. Save the register as CSV or XLSX."),
        ("register.csv", b"", "The file is empty."),
        ("register.csv", b"\n\n", "The file is empty."),
    ],
)
def test_oversize_and_wrong_files_are_refused_clearly(supervisor, name, content, message):
    with pytest.raises(Invalid) as excinfo:
        run(supervisor, content, dry_run=True, name=name)
    assert file_errors(excinfo) == [message]
    assert import_audits() == [("unreadable", None)]


def test_a_zip_that_would_unpack_too_far_is_refused(supervisor, monkeypatch):
    monkeypatch.setattr(imports, "MAX_UNPACKED_BYTES", 1000)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", "a" * 5000)
    with pytest.raises(Invalid) as excinfo:
        run(supervisor, out.getvalue(), dry_run=True, name="bomb.xlsx")
    assert file_errors(excinfo) == ["The workbook could not be read. Open it in your spreadsheet program, save it again and upload it again."]


def test_header_problems_name_the_columns(supervisor):
    content = csv_bytes("channel,received_at,when,region,forms,forms,victim_full_name,offender_full_name", "x,x,x,x,x,x,x,x")
    with pytest.raises(Invalid) as excinfo:
        run(supervisor, content, dry_run=True)
    assert file_errors(excinfo) == [
        "Unknown columns: when.",
        "Columns given twice: forms.",
        "Columns missing: occurred_at, victim_relationship.",
    ]


def test_a_header_without_rows_and_too_many_rows_are_refused(supervisor, monkeypatch):
    header = GOOD.read_text(encoding="utf-8").splitlines()[0]
    with pytest.raises(Invalid) as excinfo:
        run(supervisor, csv_bytes(header), dry_run=True)
    assert file_errors(excinfo) == ["The file has no rows to import."]
    monkeypatch.setattr(imports, "MAX_ROWS", 3)
    with pytest.raises(Invalid) as excinfo:
        run(supervisor, GOOD, dry_run=True)
    assert file_errors(excinfo) == ["The file has more than 3 rows. Split it into smaller files."]
    with pytest.raises(Invalid) as excinfo:
        run(supervisor, _xlsx(_good_rows_as_cells()), dry_run=True, name="r.xlsx")
    assert file_errors(excinfo) == ["The file has more than 3 rows. Split it into smaller files."]


def test_a_malformed_csv_is_refused_with_its_line(supervisor):
    header = "channel,received_at,occurred_at,region,forms,victim_full_name,victim_relationship,offender_full_name"
    content = csv_bytes(header, "victim,a,b,KZ-75,physical,Айжан,spouse,Ерлан", 'victim,"' + "x" * 200_000 + '",b')
    with pytest.raises(Invalid) as excinfo:
        run(supervisor, content, dry_run=True)
    assert file_errors(excinfo) == ["The CSV file is malformed near line 3."]


@pytest.mark.parametrize("role", [Role.POLICE_INSPECTOR, Role.SOCIAL_WORKER, Role.ADMINISTRATOR, Role.ANALYST])
def test_only_a_supervisor_who_registers_reports_may_import(make_user, role):
    with pytest.raises(Forbidden):
        run(make_user(role), GOOD, dry_run=True)
    assert nothing_written() and import_audits() == []


# --- the command ------------------------------------------------------------------------------------


def command(*args: str) -> tuple[str, str | None]:
    out = io.StringIO()
    try:
        call_command("import-reports", *args, stdout=out)
    except CommandError as exc:
        return out.getvalue(), str(exc)
    return out.getvalue(), None


def test_the_command_dry_run_then_import(supervisor):
    out, error = command(str(GOOD), "--as", supervisor.username, "--dry-run")
    assert out.splitlines() == [
        "Rows read: 4; valid: 4; already imported: 0; with errors: 0.",
        "The file is ready: 4 reports would be imported and 3 new cases opened. Nothing was saved.",
    ]
    assert error is None and nothing_written()
    out, error = command(str(GOOD), "--as", supervisor.username)
    assert out.splitlines()[-1] == "Imported 4 reports; 3 new cases opened." and error is None
    assert Report.objects.count() == 4
    out, error = command(str(GOOD), "--as", supervisor.username)
    assert out.splitlines()[-1] == "Nothing new to import: every row was imported before."
    assert Report.objects.count() == 4


def test_the_command_prints_every_bad_line_and_fails(supervisor):
    out, error = command(str(BROKEN), "--as", supervisor.username)
    expected = [f"Line {line}, {column}: {message}" for line, errors in BROKEN_PROBLEMS for column, message in errors]
    assert out.splitlines() == [
        *expected,
        "Rows read: 9; valid: 2; already imported: 0; with errors: 7.",
        "Nothing was imported: correct the rows listed and try again. An import is all or nothing.",
    ]
    assert error == "Nothing was imported: correct the rows listed and try again. An import is all or nothing."
    assert nothing_written()


def test_the_docs_show_the_example_file_and_the_commands_real_output(supervisor):
    doc = (Path(__file__).resolve().parents[2] / "docs" / "import-format.md").read_text(encoding="utf-8")
    example = re.search(r"```csv\n(.*?)```", doc, re.S)
    assert example is not None and example.group(1) == GOOD.read_text(encoding="utf-8")
    dry, _ = command(str(GOOD), "--as", supervisor.username, "--dry-run")
    broken, _ = command(str(BROKEN), "--as", supervisor.username)
    blocks = re.findall(r"```\n\$ qorgau import-reports .*?\n(.*?)```", doc, re.S)
    assert blocks == [dry, broken]


def test_the_command_refuses_unknown_users_files_and_roles(supervisor, make_user, tmp_path):
    assert command(str(GOOD), "--as", "nobody") == ("", "no active user 'nobody'")
    missing = tmp_path / "missing.csv"
    assert command(str(missing), "--as", supervisor.username) == ("", f"no file {str(missing)!r}")
    inspector = make_user(Role.POLICE_INSPECTOR, language="en")
    assert command(str(GOOD), "--as", inspector.username) == ("", "Your role does not allow this.")
    big = tmp_path / "big.csv"
    big.write_bytes(b"a" * (imports.MAX_BYTES + 10))
    assert command(str(big), "--as", supervisor.username) == ("", "The file is larger than 5 MB. Split it into smaller files.")


def test_the_command_speaks_the_users_language(make_user):
    russian = make_user(Role.POLICE_INSPECTOR, language="ru")
    with translation.override("ru"):
        expected = gettext("Your role does not allow this.")
    assert expected != "Your role does not allow this."  # a message the catalogue already has
    assert command(str(GOOD), "--as", russian.username) == ("", expected)


# --- the page ---------------------------------------------------------------------------------------


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def test_the_page_checks_then_imports(supervisor):
    client = sign_in(Client(), supervisor)
    page = client.get("/cases/import/")
    assert page.status_code == 200
    assert b'enctype="multipart/form-data"' in page.content and b"victim_relationship" in page.content

    checked = client.post("/cases/import/", {"file": upload("reports-good.csv", GOOD.read_bytes())})
    assert checked.status_code == 200 and checked.context["result"].valid == 4
    assert "The file is ready: 4 reports would be imported and 3 new cases opened. Nothing was saved." in checked.content.decode()
    assert nothing_written()

    imported = client.post("/cases/import/", {"file": upload("reports-good.csv", GOOD.read_bytes()), "commit": "on"})
    assert imported.status_code == 200
    assert "Imported 4 reports; 3 new cases opened." in imported.content.decode()
    assert Report.objects.count() == 4
    assert imported.context["form"].is_bound is False  # a fresh form: the box is not left ticked


def test_the_page_lists_every_bad_line(supervisor):
    client = sign_in(Client(), supervisor)
    response = client.post("/cases/import/", {"file": upload("reports-broken.csv", BROKEN.read_bytes()), "commit": "on"})
    assert response.status_code == 200
    table = response.content.decode().split('data-testid="import-problems"')[1].split("</table>")[0]
    rows = re.findall(r'<tr><td rowspan="\d+" class="nowrap">(\d+)</td><td><code>([^<]*)</code></td><td>(.*?)</td></tr>', table)
    # On the page a shown value and the allowed codes are set in <code> rather than in quotes.
    assert [(int(line), column, re.sub(r"</?code>", "", message)) for line, column, message in rows] == [
        (line, column, text.replace("«", "").replace("»", "")) for line, errors in BROKEN_PROBLEMS for column, text in errors
    ]
    assert nothing_written()


def test_the_page_refuses_bad_files_with_a_field_error_and_never_a_500(supervisor, monkeypatch):
    client = sign_in(Client(), supervisor)
    cases = [
        ({}, "Choose the file to check or import."),
        ({"file": upload("register.pdf", b"%PDF-1.7")}, "Only CSV and XLSX files are accepted."),
        ({"file": upload("register.xlsx", b"not a zip")}, "The file is not an XLSX workbook, although its name says so."),
        ({"file": upload("register.csv", b"")}, "The file is empty."),
        ({"file": upload("big.csv", b"a" * (imports.MAX_BYTES + 1))}, "The file is larger than 5 MB. Split it into smaller files."),
        ({"file": upload("huge.csv", b"a" * (imports.MAX_BYTES + 100_000))}, "The file is larger than 5 MB. Split it into smaller files."),
    ]
    for data, message in cases:
        response = client.post("/cases/import/", data)
        assert response.status_code == 422, message
        assert response.context["form"].errors["file"] == [message]
    assert Report.objects.count() == 0


def test_the_upload_is_never_spilled_to_disk(supervisor, settings):
    # Django writes uploads above FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file; the import page must not.
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10
    client = sign_in(Client(), supervisor)
    response = client.post("/cases/import/", {"file": upload("reports-good.csv", GOOD.read_bytes())})
    assert response.status_code == 200 and response.context["result"].valid == 4
    assert type(response.context["form"].cleaned_data["file"]).__name__ == "InMemoryUploadedFile"


@pytest.mark.parametrize("who", [ANON, *(r.value for r in Role)])
def test_the_permission_matrix_row_holds(who, make_user):
    for check in MATRIX["cases/import/"]:
        client = Client()
        if who != ANON:
            sign_in(client, make_user(who))
        response = getattr(client, check.method.lower())(check.path, data=check.data)
        assert response.status_code == check.expect[who], f"{check.method} as {who}"


def test_the_page_still_checks_the_csrf_token(supervisor):
    # The view sets its own upload handlers before the CSRF check reads the body; the check must still run.
    client = sign_in(Client(enforce_csrf_checks=True), supervisor)
    refused = client.post("/cases/import/", {"file": upload("reports-good.csv", GOOD.read_bytes())})
    assert refused.status_code == 403 and AuditEvent.objects.filter(action=AuditAction.IMPORT).count() == 0
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get("/cases/import/").content.decode())
    assert token is not None
    accepted = client.post(
        "/cases/import/", {"csrfmiddlewaretoken": token.group(1), "file": upload("reports-good.csv", GOOD.read_bytes())}
    )
    assert accepted.status_code == 200 and accepted.context["result"].valid == 4
