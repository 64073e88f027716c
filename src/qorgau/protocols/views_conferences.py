"""Pages of case conferences: the coordinator's list, one conference (schedule, record, dismiss) and a
proposal by hand from the case page. Only ``RUN_CONFERENCES`` manages conferences; reads go through
``conference_selectors`` (and the case gate), writes through ``conferences``. ``Invalid`` becomes
form errors (422), a stale version the conflict page (409)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qorgau.accounts.access import capability_required
from qorgau.accounts.models import Unit, User
from qorgau.accounts.roles import Capability
from qorgau.cases.access import case_get_for
from qorgau.core.errors import Invalid
from qorgau.protocols import conference_selectors as selectors
from qorgau.protocols import conferences as services
from qorgau.protocols.forms_conferences import DismissForm, ProposeForm, RecordForm, ScheduleForm
from qorgau.protocols.models_conferences import LIVE_CONFERENCE, Conference, ConferenceStatus

RUN = Capability.RUN_CONFERENCES


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _label(unit: Unit) -> str:
    return f"{unit.name} ({unit.kind.name})"


def _field_errors(form: forms.Form, exc: Invalid, rename: dict[str, str] | None = None) -> None:
    for name, errors in exc.fields.items():
        target = (rename or {}).get(name, name)
        for e in errors:
            form.add_error(target if target in form.fields else None, e)


def _schedule_form(conference: Conference, data: Any = None) -> ScheduleForm:
    units = [(u.pk, _label(u)) for u in selectors.invitable_units(conference)]
    invited = [a.unit_id for a in conference.attendees.all() if a.unit_id != conference.convening_unit_id]
    initial = {"version": conference.version, "when": conference.scheduled_for, "place": conference.place, "invited": invited}
    return ScheduleForm(data, units=units, initial=initial)


def _record_form(conference: Conference, data: Any = None) -> RecordForm:
    attendees = [(a.unit_id, _label(a.unit)) for a in conference.attendees.all()]
    owners = [(u.pk, _label(u)) for u in [a.unit for a in conference.attendees.all()]]
    owners += [(u.pk, _label(u)) for u in selectors.invitable_units(conference) if u.pk not in {o for o, _l in owners}]
    return RecordForm(data, attendees=attendees, owners=owners, initial={"version": conference.version})


def _page(request: HttpRequest, conference: Conference, viewer: Any, *, status: int = 200, **forms_: forms.Form) -> HttpResponse:
    live = conference.status in LIVE_CONFERENCE
    return render(request, "protocols/conferences/detail.html", {
        "conference": conference,
        "case": conference.case,
        "minutes": selectors.minutes_for(viewer, conference) if conference.minutes else "",
        "can_schedule": live,
        "can_record": conference.status == ConferenceStatus.SCHEDULED,
        "can_dismiss": live,
        "schedule_form": forms_.get("schedule_form") or (_schedule_form(conference) if live else None),
        "record_form": forms_.get("record_form") or (_record_form(conference) if conference.status == ConferenceStatus.SCHEDULED else None),
        "dismiss_form": forms_.get("dismiss_form") or DismissForm(initial={"version": conference.version}),
    }, status=status)


@login_required
@capability_required(RUN)
@require_GET
def conference_list_view(request: HttpRequest) -> HttpResponse:
    return render(request, "protocols/conferences/list.html", {"conferences": selectors.conferences_for(_user(request))})


@login_required
@capability_required(RUN)
@require_GET
def conference_view(request: HttpRequest, conference_id: int) -> HttpResponse:
    conference, viewer = selectors.conference_get_for(_user(request), conference_id, request=request)
    return _page(request, conference, viewer)


@login_required
@capability_required(RUN)
@require_POST
def conference_schedule_view(request: HttpRequest, conference_id: int) -> HttpResponse:
    user = _user(request)
    conference, viewer = selectors.conference_get_for(user, conference_id, request=request)
    form = _schedule_form(conference, request.POST)
    if not form.is_valid():
        return _page(request, conference, viewer, status=422, schedule_form=form)
    data = form.cleaned_data
    try:
        services.conference_schedule(actor=user, conference=conference, version=data["version"], when=data["when"], place=data["place"],
                                     invited_ids=data["invited"])
    except Invalid as exc:
        _field_errors(form, exc)
        return _page(request, conference, viewer, status=422, schedule_form=form)
    messages.success(request, _("The conference is scheduled; the invited agencies have been told and can open the case."))
    return redirect("protocols:conference", conference_id=conference.pk)


@login_required
@capability_required(RUN)
@require_POST
def conference_record_view(request: HttpRequest, conference_id: int) -> HttpResponse:
    user = _user(request)
    conference, viewer = selectors.conference_get_for(user, conference_id, request=request)
    form = _record_form(conference, request.POST)
    if not form.is_valid():
        return _page(request, conference, viewer, status=422, record_form=form)
    decisions, rows = form.decisions()
    try:
        services.conference_record(actor=user, conference=conference, version=form.cleaned_data["version"],
                                   attended_ids=form.cleaned_data["attended"], minutes=form.cleaned_data["minutes"], decisions=decisions)
    except Invalid as exc:
        # The service numbers the filled decisions; the form numbers its rows.
        rename = {f"decisions.{i}.{name}": f"d{row}_{name}" for i, row in enumerate(rows) for name in ("text", "owner", "due_on", "details")}
        _field_errors(form, exc, rename)
        return _page(request, conference, viewer, status=422, record_form=form)
    messages.success(request, _("The conference is recorded as held; each decision is now a task of its unit."))
    return redirect("protocols:conference", conference_id=conference.pk)


@login_required
@capability_required(RUN)
@require_POST
def conference_dismiss_view(request: HttpRequest, conference_id: int) -> HttpResponse:
    user = _user(request)
    conference, viewer = selectors.conference_get_for(user, conference_id, request=request)
    form = DismissForm(request.POST)
    if not form.is_valid():
        return _page(request, conference, viewer, status=422, dismiss_form=form)
    try:
        services.conference_dismiss(actor=user, conference=conference, version=form.cleaned_data["version"], reason=form.cleaned_data["reason"])
    except Invalid as exc:
        _field_errors(form, exc)
        return _page(request, conference, viewer, status=422, dismiss_form=form)
    messages.success(request, _("The conference is closed; the same reasons will not propose it again."))
    return redirect("protocols:conferences")


@login_required
@capability_required(RUN)
@require_http_methods(["GET", "HEAD", "POST"])
def conference_propose_view(request: HttpRequest, case_id: int) -> HttpResponse:
    user = _user(request)
    case, _viewer = case_get_for(user, case_id, request=request)
    form = ProposeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            conference = services.conference_propose_for(actor=user, case=case, reasons=form.cleaned_data["reasons"])
        except Invalid as exc:
            _field_errors(form, exc)
        else:
            messages.success(request, _("The conference is proposed; your unit convenes it."))
            return redirect("protocols:conference", conference_id=conference.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "protocols/conferences/propose.html", {"case": case, "form": form}, status=status)
