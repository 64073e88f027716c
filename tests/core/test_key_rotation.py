"""``qorgau rotate-keys``: every personal field re-encrypted under the active key, nothing lost."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from qorgau.accounts.models import User
from qorgau.core import crypto
from qorgau.core.iin import make
from qorgau.core.keyrotation import rotate_field_keys, stale_key_count
from qorgau.core.models import AuditAction, AuditEvent
from tests.core.keyrings import key, with_field_keys

OLD_KEYS = {"old1": key(0x31)}
NEW_KEYS = {"new2": key(0x32), "old1": key(0x31)}

NAMES = [
    "Айгерим Нурланова",
    "Әсел Қанатқызы Жұмабаева",
    "Ёлкина Жанна Сергеевна",
    'O\'Neil "Quoted"; DROP TABLE x; --',
    "",
    "😀 " + "ұ" * 500,
]


def _iin(n: int) -> str:
    for serial in range(n * 10, n * 10 + 10):
        value = make(dt.date(1970 + n, 1 + n % 12, 1 + n), "F" if n % 2 else "M", serial)
        if value is not None:
            return value
    raise AssertionError("no valid IIN in ten serials")


def _tokens() -> dict[tuple[int, str], str]:
    """Every stored (non-null) encrypted value, read with plain SQL."""
    qn = connection.ops.quote_name
    with connection.cursor() as cur:
        cur.execute(f"SELECT {qn('id')}, {qn('full_name')}, {qn('iin')}, {qn('email')}, {qn('phone')} FROM {qn(User._meta.db_table)}")
        rows = cur.fetchall()
    found = {}
    for pk, name, iin, email, phone in rows:
        found[(pk, "full_name")] = name
        found[(pk, "email")] = email  # blank but encrypted, like the name
        found[(pk, "phone")] = phone
        if iin is not None:
            found[(pk, "iin")] = iin
    return found


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("rotate-keys", *args, stdout=out)
    return out.getvalue().strip()


def _field_report(output: str) -> str:
    """The field-key part of the rotation report (what follows it concerns blind indexes)."""
    return ", ".join(output.split(", ")[:2])


@pytest.fixture
def old_users(settings, make_user) -> dict[int, tuple[str, str | None]]:
    """Users written while ``old1`` was the active key; half of them without an IIN."""
    settings.QORGAU_KEYRING = with_field_keys(OLD_KEYS, "old1")
    expected = {}
    for n, name in enumerate(NAMES):
        iin = _iin(n) if n % 2 == 0 else None
        user = make_user(full_name=name, iin=iin)
        expected[user.pk] = (name, iin)
    return expected


@pytest.mark.django_db
def test_rotation_moves_every_value_to_the_new_key_and_keeps_it_readable(settings, old_users):
    before = _tokens()
    values = 3 * len(NAMES) + (len(NAMES) + 1) // 2
    assert len(before) == values
    assert {crypto.key_id_of(t) for t in before.values()} == {"old1"}

    settings.QORGAU_KEYRING = with_field_keys(NEW_KEYS, "new2")
    with pytest.raises(SystemExit) as exc:
        _run("--check")
    assert exc.value.code == 1

    assert _field_report(_run()) == f"examined {values}, re-encrypted {values}"
    after = _tokens()
    assert set(after) == set(before)
    assert {crypto.key_id_of(t) for t in after.values()} == {"new2"}
    assert _run("--check") == "values under old keys: 0"

    # The old key can now be removed: everything still opens with the new key alone.
    settings.QORGAU_KEYRING = with_field_keys({"new2": key(0x32)}, "new2")
    for pk, (name, iin) in old_users.items():
        user = User.objects.get(pk=pk)
        assert (user.full_name, user.iin) == (name, iin)


@pytest.mark.django_db
def test_check_reports_the_stale_count_before_rotation(settings, old_users):
    settings.QORGAU_KEYRING = with_field_keys(NEW_KEYS, "new2")
    out = io.StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("rotate-keys", "--check", stdout=out)
    assert exc.value.code == 1
    assert out.getvalue().strip() == f"values under old keys: {len(_tokens())}"
    assert stale_key_count() == len(_tokens())


@pytest.mark.django_db
def test_second_rotation_rewrites_nothing(settings, old_users):
    settings.QORGAU_KEYRING = with_field_keys(NEW_KEYS, "new2")
    values = len(_tokens())
    _run()
    first = _tokens()
    assert _field_report(_run()) == f"examined {values}, re-encrypted 0"
    assert _tokens() == first  # byte for byte: a rewrite would have drawn new nonces


@pytest.mark.django_db
def test_rotation_is_audited_with_the_count_only(settings, old_users):
    settings.QORGAU_KEYRING = with_field_keys(NEW_KEYS, "new2")
    values = len(_tokens())
    _run()
    _run()
    rows = list(AuditEvent.objects.filter(action=AuditAction.KEYS_ROTATED, target_type="field_keys").order_by("id"))
    assert [(r.target_type, r.count, r.actor_id) for r in rows] == [
        ("field_keys", values, None),
        ("field_keys", 0, None),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("batch", [1, 2, 3, 500])
def test_rotation_in_small_batches_covers_every_row(settings, old_users, batch):
    settings.QORGAU_KEYRING = with_field_keys(NEW_KEYS, "new2")
    values = len(_tokens())
    report = rotate_field_keys(batch=batch)
    assert (report.examined, report.rewritten) == (values, values)
    assert stale_key_count() == 0
    for pk, (name, iin) in old_users.items():
        user = User.objects.get(pk=pk)
        assert (user.full_name, user.iin) == (name, iin)


@pytest.mark.django_db
def test_values_under_several_old_keys_all_move(settings, make_user):
    ring = {"k1": key(0x41), "k2": key(0x42), "k3": key(0x43)}
    made = {}
    for n, active in enumerate(["k1", "k2", "k3", "k1"]):
        settings.QORGAU_KEYRING = with_field_keys(ring, active)
        made[make_user(full_name=f"Қызметкер {n}").pk] = f"Қызметкер {n}"
    settings.QORGAU_KEYRING = with_field_keys(ring, "k3")
    # Three users under a key other than k3, each with three encrypted values (name, e-mail, phone).
    assert stale_key_count() == 9
    report = rotate_field_keys()
    assert (report.examined, report.rewritten) == (12, 9)
    assert {crypto.key_id_of(t) for t in _tokens().values()} == {"k3"}
    assert {u.pk: u.full_name for u in User.objects.all()} == made


@settings(max_examples=50, deadline=None)
@given(plain=st.text(max_size=200), context=st.sampled_from(["accounts.user.full_name", "accounts.user.iin"]))
def test_re_encryption_keeps_any_text_readable(plain, context):
    """What rotate_field_keys does to one value, for arbitrary texts."""
    with override_settings(QORGAU_KEYRING=with_field_keys(OLD_KEYS, "old1")):
        old_token = crypto.encrypt(plain, context=context)
    with override_settings(QORGAU_KEYRING=with_field_keys(NEW_KEYS, "new2")):
        assert crypto.needs_rotation(old_token)
        new_token = crypto.encrypt(crypto.decrypt(old_token, context=context), context=context)
        assert not crypto.needs_rotation(new_token)
    with override_settings(QORGAU_KEYRING=with_field_keys({"new2": key(0x32)}, "new2")):
        assert crypto.key_id_of(new_token) == "new2"
        assert crypto.decrypt(new_token, context=context) == plain
