"""Session guard: two factors, idle timeout and "log out everywhere" on every request."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.messages.storage import default_storage
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _

from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.models import AuditAction

SEEN_KEY = "qorgau_seen"
STARTED_KEY = "qorgau_started"
EPOCH_KEY = "qorgau_epoch"
SEEN_WRITE_EVERY = 30


class SessionGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            reason = self._reason_to_end(request)
            if reason:
                if reason in ("idle", "expired"):
                    audit_record(actor=user, action=AuditAction.SESSION_EXPIRED, target_type="user", target_id=user.pk, request=request)
                language = user.language or translation.get_language()
                logout(request)
                # In the user's own language: UserLocaleMiddleware has not run yet.
                with translation.override(language):
                    return self._to_login(request, reason)
        return self.get_response(request)

    def _reason_to_end(self, request: HttpRequest) -> str:
        user = request.user
        if not user.is_verified():  # type: ignore[union-attr]
            return "unverified"
        if request.session.get(EPOCH_KEY) != user.session_epoch:  # type: ignore[union-attr]
            return "revoked"
        now = clock.now().timestamp()
        seen = request.session.get(SEEN_KEY, now)
        if now - seen > settings.QORGAU_IDLE_TIMEOUT_SECONDS:
            return "idle"
        if now - request.session.get(STARTED_KEY, now) > settings.QORGAU_SESSION_MAX_SECONDS:
            return "expired"
        if now - seen >= SEEN_WRITE_EVERY or SEEN_KEY not in request.session:
            request.session[SEEN_KEY] = now
        return ""

    def _to_login(self, request: HttpRequest, reason: str) -> HttpResponse:
        text = {
            "idle": _("Your session ended after a period of inactivity. Please sign in again."),
            "expired": _("Your session reached its maximum length. Please sign in again."),
            "revoked": _("You were signed out on all devices. Please sign in again."),
            "unverified": _("Please sign in with your second factor."),
        }[reason]
        if request.path.startswith("/api/"):
            return JsonResponse({"code": "session_ended", "detail": text}, status=401)
        # The guard answers before MessageMiddleware has run, so the message goes through the storage here.
        storage = default_storage(request)
        storage.add(messages.WARNING, text)
        response = redirect(settings.LOGIN_URL)
        storage.update(response)
        return response


def start_session(request: HttpRequest) -> None:
    """Called right after a full (two-factor) login."""
    request.session[EPOCH_KEY] = request.user.session_epoch  # type: ignore[union-attr]
    request.session[SEEN_KEY] = request.session[STARTED_KEY] = clock.now().timestamp()
