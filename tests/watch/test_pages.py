"""The watch's pages: who sees which alert, reviewing an alert, the unit's access review, its CSV
export and the monthly reminder."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client

from qorgau.accounts.masks import Scope
from qorgau.accounts.models import Notification, NotificationKind
from qorgau.accounts.roles import Role
from qorgau.cases.ledger import grant_add
from qorgau.cases.models import GrantReason
from qorgau.core.models import AuditAction, AuditEvent
from qorgau.watch.detectors import access_watch_run
from qorgau.watch.models import AccessAlert, AccessReview
from qorgau.watch.services import access_review_reminders
from tests.conftest import sign_in
from tests.protocols.support import make_case
from tests.watch.conftest import NOW

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)


@pytest.fixture
def alert(watch_settings, now, audit, inspector, supervisor) -> AccessAlert:
    audit(inspector, AuditAction.EXPORT, NOW - H, n=5, target_type="order")
    (raised,) = access_watch_run()
    return raised


def test_the_supervisor_sees_the_alert_of_the_unit(alert, supervisor):
    client = sign_in(Client(), supervisor)
    page = client.get("/watch/")
    assert page.status_code == 200
    assert f'data-alert="{alert.pk}"' in page.content.decode()
    detail = client.get(f"/watch/alerts/{alert.pk}/")
    assert detail.status_code == 200
    assert 'data-testid="alert-count">5<' in detail.content.decode()
    assert AuditEvent.objects.filter(actor_id=supervisor.pk, action=AuditAction.READ, target_type="access_alert",
                                     target_id=str(alert.pk)).count() == 1


def test_another_units_supervisor_cannot_see_the_alert(alert, other_supervisor):
    client = sign_in(Client(), other_supervisor)
    assert client.get(f"/watch/alerts/{alert.pk}/").status_code == 404
    assert client.post(f"/watch/alerts/{alert.pk}/", {"note": "looked", "version": "1"}).status_code == 404
    page = client.get("/watch/")
    assert page.status_code == 200 and f'data-alert="{alert.pk}"' not in page.content.decode()
    assert AccessAlert.objects.get(pk=alert.pk).reviewed_at is None


def test_the_user_concerned_and_other_roles_cannot_see_it(alert, inspector, make_user):
    assert sign_in(Client(), inspector).get(f"/watch/alerts/{alert.pk}/").status_code == 403
    assert sign_in(Client(), make_user(Role.ANALYST)).get("/watch/").status_code == 403


def test_a_supervisor_never_sees_an_alert_about_themselves(watch_settings, now, audit, supervisor, overseer):
    audit(supervisor, AuditAction.EXPORT, NOW - H, n=5, target_type="order")
    (alert,) = access_watch_run()
    assert sign_in(Client(), supervisor).get(f"/watch/alerts/{alert.pk}/").status_code == 404
    assert sign_in(Client(), overseer).get(f"/watch/alerts/{alert.pk}/").status_code == 200


def test_oversight_sees_every_units_alerts(alert, overseer):
    page = sign_in(Client(), overseer).get("/watch/")
    assert page.status_code == 200 and f'data-alert="{alert.pk}"' in page.content.decode()


def test_reviewing_an_alert_records_the_note_encrypted_and_audited(alert, supervisor):
    client = sign_in(Client(), supervisor)
    response = client.post(f"/watch/alerts/{alert.pk}/", {"note": "Asked him: court copies for the hearing.", "version": "1"})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert (alert.reviewed_by_id, alert.version, alert.review_note) == (supervisor.pk, 2, "Asked him: court copies for the hearing.")
    with connection.cursor() as cur:
        cur.execute("SELECT review_note FROM watch_accessalert WHERE id = %s", [alert.pk])
        stored = cur.fetchone()[0]
    assert "court copies" not in stored
    assert AuditEvent.objects.filter(actor_id=supervisor.pk, action=AuditAction.WRITE, target_type="access_alert",
                                     target_id=str(alert.pk)).count() == 1
    page = client.get(f"/watch/alerts/{alert.pk}/").content.decode()
    assert 'data-testid="alert-reviewed"' in page and "court copies" in page
    # A second review (a stale form) is a conflict, and the first note stays.
    again = client.post(f"/watch/alerts/{alert.pk}/", {"note": "another", "version": "1"})
    assert again.status_code == 409
    alert.refresh_from_db()
    assert alert.review_note == "Asked him: court copies for the hearing."


def test_a_review_without_a_note_is_a_field_error(alert, supervisor):
    response = sign_in(Client(), supervisor).post(f"/watch/alerts/{alert.pk}/", {"note": "", "version": "1"})
    assert response.status_code == 200
    assert 'class="field-error"' in response.content.decode()
    assert AccessAlert.objects.get(pk=alert.pk).reviewed_at is None


def test_bad_input_is_not_a_500(alert, supervisor):
    client = sign_in(Client(), supervisor)
    assert client.post(f"/watch/alerts/{alert.pk}/", {"note": "x" * 3000, "version": "abc"}).status_code == 200
    assert client.get("/watch/review/?unit=abc").status_code == 200  # not a unit id: the own unit
    assert client.post("/watch/review/", {"note": "x" * 3000}).status_code == 200


# --- the access review ----------------------------------------------------------------------------------


@pytest.fixture
def granted(protocols, now, inspector, supervisor, colleague, other_unit):
    """A case the unit registered, a supervisor's grant to another unit, an ended grant and a break-glass."""
    case = make_case(inspector)
    grant_add(case, other_unit, GrantReason.SUPERVISOR, Scope.WORKER, by=supervisor)
    grant_add(case, inspector.unit, GrantReason.BREAK_GLASS, Scope.WORKER, by=colleague, until=NOW - H)
    AuditEvent.objects.create(at=NOW - H, actor_id=colleague.pk, actor_unit_id=colleague.unit_id, action=AuditAction.READ,
                              target_type="case", target_id=str(case.pk))
    return case


