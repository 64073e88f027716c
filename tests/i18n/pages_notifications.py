"""Language-walker pages for notification preferences and deliveries (merged into ``test_languages.PAGES``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _settings_invalid(w: Any, lang: str) -> object:
    """Both contacts wrong: each field's message is shown (digits only typed, language-neutral)."""
    user = w.user("inspector")
    client = w.signed_in("inspector", lang)
    user.refresh_from_db()
    return client.post("/notifications/settings/", {"version": str(user.version), "email": "12", "phone": "12"})


def _notifications_with_deliveries(w: Any, lang: str) -> object:
    """The list with an e-mail delivery sent and an SMS one failed beside a notification."""
    from qorgau.accounts.models import Delivery, DeliveryChannel, DeliveryStatus, Notification, NotificationKind
    from qorgau.core import clock

    user = w.user("inspector")
    note = Notification.objects.filter(recipient=user, kind=NotificationKind.ORDER_BREACHED).first()
    if note is None:
        note = Notification.objects.create(recipient=user, kind=NotificationKind.ORDER_BREACHED, target_type="order", target_id="1", created_at=clock.now())
        Delivery.objects.create(notification=note, channel=DeliveryChannel.EMAIL, status=DeliveryStatus.SENT, created_at=clock.now(), attempts=1)
        Delivery.objects.create(notification=note, channel=DeliveryChannel.SMS, status=DeliveryStatus.FAILED, created_at=clock.now(), attempts=1)
    return w.signed_in("inspector", lang).get("/notifications/")


PAGES: dict[str, tuple[int, Callable[[Any, str], object]]] = {
    "notification-settings": (200, lambda w, lang: w.signed_in("inspector", lang).get("/notifications/settings/")),
    "notification-settings-admin": (200, lambda w, lang: w.signed_in("admin", lang).get("/notifications/settings/")),
    "notification-settings-invalid": (422, _settings_invalid),
    "notifications-with-deliveries": (200, _notifications_with_deliveries),
}
