"""``qorgau rotate-keys`` while the application keeps writing: reports registered and cases edited
during the rotation are all there afterwards, everything opens with the new keys alone, and
searches find the people registered before and during it."""

from __future__ import annotations

import datetime as dt
import io
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import OperationalError, close_old_connections, connection

from qorgau.accounts.models import User
from qorgau.accounts.roles import Role
from qorgau.cases.attachments import attachment_add, attachment_open
from qorgau.cases.models import Case, CaseEvent, CaseState, Report
from qorgau.cases.reference import markers_load
from qorgau.cases.selectors import case_search
from qorgau.cases.services import VictimInput, case_change_state, report_register
from qorgau.core import crypto, keyrotation
from qorgau.core.keyrotation import rotate_field_keys, stale_key_count
from qorgau.people.models import Person, PersonKey
from qorgau.people.services import iin_candidates
from tests.cases.factories import person, report_input
from tests.cases.test_attachments import png_bytes, upload
from tests.core.keyrings import key, with_blind_keys, with_field_keys

pytestmark = pytest.mark.django_db(transaction=True)

OLD_FIELD, NEW_FIELD = {"old1": key(0x61)}, {"new2": key(0x62), "old1": key(0x61)}
OLD_BLIND, NEW_BLIND = {"ob1": key(0x63)}, {"nb2": key(0x64), "ob1": key(0x63)}
BEFORE = 12


def _ring(field: dict[str, bytes], active_field: str, blind: dict[str, bytes], active_blind: str, settings) -> None:
    settings.QORGAU_KEYRING = with_blind_keys(blind, active_blind, base=with_field_keys(field, active_field))


def _victim(name: str, birth: dt.date) -> list[VictimInput]:
    return [VictimInput(relationship="spouse", person=person(name, birth=birth, serial=1000, phone="+7 701 555 00 11", address="Абая 7"))]


def _register(actor: User, n: int, tag: str) -> tuple[int, str, str, dt.date]:
    birth = dt.date(1970, 1, 1) + timedelta(days=37 * n + (5000 if tag == "new" else 0))
    name = f"Айгерим {tag} {n:03d} Сапарқызы"
    reg = report_register(
        actor=actor,
        data=report_input(
            victims=_victim(name, birth),
            offender=person(f"Ерлан {tag} {n:03d}", birth=birth - timedelta(days=900), sex="M", serial=3000),
            narrative=f"{tag} narrative {n} — ұрды",
        ),
    )
    return reg.report.pk, f"{tag} narrative {n} — ұрды", name, birth


def _retrying(op: Callable[[], object]) -> object:
    """SQLite's shared in-memory test database may report a table lock under contention; such a
    write did not happen and is tried again (only writes that returned count as made)."""
    for _attempt in range(50):
        try:
            return op()
        except OperationalError as exc:
            if "locked" not in str(exc):
                raise
            time.sleep(0.02)
    raise AssertionError("a write stayed locked out for 50 attempts")


@pytest.fixture
def store(settings, tmp_path: Path) -> Path:
    settings.QORGAU_ATTACHMENT_DIR = tmp_path / "attachments"
    return settings.QORGAU_ATTACHMENT_DIR


@pytest.fixture
def before(settings, make_user, store) -> dict:
    """Reports, an attachment and a staff member with an IIN, all under the old keys."""
    markers_load()
    _ring(OLD_FIELD, "old1", OLD_BLIND, "ob1", settings)
    actor = make_user(Role.POLICE_INSPECTOR)
    made = [_register(actor, n, "old") for n in range(BEFORE)]
    case = Case.objects.order_by("pk").first()
    assert case is not None
    attachment = attachment_add(actor=actor, case=case, kind="injury_photo", upload=upload("x.png", png_bytes()))
    return {"actor": actor, "made": made, "attachment": attachment.pk}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL for real concurrent transactions (the interleaved test below runs on both)")
