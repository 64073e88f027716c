"""The notification settings page: work contacts, channels per kind, bad input, stale versions, and
the delivery status beside each notification."""

from __future__ import annotations

import pytest
from django.test import Client

from qorgau.accounts.models import (
    Delivery,
    DeliveryChannel,
    DeliveryStatus,
    Notification,
    NotificationKind,
    NotificationPreference,
)
from qorgau.accounts.preferences import CONFIGURABLE_KINDS
from qorgau.core import clock
from tests.accounts.support import audit
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

URL = "/notifications/settings/"


def _form(user, **changes) -> dict[str, str]:
    data = {"version": str(user.version), "email": "", "phone": ""}
    data.update(changes)
    return data


def test_the_page_shows_the_defaults(make_user):
    user = make_user(language="en")
    r = sign_in(Client(), user).get(URL)
    assert r.status_code == 200
    form = r.context["form"]
    assert form["email_task_overdue"].value() is True
    assert form["sms_order_breached"].value() is True
    assert form["sms_task_overdue"].value() is False
    assert "email_welcome" not in form.fields  # the welcome note is for the app only
    assert "By SMS" in r.content.decode()


def test_saving_contacts_and_channels(make_user):
    user = make_user(language="en")
    client = sign_in(Client(), user)
    r = client.post(URL, _form(user, email=" me@police.example.kz ", phone="+7 (701) 123-45-67", email_task_declined="on", sms_task_overdue="on"))
    assert (r.status_code, r.url) == (302, URL)
    user.refresh_from_db()
    assert (user.email, user.phone, user.version) == ("me@police.example.kz", "+77011234567", 2)
    chosen = {p.kind: (p.email, p.sms) for p in NotificationPreference.objects.filter(user=user)}
    assert len(chosen) == len(CONFIGURABLE_KINDS)
    assert chosen["task_declined"] == (True, False)
    assert chosen["task_overdue"] == (False, True)  # the defaults give way to what was ticked
    assert chosen["order_breached"] == (False, False)
    assert [a.target_id for a in audit("write", target_type="notification_settings")] == [str(user.pk)]
    page = client.get(URL)
    assert page.context["form"]["sms_task_overdue"].value() is True
    assert "Your notification settings were saved." in page.content.decode()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"email": "not an address"}, "email", "Enter a valid e-mail address."),
        ({"phone": "12"}, "phone", "Enter a phone number with its country code, such as +7 701 123 45 67."),
        ({"phone": "x" * 41}, "phone", "This value is too long."),
        ({"email": "a\x00@b.kz"}, "email", "The text contains characters that are not allowed."),
    ],
)
def test_bad_contacts_are_field_errors_and_change_nothing(make_user, changes, field, message):
    user = make_user(language="en")
    r = sign_in(Client(), user).post(URL, _form(user, **changes))
    assert r.status_code == 422
    assert r.context["form"].errors[field] == [message]
    user.refresh_from_db()
    assert (user.email, user.phone, user.version) == ("", "", 1)
    assert not NotificationPreference.objects.exists()


def test_a_missing_version_is_refused_without_a_500(make_user):
    user = make_user(language="en")
    r = sign_in(Client(), user).post(URL, {"email": "me@police.example.kz"})
    assert r.status_code == 422
    assert "The request was malformed." in r.content.decode()
    user.refresh_from_db()
    assert user.email == ""


def test_a_stale_version_is_a_conflict_not_an_overwrite(make_user):
    user = make_user(language="en")
    client = sign_in(Client(), user)
    assert client.post(URL, _form(user, email="first@police.example.kz")).status_code == 302
    r = client.post(URL, {"version": "1", "email": "second@police.example.kz", "phone": "", "email_task_declined": "on"})
    assert r.status_code == 409
    body = r.content.decode()
    assert "first@police.example.kz" in body and "second@police.example.kz" in body
    user.refresh_from_db()
    assert (user.email, user.version) == ("first@police.example.kz", 2)
    # Applying the change to the current version (the conflict page's button) saves it.
    resubmit = dict(r.context["resubmit"])
    assert resubmit["version"] == 2 and resubmit["email_task_declined"] == "on"
    assert client.post(URL, resubmit).status_code == 302
    user.refresh_from_db()
    assert (user.email, user.version) == ("second@police.example.kz", 3)


def test_the_notification_list_shows_each_delivery(make_user):
    user = make_user(language="en")
    note = Notification.objects.create(recipient=user, kind=NotificationKind.ORDER_BREACHED, created_at=clock.now())
    Delivery.objects.create(notification=note, channel=DeliveryChannel.EMAIL, status=DeliveryStatus.SENT, created_at=clock.now())
    Delivery.objects.create(notification=note, channel=DeliveryChannel.SMS, status=DeliveryStatus.FAILED, created_at=clock.now())
    body = sign_in(Client(), user).get("/notifications/").content.decode()
    assert "E-mail: Sent" in body and "SMS: Failed" in body
    assert f'href="{URL}"' in body
