"""The HTTP API (django-ninja): one versioned NinjaAPI; errors come back in the user's language."""

from __future__ import annotations

import math

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from qorgau.accounts.api import machine_router
from qorgau.accounts.api import router as accounts_router
from qorgau.accounts.rate_limit import ApiRateLimit, api_rate_check
from qorgau.analytics.api import router as analytics_router
from qorgau.cases.api import router as cases_router
from qorgau.core.api import router as reference_router
from qorgau.core.audit import audit_denied
from qorgau.core.errors import Forbidden, QorgauError
from qorgau.intake.api import router as intake_router
from qorgau.monitoring.api import router as monitoring_router
from qorgau.orders.api import router as orders_router
from qorgau.orders.api_court import router as court_router
from qorgau.programmes.api import router as programmes_router
from qorgau.protocols.api import router as protocols_router
from qorgau.protocols.api_conferences import router as conferences_router
from qorgau.risk.api import router as risk_router
from qorgau.shelters.api import router as shelters_router
from qorgau.support.api import router as support_router
from qorgau.training.api import router as training_router

# The schema and its browser are for signed-in staff only: route structure is not public.
# Every operation is rate-limited per principal and per client address (accounts.rate_limit).
api = NinjaAPI(
    title="Qorgau API", version="1", urls_namespace="api", docs_url="/docs", docs_decorator=login_required,
    throttle=[ApiRateLimit()],
)
api.add_router("/", accounts_router)
api.add_router("/reference", reference_router)
api.add_router("/machine", machine_router)
api.add_router("/", cases_router)
api.add_router("/", risk_router)
api.add_router("/", orders_router)
api.add_router("/", court_router)
api.add_router("/", protocols_router)
api.add_router("/", conferences_router)
api.add_router("/", shelters_router)
api.add_router("/", training_router)
api.add_router("/", support_router)
api.add_router("/", programmes_router)
api.add_router("/", intake_router)
api.add_router("/", monitoring_router)
api.add_router("/", analytics_router)


@api.exception_handler(QorgauError)
def domain_error(request: HttpRequest, exc: QorgauError) -> HttpResponse:
    if isinstance(exc, Forbidden):
        audit_denied(request)
    return api.create_response(
        request, {"code": exc.code, "detail": str(exc.message), "fields": exc.fields}, status=exc.status
    )


@api.exception_handler(ValidationError)
def invalid_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = ".".join(str(p) for p in err.get("loc", ())[1:]) or "body"
        fields.setdefault(loc, []).append(_("This value is missing or malformed."))
    return api.create_response(
        request, {"code": "invalid", "detail": _("Some fields need correcting."), "fields": fields}, status=422
    )


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    # The throttle runs only after authentication: count refused credentials against the address here.
    verdict = api_rate_check(request)
    if not verdict.allowed:
        return throttled(request, Throttled(wait=verdict.retry_after))
    return api.create_response(
        request, {"code": "unauthenticated", "detail": _("Sign in or present a valid token.")}, status=401
    )


@api.exception_handler(Throttled)
def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    seconds = max(1, math.ceil(exc.wait or 1))
    detail = ngettext(
        "Too many requests. Wait %(seconds)d second and try again.",
        "Too many requests. Wait %(seconds)d seconds and try again.",
        seconds,
    ) % {"seconds": seconds}
    response = api.create_response(request, {"code": "throttled", "detail": detail}, status=429)
    response["Retry-After"] = str(seconds)
    return response


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:  # ninja could not parse the body: the same shape as any invalid input
        body = {"code": "invalid", "detail": _("Some fields need correcting."), "fields": {"body": [_("The request body is not valid JSON.")]}}
        return api.create_response(request, body, status=422)
    messages = {404: _("Not found, or you have no access to it."), 405: _("This method is not allowed here.")}
    detail = messages.get(exc.status_code, _("The request could not be completed."))
    return api.create_response(request, {"code": str(exc.status_code), "detail": detail}, status=exc.status_code)
