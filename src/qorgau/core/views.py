"""Error pages in the user's language, and the health check."""

from __future__ import annotations

import sys

from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def _page(request: HttpRequest, status: int, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"code": str(status), "detail": message}, status=status)
    return render(request, "error.html", {"status": status, "message": message}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 400, _("The request was malformed. Go back and try again."))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 403, _("Your role does not allow this."))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 404, _("Not found, or you have no access to it."))


def server_error(request: HttpRequest) -> HttpResponse:
    """Django calls this inside its ``except`` block, so the exception is still at hand: a database that
    cannot be reached (a restart, a fail-over) is a 503 with ``Retry-After``, which clients retry."""
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        message = _("The database cannot be reached right now. Nothing you saved was lost; try again in a few seconds.")
        try:
            response = _page(request, 503, message)
        except DatabaseError:  # the page's own context needs the database: say it plainly
            response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = "5"
        return response
    return _page(request, 500, _("Something went wrong on our side. Nothing you saved was lost; please try again."))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _page(request, 403, _("The form had expired. Reload the page and submit it again."))


def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
