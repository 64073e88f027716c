"""In-app notifications: the welcome note, the list, and marking read behind the access gate."""

from __future__ import annotations

import pytest
from django.test import Client

from qorgau.accounts.access import notification_get_for
from qorgau.accounts.models import Notification, NotificationKind
from qorgau.accounts.services import notify
from qorgau.accounts.tokens import api_token_issue
from qorgau.core.errors import NotFound
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

MISSING_ID = 987_654_321


def _welcome(user) -> Notification:
    return Notification.objects.get(recipient=user, kind=NotificationKind.WELCOME)


def _bearer(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_issue(actor=user, verified=True, name='api').token}"}


def test_a_new_user_gets_a_welcome_notification(make_user):
    user = make_user()
    note = _welcome(user)
    assert (note.target_type, note.target_id, note.read_at) == ("user", str(user.pk), None)
    assert Notification.objects.filter(recipient=user).count() == 1


def test_the_notifications_page_lists_own_notifications_only(make_user):
    user, other = make_user(language="en"), make_user(language="en")
    r = sign_in(Client(), user).get("/notifications/")
    assert r.status_code == 200
    body = r.content.decode()
    assert f'id="note-{_welcome(user).pk}"' in body
    assert "Welcome to Qorgau" in body
    assert f'id="note-{_welcome(other).pk}"' not in body


def test_marking_one_read(make_user):
    user = make_user()
    note = _welcome(user)
    notify(recipients=[user], kind=NotificationKind.TOKEN_ISSUED)
    client = sign_in(Client(), user)
    r = client.post("/notifications/", {"id": str(note.pk)})
    assert (r.status_code, r.url) == (302, "/notifications/")
    note.refresh_from_db()
    assert note.read_at is not None
    assert Notification.objects.filter(recipient=user, read_at__isnull=True).count() == 1


def test_the_header_counts_her_own_unread_notifications(make_user):
    """The badge beside "Notifications" on every page: her unread ones, not the read ones, not others'."""
    from qorgau.accounts.selectors import unread_count

    user, other = make_user(language="en"), make_user(language="en")
    notify(recipients=[user, other], kind=NotificationKind.TOKEN_ISSUED)
    notify(recipients=[other], kind=NotificationKind.TOKEN_ISSUED)
    client = sign_in(Client(), user)
    client.post("/notifications/", {"id": str(_welcome(user).pk)})  # one read
    assert unread_count(user) == Notification.objects.filter(recipient=user, read_at__isnull=True).count() == 1
    assert unread_count(other) == 3
    page = client.get("/").content.decode()
    assert '<span class="badge" aria-label="unread">1</span>' in page
    assert 'href="/notifications/" aria-current' not in page and 'href="/" aria-current="page"' in page


def test_marking_one_read_with_htmx_returns_the_item(make_user):
    user = make_user(language="en")
    note = _welcome(user)
    r = sign_in(Client(), user).post("/notifications/", {"id": str(note.pk)}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    body = r.content.decode()
    assert f'id="note-{note.pk}"' in body and 'class="unread"' not in body and "<html" not in body


def test_marking_all_read(make_user):
    user, other = make_user(), make_user()
    notify(recipients=[user, other], kind=NotificationKind.BREAK_GLASS)
    r = sign_in(Client(), user).post("/notifications/")
    assert r.status_code == 302
    assert not Notification.objects.filter(recipient=user, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=other, read_at__isnull=True).count() == 2


def test_another_users_notification_is_404_like_a_missing_one(make_user):
    user, other = make_user(language="en"), make_user(language="en")
    theirs = _welcome(other)
    client = sign_in(Client(), user)

    forbidden = client.post("/notifications/", {"id": str(theirs.pk)})
    missing = client.post("/notifications/", {"id": str(MISSING_ID)})
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.context["message"] == missing.context["message"]
    assert "Not found, or you have no access to it." in forbidden.content.decode()
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert _welcome(user).read_at is None  # a refused request changes nothing of one's own either

    with pytest.raises(NotFound):
        notification_get_for(user, theirs.pk)
    with pytest.raises(NotFound):
        notification_get_for(user, MISSING_ID)


def test_a_malformed_notification_id_is_a_400_page(make_user):
    client = sign_in(Client(), make_user(language="en"))
    r = client.post("/notifications/", {"id": "1 OR 1=1"})
    assert r.status_code == 400
    assert not Notification.objects.filter(read_at__isnull=False).exists()


def test_api_lists_own_notifications(make_user, frozen):
    user, other = make_user(language="en"), make_user()
    r = Client().get("/api/v1/notifications", **_bearer(user))
    assert r.status_code == 200
    data = r.json()
    assert [n["id"] for n in data] == list(Notification.objects.filter(recipient=user).values_list("pk", flat=True))
    welcome = next(n for n in data if n["kind"] == "welcome")
    assert welcome == {
        "id": _welcome(user).pk,
        "kind": "welcome",
        "text": "Welcome to Qorgau",
        "target_type": "user",
        "target_id": str(user.pk),
        "created_at": welcome["created_at"],
        "read": False,
    }
    assert _welcome(other).pk not in [n["id"] for n in data]


def test_api_marks_own_notification_read_and_hides_others(make_user, frozen):
    user, other = make_user(), make_user()
    headers = _bearer(user)
    mine, theirs = _welcome(user), _welcome(other)

    r = Client().post(f"/api/v1/notifications/{mine.pk}/read", **headers)
    assert (r.status_code, r.json()) == (200, {"updated": 1})
    r = Client().post(f"/api/v1/notifications/{mine.pk}/read", **headers)
    assert (r.status_code, r.json()) == (200, {"updated": 0})

    forbidden = Client().post(f"/api/v1/notifications/{theirs.pk}/read", **headers)
    missing = Client().post(f"/api/v1/notifications/{MISSING_ID}/read", **headers)
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.json() == missing.json()
    assert forbidden.json()["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_api_notifications_need_authentication(make_user):
    note = _welcome(make_user())
    assert Client().get("/api/v1/notifications").status_code == 401
    assert Client().post(f"/api/v1/notifications/{note.pk}/read").status_code == 401
    note.refresh_from_db()
    assert note.read_at is None


def test_a_notice_links_to_the_record_it_is_about(make_user):
    user = make_user(language="en")
    notify(recipients=[user], kind=NotificationKind.ORDER_BREACHED, target_type="order", target_id=42)
    body = sign_in(Client(), user).get("/notifications/").content.decode()
    assert 'href="/orders/42/" data-testid="notification-link"' in body
    # The welcome notice points at no record: no link back to the list itself.
    assert body.count('data-testid="notification-link"') == 1
