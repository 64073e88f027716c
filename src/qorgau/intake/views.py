"""Pages of anonymous intake: the unit's records, a new record, a record (view, edit, close, admit
into a bed, share on consent, withdraw), and what other centres share with the viewer's unit.

Thin views: reads through ``intake.selectors``, writes through ``intake.services``; ``Invalid``
becomes form errors (422), a stale version the 409 error page, a record of another unit 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qorgau.accounts.masks import MASKED
from qorgau.accounts.models import User
from qorgau.accounts.roles import Capability
from qorgau.core.errors import Forbidden, Invalid
from qorgau.core.form_errors import invalid_onto_form
from qorgau.intake import selectors, services
from qorgau.intake.forms import FORM_CHOICES, SHARE_CHOICES, AdmitForm, EditForm, RecordForm, ShareForm, WithdrawForm
from qorgau.intake.models import AnonymousRecord
from qorgau.shelters.forms import SERVICE_CHOICES
from qorgau.shelters.models import Centre, Placement


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _intake(request: HttpRequest) -> User:
    user = _user(request)
    if not any(user.can(c) for c in selectors.INTAKE_CAPABILITIES):
        raise Forbidden()
    return user



@login_required
@require_GET
def records_view(request: HttpRequest) -> HttpResponse:
    user = _intake(request)
    return render(request, "intake/records.html", {"records": list(selectors.unit_records(user)[:500]),
                                                   "may_register": selectors.is_intake_staff(user)})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def new_view(request: HttpRequest) -> HttpResponse:
    user = _intake(request)
    if request.method != "POST":
        region = user.unit.region_id if user.unit_id else None  # type: ignore[union-attr]
        return render(request, "intake/new.html", {"form": RecordForm(initial={"region": region, "children": 0})})
    form = RecordForm(request.POST)
    if form.is_valid():
        try:
            record = services.record_register(actor=user, data=form.to_input())
        except Invalid as exc:
            invalid_onto_form(form, exc)
        else:
            messages.success(request, _("Record %(number)s is registered. It is visible to your unit's staff only.") % {"number": record.number})
            return redirect("intake:record", record.pk)
    return render(request, "intake/new.html", {"form": form}, status=422)


def _record_page(request: HttpRequest, record: AnonymousRecord, *, form: EditForm | None = None, share_form: ShareForm | None = None,
                 admit_form: AdmitForm | None = None, withdraw_errors: list[str] | None = None, status: int = 200) -> HttpResponse:
    centre = Centre.objects.filter(unit_id=record.unit_id, shelter=True).first()
    ctx: dict[str, Any] = {
        "record": record, "form": form or EditForm(initial=EditForm.initial_for(record)),
        "share_form": share_form or ShareForm(), "admit_form": admit_form or AdmitForm(), "centre": centre,
        "may_admit": centre is not None and _user(request).can(Capability.SHELTER_INTAKE),
        "stays": (stays := list(Placement.objects.filter(record=record).select_related("pool"))),
        "staying": any(p.discharged_at is None for p in stays),
        "shares": list(selectors.record_shares(record)), "share_labels": dict(SHARE_CHOICES), "withdraw_errors": withdraw_errors or [],
    }
    return render(request, "intake/record.html", ctx, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def record_view(request: HttpRequest, record_id: int) -> HttpResponse:
    user = _intake(request)
    record = selectors.record_get_for(user, record_id, request=request)
    if request.method != "POST":
        return _record_page(request, record)
    form = EditForm(request.POST)
    if form.is_valid():
        try:
            services.record_update(actor=user, record_id=record.pk, version=form.cleaned_data["version"], data=form.to_input())
        except Invalid as exc:
            invalid_onto_form(form, exc)
        else:
            messages.success(request, _("The record is saved."))
            return redirect("intake:record", record.pk)
    return _record_page(request, record, form=form, status=422)


@login_required
@require_POST
def share_view(request: HttpRequest, record_id: int) -> HttpResponse:
    user = _intake(request)
    record = selectors.record_get_for(user, record_id, request=request)
    form = ShareForm(request.POST)
    if form.is_valid():
        try:
            services.share_give(actor=user, record_id=record.pk, to_unit_id=form.cleaned_data["to_unit"].pk,
                                purpose=form.cleaned_data.get("purpose") or "", how=form.cleaned_data["how"],
                                shares=frozenset(form.cleaned_data.get("shares") or ()))
        except Invalid as exc:
            invalid_onto_form(form, exc)
        else:
            messages.success(request, _("Shared with her consent: the unit sees only what she agreed to."))
            return redirect("intake:record", record.pk)
    return _record_page(request, record, share_form=form, status=422)


@login_required
@require_POST
def withdraw_view(request: HttpRequest, record_id: int) -> HttpResponse:
    user = _intake(request)
    record = selectors.record_get_for(user, record_id, request=request)
    form = WithdrawForm(request.POST)
    share = form.cleaned_data["share"] if form.is_valid() else None
    if share is None or not record.shares.filter(pk=share).exists():
        return _record_page(request, record, withdraw_errors=[_("Choose one of this record's shares.")], status=422)
    try:
        services.share_withdraw(actor=user, share_id=share)
    except Invalid as exc:
        return _record_page(request, record, withdraw_errors=[e for errs in exc.fields.values() for e in errs], status=422)
    messages.success(request, _("Her consent is withdrawn: the unit no longer sees the record."))
    return redirect("intake:record", record.pk)


@login_required
@require_POST
def admit_view(request: HttpRequest, record_id: int) -> HttpResponse:
    user = _intake(request)
    record = selectors.record_get_for(user, record_id, request=request)
    form = AdmitForm(request.POST)
    if form.is_valid():
        try:
            placement = services.record_admit(actor=user, record_id=record.pk, kind=form.cleaned_data["kind"],
                                              expected_days=form.cleaned_data["expected_days"])
        except Invalid as exc:
            invalid_onto_form(form, exc)
        else:
            messages.success(request, _("She is admitted anonymously; the bed is taken."))
            return redirect("shelters:placement", placement.pk)
    return _record_page(request, record, admit_form=form, status=422)


@login_required
@require_GET
def shared_list_view(request: HttpRequest) -> HttpResponse:
    return render(request, "intake/shared_list.html", {"shares": list(selectors.shares_to_unit(_user(request))[:500])})


@login_required
@require_GET
def shared_view(request: HttpRequest, share_id: int) -> HttpResponse:
    user = _user(request)
    share = selectors.share_get_for(user, share_id, request=request)
    shown = selectors.shared_values(user, share)
    return render(request, "intake/shared.html", {"share": share, "shown": shown, "rows": _rows(shown)})


def _rows(shown: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    """Label and text of each field; a masked one reads "hidden" (the mask layer decided)."""
    labels = {
        "alias": _("Alias"), "full_name": _("Real name"), "iin": _("IIN"), "birth_year": _("Year of birth"), "age_band": _("Age band"),
        "phone": _("Phone"), "region": _("Region"), "district": _("District"), "shelter_city": _("Shelter stay (city)"),
        "forms": _("Forms of violence"), "narrative": _("What happened"), "children": _("Children with her"), "services": _("Services given"),
    }
    names = {**dict(FORM_CHOICES), **dict(SERVICE_CHOICES)}
    rows = []
    for name, label in labels.items():
        value = shown[name]
        if value is MASKED:
            rows.append((name, label, str(MASKED), True))
            continue
        if isinstance(value, list):
            text = ", ".join(str(names.get(v, v)) for v in value)
        else:
            text = "" if value is None else str(value)
        rows.append((name, label, text or "—", False))
    return rows
