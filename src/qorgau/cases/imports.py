"""Bulk import of reports from a CSV or XLSX register (issue 3; the format is in docs/import-format.md).

One row is one report with one victim and one offender. Every row goes through the real
``report_register`` service, so an import follows exactly the rules of the registration screen. A dry
run registers every row inside a transaction that is then rolled back and reports every bad row with
its line and reasons; an import does the same and commits only when no row is bad (all or nothing).
Each row carries a stable ``import_key`` (the importing unit and the row's normalised content), so
running the same file again adds nothing. The file is read from memory and never written to disk.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db import DatabaseError, transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qorgau.accounts.models import User
from qorgau.accounts.roles import Capability
from qorgau.cases.models import Channel, Marker, Relationship, Report
from qorgau.cases.services import CIRCUMSTANCES, FORMS, ReportInput, VictimInput, report_register
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.errors import Forbidden, Invalid
from qorgau.core.models import AuditAction
from qorgau.people.models import Sex
from qorgau.people.services import PersonInput

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
# A 5 MB workbook can unpack to far more; refuse anything that would unpack beyond this.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls
REQUIRED_CAPABILITIES = (Capability.REGISTER_REPORT, Capability.SUPERVISE_UNIT)

YES = frozenset({"yes", "y", "true", "1", "да", "д", "иә", "ия", "urban", "город", "қала"})
NO = frozenset({"no", "n", "false", "0", "нет", "н", "жоқ", "rural", "село", "ауыл"})
SEX_ALIASES = {
    "f": Sex.FEMALE, "female": Sex.FEMALE, "ж": Sex.FEMALE, "жен": Sex.FEMALE, "женский": Sex.FEMALE, "әйел": Sex.FEMALE,
    "m": Sex.MALE, "male": Sex.MALE, "м": Sex.MALE, "муж": Sex.MALE, "мужской": Sex.MALE, "ер": Sex.MALE,
    "u": Sex.UNKNOWN, "": Sex.UNKNOWN,
}
CHANNEL_ALIASES = {"150": Channel.HOTLINE_150, "111": Channel.HOTLINE_111, "102": Channel.POLICE_102}
DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")


@dataclass(frozen=True)
class Column:
    name: str
    help: Promise
    required: bool = False
    aliases: tuple[str, ...] = ()  # Russian header names
    example: str = ""
    # Coded columns hold no personal data: a bad value is shown back, with the values allowed.
    coded: bool = False
    allowed: Callable[[], list[str]] | None = None


def _markers() -> list[str]:
    return list(Marker.objects.values_list("code", flat=True))


def _yes_no_values() -> list[str]:
    return ["yes", "no"]


C = Column
COLUMNS: tuple[Column, ...] = (
    C("channel", gettext_lazy("Who reported: one of these codes."), True, ("канал", "кто сообщил", "источник"),
      coded=True, allowed=lambda: list(Channel.values)),
    C("received_at", gettext_lazy("When the report was received: date and time."), True,
      ("получено", "дата поступления", "дата сообщения"), "05.03.2025 14:30"),
    C("occurred_at", gettext_lazy("When it happened: date and time."), True,
      ("дата происшествия", "произошло", "дата события"), "2025-03-05 13:50"),
    C("region", gettext_lazy("Region code."), True, ("регион", "область"), "KZ-75", coded=True),
    C("district", gettext_lazy("District code, 9 digits."), False, ("район", "като", "като района"), "751110000", coded=True),
    C("locality", gettext_lazy("Town or village."), False, ("населенный пункт", "нп")),
    C("urban", gettext_lazy("Urban or rural: yes, no, or empty to take the district's default."), False,
      ("городская местность", "город"), coded=True, allowed=_yes_no_values),
    C("forms", gettext_lazy("Forms of violence, separated by semicolons."), True, ("формы насилия", "формы"),
      "physical;psychological", coded=True, allowed=lambda: list(FORMS)),
    C("circumstances", gettext_lazy("Circumstances, separated by semicolons."), False, ("обстоятельства",),
      coded=True, allowed=lambda: list(CIRCUMSTANCES)),
    C("narrative", gettext_lazy("What happened, in free text."), False, ("фабула", "описание")),
    C("victim_full_name", gettext_lazy("The victim's full name."), True, ("фио потерпевшей", "фио потерпевшего", "потерпевшая")),
    C("victim_iin", gettext_lazy("The victim's IIN, if known."), False, ("иин потерпевшей", "иин потерпевшего")),
    C("victim_iin_unverified_ok", gettext_lazy("Keep an IIN that fails the check, flagged unverified: yes or no."), False,
      ("иин потерпевшей не проверен",), coded=True, allowed=_yes_no_values),
    C("victim_birth_date", gettext_lazy("The victim's birth date."), False,
      ("дата рождения потерпевшей", "дата рождения потерпевшего"), "17.05.1990"),
    C("victim_sex", gettext_lazy("The victim's sex; empty if not known."), False, ("пол потерпевшей", "пол потерпевшего"),
      coded=True, allowed=lambda: ["F", "M"]),
    C("victim_phone", gettext_lazy("The victim's phone."), False, ("телефон потерпевшей", "телефон потерпевшего")),
    C("victim_address", gettext_lazy("The victim's address."), False, ("адрес потерпевшей", "адрес потерпевшего")),
    C("victim_relationship", gettext_lazy("What the offender is to the victim: one of these codes."), True,
      ("кем приходится", "отношение", "связь"), coded=True, allowed=lambda: list(Relationship.values)),
    C("victim_markers", gettext_lazy("Vulnerability markers, separated by semicolons."), False, ("маркеры уязвимости", "маркеры"),
      coded=True, allowed=_markers),
    C("offender_full_name", gettext_lazy("The offender's full name."), True, ("фио обидчика", "фио правонарушителя", "обидчик")),
    C("offender_iin", gettext_lazy("The offender's IIN, if known."), False, ("иин обидчика", "иин правонарушителя")),
    C("offender_iin_unverified_ok", gettext_lazy("Keep an IIN that fails the check, flagged unverified: yes or no."), False,
      ("иин обидчика не проверен",), coded=True, allowed=_yes_no_values),
    C("offender_birth_date", gettext_lazy("The offender's birth date."), False,
      ("дата рождения обидчика", "дата рождения правонарушителя"), "02.03.1986"),
    C("offender_sex", gettext_lazy("The offender's sex; empty if not known."), False, ("пол обидчика", "пол правонарушителя"),
      coded=True, allowed=lambda: ["F", "M"]),
    C("offender_phone", gettext_lazy("The offender's phone."), False, ("телефон обидчика", "телефон правонарушителя")),
    C("offender_address", gettext_lazy("The offender's address."), False, ("адрес обидчика", "адрес правонарушителя")),
)
BY_NAME = {c.name: c for c in COLUMNS}


def _header_key(value: object) -> str:
    text = str(value or "").strip().lower().replace("ё", "е")
    return re.sub(r"[\s_\-]+", " ", text).strip(" *")


HEADER_KEYS: dict[str, str] = {_header_key(alias): c.name for c in COLUMNS for alias in (c.name, *c.aliases)}


# --- results --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CellError:
    column: str  # as the file names it; "—" for the row as a whole
    message: str  # in the user's language
    value: str = ""  # a coded cell's value, shown back (never a name, IIN, phone, address or narrative)
    allowed: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        if not self.value:
            return self.message
        if not self.allowed:
            return self.message + " " + _("In the file: «%(value)s».") % {"value": self.value}
        return self.message + " " + _("In the file: «%(value)s». Allowed: %(allowed)s.") % {
            "value": self.value, "allowed": ", ".join(self.allowed)
        }


@dataclass
class RowProblem:
    line: int
    errors: list[CellError]


@dataclass
class ImportResult:
    dry_run: bool
    rows: int = 0
    valid: int = 0  # rows that register (or would, in a dry run)
    new_cases: int = 0
    already: int = 0  # rows that an earlier run imported
    duplicates: list[tuple[int, int]] = field(default_factory=list)  # (line, the earlier line it repeats)
    problems: list[RowProblem] = field(default_factory=list)
    committed: bool = False

    @property
    def imported(self) -> int:
        return self.valid if self.committed else 0


# --- reading the file -----------------------------------------------------------------------------


@dataclass
class Table:
    header: list[object]
    rows: list[tuple[int, list[object]]]  # (line in the file, cells)


def _file_error(message: str) -> Invalid:
    return Invalid(message, fields={"file": [message]})


def _is_empty(cells: list[object]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _too_many_rows() -> Invalid:
    return _file_error(_("The file has more than %(rows)d rows. Split it into smaller files.") % {"rows": MAX_ROWS})


def _read_csv(content: bytes) -> Table:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _file_error(_("The CSV file is not in UTF-8. Save it as “CSV UTF-8” and upload it again.")) from None
    if "\x00" in text:
        raise _file_error(_("This is not a text file. Save the register as CSV or XLSX."))
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[object] | None = None
    rows: list[tuple[int, list[object]]] = []
    previous = 0
    try:
        for record in reader:
            line, previous = previous + 1, reader.line_num
            if header is None:
                if not _is_empty(list(record)):
                    header = list(record)
                continue
            if _is_empty(list(record)):
                continue
            rows.append((line, list(record)))
            if len(rows) > MAX_ROWS:
                raise _too_many_rows()
    except csv.Error:
        raise _file_error(_("The CSV file is malformed near line %(line)d.") % {"line": previous + 1}) from None
    if header is None:
        raise _file_error(_("The file is empty."))
    return Table(header, rows)


def _read_xlsx(content: bytes) -> Table:
    import openpyxl  # only imports need it

    unreadable = _("The workbook could not be read. Open it in your spreadsheet program, save it again and upload it again.")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            if sum(i.file_size for i in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise _file_error(unreadable)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
            try:
                if not book.worksheets:
                    raise _file_error(_("The file is empty."))
                header: list[object] | None = None
                rows: list[tuple[int, list[object]]] = []
                for number, values in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
                    cells = list(values)
                    if header is None:
                        if not _is_empty(cells):
                            header = cells
                        continue
                    if _is_empty(cells):
                        continue
                    rows.append((number, cells))
                    if len(rows) > MAX_ROWS:
                        raise _too_many_rows()
            finally:
                book.close()
    except Invalid:
        raise
    except Exception:  # a malformed workbook is the user's file, not a server error
        raise _file_error(unreadable) from None
    if header is None:
        raise _file_error(_("The file is empty."))
    return Table(header, rows)


def read_table(filename: str, content: bytes) -> Table:
    """The header and the non-empty rows of the file, or Invalid with a clear reason."""
    if len(content) > MAX_BYTES:
        raise _file_error(_("The file is larger than %(mb)d MB. Split it into smaller files.") % {"mb": MAX_BYTES // (1024 * 1024)})
    if not content.strip():
        raise _file_error(_("The file is empty."))
    name = filename.lower().strip()
    if content.startswith(OLE_MAGIC):
        raise _file_error(_("This spreadsheet is in the old XLS format. Save it as XLSX or as CSV UTF-8 and upload it again."))
    if name.endswith(".xlsx"):
        if not content.startswith(ZIP_MAGIC):
            raise _file_error(_("The file is not an XLSX workbook, although its name says so."))
        return _read_xlsx(content)
    if name.endswith(".csv"):
        if content.startswith(ZIP_MAGIC):
            raise _file_error(_("The file is not a CSV file, although its name says so."))
        return _read_csv(content)
    raise _file_error(_("Only CSV and XLSX files are accepted."))


def map_header(header: list[object]) -> dict[str, int]:
    """Column name → position; Invalid naming every unknown, repeated or missing column."""
    positions: dict[str, int] = {}
    unknown: list[str] = []
    repeated: list[str] = []
    for i, raw in enumerate(header):
        key = _header_key(raw)
        if not key:
            continue
        name = HEADER_KEYS.get(key)
        if name is None:
            unknown.append(str(raw).strip())
        elif name in positions:
            repeated.append(str(raw).strip())
        else:
            positions[name] = i
    messages: list[str] = []
    if unknown:
        messages.append(_("Unknown columns: %(columns)s.") % {"columns": ", ".join(unknown)})
    if repeated:
        messages.append(_("Columns given twice: %(columns)s.") % {"columns": ", ".join(repeated)})
    missing = [c.name for c in COLUMNS if c.required and c.name not in positions]
    if missing:
        messages.append(_("Columns missing: %(columns)s.") % {"columns": ", ".join(missing)})
    if messages:
        raise Invalid(messages[0], fields={"file": messages})
    return positions


# --- one row --------------------------------------------------------------------------------------


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _line(value: object) -> str:
    return " ".join(_text(value).split())


def _identifier(value: object, width: int = 0) -> str:
    """An IIN or KATO code: a spreadsheet may have stored it as a number and dropped leading zeros."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        text = _text(value)
        return text.zfill(width) if width and text.isdigit() and len(text) < width else text
    return _line(value).lstrip("'").replace(" ", "")


