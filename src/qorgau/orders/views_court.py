"""Court pages: the case's court page (hearings, criminal cases, court decisions), a hearing's page
(move, adjourn, held, cancelled), a criminal case's page (its status) and the court's docket (hearings
today, this week and later, court orders ending soon, recent ones, the court's decisions), with
specialised courts marked.

Thin views: reads through ``orders.selectors`` and the case gate, writes through ``orders.court`` and
``orders.hearings``; ``Invalid`` becomes field errors with what was typed kept, a stale version the
conflict page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from qorgau.accounts.access import capability_required
from qorgau.accounts.masks import MASKED, Viewer
from qorgau.accounts.models import User
from qorgau.accounts.roles import Capability
from qorgau.cases.access import case_get_for
from qorgau.cases.conflict import conflict_response
from qorgau.cases.models import Case
from qorgau.core import clock
from qorgau.core.errors import Conflict, Forbidden, Invalid
from qorgau.core.form_errors import invalid_onto_form
from qorgau.orders import court, hearings, permissions, selectors
from qorgau.orders.forms_court import (
    CancelForm,
    CriminalCaseForm,
    CriminalStatusForm,
    DecisionWithCriminalCaseForm,
    DocketFilterForm,
    HearingForm,
    HeldForm,
    RescheduleForm,
)
from qorgau.orders.models import CourtHearing, CriminalCase, CriminalCaseStatus


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


# --- the case's court page ----------------------------------------------------------------------------------


def _court_page(request: HttpRequest, case: Case, viewer: Viewer, *, forms: dict[str, Any] | None = None, status: int = 200) -> HttpResponse:
    user = _user(request)
    forms = forms or {}
    orders = selectors.case_orders(case)
    criminal = selectors.case_criminal_cases(case)
    can_court = permissions.may_record_court(user, viewer.scope)
    context = {
        "case": case,
        "hearings": selectors.case_hearings(case),
        "criminal_cases": criminal,
        "decisions": list(case.court_decisions.select_related("court_unit")),
        "can_record_court": can_court,
        "can_schedule": can_court and user.unit is not None and user.unit.kind_id == hearings.COURT_KIND,
        "can_record_criminal": permissions.may_record_criminal(user, viewer.scope),
        "form": forms.get("decision") or DecisionWithCriminalCaseForm(orders=orders, criminal_cases=criminal),
        "hearing_form": forms.get("hearing") or HearingForm(orders=orders, criminal_cases=criminal),
        "criminal_form": forms.get("criminal") or CriminalCaseForm(),
        "open_form": next(iter(forms), ""),
    }
    return render(request, "orders/court_decision.html", context, status=status)


def _post_decision(request: HttpRequest, user: User, case: Case) -> tuple[Any, str | None]:
    form = DecisionWithCriminalCaseForm(request.POST, orders=selectors.case_orders(case), criminal_cases=selectors.case_criminal_cases(case))
    if form.is_valid():
        c = form.cleaned_data
        try:
            court.court_decision_record(
                actor=user, case=case, kind=c["kind"], decided_on=c["decided_on"], reference=c["reference"],
                article=c["article"], sentence=c["sentence"], order_id=c.get("order"), criminal_case_id=c.get("criminal_case"),
            )
        except Invalid as exc:
            invalid_onto_form(form, exc)
        else:
            return form, _("The court decision is recorded on the case.")
    return form, None


def _post_hearing(request: HttpRequest, user: User, case: Case) -> tuple[Any, str | None]:
    form = HearingForm(request.POST, orders=selectors.case_orders(case), criminal_cases=selectors.case_criminal_cases(case))
    if form.is_valid():
        c = form.cleaned_data
        try:
            hearings.hearing_schedule(
                actor=user, case=case, kind=c["kind"], scheduled_for=c["scheduled_for"], order_id=c.get("order"),
                criminal_case_id=c.get("criminal_case"),
            )
        except Invalid as exc:
            invalid_onto_form(form, exc)
        else:
            return form, _("The hearing is scheduled; the unit holding the case was told.")
    return form, None


def _post_criminal(request: HttpRequest, user: User, case: Case) -> tuple[Any, str | None]:
    form = CriminalCaseForm(request.POST)
    if form.is_valid():
        c = form.cleaned_data
        try:
            court.criminal_case_record(
                actor=user, case=case, number=c["number"], registered_on=c["registered_on"], article=c["article"], status=c["status"],
            )
        except Invalid as exc:
            invalid_onto_form(form, exc)
        else:
            return form, _("The criminal case is recorded on the case.")
    return form, None


POSTS = {"decision": (_post_decision, permissions.may_record_court), "hearing": (_post_hearing, permissions.may_record_court),
         "criminal": (_post_criminal, permissions.may_record_criminal)}


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def court_decision_view(request: HttpRequest, case_id: int) -> HttpResponse:
    """The case's court page: hearings, criminal cases and decisions; courts schedule hearings and
    record decisions, courts and police investigators record criminal cases."""
    user = _user(request)
    case, viewer = case_get_for(user, case_id, request=request)
    if not permissions.may_see_court(user, viewer.scope) or case.merged_into_id is not None:
        raise Forbidden()
    if request.method != "POST":
        return _court_page(request, case, viewer)
    action = request.POST.get("action") or "decision"
    if action not in POSTS:
        messages.error(request, _("Choose one of the offered values."))
        return _court_page(request, case, viewer, status=422)
    handler, allowed = POSTS[action]
    if not allowed(user, viewer.scope):
        raise Forbidden()
    form, done = handler(request, user, case)
    if done is not None:
        messages.success(request, done)
        return redirect("orders:court", case_id=case.pk)
    return _court_page(request, case, viewer, forms={action: form}, status=422)


# --- a hearing -------------------------------------------------------------------------------------------------


def _hearing_page(request: HttpRequest, hearing: CourtHearing, case: Case, viewer: Viewer, *, forms: dict[str, Any] | None = None,
                  status: int = 200) -> HttpResponse:
    user = _user(request)
    forms = forms or {}
    version = {"version": hearing.version}
    outcome = selectors.narrative(viewer, hearing.outcome)
    decisions = list(case.court_decisions.order_by("-decided_on", "-id"))
    context = {
        "hearing": hearing,
        "case": case,
        "outcome": outcome,
        "outcome_masked": outcome is MASKED,
        "can_change": hearings.may_change(user, hearing) and hearing.upcoming,
        "reschedule_form": forms.get("reschedule") or RescheduleForm(initial=version),
        "held_form": forms.get("held") or HeldForm(initial=version, decisions=decisions),
        "cancel_form": forms.get("cancel") or CancelForm(initial=version),
        "open_form": next(iter(forms), ""),
    }
    return render(request, "orders/hearing.html", context, status=status)


def _hearing_conflict(request: HttpRequest, hearing: CourtHearing, *, mine: list[tuple[str, str]], resubmit: dict[str, Any]) -> HttpResponse:
    hearing.refresh_from_db()
    stored = [
        (_("Status"), hearing.get_status_display()),
        (_("Date and time"), clock.local(hearing.scheduled_for, hearing.court_unit.timezone).strftime("%d.%m.%Y %H:%M")),
    ]
    message = _("Someone else changed the hearing after you opened it. Your change was not saved. Compare the two versions and choose.")
    here = reverse("orders:hearing", args=[hearing.pk])
    return conflict_response(request, message=message, form_action=here, back_url=here, mine=mine, stored=stored,
                             resubmit={**resubmit, "version": hearing.version})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def hearing_view(request: HttpRequest, hearing_id: int) -> HttpResponse:
    user = _user(request)
    hearing, case, viewer = selectors.hearing_get_for(user, hearing_id, request=request)
    if request.method != "POST":
        return _hearing_page(request, hearing, case, viewer)
    action = request.POST.get("action", "")
    decisions = list(case.court_decisions.order_by("-decided_on", "-id"))
    form: Any
    if action == "reschedule":
        form = RescheduleForm(request.POST)
        mine = [(_("New date and time"), request.POST.get("scheduled_for", "")), (_("Reason"), request.POST.get("reason", ""))]
        call: Any = lambda c: hearings.hearing_reschedule(  # noqa: E731
            actor=user, hearing=hearing, version=c["version"], scheduled_for=c["scheduled_for"], adjourn=c["adjourn"], reason=c["reason"])
        done = _("The hearing has a new date; the unit holding the case was told.")
    elif action == "held":
        form = HeldForm(request.POST, decisions=decisions)
        mine = [(_("Outcome"), request.POST.get("outcome", ""))]
        call = lambda c: hearings.hearing_hold(  # noqa: E731
            actor=user, hearing=hearing, version=c["version"], outcome=c["outcome"], decision_id=c.get("decision"))
        done = _("The hearing is recorded as held.")
    elif action == "cancel":
        form = CancelForm(request.POST)
        mine = [(_("Reason"), request.POST.get("reason", ""))]
        call = lambda c: hearings.hearing_cancel(actor=user, hearing=hearing, version=c["version"], reason=c["reason"])  # noqa: E731
        done = _("The hearing is cancelled.")
    else:
        messages.error(request, _("Choose one of the offered values."))
        return _hearing_page(request, hearing, case, viewer, status=422)
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except Conflict:
            resubmit = {k: v for k, v in request.POST.items() if k not in ("csrfmiddlewaretoken", "version")}
            return _hearing_conflict(request, hearing, mine=mine, resubmit=resubmit)
        except Invalid as exc:
            invalid_onto_form(form, exc)
        else:
            messages.success(request, done)
            return redirect("orders:hearing", hearing_id=hearing.pk)
    return _hearing_page(request, hearing, case, viewer, forms={action: form}, status=422)


# --- a criminal case ---------------------------------------------------------------------------------------------


def _next_statuses(user: User, viewer: Viewer, record: CriminalCase) -> list[str]:
    if not permissions.may_record_criminal(user, viewer.scope):
        return []
    allowed = court.TRANSITIONS.get(record.status, frozenset())
    if not permissions.may_record_court(user, viewer.scope):
        if record.status == CriminalCaseStatus.IN_COURT:
            return []
        allowed = allowed - court.VERDICTS
    return [s.value for s in CriminalCaseStatus if s.value in allowed]


def _criminal_page(request: HttpRequest, record: CriminalCase, case: Case, viewer: Viewer, *, form: Any = None,
                   status: int = 200) -> HttpResponse:
    user = _user(request)
    statuses = _next_statuses(user, viewer, record)
    decisions = list(case.court_decisions.order_by("-decided_on", "-id"))
    sentence = selectors.narrative(viewer, record.decision.sentence) if record.decision else ""
    context = {
        "record": record,
        "case": case,
        "sentence": sentence,
        "sentence_masked": sentence is MASKED,
        "hearings": list(record.hearings.select_related("court_unit").order_by("scheduled_for", "id")),
        "can_change": bool(statuses) and case.merged_into_id is None,
        "form": form or CriminalStatusForm(initial={"version": record.version}, statuses=statuses, decisions=decisions),
    }
    return render(request, "orders/criminal_case.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def criminal_case_view(request: HttpRequest, record_id: int) -> HttpResponse:
    user = _user(request)
    record, case, viewer = selectors.criminal_case_get_for(user, record_id, request=request)
    if request.method != "POST":
        return _criminal_page(request, record, case, viewer)
    if not permissions.may_record_criminal(user, viewer.scope):
        raise Forbidden()
    decisions = list(case.court_decisions.order_by("-decided_on", "-id"))
    form = CriminalStatusForm(request.POST, statuses=_next_statuses(user, viewer, record) or [record.status], decisions=decisions)
    if form.is_valid():
        c = form.cleaned_data
        try:
            court.criminal_case_change(
                actor=user, record=record, version=c["version"], status=c["status"], status_on=c.get("status_on"), decision_id=c.get("decision"),
            )
        except Conflict:
            record.refresh_from_db()
            here = reverse("orders:criminal-case", args=[record.pk])
            return conflict_response(
                request,
                message=_("Someone else changed the criminal case after you opened it. Your change was not saved. Compare the two versions and choose."),
                form_action=here, back_url=here,
                mine=[(_("New status"), str(CriminalCaseStatus(c["status"]).label))],
                stored=[(_("Status"), record.get_status_display())],
                resubmit={k: v for k, v in request.POST.items() if k not in ("csrfmiddlewaretoken", "version")} | {"version": record.version},
            )
        except Invalid as exc:
            invalid_onto_form(form, exc)
        else:
            messages.success(request, _("The criminal case is updated."))
            return redirect("orders:criminal-case", record_id=record.pk)
    return _criminal_page(request, record, case, viewer, form=form, status=422)


# --- the docket ------------------------------------------------------------------------------------------------


@login_required
@capability_required(Capability.COURT_DECISIONS)
@require_GET
def docket_view(request: HttpRequest) -> HttpResponse:
    form = DocketFilterForm(request.GET or None)
    since = until = None
    status = 200
    if form.is_bound:
        if form.is_valid():
            since, until = form.cleaned_data.get("since"), form.cleaned_data.get("until")
        else:
            status = 422
    docket = selectors.court_docket(_user(request), since=since, until=until)
    return render(request, "orders/docket.html", {"docket": docket, "days": selectors.DOCKET_DAYS, "form": form}, status=status)