def test_rotation_under_concurrent_registration_and_editing(settings, before):
    actor: User = before["actor"]
    assert stale_key_count() == 0
    _ring(NEW_FIELD, "new2", NEW_BLIND, "nb2", settings)  # every process restarted with the new keys
    assert stale_key_count() > 0
    cases = list(Case.objects.order_by("pk").values_list("pk", flat=True))
    registered: list[tuple[int, str, str, dt.date]] = []
    reasons: dict[int, str] = {}
    stop = threading.Event()
    rotating = threading.Event()
    during = {"register": 0, "edit": 0}
    errors: list[BaseException] = []

    def registrar() -> None:
        try:
            n = 0
            while not stop.is_set():
                was_rotating = rotating.is_set()
                registered.append(_retrying(partial(_register, actor, n, "new")))  # type: ignore[arg-type]
                if was_rotating and rotating.is_set():
                    during["register"] += 1
                n += 1
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def editor() -> None:
        try:
            n = 0
            while not stop.is_set():
                pk = cases[n % len(cases)]
                reason = f"edit {n}: причина"

                def change(pk: int = pk, reason: str = reason) -> None:
                    case = Case.objects.get(pk=pk)
                    target = CaseState.SUPERVISED if case.state == CaseState.ACTIVE else CaseState.ACTIVE
                    case_change_state(actor=actor, case=case, version=case.version, to_state=target, reason=reason)

                was_rotating = rotating.is_set()
                _retrying(change)
                reasons[pk] = reason
                if was_rotating and rotating.is_set():
                    during["edit"] += 1
                n += 1
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=registrar), threading.Thread(target=editor)]
    for t in threads:
        t.start()
    try:
        while (len(registered) < 2 or len(reasons) < 2) and not errors:
            time.sleep(0.01)
        rotating.set()
        out = io.StringIO()
        _retrying(lambda: call_command("rotate-keys", stdout=out))
        rotating.clear()
        time.sleep(0.2)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=120)
    close_old_connections()
    assert errors == []
    assert not any(t.is_alive() for t in threads)
    # The writers really wrote while the rotation ran; otherwise this test proves nothing.
    assert during["register"] >= 1 and during["edit"] >= 1, during
    assert out.getvalue().startswith("examined ")

    _all_readable_nothing_lost(settings, before, registered, reasons)