def _codes(value: object) -> list[str]:
    return [p.strip().lower() for p in re.split(r"[;,]", _text(value)) if p.strip()]


def _datetime(value: object, zone: ZoneInfo) -> dt.datetime:
    if isinstance(value, dt.datetime):
        naive = value
    elif isinstance(value, dt.date):
        naive = dt.datetime.combine(value, dt.time())
    else:
        text = _line(value)
        m = DOTTED.fullmatch(text)
        if m:
            day, month, year, hour, minute, second = (int(g) if g else 0 for g in m.groups())
            naive = dt.datetime(year, month, day, hour, minute, second)
        else:
            naive = dt.datetime.fromisoformat(text)
    aware = naive if naive.tzinfo is not None else naive.replace(tzinfo=zone)
    return aware.astimezone(clock.UTC)


def _date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _line(value)
    m = DOTTED.fullmatch(text)
    if m and m.group(4) is None:
        return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return dt.date.fromisoformat(text)
    raise ValueError(text)


def _yes_no(value: object) -> bool | None:
    text = _line(value).lower()
    if not text:
        return None
    if text in YES:
        return True
    if text in NO:
        return False
    raise ValueError(text)


@dataclass
class ParsedRow:
    line: int
    data: ReportInput
    errors: dict[str, list[str]]  # column → messages, from reading the cells
    raw: dict[str, object]  # coded cells, to show a bad value back


