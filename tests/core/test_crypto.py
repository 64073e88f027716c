"""Field encryption (AES-GCM, key id beside the value, column as associated data) and blind indexes."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from django.test import override_settings
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from qorgau.core import crypto
from qorgau.core.crypto import DecryptionError
from tests.core.keyrings import current, key, with_blind_keys, with_field_keys

KAZAKH = "АӘБВГҒДЕЁЖЗИЙКҚЛМНҢОӨПРСТУҰҮФХҺЦЧШЩЪЫІЬЭЮЯаәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя"
# Any text (Hypothesis leaves out lone surrogates, which UTF-8 cannot carry), and texts made mostly of
# Kazakh and Russian letters, names and spaces, as the registry holds them.
texts = st.one_of(st.text(max_size=200), st.text(alphabet=KAZAKH + " -'0123456789", max_size=80))
contexts = st.text(alphabet="abcdefghijklmnopqrstuvwxyz._", min_size=1, max_size=40)
purposes = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_:", min_size=1, max_size=20)

OTHER_CONTEXT = "people.person.address"
CONTEXT = "people.person.full_name"


def _raw(token: str) -> bytes:
    return base64.b64decode(token.split(":", 2)[2])


def _with_raw(token: str, raw: bytes) -> str:
    fmt, kid, _ = token.split(":", 2)
    return f"{fmt}:{kid}:{base64.b64encode(raw).decode()}"


@settings(max_examples=50, deadline=None)
@given(plain=texts, context=contexts)
def test_round_trip_any_text(plain, context):
    token = crypto.encrypt(plain, context=context)
    assert crypto.decrypt(token, context=context) == plain
    # v1:<active key id>:<base64(12-byte nonce || ciphertext || 16-byte tag)>
    assert token.startswith("v1:t2:")
    assert crypto.key_id_of(token) == "t2"
    assert len(_raw(token)) == crypto.NONCE_BYTES + len(plain.encode("utf-8")) + 16


def test_known_kazakh_and_russian_names_round_trip_and_do_not_appear_in_the_token():
    for plain in ["Әйгерім Нұрланқызы", "Жанна Сергеевна Ёлкина", "Қайрат Өмірбекұлы Үсенов"]:
        token = crypto.encrypt(plain, context=CONTEXT)
        assert crypto.decrypt(token, context=CONTEXT) == plain
        assert plain not in token
        assert plain.encode() not in _raw(token)


@settings(max_examples=50, deadline=None)
@given(plain=texts, data=st.data())
def test_changing_any_byte_of_nonce_ciphertext_or_tag_is_detected(plain, data):
    token = crypto.encrypt(plain, context=CONTEXT)
    raw = bytearray(_raw(token))
    index = data.draw(st.integers(min_value=0, max_value=len(raw) - 1), label="byte")
    flip = data.draw(st.integers(min_value=1, max_value=255), label="xor")
    raw[index] ^= flip
    with pytest.raises(DecryptionError, match="authentication failed"):
        crypto.decrypt(_with_raw(token, bytes(raw)), context=CONTEXT)


@settings(max_examples=30, deadline=None)
@given(plain=texts, data=st.data())
def test_truncated_or_extended_values_are_rejected(plain, data):
    raw = _raw(crypto.encrypt(plain, context=CONTEXT))
    cut = data.draw(st.integers(min_value=0, max_value=len(raw) - 1), label="keep")
    with pytest.raises(DecryptionError):
        crypto.decrypt(_with_raw(crypto.encrypt(plain, context=CONTEXT), raw[:cut]), context=CONTEXT)
    extra = data.draw(st.binary(min_size=1, max_size=16), label="extra")
    with pytest.raises(DecryptionError):
        crypto.decrypt(_with_raw(crypto.encrypt(plain, context=CONTEXT), raw + extra), context=CONTEXT)


@settings(max_examples=50, deadline=None)
@given(plain=texts, first=contexts, second=contexts)
def test_a_value_sealed_for_one_column_does_not_open_in_another(plain, first, second):
    assume(first != second)
    token = crypto.encrypt(plain, context=first)
    with pytest.raises(DecryptionError, match="authentication failed"):
        crypto.decrypt(token, context=second)
    assert crypto.decrypt(token, context=first) == plain


def test_unknown_key_id_is_a_decryption_error():
    token = crypto.encrypt("Айгерим", context=CONTEXT)
    forged = token.replace("v1:t2:", "v1:zz9:", 1)
    with pytest.raises(DecryptionError, match="'zz9' is not configured"):
        crypto.decrypt(forged, context=CONTEXT)


def test_value_relabelled_with_another_configured_key_does_not_open():
    token = crypto.encrypt("Айгерим", context=CONTEXT)
    relabelled = token.replace("v1:t2:", "v1:t1:", 1)
    with pytest.raises(DecryptionError, match="authentication failed"):
        crypto.decrypt(relabelled, context=CONTEXT)


def test_value_under_a_key_removed_from_the_ring_no_longer_opens():
    token = crypto.encrypt("Айгерим", context=CONTEXT, key_id="t1")
    assert crypto.decrypt(token, context=CONTEXT) == "Айгерим"
    with (
        override_settings(QORGAU_KEYRING=with_field_keys({"t2": key(2)}, "t2")),
        pytest.raises(DecryptionError, match="'t1' is not configured"),
    ):
        crypto.decrypt(token, context=CONTEXT)


def test_same_key_id_with_different_key_bytes_does_not_open():
    token = crypto.encrypt("Айгерим", context=CONTEXT)
    with (
        override_settings(QORGAU_KEYRING=with_field_keys({"t2": key(0x42)}, "t2")),
        pytest.raises(DecryptionError, match="authentication failed"),
    ):
        crypto.decrypt(token, context=CONTEXT)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "Айгерим",
        "v1:t2",
        "v2:t2:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "v1:t2:not base64!",
        "v1:t2:",
        "v1:t2:AAAA",
    ],
)
def test_malformed_values_are_decryption_errors(token):
    with pytest.raises(DecryptionError):
        crypto.decrypt(token, context=CONTEXT)


def test_nonces_differ_so_equal_plaintexts_give_different_tokens():
    tokens = [crypto.encrypt("Нұрлан", context=CONTEXT) for _ in range(50)]
    assert len(set(tokens)) == 50
    assert len({_raw(t)[: crypto.NONCE_BYTES] for t in tokens}) == 50
    assert {crypto.decrypt(t, context=CONTEXT) for t in tokens} == {"Нұрлан"}


def test_encrypt_uses_the_active_key_unless_told_and_needs_rotation_follows_it():
    under_active = crypto.encrypt("x", context=CONTEXT)
    under_old = crypto.encrypt("x", context=CONTEXT, key_id="t1")
    assert crypto.key_id_of(under_active) == "t2"
    assert crypto.key_id_of(under_old) == "t1"
    assert crypto.needs_rotation(under_active) is False
    assert crypto.needs_rotation(under_old) is True
    with override_settings(QORGAU_KEYRING=with_field_keys({"t2": key(2), "t1": key(1)}, "t1")):
        assert crypto.needs_rotation(under_active) is True
        assert crypto.needs_rotation(under_old) is False
        assert crypto.key_id_of(crypto.encrypt("x", context=CONTEXT)) == "t1"


# --- blind indexes -----------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(purpose=purposes, value=texts)
def test_blind_index_is_deterministic_and_formatted(purpose, value):
    first = crypto.blind_index(purpose, value)
    assert first == crypto.blind_index(purpose, value)
    kid, version, digest = first.split(".")
    assert (kid, version) == ("tb1", "1")
    assert len(digest) == crypto.BLIND_HEX_CHARS
    assert set(digest) <= set("0123456789abcdef")
    assert len(first) <= 64  # fits the *_bidx columns


def test_blind_index_is_hmac_sha256_of_purpose_version_and_value_under_the_key():
    expected = hmac.new(b"\x03" * 32, b"staff_iin\x1f1\x1f791028302728", hashlib.sha256).hexdigest()[:32]
    assert crypto.blind_index("staff_iin", "791028302728") == f"tb1.1.{expected}"


@settings(max_examples=50, deadline=None)
@given(first=purposes, second=purposes, value=texts)
def test_blind_index_differs_by_purpose(first, second, value):
    assume(first != second)
    assert crypto.blind_index(first, value) != crypto.blind_index(second, value)


@settings(max_examples=50, deadline=None)
@given(purpose=purposes, value=texts, first=st.integers(1, 99), second=st.integers(1, 99))
def test_blind_index_differs_by_normaliser_version(purpose, value, first, second):
    assume(first != second)
    a = crypto.blind_index(purpose, value, normaliser=first)
    b = crypto.blind_index(purpose, value, normaliser=second)
    assert a.split(".")[1] == str(first)
    assert b.split(".")[1] == str(second)
    assert a.split(".")[2] != b.split(".")[2]


@settings(max_examples=50, deadline=None)
@given(purpose=purposes, first=texts, second=texts)
def test_blind_index_differs_by_value(purpose, first, second):
    assume(first != second)
    assert crypto.blind_index(purpose, first) != crypto.blind_index(purpose, second)


@settings(max_examples=50, deadline=None)
@given(purpose=purposes, value=texts)
def test_blind_index_differs_by_key(purpose, value):
    ring = with_blind_keys({"bA": key(0x10), "bB": key(0x11)}, "bA", base=current())
    with override_settings(QORGAU_KEYRING=ring):
        a = crypto.blind_index(purpose, value)
        b = crypto.blind_index(purpose, value, key_id="bB")
    assert a.startswith("bA.1.") and b.startswith("bB.1.")
    assert a.split(".")[2] != b.split(".")[2]
    # The same key id with other key bytes is another index too.
    with override_settings(QORGAU_KEYRING=with_blind_keys({"bA": key(0x12)}, "bA", base=current())):
        assert crypto.blind_index(purpose, value) != a


@settings(max_examples=30, deadline=None)
@given(value=texts)
def test_candidates_cover_every_configured_key_and_normaliser(value):
    ring = with_blind_keys({"new": key(0x21), "old": key(0x20), "older": key(0x1F)}, "new", base=current())
    with override_settings(QORGAU_KEYRING=ring):
        candidates = crypto.blind_index_candidates("person_iin", value, normalisers=(1, 2))
        expected = {
            crypto.blind_index("person_iin", value, normaliser=n, key_id=kid)
            for kid in ("new", "old", "older")
            for n in (1, 2)
        }
        default = crypto.blind_index_candidates("person_iin", value)
    assert len(candidates) == 6
    assert set(candidates) == expected
    assert {c.split(".")[0] for c in default} == {"new", "old", "older"}
    assert {c.split(".")[1] for c in default} == {"1"}


def test_an_index_stored_under_an_old_key_is_found_after_the_active_key_changes():
    old_ring = with_blind_keys({"old": key(0x20)}, "old", base=current())
    with override_settings(QORGAU_KEYRING=old_ring):
        stored = crypto.blind_index("person_iin", "791028302728")
    new_ring = with_blind_keys({"new": key(0x21), "old": key(0x20)}, "new", base=current())
    with override_settings(QORGAU_KEYRING=new_ring):
        assert crypto.blind_index("person_iin", "791028302728") != stored
        assert stored in crypto.blind_index_candidates("person_iin", "791028302728")


def test_keyed_hash_is_an_audit_purpose_blind_index_and_hides_the_value():
    value = "Айгерим 791028302728"
    hashed = crypto.keyed_hash("term", value)
    assert hashed == crypto.blind_index("audit:term", value)
    assert hashed != crypto.blind_index("term", value)
    assert hashed != crypto.keyed_hash("client", value)
    assert "791028302728" not in hashed and "Айгерим" not in hashed
