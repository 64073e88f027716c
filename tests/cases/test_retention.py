"""The retention policy (DESIGN §10, docs/retention.md): after the period a closed case loses its
decryptable personal fields — asserted on the raw columns — and keeps its statistics, its repeat-link
keys and the audit chain; open, recent and shared data stay; a second run changes nothing."""

from __future__ import annotations

import datetime as dt
import json
from datetime import timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client

from qorgau.accounts.masks import Scope
from qorgau.accounts.models import AgencyKind, Unit
from qorgau.accounts.roles import Role
from qorgau.accounts.services import unit_create
from qorgau.analytics.models import Tally
from qorgau.analytics.refresh import tallies_refresh
from qorgau.cases import retention
from qorgau.cases.attachments import AttachmentRemoved, attachment_add, attachment_open, storage_path
from qorgau.cases.ledger import grant_add
from qorgau.cases.models import Attachment, Case, CaseEvent, CaseState, GrantReason, Report
from qorgau.cases.selectors import case_search, pair_flags, pair_repeat_counts
from qorgau.cases.services import SafeContactInput, VictimInput, case_change_state, report_register, safe_contact_update
from qorgau.core import clock, crypto
from qorgau.core.audit import audit_seal, audit_verify
from qorgau.core.fields import EncryptedTextField, encrypted_fields
from qorgau.core.models import AuditAction, AuditEvent, Region
from qorgau.core.scheduler import _jobs
from qorgau.orders.models import Order
from qorgau.orders.services import order_issue
from qorgau.people.models import Person, PersonKey, SafeContact
from qorgau.protocols.definitions import protocols_load
from qorgau.protocols.models import Task
from qorgau.risk.instruments import instruments_load, policy_load
from tests.cases.factories import person, report_input, synthetic_iin
from tests.conftest import sign_in
from tests.orders.support import make_cases, police_input

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
HER_IIN = synthetic_iin(dt.date(1990, 5, 17), "F", 3000)
HIS_IIN = synthetic_iin(dt.date(1986, 3, 2), "M", 3001)
SECRETS = ["Сапарова Айгерим", "Абая 10", "+7 701 111 22 33", "Сирень", "Ударил, угрожал", "переехала к сестре", "photo.png"]


# --- helpers -------------------------------------------------------------------------------------------


def _raw(model: type, name: str, pks: list[int]) -> list[str | None]:
    """The stored column values, as the database holds them (no decryption by the field)."""
    if not pks:
        return []
    table, column = model._meta.db_table, model._meta.get_field(name).column
    marks = ", ".join(["%s"] * len(pks))
    with connection.cursor() as cur:
        cur.execute(f'SELECT "{column}" FROM "{table}" WHERE "id" IN ({marks})', pks)  # table and column names come from _meta
        return [row[0] for row in cur.fetchall()]


def _plain(model: type, name: str, raw: str | None) -> str | None:
    field = model._meta.get_field(name)
    assert isinstance(field, EncryptedTextField)
    return None if raw is None else crypto.decrypt(raw, context=field.crypto_context)


def _rows_of(label: str, path: str, owner_ids: list[int]) -> list[int]:
    model = apps.get_model(label)
    lookup = "pk__in" if path == "pk" else f"{path}__in"
    return list(model._default_manager.filter(**{lookup: owner_ids}).values_list("pk", flat=True))


def _long_ago(case: Case, years: int = 6) -> None:
    Case.objects.filter(pk=case.pk).update(closed_at=clock.now() - timedelta(days=365 * years + 2))


def _tallies() -> list[tuple]:
    tallies_refresh(full=True)
    fields = [f.name for f in Tally._meta.concrete_fields if f.name not in ("id", "refreshed_at", "created_at", "updated_at")]
    return sorted(tuple(str(v) for v in row) for row in Tally.objects.values_list(*fields))


def _unit(code: str, name: str) -> Unit:
    return unit_create(actor=None, kind=AgencyKind.objects.get(code=code), region=Region.objects.get(iso="KZ-75"),
                       name_ru=name, name_kk=name, name_en=name)