class _Cells:
    def __init__(self, cells: list[object], positions: dict[str, int]) -> None:
        self.cells = cells
        self.positions = positions
        self.errors: dict[str, list[str]] = {}

    def __getitem__(self, name: str) -> object:
        i = self.positions.get(name)
        return self.cells[i] if i is not None and i < len(self.cells) else None

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def when(self, name: str, zone: ZoneInfo, fallback: dt.datetime) -> dt.datetime:
        value = self[name]
        if not _text(value):
            self.fail(name, _("Enter the date and time."))
            return fallback
        try:
            return _datetime(value, zone)
        except (ValueError, OverflowError):
            self.fail(name, _("Write the date and time as 2025-03-05 14:30 or 05.03.2025 14:30."))
            return fallback

    def birth_date(self, name: str) -> dt.date | None:
        value = self[name]
        if not _text(value):
            return None
        try:
            return _date(value)
        except (ValueError, OverflowError):
            self.fail(name, _("Write the date as 1990-05-17 or 17.05.1990."))
            return None

    def yes_no(self, name: str) -> bool | None:
        try:
            return _yes_no(self[name])
        except ValueError:
            self.fail(name, _("Write yes, no or leave it empty."))
            return None

    def sex(self, name: str) -> str:
        text = _line(self[name])
        return SEX_ALIASES.get(text.lower(), text)  # an unknown value goes on to the service, which refuses it

    def person(self, prefix: str) -> PersonInput:
        return PersonInput(
            full_name=_line(self[f"{prefix}full_name"]),
            iin=_identifier(self[f"{prefix}iin"], 12),
            iin_unverified_ok=bool(self.yes_no(f"{prefix}iin_unverified_ok")),
            birth_date=self.birth_date(f"{prefix}birth_date"),
            sex=self.sex(f"{prefix}sex"),
            phone=_line(self[f"{prefix}phone"]).lstrip("'"),
            address=_line(self[f"{prefix}address"]),
        )


