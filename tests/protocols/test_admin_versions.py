"""Protocol versions from the administrator's pages: an upload is checked (clear errors, size and
type limits) and stored as a draft that changes nothing; its page shows the duties, the changes
against the published version and the measures left uncovered; publishing retires the previous
version atomically; a draft can be discarded; published and retired versions never change."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from qorgau.accounts.roles import Role
from qorgau.core.errors import Forbidden, Invalid
from qorgau.core.models import AuditEvent
from qorgau.protocols.definitions import FILES_DIR
from qorgau.protocols.engine import fire
from qorgau.protocols.models import Duty, ProtocolVersion, VersionStatus
from qorgau.protocols.versions import MAX_UPLOAD_BYTES, version_discard, version_draft_upload, version_publish
from qorgau.risk.instruments import policy_load
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

NATIONAL_3 = json.loads((FILES_DIR / "national-5.json").read_text(encoding="utf-8"))


def third(**changes: object) -> bytes:
    """national-5 (the newest shipped) as version 6: the police check within 12 h, the closing contact dropped, a new duty."""
    data = json.loads(json.dumps(NATIONAL_3))
    data["version"] = 6
    data["duties"][0]["hours"] = 12
    data["duties"] = [d for d in data["duties"] if d["code"] != "fsc_closing_contact"]
    extra = json.loads(json.dumps(data["duties"][0]))
    extra.update(code="police_second_visit", title={"kk": "Екінші бару", "ru": "Повторный визит", "en": "Second visit"})
    data["duties"].append(extra)
    data.update(changes)
    return json.dumps(data, ensure_ascii=False).encode()


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMINISTRATOR, username="protocol_admin", language="en")


@pytest.fixture
def admin_client(client, admin):
    return sign_in(client, admin)


def upload(c, raw: bytes, name: str = "national-6.json"):
    return c.post("/protocols/admin/", {"file": SimpleUploadedFile(name, raw, content_type="application/json")})


def test_the_list_shows_versions_with_status_and_duty_count(protocols, admin_client):
    page = admin_client.get("/protocols/admin/").content.decode()
    assert 'data-version="national-1"' in page and 'data-version="national-2"' in page
    row = page.split('data-version="national-5"')[1].split("</tr>")[0]
    assert "Published" in row and f">{len(NATIONAL_3['duties'])}<" in row
    assert "Retired" in page.split('data-version="national-4"')[1].split("</tr>")[0]


def test_an_upload_becomes_a_draft_that_changes_nothing(protocols, admin_client, admin, case, inspector):
    r = upload(admin_client, third())
    draft = ProtocolVersion.objects.get(number=6)
    assert r.status_code == 302 and r["Location"] == f"/protocols/admin/versions/{draft.pk}/"
    assert draft.status == VersionStatus.DRAFT and draft.duties.count() == len(NATIONAL_3["duties"])
    assert ProtocolVersion.objects.get(status=VersionStatus.PUBLISHED).number == 5
    assert AuditEvent.objects.filter(actor_id=admin.pk, target_type="protocol_version", target_id=str(draft.pk)).exists()
    tasks = fire(trigger="report_registered", case=case, actor=inspector, key="admin:1")
    assert {t.duty.version.number for t in tasks} == {5}  # the draft is not in force
    page = admin_client.get(f"/protocols/admin/versions/{draft.pk}/").content.decode()
    assert 'data-testid="publish"' in page and 'data-duty="police_second_visit"' in page
    added = page.split('data-testid="diff-added"')[1].split("</ul>")[0]
    removed = page.split('data-testid="diff-removed"')[1].split("</ul>")[0]
    changed = page.split('data-testid="diff-changed"')[1].split("</ul>")[0]
    assert "Second visit" in added and "Closing contact before the case closes" in removed
    assert "Check the report: hours" in changed


@pytest.mark.parametrize(("raw", "name", "message"), [
    (b"{ not json", "national-6.json", "not a UTF-8 JSON file: line 1, column 3"),
    (third(version=5), "national-6.json", "give the file a number higher than 5"),
    (third(duties=[{"code": "x", "trigger": "full_moon"}]), "national-6.json", "duties[0] (x).trigger: unknown trigger"),
    (third(), "national-6.txt", "whose name ends in .json"),
    (b" " * (MAX_UPLOAD_BYTES + 1), "national-6.json", "The file is too large: at most 256 KB."),
])
def test_a_bad_upload_is_refused_with_a_clear_message(protocols, admin_client, raw, name, message):
    r = upload(admin_client, raw, name)
    assert r.status_code == 422 and message in r.content.decode()
    assert not ProtocolVersion.objects.filter(status=VersionStatus.DRAFT).exists()


def test_the_error_is_in_the_reader_language(protocols, make_user, client):
    ru = sign_in(client, make_user(Role.ADMINISTRATOR, username="ru_admin", language="ru"))
    with translation.override("ru"):
        expected = translation.gettext("not a UTF-8 JSON file: line %(line)d, column %(column)d") % {"line": 1, "column": 3}
    assert expected in upload(ru, b"{ not json").content.decode()


def test_publish_retires_the_previous_version_atomically(protocols, admin, admin_client, case, inspector):
    draft = version_draft_upload(actor=admin, raw=third())
    r = admin_client.post(f"/protocols/admin/versions/{draft.pk}/", {"action": "publish"})
    assert r.status_code == 302
    assert list(ProtocolVersion.objects.filter(status=VersionStatus.PUBLISHED).values_list("number", flat=True)) == [6]
    assert ProtocolVersion.objects.get(number=5).status == VersionStatus.RETIRED
    tasks = fire(trigger="report_registered", case=case, actor=inspector, key="admin:2")
    check = next(t for t in tasks if t.duty.code == "police_check_report")
    assert check.duty.version.number == 6 and (check.due_at - check.created_at).total_seconds() == 12 * 3600
    # Published and retired versions never change: no second publish, no discard.
    for action in ("publish", "discard"):
        again = admin_client.post(f"/protocols/admin/versions/{draft.pk}/", {"action": action})
        assert again.status_code == 422 and "never change" in again.content.decode()
    with pytest.raises(Invalid):
        version_discard(actor=admin, version_id=ProtocolVersion.objects.get(number=5).pk)
    assert ProtocolVersion.objects.get(number=6).status == VersionStatus.PUBLISHED


def test_discard_a_draft(protocols, admin, admin_client):
    draft = version_draft_upload(actor=admin, raw=third())
    r = admin_client.post(f"/protocols/admin/versions/{draft.pk}/", {"action": "discard"})
    assert r.status_code == 302 and r["Location"] == "/protocols/admin/"
    assert not ProtocolVersion.objects.filter(pk=draft.pk).exists() and not Duty.objects.filter(version_id=draft.pk).exists()
    assert AuditEvent.objects.filter(target_type="protocol_version", target_id=str(draft.pk), outcome="discarded").exists()
    # The number is free again.
    assert version_draft_upload(actor=admin, raw=third()).number == 6


def test_an_older_draft_cannot_go_back_in_time(protocols, admin):
    old = version_draft_upload(actor=admin, raw=third())
    newer = version_draft_upload(actor=admin, raw=third(version=7))
    version_publish(actor=admin, version_id=newer.pk)
    with translation.override("en"), pytest.raises(Invalid) as exc:
        version_publish(actor=admin, version_id=old.pk)
    assert "already published" in exc.value.fields["version"][0]


def test_uncovered_measures_are_shown(protocols, admin, admin_client):
    policy_load()
    data = json.loads(third())
    data["duties"] = [d for d in data["duties"] if d.get("measure") != "monitoring_proposal"]
    draft = version_draft_upload(actor=admin, raw=json.dumps(data, ensure_ascii=False).encode())
    page = admin_client.get(f"/protocols/admin/versions/{draft.pk}/").content.decode()
    gaps = page.split('data-testid="measure-gaps"')[1].split("</div>")[0]
    assert "Critical level: no duty on “The risk level was set” carries out “Proposal of electronic monitoring”" in gaps
    published = ProtocolVersion.objects.get(status=VersionStatus.PUBLISHED)
    assert 'data-testid="measure-gaps"' not in admin_client.get(f"/protocols/admin/versions/{published.pk}/").content.decode()


def test_only_administrators(protocols, make_user, client):
    inspector = make_user(Role.POLICE_INSPECTOR, username="not_admin")
    with pytest.raises(Forbidden):
        version_draft_upload(actor=inspector, raw=third())
    c = sign_in(client, inspector)
    assert c.get("/protocols/admin/").status_code == 403
    assert upload(c, third()).status_code == 403
    assert not ProtocolVersion.objects.filter(number=6).exists()