def _all_readable_nothing_lost(settings, before: dict, registered: list, reasons: dict[int, str]) -> None:
    actor: User = before["actor"]
    # Nothing left under the old keys; the old keys can go.
    assert stale_key_count() == 0
    _ring({"new2": NEW_FIELD["new2"]}, "new2", {"nb2": NEW_BLIND["nb2"]}, "nb2", settings)

    everyone = before["made"] + registered
    narratives = dict(Report.objects.values_list("pk", "narrative"))
    assert narratives == {pk: text for pk, text, _name, _birth in everyone}  # no report lost or garbled
    states = {c.pk: c.state_reason for c in Case.objects.all()}
    for pk, reason in reasons.items():
        assert states[pk] == reason  # the last edit of each case survived the rotation
    assert len(set(CaseEvent.objects.values_list("reason", flat=True))) > len(reasons)  # every timeline reason decrypts
    people = {p.full_name: p for p in Person.objects.all()}  # every name decrypts
    assert {p.phone for p in people.values() if p.full_name.startswith("Айгерим")} == {"+7 701 555 00 11"}
    assert {u.full_name for u in User.objects.all()}  # staff names decrypt
    assert attachment_open(actor=actor, attachment_id=before["attachment"]).content == png_bytes()

    # Every blind index and matching key is under the new blind-index key.
    assert {b.split(".")[0] for b in Person.objects.exclude(iin_bidx="").values_list("iin_bidx", flat=True)} == {"nb2"}
    assert {b.split(".")[0] for b in PersonKey.objects.values_list("bidx", flat=True)} == {"nb2"}
    assert {b.split(".")[0] for b in User.objects.exclude(name_bidx="").values_list("name_bidx", flat=True)} <= {"nb2"}

    # Searches with the new keys alone find people registered before and during the rotation.
    for _pk, _text, name, birth in [*before["made"], *registered[:: max(1, len(registered) // 10)]]:
        victim = people[name]
        assert list(Person.objects.filter(iin_bidx__in=iin_candidates(victim.iin)).values_list("pk", flat=True)) == [victim.pk]
        hits = case_search(actor, full_name=name, birth_date=birth)
        assert len(hits) == 1 and hits[0].case_id is not None, name


def test_a_value_written_between_the_rotations_read_and_write_is_kept(settings, before, monkeypatch):
    """The interleaving made deterministic: a case edited right after the rotation read its row."""
    _ring(NEW_FIELD, "new2", NEW_BLIND, "nb2", settings)
    actor: User = before["actor"]
    target = Case.objects.order_by("pk").first()
    assert target is not None
    real_decrypt = crypto.decrypt
    fired: list[int] = []

    def decrypt_then_edit(token: str, *, context: str) -> str:
        plain = real_decrypt(token, context=context)
        if context == "cases.case.state_reason" and not fired:
            fired.append(1)
            case = Case.objects.get(pk=target.pk)
            case_change_state(actor=actor, case=case, version=case.version, to_state=CaseState.SUPERVISED, reason="written mid-rotation")
        return plain

    # Give the case an old-key reason first, so the rotation has a value there to rewrite.
    _ring(NEW_FIELD, "old1", NEW_BLIND, "nb2", settings)
    case_change_state(actor=actor, case=target, version=target.version, to_state=CaseState.SUPERVISED, reason="old reason")
    target.refresh_from_db()
    case_change_state(actor=actor, case=target, version=target.version, to_state=CaseState.ACTIVE, reason="old reason 2")
    _ring(NEW_FIELD, "new2", NEW_BLIND, "nb2", settings)
    monkeypatch.setattr(keyrotation.crypto, "decrypt", decrypt_then_edit)
    report = rotate_field_keys(batch=1)
    monkeypatch.setattr(keyrotation.crypto, "decrypt", real_decrypt)
    assert fired == [1]
    assert report.overtaken == 1
    assert Case.objects.get(pk=target.pk).state_reason == "written mid-rotation"
    assert stale_key_count() == 0


def test_rotation_with_writes_interleaved_at_every_step(settings, before, monkeypatch):
    """The same load, on both databases: reports registered and cases edited between the rotation's
    steps (every few values it decrypts, in field rotation and index rebuilding alike), inside its
    transactions — where SQLite's single writer would otherwise serialise them away."""
    actor: User = before["actor"]
    _ring(NEW_FIELD, "new2", NEW_BLIND, "nb2", settings)
    cases = list(Case.objects.order_by("pk").values_list("pk", flat=True))
    registered: list[tuple[int, str, str, dt.date]] = []
    reasons: dict[int, str] = {}
    real_decrypt = crypto.decrypt
    state = {"calls": 0, "busy": False, "ops": 0}

    def write_now() -> None:
        n = state["ops"]
        state["ops"] += 1
        if n % 2 == 0:
            registered.append(_register(actor, n, "new"))
        else:
            pk = cases[n % len(cases)]
            case = Case.objects.get(pk=pk)
            to = CaseState.SUPERVISED if case.state == CaseState.ACTIVE else CaseState.ACTIVE
            case_change_state(actor=actor, case=case, version=case.version, to_state=to, reason=f"edit {n}: причина")
            reasons[pk] = f"edit {n}: причина"

    def decrypt_under_load(token: str, *, context: str) -> str:
        plain = real_decrypt(token, context=context)
        if not state["busy"]:
            state["calls"] += 1
            if state["calls"] % 7 == 0:
                state["busy"] = True
                try:
                    write_now()
                finally:
                    state["busy"] = False
        return plain

    monkeypatch.setattr(crypto, "decrypt", decrypt_under_load)
    out = io.StringIO()
    call_command("rotate-keys", stdout=out)
    monkeypatch.setattr(crypto, "decrypt", real_decrypt)
    assert state["ops"] >= 20 and len(registered) >= 10 and len(reasons) >= 5, state
    assert "edit 1: причина" in set(CaseEvent.objects.values_list("reason", flat=True))
    _all_readable_nothing_lost(settings, before, registered, reasons)