def parse_row(line: int, cells: list[object], positions: dict[str, int], zone: ZoneInfo) -> ParsedRow:
    c = _Cells(cells, positions)
    named = set(positions.values())
    if any(_text(v) for i, v in enumerate(cells) if i not in named):
        c.fail("", _("This row has values outside the named columns; check for an unquoted separator."))
    now = clock.now()
    received_at = c.when("received_at", zone, now)
    occurred_at = c.when("occurred_at", zone, received_at)
    channel = _line(c["channel"]).lower()
    data = ReportInput(
        channel=CHANNEL_ALIASES.get(channel, channel),
        received_at=received_at,
        occurred_at=occurred_at,
        region_iso=_line(c["region"]).upper(),
        district_kato=_identifier(c["district"]),
        locality=_line(c["locality"]),
        urban=c.yes_no("urban"),
        forms=set(_codes(c["forms"])),
        circumstances=set(_codes(c["circumstances"])),
        narrative=_text(c["narrative"]).replace("\r\n", "\n"),
        victims=[
            VictimInput(
                relationship=_line(c["victim_relationship"]).lower(),
                person=c.person("victim_"),
                markers=_codes(c["victim_markers"]),
            )
        ],
        offender=c.person("offender_"),
    )
    raw = {col.name: c[col.name] for col in COLUMNS if col.coded}
    return ParsedRow(line, data, c.errors, raw)


