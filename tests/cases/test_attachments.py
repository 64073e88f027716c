"""Attachments: encrypted at rest, type- and size-checked from their own bytes, every opening audited,
hidden from other units and from the roles that work with offenders."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import Client
from django.urls import NoReverseMatch, URLResolver, include, path, reverse
from django.utils import translation

from qorgau import urls as project_urls
from qorgau.accounts.masks import Scope
from qorgau.accounts.models import AgencyKind
from qorgau.accounts.services import unit_create
from qorgau.cases import views_attachments
from qorgau.cases.access import case_get_for
from qorgau.cases.attachments import (
    AttachmentDamaged,
    attachment_add,
    attachment_files_rotate,
    attachment_open,
    attachments_visible,
    case_attachments,
    sanitise_filename,
    storage_path,
)
from qorgau.cases.models import Attachment, CaseEvent, EventKind, Grant, GrantReason
from qorgau.cases.services import report_register
from qorgau.core import clock, crypto
from qorgau.core.errors import Forbidden, Invalid, NotFound
from qorgau.core.keyrotation import rotate_field_keys
from qorgau.core.models import AuditAction, AuditEvent, Region
from tests.cases.factories import report_input
from tests.conftest import sign_in

# --- routes -------------------------------------------------------------------------------------------
# The two routes belong in cases/urls.py. Until they are there, these tests mount them on top of the
# project's URL configuration; once they are, the project's own configuration is used unchanged.
ROUTES = [
    path("<int:case_id>/attachments/", views_attachments.attachment_upload_view, name="attachment_upload"),
    path("attachments/<int:attachment_id>/", views_attachments.attachment_open_view, name="attachment_open"),
]


def _project_has_routes() -> bool:
    try:
        reverse("cases:attachment_open", args=[1])
    except NoReverseMatch:
        return False
    return True


def _with_routes() -> list:
    out, merged = [], False
    for p in project_urls.urlpatterns:
        if isinstance(p, URLResolver) and p.namespace == "cases":
            out.append(path(str(p.pattern), include(([*p.url_patterns, *ROUTES], "cases"))))
            merged = True
        else:
            out.append(p)
    return out if merged else [*out, path("cases/", include((ROUTES, "cases")))]


if _project_has_routes():
    pytestmark = [pytest.mark.django_db]
else:
    urlpatterns = _with_routes()
    pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

# --- files ----------------------------------------------------------------------------------------------
MARKER = b"QORGAU-PLAINTEXT-MARKER-7f3a9c"  # a run of bytes that must never appear on disk


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bytes() -> bytes:
    """A real 1×1 PNG carrying the marker in a text chunk."""
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"tEXt", b"Comment\x00" + MARKER)
        + _chunk(b"IDAT", pixels)
        + _chunk(b"IEND", b"")
    )


def pdf_bytes() -> bytes:
    body = b"BT /F1 12 Tf 72 712 Td (" + MARKER + b") Tj ET"
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
        b"3 0 obj << /Type /Page /Parent 2 0 R /Contents 4 0 R >> endobj\n"
        b"4 0 obj << /Length " + str(len(body)).encode() + b" >> stream\n" + body + b"\nendstream endobj\n"
        b"trailer << /Root 1 0 R >>\n%%EOF\n"
    )


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + MARKER + b"\xff\xd9"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"This program cannot be run in DOS mode." + MARKER


def upload(name: str, content: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


# --- fixtures -------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def store(settings, tmp_path: Path) -> Path:
    settings.QORGAU_ATTACHMENT_DIR = tmp_path / "attachments"
    return settings.QORGAU_ATTACHMENT_DIR


@pytest.fixture
def inspector(make_user):
    return make_user("police_inspector", language="en")


@pytest.fixture
def case(inspector):
    return report_register(actor=inspector, data=report_input()).cases[0]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def web(inspector) -> Client:
    return sign_in(Client(), inspector)


def upload_url(case_id: int) -> str:
    return reverse("cases:attachment_upload", args=[case_id])


def open_url(attachment_id: int) -> str:
    return reverse("cases:attachment_open", args=[attachment_id])


def files_on_disk(store: Path) -> list[Path]:
    return sorted(store.iterdir()) if store.exists() else []


def audit_rows(action: str, target_type: str, target_id: object) -> int:
    return AuditEvent.objects.filter(action=action, target_type=target_type, target_id=str(target_id)).count()


def probation_unit():
    return unit_create(
        actor=None,
        kind=AgencyKind.objects.get(code="probation"),
        region=Region.objects.get(iso="KZ-75"),
        name_ru="Служба пробации Алматы",
        name_kk="Алматы пробация қызметі",
        name_en="Almaty probation service",
    )


# --- round trips ----------------------------------------------------------------------------------------


def test_png_round_trip_through_the_pages(web, case, store):
    content = png_bytes()
    response = web.post(upload_url(case.pk), {"kind": "injury_photo", "file": upload("синяки рука.png", content)})
    assert (response.status_code, response["Location"]) == (302, reverse("cases:detail", args=[case.pk]))
    attachment = Attachment.objects.get()
    assert (attachment.case_id, attachment.kind, attachment.content_type, attachment.size) == (case.pk, "injury_photo", "image/png", len(content))
    assert attachment.filename == "синяки рука.png"

    response = web.get(open_url(attachment.pk))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''%D1%81%D0%B8%D0%BD%D1%8F%D0%BA%D0%B8%20%D1%80%D1%83%D0%BA%D0%B0.png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Length"] == str(len(content))


def test_pdf_round_trip_through_the_services(inspector, case):
    content = pdf_bytes()
    attachment = attachment_add(actor=inspector, case=case, kind="medical_certificate", upload=upload("справка.pdf", content, "application/pdf"))
    opened = attachment_open(actor=inspector, attachment_id=attachment.pk)
    assert (opened.content, opened.content_type, opened.filename) == (content, "application/pdf", "справка.pdf")


def test_a_jpeg_is_told_by_its_bytes_not_its_name_or_declared_type(inspector, case):
    attachment = attachment_add(actor=inspector, case=case, kind="injury_photo", upload=upload("scan.pdf", JPEG, "application/pdf"))
    assert (attachment.content_type, attachment.filename) == ("image/jpeg", "scan.jpg")
    assert attachment_open(actor=inspector, attachment_id=attachment.pk).content == JPEG


def test_adding_writes_the_timeline_and_the_audit_log(inspector, case):
    attachment = attachment_add(actor=inspector, case=case, kind="statement", upload=upload("s.pdf", pdf_bytes()))
    event = CaseEvent.objects.filter(case=case, kind=EventKind.ATTACHMENT_ADDED).get()
    assert (event.actor_id, event.unit_id) == (inspector.pk, inspector.unit_id)
    assert audit_rows(AuditAction.WRITE, "attachment", attachment.pk) == 1


# --- at rest --------------------------------------------------------------------------------------------


def test_nothing_readable_on_disk_or_in_the_database(inspector, case, store):
    for name, content in (("photo.png", png_bytes()), ("cert.pdf", pdf_bytes()), ("p.jpg", JPEG)):
        attachment_add(actor=inspector, case=case, kind="other", upload=upload(name, content))
    files = files_on_disk(store)
    assert len(files) == 3
    assert {f.name for f in files} == {str(a.storage_key) for a in Attachment.objects.all()}
    for f in files:
        raw = f.read_bytes()
        assert not raw.startswith((b"\x89PNG", b"%PDF", b"\xff\xd8\xff"))
        assert MARKER not in raw and b"IHDR" not in raw and b"/Catalog" not in raw
        assert f.stat().st_mode & 0o077 == 0  # readable by the service's user only
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT filename, key_id FROM cases_attachment ORDER BY id")
        stored = cur.fetchall()
    assert all(name.startswith("v1:") and "photo" not in name and "cert" not in name for name, _ in stored)
    assert {kid for _, kid in stored} == {crypto.key_id_of(stored[0][0])}


def test_a_tampered_file_is_a_clear_error_not_a_500(web, inspector, case, store):
    attachment = attachment_add(actor=inspector, case=case, kind="injury_photo", upload=upload("a.png", png_bytes()))
    path = storage_path(attachment.storage_key)
    raw = bytearray(path.read_bytes())
    raw[40] ^= 0x01
    path.write_bytes(bytes(raw))

    with pytest.raises(AttachmentDamaged):
        attachment_open(actor=inspector, attachment_id=attachment.pk)
    response = web.get(open_url(attachment.pk))
    assert response.status_code == 409
    assert response["Content-Type"].startswith("text/html")
    assert "failed its integrity check" in response.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.READ, target_type="attachment", target_id=str(attachment.pk), outcome="damaged").count() == 2


def test_a_file_moved_onto_another_attachments_name_does_not_open(inspector, case):
    first = attachment_add(actor=inspector, case=case, kind="other", upload=upload("a.png", png_bytes()))
    second = attachment_add(actor=inspector, case=case, kind="other", upload=upload("b.pdf", pdf_bytes()))
    storage_path(second.storage_key).write_bytes(storage_path(first.storage_key).read_bytes())
    with pytest.raises(AttachmentDamaged):
        attachment_open(actor=inspector, attachment_id=second.pk)


def test_a_missing_file_is_the_same_clear_error(inspector, case):
    attachment = attachment_add(actor=inspector, case=case, kind="other", upload=upload("a.png", png_bytes()))
    storage_path(attachment.storage_key).unlink()
    with pytest.raises(AttachmentDamaged):
        attachment_open(actor=inspector, attachment_id=attachment.pk)


def test_bytes_encryption_is_bound_to_its_context_and_key():
    kid, sealed = crypto.encrypt_bytes(b"\x00\x01 data", context="cases.attachment:a")
    assert crypto.decrypt_bytes(sealed, context="cases.attachment:a", key_id=kid) == b"\x00\x01 data"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_bytes(sealed, context="cases.attachment:b", key_id=kid)
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_bytes(sealed, context="cases.attachment:a", key_id="no-such-key")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_bytes(sealed[:20], context="cases.attachment:a", key_id=kid)


# --- refused files --------------------------------------------------------------------------------------


def test_an_exe_renamed_png_is_refused_with_a_field_error(web, inspector, case, store):
    with pytest.raises(Invalid) as exc:
        attachment_add(actor=inspector, case=case, kind="injury_photo", upload=upload("photo.png", EXE))
    assert exc.value.fields == {"file": ["Attach a JPEG or PNG photo or a PDF document; this file is none of them."]}

    response = web.post(upload_url(case.pk), {"kind": "injury_photo", "file": upload("photo.png", EXE)})
    assert response.status_code == 422
    page = response.content.decode()
    assert "Attach a JPEG or PNG photo or a PDF document; this file is none of them." in page
    assert '<option value="injury_photo" selected>' in page  # what was chosen is kept
    assert Attachment.objects.count() == 0 and files_on_disk(store) == []


def test_an_oversized_file_is_refused(inspector, case, store, settings):
    too_big = b"\x89PNG\r\n\x1a\n" + b"\x00" * (settings.QORGAU_ATTACHMENT_MAX_BYTES - 7)
    assert len(too_big) == 10 * 1024 * 1024 + 1
    with pytest.raises(Invalid) as exc:
        attachment_add(actor=inspector, case=case, kind="injury_photo", upload=upload("big.png", too_big))
    assert exc.value.fields == {"file": ["The file is larger than 10 MB. Attach a smaller file."]}
    exactly = too_big[:-1]
    attachment_add(actor=inspector, case=case, kind="injury_photo", upload=upload("max.png", exactly))
    assert Attachment.objects.get().size == 10 * 1024 * 1024
    assert len(files_on_disk(store)) == 1


def test_an_oversized_upload_is_refused_on_the_page_before_it_is_read(web, case, settings, store):
    settings.QORGAU_ATTACHMENT_MAX_BYTES = 1024 * 1024
    body = b"\x89PNG\r\n\x1a\n" + b"\x00" * (1024 * 1024 + 70 * 1024)
    response = web.post(upload_url(case.pk), {"kind": "statement", "file": upload("big.png", body)}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200  # htmx swaps the partial with the error in place
    assert "The file is larger than 1 MB. Attach a smaller file." in response.content.decode()
    assert Attachment.objects.count() == 0 and files_on_disk(store) == []


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"kind": "selfie", "file": ("a.png", png_bytes())}, ["Choose one of the offered values."]),
        ({"kind": "statement"}, ["Choose a file to attach."]),
        ({"kind": "statement", "file": ("empty.pdf", b"")}, ["The file is empty."]),
        ({"kind": "", "file": ("x.png", EXE)}, ["This field is required.", "Attach a JPEG or PNG photo or a PDF document; this file is none of them."]),
    ],
)
def test_bad_form_input_gets_field_errors_never_a_500(web, case, data, errors):
    if "file" in data:
        name, content = data["file"]
        data = {**data, "file": upload(name, content)}
    response = web.post(upload_url(case.pk), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    page = response.content.decode()
    for e in errors:
        assert e in page
    assert Attachment.objects.count() == 0


def test_a_bad_kind_and_a_bad_file_are_reported_together_by_the_service(inspector, case):
    with pytest.raises(Invalid) as exc:
        attachment_add(actor=inspector, case=case, kind="selfie", upload=upload("x.png", b""))
    assert exc.value.fields == {"kind": ["Choose what kind of document this is."], "file": ["The file is empty."]}


def test_file_names_are_sanitised():
    assert sanitise_filename("../../etc/passwd.png", "png") == "passwd.png"
    assert sanitise_filename("C:\\Users\\aigerim\\фото синяка.JPG", "jpg") == "фото синяка.jpg"
    assert sanitise_filename("evil\u202egnp.exe", "png") == "evilgnp.png"
    assert sanitise_filename('<img src="x" onerror=alert(1)>.png', "png") == "img src_x_ onerror_alert(1).png"
    assert sanitise_filename("<script>alert(1)</script>.pdf", "pdf") == "script.pdf"  # "/" ends a directory
    assert sanitise_filename("report.exe.png", "pdf") == "report_exe.pdf"
    assert sanitise_filename("...", "pdf") == "file.pdf"
    assert sanitise_filename("Ә" * 300 + ".png", "png") == "Ә" * 100 + ".png"


def test_the_uploaded_name_is_stored_sanitised(inspector, case):
    attachment = attachment_add(actor=inspector, case=case, kind="other", upload=upload("../x/Справка\x00 №5.pdf", pdf_bytes()))
    assert attachment.filename == "Справка _5.pdf"


# --- who may see ----------------------------------------------------------------------------------------


def test_another_units_user_gets_404_for_the_file_and_the_upload(make_user, other_unit, inspector, case, store):
    attachment = attachment_add(actor=inspector, case=case, kind="injury_photo", upload=upload("a.png", png_bytes()))
    stranger = make_user("police_inspector", unit=other_unit)
    c = sign_in(Client(), stranger)
    assert c.get(open_url(attachment.pk)).status_code == 404
    assert c.post(upload_url(case.pk), {"kind": "statement", "file": upload("b.pdf", pdf_bytes())}).status_code == 404
    with pytest.raises(NotFound):
        attachment_open(actor=stranger, attachment_id=attachment.pk)
    with pytest.raises(NotFound):
        attachment_add(actor=stranger, case=case, kind="statement", upload=upload("b.pdf", pdf_bytes()))
    assert Attachment.objects.count() == 1 and len(files_on_disk(store)) == 1
    assert AuditEvent.objects.filter(actor_id=stranger.pk, action=AuditAction.READ).count() == 0
    assert AuditEvent.objects.filter(actor_id=stranger.pk, action=AuditAction.DENIED, target_type="case", target_id=str(case.pk)).count() == 3  # the pages' and the open's gate


def test_a_missing_attachment_is_the_same_404(web, inspector):
    assert web.get(open_url(987654)).status_code == 404
    with pytest.raises(NotFound):
        attachment_open(actor=inspector, attachment_id=987654)
    assert audit_rows(AuditAction.DENIED, "attachment", 987654) == 2


def test_a_probation_officer_with_a_grant_can_neither_list_nor_open(make_user, inspector, case):
    attachment = attachment_add(actor=inspector, case=case, kind="injury_photo", upload=upload("a.png", png_bytes()))
    unit = probation_unit()
    Grant.objects.create(case=case, unit=unit, reason=GrantReason.TASK, scope=Scope.WORKER, since=clock.now())
    officer = make_user("probation_officer", unit=unit, language="en")

    seen, viewer = case_get_for(officer, case.pk)  # the case itself is visible to him
    listed = case_attachments(seen, viewer)
    assert (list(listed), listed.hidden, attachments_visible(viewer)) == ([], True, False)
    with pytest.raises(NotFound):
        attachment_open(actor=officer, attachment_id=attachment.pk)
    assert sign_in(Client(), officer).get(open_url(attachment.pk)).status_code == 404
    assert audit_rows(AuditAction.DENIED, "attachment", attachment.pk) == 2
    assert AuditEvent.objects.filter(actor_id=officer.pk, action=AuditAction.READ, target_type="attachment").count() == 0

    html = render_to_string("cases/_attachments.html", {"case": seen, "viewer": viewer, "attachments": listed, "attachment_form": None})
    assert "Your access to this case does not include its photos and documents." in html
    assert open_url(attachment.pk) not in html and "a.png" not in html


@pytest.mark.parametrize(("role", "scope"), [("court_clerk", Scope.FULL), ("programme_provider", Scope.FULL), ("social_worker", Scope.CONSENT)])
def test_other_viewers_who_may_not_see_attachments(make_user, inspector, case, role, scope, other_unit):
    attachment = attachment_add(actor=inspector, case=case, kind="injury_photo", upload=upload("a.png", png_bytes()))
    Grant.objects.create(case=case, unit=other_unit, reason=GrantReason.TASK, scope=scope, since=clock.now())
    user = make_user(role, unit=other_unit)
    _seen, viewer = case_get_for(user, case.pk)
    assert attachments_visible(viewer) is False
    with pytest.raises(NotFound):
        attachment_open(actor=user, attachment_id=attachment.pk)


def test_a_worker_grant_sees_and_adds_but_a_consent_grant_may_not_add(make_user, inspector, case, other_unit):
    first = attachment_add(actor=inspector, case=case, kind="injury_photo", upload=upload("a.png", png_bytes()))
    grant = Grant.objects.create(case=case, unit=other_unit, reason=GrantReason.TASK, scope=Scope.WORKER, since=clock.now())
    health = make_user("health_worker", unit=other_unit)
    assert attachment_open(actor=health, attachment_id=first.pk).content == png_bytes()
    attachment_add(actor=health, case=case, kind="medical_certificate", upload=upload("c.pdf", pdf_bytes()))

    Grant.objects.filter(pk=grant.pk).update(scope=Scope.CONSENT)
    with pytest.raises(Forbidden):
        attachment_add(actor=health, case=case, kind="medical_certificate", upload=upload("d.pdf", pdf_bytes()))
    assert sign_in(Client(), health).post(upload_url(case.pk), {"kind": "statement", "file": upload("e.pdf", pdf_bytes())}).status_code == 403
    assert Attachment.objects.count() == 2


def test_every_open_writes_an_audit_row(web, inspector, case):
    attachment = attachment_add(actor=inspector, case=case, kind="injury_photo", upload=upload("a.png", png_bytes()))
    before_case_reads = audit_rows(AuditAction.READ, "case", case.pk)
    for _ in range(3):
        response = web.get(open_url(attachment.pk))
        assert response.status_code == 200
        b"".join(response.streaming_content)
    attachment_open(actor=inspector, attachment_id=attachment.pk)
    rows = AuditEvent.objects.filter(action=AuditAction.READ, target_type="attachment", target_id=str(attachment.pk))
    assert rows.count() == 4
    assert set(rows.values_list("actor_id", "actor_unit_id", "outcome")) == {(inspector.pk, inspector.unit_id, "ok")}
    assert sum(1 for r in rows if r.client_hash) == 3  # the page's opens carry the client's keyed address
    assert audit_rows(AuditAction.READ, "case", case.pk) - before_case_reads == 4


# --- the partial ----------------------------------------------------------------------------------------


def test_the_partial_lists_files_and_offers_the_form_to_those_who_may_add(inspector, case):
    attachment_add(actor=inspector, case=case, kind="medical_certificate", upload=upload("справка.pdf", pdf_bytes()))
    seen, viewer = case_get_for(inspector, case.pk)
    context = {"case": seen, "viewer": viewer, **views_attachments.attachments_context(inspector, seen, viewer)}
    with translation.override("en"):
        html = render_to_string("cases/_attachments.html", context)
    assert html.count('data-testid="attachment-row"') == 1
    assert "справка.pdf" in html and "Medical certificate" in html
    assert f'href="{open_url(Attachment.objects.get().pk)}"' in html
    assert f'action="{upload_url(case.pk)}"' in html and 'enctype="multipart/form-data"' in html
    assert "JPEG, PNG or PDF, up to 10 MB." in html


def test_the_partial_renders_nothing_when_the_page_passes_nothing(case):
    assert render_to_string("cases/_attachments.html", {"case": case}).strip() == ""


def test_the_htmx_upload_returns_the_refreshed_partial(web, case):
    response = web.post(upload_url(case.pk), {"kind": "statement", "file": upload("заявление.pdf", pdf_bytes())}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="attachment-row"') == 1 and "заявление.pdf" in html
    assert "The file was attached. It is stored encrypted." in html


def test_a_get_on_the_upload_route_is_refused(web, case):
    assert web.get(upload_url(case.pk)).status_code == 405


# --- key rotation ---------------------------------------------------------------------------------------


def test_rotation_reseals_files_under_the_active_key_and_is_safe_to_rerun(inspector, case, settings, store):
    from tests.core.keyrings import current, key, with_field_keys

    suite = dict(current().field_keys)  # the case's own fields stay readable throughout
    settings.QORGAU_KEYRING = with_field_keys({**suite, "old1": key(0x31)}, "old1")
    first = attachment_add(actor=inspector, case=case, kind="other", upload=upload("a.png", png_bytes()))
    second = attachment_add(actor=inspector, case=case, kind="other", upload=upload("b.pdf", pdf_bytes()))
    before = {a.pk: storage_path(a.storage_key).read_bytes() for a in (first, second)}

    settings.QORGAU_KEYRING = with_field_keys({**suite, "new2": key(0x32), "old1": key(0x31)}, "new2")
    # A rotation interrupted after re-sealing the first file but before recording its key id:
    _kid, sealed = crypto.encrypt_bytes(png_bytes(), context=f"cases.attachment:{first.storage_key}", key_id="new2")
    storage_path(first.storage_key).write_bytes(sealed)
    assert attachment_open(actor=inspector, attachment_id=first.pk).content == png_bytes()

    assert attachment_files_rotate() == 2
    assert set(Attachment.objects.values_list("key_id", flat=True)) == {"new2"}
    assert storage_path(second.storage_key).read_bytes() != before[second.pk]
    assert attachment_files_rotate() == 0

    rotate_field_keys()  # the command's other half: the file names and every other encrypted column
    settings.QORGAU_KEYRING = with_field_keys({**suite, "new2": key(0x32)}, "new2")  # the old key retired
    assert attachment_open(actor=inspector, attachment_id=first.pk).content == png_bytes()
    assert attachment_open(actor=inspector, attachment_id=second.pk).content == pdf_bytes()
    assert [p.name for p in files_on_disk(store)] == sorted(str(a.storage_key) for a in (first, second))


def test_the_case_page_lists_the_files(web, inspector, case):
    attachment = attachment_add(actor=inspector, case=case, kind="injury_photo", upload=upload("фото.png", png_bytes()))
    response = web.get(reverse("cases:detail", args=[case.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="attachments"' in html and html.count('data-testid="attachment-row"') == 1
    assert f'href="{open_url(attachment.pk)}"' in html and "фото.png" in html