@pytest.fixture
def world(make_user):
    """A closed pair with something in every part of the case, and an open pair of other people."""
    protocols_load()
    instruments_load()
    policy_load()
    _unit("family_support", "ЦПС Алмалы")
    inspector = make_user(Role.POLICE_INSPECTOR)
    her = person("Сапарова Айгерим", iin=False, phone="+7 701 111 22 33", address="Абая 10", workplace="Школа 5")
    her.iin = HER_IIN
    him = person("Сапаров Ерлан", birth=dt.date(1986, 3, 2), sex="M", iin=False, phone="+7 702 000 00 00")
    him.iin = HIS_IIN
    reg = report_register(actor=inspector, data=report_input(victims=[VictimInput(relationship="spouse", person=her)], offender=him,
                                                               narrative="Ударил, угрожал ножом."))
    case = reg.cases[0]
    attachment = attachment_add(actor=inspector, case=case, kind="injury_photo",
                                upload=SimpleUploadedFile("photo.png", PNG, content_type="image/png"))
    safe_contact_update(actor=inspector, case=case, version=None,
                        data=SafeContactInput(may_call=True, phone="+7 705 999 88 77", code_word="Сирень"))
    order = order_issue(actor=inspector, case=case, data=police_input(case))
    grant_add(case, _unit("court", "Суд"), GrantReason.SUPERVISOR, Scope.WORKER, by=inspector, why="Рассмотрение дела Сапаровой")
    case.refresh_from_db()
    case_change_state(actor=inspector, case=case, version=case.version, to_state=CaseState.CLOSED, reason="Она переехала к сестре")
    other = report_register(actor=inspector, data=report_input(
        victims=[VictimInput(relationship="spouse", person=person("Омарова Дана", birth=dt.date(1992, 1, 9), serial=3100))],
        offender=person("Омаров Канат", birth=dt.date(1988, 7, 1), sex="M", serial=3101), narrative="Другая история.",
    )).cases[0]
    case.refresh_from_db()
    return {"inspector": inspector, "case": case, "attachment": attachment, "order": order, "other": other}


# --- coverage -------------------------------------------------------------------------------------------


def test_every_encrypted_field_is_removed_by_retention_or_exempt_with_a_reason():
    covered = retention.covered_fields()
    found: dict[str, set[str]] = {}
    for model, field in encrypted_fields():
        found.setdefault(model._meta.label, set()).add(field.name)
    missing = {
        label: sorted(names - covered.get(label, set()))
        for label, names in found.items()
        if label not in retention.EXEMPT and names - covered.get(label, set())
    }
    assert missing == {}, f"encrypted fields the retention policy neither removes nor exempts: {missing}"
    stale = {label: sorted(names - found.get(label, set())) for label, names in covered.items() if names - found.get(label, set())}
    assert stale == {}, f"retention names fields that are not encrypted fields: {stale}"
    assert sorted(set(retention.EXEMPT) - set(found)) == [], "an exemption for a model without encrypted fields"
    assert all(len(reason) > 20 for reason in retention.EXEMPT.values())


def test_exempt_models_hold_no_reference_to_a_case_or_a_person():
    """An exempt model that points at a case or a person record would leak past the policy."""
    for label in retention.EXEMPT:
        if label == "monitoring.Ping":
            continue  # through its device; deleted after PING_RETENTION_DAYS (monitoring.retention)
        targets = {f.related_model._meta.label for f in apps.get_model(label)._meta.get_fields() if f.is_relation and f.related_model}
        assert not targets & {"cases.Case", "people.Person", "cases.Report", "cases.Incident"}, label


# --- the run ----------------------------------------------------------------------------------------------