def _person_key(p: PersonInput | None) -> list[object]:
    assert p is not None
    return [p.full_name, p.iin, p.iin_unverified_ok, p.birth_date.isoformat() if p.birth_date else "", p.sex, p.phone, p.address]


def import_key(unit_id: int, data: ReportInput) -> str:
    """The same row imported by the same unit always gets the same key, from CSV or from XLSX."""
    victim = data.victims[0]
    content = [
        unit_id,
        data.channel,
        data.received_at.astimezone(clock.UTC).isoformat(),
        data.occurred_at.astimezone(clock.UTC).isoformat(),
        data.region_iso,
        data.district_kato,
        data.locality,
        data.urban,
        sorted(data.forms),
        sorted(data.circumstances),
        data.narrative.strip(),
        victim.relationship,
        sorted(victim.markers),
        _person_key(victim.person),
        _person_key(data.offender),
    ]
    return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode("utf-8")).hexdigest()


def _column_of(service_key: str) -> str:
    """The column a service error belongs to: ``victim0_iin`` → ``victim_iin``."""
    if service_key.startswith("victim0_"):
        return "victim_" + service_key.removeprefix("victim0_")
    if service_key == "victims":
        return "victim_full_name"
    if service_key == "offender_person":
        return "offender_full_name"
    return service_key


def _cell_error(column: str, shown: str, message: str, raw: dict[str, object]) -> CellError:
    spec = BY_NAME.get(column)
    value = _line(raw.get(column))[:60] if spec is not None and spec.coded else ""
    allowed = tuple(spec.allowed()) if value and spec is not None and spec.allowed else ()
    return CellError(shown, message, value, allowed)


class _RowRejected(Exception):
    pass


class _RollBack(Exception):
    pass


def _headers_as_in_file(header: list[object], positions: dict[str, int]) -> dict[str, str]:
    return {name: str(header[i]).strip() for name, i in positions.items()}


def _problem(row: ParsedRow, errors: dict[str, list[str]], shown: dict[str, str]) -> RowProblem:
    order = {c.name: i for i, c in enumerate(COLUMNS)}
    listed: list[CellError] = []
    for column in sorted(errors, key=lambda k: order.get(k, -1)):
        for message in errors[column]:
            listed.append(_cell_error(column, shown.get(column, column) if column else "—", str(message), row.raw))
    return RowProblem(row.line, listed)


