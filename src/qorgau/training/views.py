"""Training pages: a unit's staff by course (supervisors and administrators, with recording and
revoking a completion), one's own certificates (everyone), and coverage by unit and region (analysts
and administrators, counts only). Thin views over ``training.services`` and ``training.selectors``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from qorgau.accounts.models import Unit, User
from qorgau.accounts.roles import Capability
from qorgau.core.errors import Forbidden, Invalid
from qorgau.training import selectors, services
from qorgau.training.forms import CompletionForm, RevokeForm


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _add_errors(form: Any, exc: Invalid) -> None:
    for name, errors in exc.fields.items():
        for e in errors:
            form.add_error(name if name in form.fields else None, e)
    if not exc.fields:
        form.add_error(None, str(exc.message))


def _unit_page(request: HttpRequest, unit: Unit | None, *, form: CompletionForm | None = None,
               revoke: RevokeForm | None = None, status: int = 200) -> HttpResponse:
    actor = _user(request)
    rows = selectors.unit_staff(actor, unit)
    courses = selectors.courses_list()
    return render(request, "training/unit.html", {
        "unit": unit, "rows": rows, "courses": courses,
        "form": form or CompletionForm(staff=[r.user for r in rows], courses=courses),
        "revoke": revoke or RevokeForm(),
        "units": list(Unit.objects.all()) if actor.can(Capability.MANAGE_USERS) else [],
        "expiring_days": selectors.EXPIRING_DAYS,
    }, status=status)


def _unit_id(request: HttpRequest) -> int | None:
    raw = request.GET.get("unit") or request.POST.get("unit") or ""
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if 0 < value < 2_000_000_000 else None


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def unit_view(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    if not (actor.can(Capability.SUPERVISE_UNIT) or actor.can(Capability.MANAGE_USERS)):
        raise Forbidden()
    unit = selectors.unit_for(actor, _unit_id(request))
    if request.method != "POST":
        return _unit_page(request, unit)
    staff = [r.user for r in selectors.unit_staff(actor, unit)]
    courses = selectors.courses_list()
    if request.POST.get("action") == "revoke":
        revoke = RevokeForm(request.POST)
        if not revoke.is_valid():
            return _unit_page(request, unit, revoke=revoke, status=422)
        try:
            services.completion_revoke(actor=actor, completion_id=revoke.cleaned_data["completion"], reason=revoke.cleaned_data["reason"])
        except Invalid as exc:
            _add_errors(revoke, exc)
            return _unit_page(request, unit, revoke=revoke, status=422)
        messages.success(request, _("The completion is revoked."))
        return redirect(f"{request.path}?unit={unit.pk}" if unit is not None else request.path)
    form = CompletionForm(request.POST, staff=staff, courses=courses)
    if not form.is_valid():
        return _unit_page(request, unit, form=form, status=422)
    d = form.cleaned_data
    try:
        services.completion_record(
            actor=actor, user_id=d["user"], course=d["course"], completed_on=d["completed_on"],
            expires_on=d["expires_on"], certificate_number=d["certificate_number"],
        )
    except Invalid as exc:
        _add_errors(form, exc)
        return _unit_page(request, unit, form=form, status=422)
    messages.success(request, _("The completion is recorded."))
    return redirect(f"{request.path}?unit={unit.pk}" if unit is not None else request.path)


@login_required
@require_http_methods(["GET", "HEAD"])
def mine_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return render(request, "training/mine.html", {
        "cells": selectors.mine(user), "history": selectors.history(user), "required": selectors.required_of(user),
    })


@login_required
@require_http_methods(["GET", "HEAD"])
def coverage_view(request: HttpRequest) -> HttpResponse:
    return render(request, "training/coverage.html", {"coverage": selectors.coverage(_user(request))})