def test_a_case_closed_longer_than_the_period_loses_its_personal_fields(world, settings):
    case, other = world["case"], world["other"]
    settings.QORGAU_RETENTION_YEARS = 5
    _long_ago(case)
    her, him = Person.objects.get(pk=case.victim_id), Person.objects.get(pk=case.offender_id)
    keys_before = sorted(PersonKey.objects.filter(person__in=[her, him]).values_list("person_id", "kind", "normaliser", "bidx"))
    bidx_before = (her.iin_bidx, her.name_bidx, her.name_dob_bidx, him.iin_bidx)
    events_before = CaseEvent.objects.filter(case=case).count()
    tasks_before = Task.objects.filter(case=case).count()
    assert tasks_before > 0 and Order.objects.filter(cases=case).count() == 1
    tallies_before = _tallies()
    other_before = {n: _raw(Person, n, [other.victim_id]) for n in ("full_name", "iin", "phone")}
    file_path = storage_path(world["attachment"].storage_key)
    assert file_path.exists()

    counts = retention.retention_apply()

    assert (counts.cases, counts.persons, counts.reports, counts.orders, counts.attachments, counts.batches) == (1, 2, 1, 1, 1, 1)
    # Raw columns: NULL where the column allows it, else the sealed empty text.
    for label, (path, names) in {**retention.CASE_FIELDS, **retention.ORDER_FIELDS}.items():
        model = apps.get_model(label)
        owner = [world["order"].pk] if label in retention.ORDER_FIELDS else [case.pk]
        pks = _rows_of(label, path, owner)
        for name in names:
            for raw in _raw(model, name, pks):
                expected = retention.EMPTY_VALUES.get((label, name), "")
                assert raw is None or _plain(model, name, raw) == expected, (label, name)
    assert _raw(Person, "iin", [her.pk, him.pk]) == [None, None]
    assert _raw(Person, "phone", [her.pk, him.pk]) == [None, None]
    assert _raw(Person, "address", [her.pk]) == [None]
    assert _raw(Person, "workplace", [her.pk]) == [None]
    assert [_plain(Person, "full_name", r) for r in _raw(Person, "full_name", [her.pk, him.pk])] == ["", ""]
    contact = SafeContact.objects.get(person=her)
    assert _raw(SafeContact, "phone", [contact.pk]) == [None] and _raw(SafeContact, "code_word", [contact.pk]) == [None]
    report = Report.objects.get(incident__cases=case)
    assert _plain(Report, "narrative", _raw(Report, "narrative", [report.pk])[0]) == ""
    # Nothing decrypts to what she said, anywhere in the case's rows.
    for label, (path, names) in retention.CASE_FIELDS.items():
        model = apps.get_model(label)
        for obj in model._default_manager.filter(**{"pk__in" if path == "pk" else f"{path}__in": [case.pk]}):
            for name in names:
                assert not any(s.lower() in str(getattr(obj, name) or "").lower() for s in SECRETS), (label, name)

    # Kept: keys, numbers, states, dates, the timeline, the tasks, the statistics.
    her.refresh_from_db()
    him.refresh_from_db()
    assert (her.iin_bidx, her.name_bidx, her.name_dob_bidx, him.iin_bidx) == bidx_before
    assert sorted(PersonKey.objects.filter(person__in=[her, him]).values_list("person_id", "kind", "normaliser", "bidx")) == keys_before
    assert her.birth_date == dt.date(1990, 5, 17) and her.sex == "F" and her.personal_removed_at is not None
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.number, fresh.state, fresh.closed_at) == (case.number, CaseState.CLOSED, Case.objects.get(pk=case.pk).closed_at)
    assert fresh.personal_removed_at is not None and fresh.version == case.version + 1
    assert CaseEvent.objects.filter(case=case).count() == events_before
    assert Task.objects.filter(case=case).count() == tasks_before
    assert _tallies() == tallies_before
    # The file's bytes are gone; its row stays, flagged.
    att = Attachment.objects.get(pk=world["attachment"].pk)
    assert att.removed_at is not None and att.size == len(PNG) and not file_path.exists()
    # The other pair is untouched.
    assert {n: _raw(Person, n, [other.victim_id]) for n in ("full_name", "iin", "phone")} == other_before
    assert Case.objects.get(pk=other.pk).personal_removed_at is None
    # One audit row for the batch, no personal data in it; the chain still verifies.
    row = AuditEvent.objects.get(action=AuditAction.RETENTION)
    assert (row.actor_id, row.target_type, row.count) == (None, "case", 1)
    audit_seal()
    result = audit_verify()
    assert result.ok and result.unsealed == 0, result.problem


def test_a_second_run_changes_nothing(world):
    case = world["case"]
    _long_ago(case)
    retention.retention_apply()
    snapshot = {
        (label, name): _raw(apps.get_model(label), name, _rows_of(label, path, [case.pk]))
        for label, (path, names) in retention.CASE_FIELDS.items() for name in names
    }
    person_raw = _raw(Person, "full_name", [case.victim_id, case.offender_id])
    audits = AuditEvent.objects.filter(action=AuditAction.RETENTION).count()

    again = retention.retention_apply()

    assert (again.cases, again.persons, again.reports, again.batches) == (0, 0, 0, 0)
    assert snapshot == {
        (label, name): _raw(apps.get_model(label), name, _rows_of(label, path, [case.pk]))
        for label, (path, names) in retention.CASE_FIELDS.items() for name in names
    }
    assert _raw(Person, "full_name", [case.victim_id, case.offender_id]) == person_raw  # not even re-sealed
    assert AuditEvent.objects.filter(action=AuditAction.RETENTION).count() == audits


