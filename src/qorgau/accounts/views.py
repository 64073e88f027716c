"""Sign-in, home per role, notifications, security (tokens), staff directory, language."""

from __future__ import annotations

import csv

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from qorgau.accounts import login as signin
from qorgau.accounts import selectors, services, tokens
from qorgau.accounts.access import capability_required, notification_get_for
from qorgau.accounts.delivery import record_path
from qorgau.accounts.forms import CodeForm, LanguageForm, LoginForm, TokenForm
from qorgau.accounts.middleware import start_session
from qorgau.accounts.models import Notification, User
from qorgau.accounts.roles import ROLE_CAPABILITIES, Capability, Role
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.errors import QorgauError
from qorgau.core.geography import zone_label
from qorgau.core.models import AuditAction

PENDING_KEY = "qorgau_pending_user"
PENDING_SECONDS = 300


def _pending_user(request: HttpRequest) -> User | None:
    pending = request.session.get(PENDING_KEY)
    if not pending or clock.now().timestamp() - pending["at"] > PENDING_SECONDS:
        return None
    return User.objects.filter(pk=pending["id"], is_active=True).first()


def _finish_login(request: HttpRequest, user: User, device: object) -> HttpResponse:
    request.session.pop(PENDING_KEY, None)
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen in services.SUPPORTED_LANGUAGES and chosen != user.language:
        # The language picked on the sign-in page is an explicit choice: remember it for the user.
        services.user_set_language(actor=user, language=chosen)
    auth_login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])  # rotates the session key
    otp_login(request, device)
    start_session(request)
    return redirect("accounts:home")


def _delay_message(seconds: int) -> str:
    return _("Too many failed attempts. Try again in %(seconds)d seconds.") % {"seconds": seconds}