def test_the_review_lists_grants_break_glass_and_users(granted, supervisor):
    client = sign_in(Client(), supervisor)
    page = client.get("/watch/review/")
    assert page.status_code == 200
    data = page.context["data"]
    assert [(g.case.number, g.reason) for g in data.grants] == [(granted.number, "registered")]  # the ended break-glass is not live
    assert [(g.case.number, g.granted_by.username) for g in data.break_glass] == [(granted.number, "w_colleague")]
    reads = {u.user.username: (u.cases_read, u.reads) for u in data.users}
    assert reads["w_colleague"] == (1, 1) and reads["w_supervisor"] == (0, 0)
    assert granted.number in page.content.decode()
    assert AuditEvent.objects.filter(actor_id=supervisor.pk, action=AuditAction.READ, target_type="access_review",
                                     target_id=str(supervisor.unit_id)).count() == 1


def test_the_csv_export_is_audited(granted, supervisor):
    response = sign_in(Client(), supervisor).get("/watch/review/export.csv")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    body = response.content.decode("utf-8-sig")
    assert body.count(granted.number) == 2  # the live grant and the break-glass
    assert "w_colleague" in body
    export = AuditEvent.objects.get(actor_id=supervisor.pk, action=AuditAction.EXPORT, target_type="access_review")
    assert export.count == 2 + 3  # two grant rows and the unit's three users


def test_another_units_review_is_not_found(granted, other_supervisor, supervisor):
    client = sign_in(Client(), other_supervisor)
    assert client.get(f"/watch/review/?unit={supervisor.unit_id}").status_code == 404
    assert client.get(f"/watch/review/export.csv?unit={supervisor.unit_id}").status_code == 404
    assert client.post("/watch/review/", {"unit": supervisor.unit_id, "note": "x"}).status_code == 404
    assert not AccessReview.objects.exists()


def test_oversight_chooses_a_unit(granted, overseer, supervisor):
    client = sign_in(Client(), overseer)
    overview = client.get("/watch/review/")
    assert overview.status_code == 200
    assert f"?unit={supervisor.unit_id}" in overview.content.decode()
    page = client.get(f"/watch/review/?unit={supervisor.unit_id}")
    assert page.status_code == 200 and granted.number in page.content.decode()


def test_recording_the_review_is_audited_and_once_a_month(granted, supervisor):
    client = sign_in(Client(), supervisor)
    assert client.post("/watch/review/", {"note": "All grants needed."}).status_code == 302
    review = AccessReview.objects.get()
    assert (review.unit_id, review.period, review.completed_by_id, review.note, review.live_grants, review.break_glass_grants) == (
        supervisor.unit_id, dt.date(2026, 3, 1), supervisor.pk, "All grants needed.", 1, 1)
    assert AuditEvent.objects.filter(actor_id=supervisor.pk, action=AuditAction.WRITE, target_type="access_review",
                                     target_id=str(review.pk)).count() == 1
    assert 'data-testid="review-done"' in client.get("/watch/review/").content.decode()
    again = client.post("/watch/review/", {"note": "again"})
    assert again.status_code == 200 and 'class="field-error"' in again.content.decode()
    assert AccessReview.objects.count() == 1


def test_the_monthly_reminder_goes_once_to_supervisors(now, supervisor, other_supervisor, inspector):
    assert access_review_reminders() == 2
    assert access_review_reminders() == 0
    told = Notification.objects.filter(kind=NotificationKind.ACCESS_REVIEW_DUE).order_by("recipient__username")
    assert [(n.recipient.username, n.target_type, n.target_id) for n in told] == [
        ("w_other_supervisor", "access_review", str(other_supervisor.unit_id)),
        ("w_supervisor", "access_review", str(supervisor.unit_id)),
    ]
    now.advance(dt.timedelta(days=25))  # April: due again, except where April's review is already recorded
    AccessReview.objects.create(unit=supervisor.unit, period=dt.date(2026, 4, 1), completed_by=supervisor, completed_at=NOW + dt.timedelta(days=25))
    assert access_review_reminders() == 1
    assert Notification.objects.filter(kind=NotificationKind.ACCESS_REVIEW_DUE, recipient=other_supervisor).count() == 2


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_the_pages_render_in_each_language(language, alert, granted, supervisor):
    supervisor.language = language
    supervisor.save(update_fields=["language"])
    client = sign_in(Client(), supervisor)
    for path in ("/watch/", f"/watch/alerts/{alert.pk}/", "/watch/review/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert f'<html lang="{language}">' in response.content.decode(), path