def test_open_and_recently_closed_cases_are_untouched(world, settings):
    case, other = world["case"], world["other"]
    settings.QORGAU_RETENTION_YEARS = 5
    Case.objects.filter(pk=case.pk).update(closed_at=clock.now() - timedelta(days=365 * 5 - 3))  # three days short
    before = _raw(Person, "full_name", [case.victim_id, other.victim_id])

    counts = retention.retention_apply()

    assert (counts.cases, counts.persons, counts.batches) == (0, 0, 0)
    assert _raw(Person, "full_name", [case.victim_id, other.victim_id]) == before
    assert Case.objects.filter(personal_removed_at__isnull=False).count() == 0
    assert Person.objects.get(pk=case.victim_id).full_name == "Сапарова Айгерим"
    assert AuditEvent.objects.filter(action=AuditAction.RETENTION).count() == 0
    # The period is a setting: three years makes the same case eligible.
    settings.QORGAU_RETENTION_YEARS = 3
    assert retention.retention_apply().cases == 1


def test_a_person_also_in_an_open_case_keeps_her_record_while_the_old_case_texts_go(make_user):
    """One report, two victims of one man: her case closed long ago, the other victim's case open.
    The open case's incident names all three, so their records and the shared report stay; the closed
    case's own texts go."""
    inspector = make_user(Role.POLICE_INSPECTOR)
    closed, open_ = make_cases(inspector, victims=2, serial=3200)
    case_change_state(actor=inspector, case=closed, version=closed.version, to_state=CaseState.CLOSED, reason="Дело закрыто: уехала")
    _long_ago(closed)

    counts = retention.retention_apply()

    assert (counts.cases, counts.persons, counts.persons_kept, counts.reports) == (1, 0, 3, 0)
    assert Person.objects.get(pk=closed.victim_id).full_name == "Сапарова Айгерим"
    assert Person.objects.get(pk=closed.offender_id).full_name == "Сапаров Ерлан"
    assert Person.objects.filter(personal_removed_at__isnull=False).count() == 0
    report = Report.objects.get(incident__cases=closed)
    assert report.narrative == "Ударил, угрожал." and report.personal_removed_at is None  # the open case's report too
    assert Case.objects.get(pk=closed.pk).state_reason == "" and Case.objects.get(pk=closed.pk).personal_removed_at is not None
    assert {e.reason for e in CaseEvent.objects.filter(case=closed)} == {""}
    assert Case.objects.get(pk=open_.pk).personal_removed_at is None

    # Once the other case has passed the policy too, the rest goes.
    fresh = Case.objects.get(pk=open_.pk)
    case_change_state(actor=inspector, case=fresh, version=fresh.version, to_state=CaseState.CLOSED, reason="Закрыто")
    _long_ago(open_)
    later = retention.retention_apply()
    assert (later.cases, later.persons, later.persons_kept, later.reports) == (1, 3, 0, 1)
    assert Person.objects.get(pk=closed.offender_id).full_name == ""
    assert Person.objects.get(pk=closed.victim_id).full_name == ""
    assert Report.objects.get(pk=report.pk).narrative == ""


def test_dry_run_counts_and_writes_nothing(world):
    case = world["case"]
    _long_ago(case)
    before = _raw(Person, "full_name", [case.victim_id])
    out = StringIO()
    call_command("retention-apply", "--dry-run", stdout=out)
    assert out.getvalue().strip() == (
        "retention period 5 years: would remove the personal fields of 1 cases, 2 person records, 1 report narratives, "
        "1 orders' texts and 1 attachments, in 1 batches; 0 person records kept (also in an open or recent case)"
    )
    assert _raw(Person, "full_name", [case.victim_id]) == before
    assert Case.objects.get(pk=case.pk).personal_removed_at is None
    assert AuditEvent.objects.filter(action=AuditAction.RETENTION).count() == 0
    out = StringIO()
    call_command("retention-apply", stdout=out)
    assert out.getvalue().startswith("retention period 5 years: removed the personal fields of 1 cases, 2 person records")


def test_batches_are_one_transaction_and_one_audit_row_each(make_user):
    inspector = make_user(Role.POLICE_INSPECTOR)
    cases = []
    for i in range(3):
        reg = report_register(actor=inspector, data=report_input(
            victims=[VictimInput(relationship="spouse", person=person(f"Жертва Номер{i}", birth=dt.date(1990, 1, 1 + i), serial=3300 + i))],
            offender=person(f"Обидчик Номер{i}", birth=dt.date(1980, 1, 1 + i), sex="M", serial=3310 + i),
        ))
        c = reg.cases[0]
        case_change_state(actor=inspector, case=c, version=c.version, to_state=CaseState.CLOSED, reason="Закрыто")
        _long_ago(c)
        cases.append(c)
    counts = retention.retention_apply(batch=2)
    assert (counts.cases, counts.persons, counts.batches) == (3, 6, 2)
    assert list(AuditEvent.objects.filter(action=AuditAction.RETENTION).order_by("id").values_list("count", flat=True)) == [2, 1]


