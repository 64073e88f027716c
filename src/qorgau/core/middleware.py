"""Per-request language and time zone from the signed-in user, and domain errors as clear pages."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone, translation

from qorgau.core.audit import audit_denied
from qorgau.core.errors import Forbidden, QorgauError


class UserLocaleMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        zone = settings.QORGAU_DEFAULT_ZONE
        if user.is_authenticated:
            if user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
            unit = getattr(user, "unit", None)
            if unit is not None:
                zone = unit.timezone
        timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not isinstance(exc, QorgauError):
            return None
        if isinstance(exc, Forbidden):
            audit_denied(request)
        return error_response(request, exc)


def error_response(request: HttpRequest, exc: QorgauError) -> HttpResponse:
    if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"code": exc.code, "detail": str(exc.message), "fields": exc.fields}, status=exc.status)
    return render(request, "error.html", {"status": exc.status, "message": exc.message, "fields": exc.fields}, status=exc.status)