def _register_rows(actor: User, rows: list[ParsedRow], shown: dict[str, str], result: ImportResult) -> None:
    assert actor.unit_id is not None
    first_line: dict[str, int] = {}
    for row in rows:
        key = None if row.errors else import_key(actor.unit_id, row.data)
        if key is not None:
            if key in first_line:
                result.duplicates.append((row.line, first_line[key]))
                continue
            first_line[key] = row.line
            if Report.objects.filter(import_key=key).exists():
                result.already += 1
                continue
        row.data.import_key = key
        errors: dict[str, list[str]] = {}
        try:
            with transaction.atomic():
                registration = report_register(actor=actor, data=row.data)
                if row.errors:
                    raise _RowRejected()  # the service found nothing more: undo the row, report the cells
        except Invalid as exc:
            errors = {_column_of(k): [str(m) for m in v] for k, v in exc.fields.items()} or {"": [str(exc.message)]}
        except _RowRejected:
            pass
        except DatabaseError:
            errors = {"": [_("This row could not be saved. Run the import again; if it fails again, tell the administrator.")]}
        else:
            result.valid += 1
            result.new_cases += len(registration.new_cases)
            continue
        # A cell that could not be read was replaced for the check: its own message is the one to show.
        for column, messages in row.errors.items():
            errors[column] = messages
        result.problems.append(_problem(row, errors, shown))


def report_import(*, actor: User, filename: str, content: bytes, dry_run: bool) -> ImportResult:
    """Check (``dry_run``) or import a register; all or nothing; one audit row per run, no personal data."""
    if actor.unit is None or not all(actor.can(c) for c in REQUIRED_CAPABILITIES):
        raise Forbidden()
    try:
        table = read_table(filename, content)
        positions = map_header(table.header)
    except Invalid:
        audit_record(actor=actor, action=AuditAction.IMPORT, target_type="reports", outcome="unreadable")
        raise
    zone = ZoneInfo(actor.unit.timezone)
    shown = _headers_as_in_file(table.header, positions)
    rows = [parse_row(line, cells, positions, zone) for line, cells in table.rows]
    result = ImportResult(dry_run=dry_run, rows=len(rows))
    if not rows:
        audit_record(actor=actor, action=AuditAction.IMPORT, target_type="reports", count=0, outcome="unreadable")
        raise _file_error(_("The file has no rows to import."))
    try:
        with transaction.atomic():
            _register_rows(actor, rows, shown, result)
            if dry_run or result.problems:
                raise _RollBack()
            audit_record(actor=actor, action=AuditAction.IMPORT, target_type="reports", count=result.valid)
            result.committed = True
    except _RollBack:
        outcome, count = ("dry_run", result.rows) if dry_run else ("rejected", len(result.problems))
        audit_record(actor=actor, action=AuditAction.IMPORT, target_type="reports", count=count, outcome=outcome)
    return result


def summary_lines(result: ImportResult) -> Iterator[str]:
    """The outcome in the user's language, as the command prints it and the page shows it."""
    yield _("Rows read: %(rows)d; valid: %(valid)d; already imported: %(already)d; with errors: %(bad)d.") % {
        "rows": result.rows, "valid": result.valid, "already": result.already, "bad": len(result.problems)
    }
    for line, first in result.duplicates:
        yield _("Line %(line)d repeats line %(first)d and was skipped.") % {"line": line, "first": first}
    if result.committed and result.valid:
        yield _("Imported %(reports)d reports; %(cases)d new cases opened.") % {"reports": result.valid, "cases": result.new_cases}
    elif result.problems:
        yield _("Nothing was imported: correct the rows listed and try again. An import is all or nothing.")
    elif result.dry_run:
        if result.valid:
            yield _("The file is ready: %(reports)d reports would be imported and %(cases)d new cases opened. Nothing was saved.") % {
                "reports": result.valid, "cases": result.new_cases
            }
        else:
            yield _("Nothing new to import: every row was imported before. Nothing was saved.")
    else:
        yield _("Nothing new to import: every row was imported before.")


def column_help() -> list[dict[str, Any]]:
    """The column reference for the import page."""
    return [
        {"name": c.name, "required": c.required, "help": c.help, "example": c.example, "allowed": c.allowed() if c.allowed else []}
        for c in COLUMNS
    ]