@require_http_methods(["GET", "HEAD", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:home")
    form = LoginForm(request.POST if request.method == "POST" else None)  # an empty POST is bound too
    error = ""
    if request.method == "POST" and form.is_valid():
        result = signin.password_step(
            request=request, username=form.cleaned_data["username"], password=form.cleaned_data["password"]
        )
        if result.outcome in (signin.Outcome.OK, signin.Outcome.NEEDS_ENROLMENT):
            assert result.user is not None
            request.session.cycle_key()
            request.session[PENDING_KEY] = {"id": result.user.pk, "at": clock.now().timestamp()}
            return redirect("accounts:verify" if result.outcome == signin.Outcome.OK else "accounts:enrol")
        if result.outcome == signin.Outcome.DELAYED:
            error = _delay_message(result.retry_after)
        else:
            error = _("The user name or password is wrong.")
            if result.retry_after:
                error += " " + _delay_message(result.retry_after)
    status = 200 if not error else 401
    return render(request, "accounts/login.html", {"form": form, "error": error}, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def verify_view(request: HttpRequest) -> HttpResponse:
    user = _pending_user(request)
    if user is None:
        messages.warning(request, _("Your sign-in took too long. Please start again."))
        return redirect("accounts:login")
    form = CodeForm(request.POST if request.method == "POST" else None)
    error = ""
    if request.method == "POST" and form.is_valid():
        device = signin.otp_step(request=request, user=user, code=form.cleaned_data["code"])
        if device is not None:
            return _finish_login(request, user, device)
        error = _("The code is wrong or has expired. Enter the current code.")
    return render(request, "accounts/verify.html", {"form": form, "error": error}, status=401 if error else 200)


@require_http_methods(["GET", "HEAD", "POST"])
def enrol_view(request: HttpRequest) -> HttpResponse:
    user = _pending_user(request)
    if user is None:
        messages.warning(request, _("Your sign-in took too long. Please start again."))
        return redirect("accounts:login")
    if signin.has_second_factor(user):  # enrolment is for a first device, never a way around the code
        return redirect("accounts:verify")
    device = signin.enrolment_device(user=user)
    form = CodeForm(request.POST if request.method == "POST" else None)
    error = ""
    if request.method == "POST" and form.is_valid():
        confirmed = signin.enrolment_confirm(request=request, user=user, code=form.cleaned_data["code"])
        if confirmed is not None:
            return _finish_login(request, user, confirmed)
        error = _("The code is wrong or has expired. Enter the current code.")
    qr = segno.make(signin.totp_uri(device), error="m").svg_data_uri(scale=4)
    context = {"form": form, "error": error, "qr": qr, "secret": signin.totp_secret_base32(device)}
    return render(request, "accounts/enrol.html", context, status=401 if error else 200)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        audit_record(actor=request.user, action=AuditAction.LOGOUT, target_type="user", target_id=request.user.pk, request=request)
    auth_logout(request)
    messages.info(request, _("You have signed out."))
    return redirect("accounts:login")


@login_required
@require_POST
def logout_everywhere_view(request: HttpRequest) -> HttpResponse:
    services.user_logout_everywhere(actor=request.user)  # type: ignore[arg-type]
    auth_logout(request)
    messages.info(request, _("You were signed out on all devices and your API tokens were revoked."))
    return redirect("accounts:login")


@login_required
def home_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    role = Role(user.role)
    context = {
        "role_label": role.label,
        "capabilities": [c.label for c in Capability if c in ROLE_CAPABILITIES[role]],
        "notifications": selectors.notifications_for(user, limit=5),
        "token_count": selectors.active_tokens_for(user).count(),
        "zone": zone_label(user.unit.timezone, language=get_language() or "ru", at=clock.now()) if user.unit else "",
    }
    return render(request, "accounts/home.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def notifications_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if request.method == "POST":
        raw = request.POST.get("id", "")
        if raw:
            if not raw.isdecimal():
                raise QorgauError(_("The request was malformed. Go back and try again."))
            notification_get_for(user, int(raw))
        services.notification_mark_read(actor=user, notification_id=int(raw) if raw else None)
        if raw and request.headers.get("HX-Request"):
            return render(request, "accounts/_notification_item.html", {"n": _linked(notification_get_for(user, int(raw)))})
        return redirect("accounts:notifications")
    notes = [_linked(n) for n in selectors.notifications_for(user)]
    return render(request, "accounts/notifications.html", {"notifications": notes})


def _linked(n: Notification) -> Notification:
    """The page each notice is about (the access gate of that page still decides what opens)."""
    path = record_path(n.target_type, n.target_id)
    n.link = path if path != reverse("accounts:notifications") else ""  # type: ignore[attr-defined]
    return n


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def security_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = TokenForm(request.POST or None) if request.POST.get("action") == "issue" else TokenForm()
    issued = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "issue" and form.is_valid():
            issued = tokens.api_token_issue(actor=user, verified=user.is_verified(), name=form.cleaned_data["name"])  # type: ignore[attr-defined]
        elif action == "revoke" and request.POST.get("id", "").isdecimal():
            tokens.api_token_revoke(actor=user, token_id=int(request.POST["id"]))
            messages.info(request, _("The token was revoked."))
            return redirect("accounts:security")
        elif action not in ("issue", "revoke"):
            raise QorgauError(_("The request was malformed. Go back and try again."))
    context = {
        "form": form,
        "issued": issued,
        "tokens": selectors.active_tokens_for(user),
        "can_use_api": user.can(Capability.USE_API),
        "token_days": settings.QORGAU_API_TOKEN_DAYS,
        "idle_minutes": settings.QORGAU_IDLE_TIMEOUT_SECONDS // 60,
    }
    return render(request, "accounts/security.html", context)


@login_required
@capability_required(Capability.MANAGE_USERS)
def staff_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    rows = selectors.staff_rows_for(user)
    audit_record(actor=user, action=AuditAction.READ, target_type="staff_directory", count=len(rows), request=request)
    return render(request, "accounts/staff.html", {"rows": rows})


@login_required
@capability_required(Capability.MANAGE_USERS)
def staff_export_view(request: HttpRequest) -> HttpResponse:
    """The staff directory as CSV, through the same mask as the page; audited as an export."""
    user: User = request.user  # type: ignore[assignment]
    rows = selectors.staff_rows_for(user)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="qorgau-staff.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 Cyrillic and Kazakh letters correctly with a BOM
    writer = csv.writer(response)
    writer.writerow([_("User name"), _("Full name"), _("IIN"), _("Role"), _("Unit")])
    for r in rows:
        writer.writerow([str(r[k]) for k in ("username", "full_name", "iin", "role", "unit")])
    audit_record(actor=user, action=AuditAction.EXPORT, target_type="staff_directory", count=len(rows), request=request)
    return response


@require_POST
def language_view(request: HttpRequest) -> HttpResponse:
    form = LanguageForm(request.POST)
    if not form.is_valid():
        raise QorgauError(_("Choose Kazakh, Russian or English."))
    language = form.cleaned_data["language"]
    nxt = form.cleaned_data.get("next") or "/"
    if not url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        nxt = "/"
    if request.user.is_authenticated:
        services.user_set_language(actor=request.user, language=language)
    response = HttpResponseRedirect(nxt)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax", secure=request.is_secure(), httponly=True
    )
    return response