def test_a_reopened_case_is_processed_again_after_its_new_closure(world):
    case, inspector = world["case"], world["inspector"]
    _long_ago(case, years=12)
    retention.retention_apply(now=clock.now() - timedelta(days=365 * 6))  # processed six years ago
    fresh = Case.objects.get(pk=case.pk)
    case_change_state(actor=inspector, case=fresh, version=fresh.version, to_state=CaseState.ACTIVE, reason="Новое обращение")
    assert retention.retention_apply().cases == 0  # open again
    fresh = Case.objects.get(pk=case.pk)
    case_change_state(actor=inspector, case=fresh, version=fresh.version, to_state=CaseState.CLOSED, reason="Снова закрыто")
    assert retention.retention_apply().cases == 0  # closed, but not for the period
    Case.objects.filter(pk=case.pk).update(closed_at=clock.now() - timedelta(days=2000))  # after the first run
    assert retention.retention_apply().cases == 1
    assert Case.objects.get(pk=case.pk).state_reason == ""


# --- after the run: linking, search, pages, the API --------------------------------------------------------


def test_a_new_report_with_her_iin_links_to_her_removed_record_and_counts_as_a_repeat(world):
    case, inspector = world["case"], world["inspector"]
    _long_ago(case)
    retention.retention_apply()
    old_victim = Person.objects.get(pk=case.victim_id)
    assert old_victim.full_name == ""

    her = person("Сапарова Айгерим", iin=False, phone="+7 701 000 00 01")
    her.iin = HER_IIN
    stranger = person("Незнакомый Мужчина", birth=dt.date(1979, 4, 4), sex="M", serial=3400)
    reg = report_register(actor=inspector, data=report_input(victims=[VictimInput(relationship="spouse", person=her)], offender=stranger))

    new_victim = Person.objects.get(pk=reg.cases[0].victim_id)
    assert new_victim.pk != old_victim.pk
    assert new_victim.cluster_id == Person.objects.get(pk=old_victim.pk).cluster_id  # linked through the kept IIN index
    assert reg.cases[0].pk != case.pk
    counts = pair_repeat_counts(new_victim.cluster_id, reg.cases[0].offender.cluster_id, exclude_case=reg.cases[0].pk)
    assert counts.her_other_offenders == 1  # the old case, with its removed offender, still counts for her
    assert pair_flags(new_victim.cluster_id, reg.cases[0].offender.cluster_id, inspector, exclude_case=reg.cases[0].pk) != []


def test_search_by_her_iin_still_finds_the_case(world):
    case, inspector = world["case"], world["inspector"]
    _long_ago(case)
    retention.retention_apply()
    found = case_search(inspector, iin=HER_IIN)
    assert [(hit.case_id, hit.number, hit.visible) for hit in found] == [(case.pk, case.number, True)]


def test_the_case_page_and_the_api_show_removed_fields_as_removed(world, client: Client):
    case, inspector = world["case"], world["inspector"]
    _long_ago(case)
    retention.retention_apply()
    inspector.language = "en"  # the page speaks the user's language, not the browser's
    inspector.save(update_fields=["language"])
    sign_in(client, inspector)

    page = client.get(f"/cases/{case.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('data-testid="removed"') >= 5  # her name, IIN, phone, address, workplace, his …, the file
    assert "removed under the retention policy" in html
    assert not any(s in html for s in SECRETS)

    api = client.get(f"/api/v1/cases/{case.pk}")
    assert api.status_code == 200, api.content
    body = api.json()
    assert body["victim"]["full_name"] is None and body["victim"]["iin"] is None
    assert body["victim"]["removed"] == ["address", "full_name", "iin", "phone", "workplace"]
    assert body["offender"]["removed"] == ["address", "full_name", "iin", "phone"]
    assert [r["removed"] for r in body["reports"]] == [["narrative"]]
    assert body["personal_removed_at"] is not None
    assert not any(s in json.dumps(body, ensure_ascii=False) for s in SECRETS)

    with pytest.raises(AttachmentRemoved):
        attachment_open(actor=inspector, attachment_id=world["attachment"].pk)


def test_the_scheduler_runs_retention_daily():
    jobs = {job.name: job for job in _jobs()}
    assert jobs["retention"].every == timedelta(days=1)
