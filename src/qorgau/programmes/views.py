"""Pages of offender programmes: the provider's list, an enrolment (sessions, outcome), enrolment
from the case page, and the catalogue.

The provider's pages never show the victim: they read the enrolment (offender, programme,
sessions), never the case through the case page. Thin views: reads through selectors and the gates,
writes through services; ``Invalid`` becomes form errors (422), a stale version the 409 page.
"""

from __future__ import annotations

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
from qorgau.core.errors import Forbidden, Invalid
from qorgau.core.form_errors import invalid_onto_form
from qorgau.programmes import selectors, services
from qorgau.programmes.forms import ChooserForm, EnrolForm, OutcomeForm, ProgrammeForm, SessionForm
from qorgau.programmes.models import Programme


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]



@login_required
@capability_required(Capability.RUN_PROGRAMMES)
@require_GET
def index_view(request: HttpRequest) -> HttpResponse:
    groups = selectors.unit_enrolments(_user(request))
    rows = [e for status in groups.values() for e in status]
    progress = selectors.progress_of(rows)
    for e in rows:
        e.progress = progress.get(e.pk)  # type: ignore[attr-defined]
    from qorgau.programmes.models import EnrolmentStatus

    sections = [(label, groups.get(value, [])) for value, label in EnrolmentStatus.choices]
    return render(request, "programmes/index.html", {"sections": sections})


def _enrolment_page(request: HttpRequest, enrolment_id: int, *, session_form: SessionForm | None = None,
                    outcome_form: OutcomeForm | None = None, status: int = 200) -> HttpResponse:
    access = selectors.enrolment_get_for(_user(request), enrolment_id, request=request)
    e = access.enrolment
    progress = selectors.progress_of([e]).get(e.pk)
    return render(request, "programmes/enrolment.html", {
        "e": e, "own": access.own, "progress": progress, "sessions": list(e.sessions.all()),
        "session_form": session_form or SessionForm(initial={"version": e.version}),
        "outcome_form": outcome_form or OutcomeForm(initial={"version": e.version}),
    }, status=status)


@login_required
@require_GET
def enrolment_view(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    return _enrolment_page(request, enrolment_id)


@login_required
@capability_required(Capability.RUN_PROGRAMMES)
@require_POST
def session_view(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    user = _user(request)
    access = selectors.enrolment_get_for(user, enrolment_id, request=request)
    if not access.own:
        raise Forbidden()
    form = SessionForm(request.POST)
    if form.is_valid():
        try:
            services.session_record(actor=user, enrolment_id=enrolment_id, version=form.cleaned_data["version"],
                                    held_on=form.cleaned_data["held_on"], attendance=form.cleaned_data["attendance"],
                                    note=form.cleaned_data["note"])
        except Invalid as exc:
            invalid_onto_form(form, exc)
        else:
            messages.success(request, _("The session is recorded."))
            return redirect("programmes:enrolment", enrolment_id)
    return _enrolment_page(request, enrolment_id, session_form=form, status=422)


@login_required
@require_POST
def outcome_view(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    user = _user(request)
    selectors.enrolment_get_for(user, enrolment_id, request=request)
    form = OutcomeForm(request.POST)
    if form.is_valid():
        try:
            services.enrolment_outcome(actor=user, enrolment_id=enrolment_id, version=form.cleaned_data["version"],
                                       outcome=form.cleaned_data["outcome"], reason=form.cleaned_data["reason"])
        except Invalid as exc:
            invalid_onto_form(form, exc)
        else:
            messages.success(request, _("The outcome is recorded."))
            return redirect("programmes:enrolment", enrolment_id)
    return _enrolment_page(request, enrolment_id, outcome_form=form, status=422)


def _enrol_page(request: HttpRequest, case_id: int, form: EnrolForm, *, status: int = 200) -> HttpResponse:
    user = _user(request)
    case, _viewer = case_get_for(user, case_id, request=request)
    chooser = ChooserForm(request.GET or None, initial={"region": case.holding_unit.region_id})
    rows: list[Programme] = []
    if not request.GET or chooser.is_valid():
        data = chooser.cleaned_data if request.GET else {}
        region = data.get("region")
        rows = list(selectors.catalogue(region=region.pk if region else case.holding_unit.region_id if not request.GET else "",
                                        language=data.get("language") or "", groups=tuple(data.get("groups") or ())))
    elif status == 200:
        status = 422
    return render(request, "programmes/enrol.html", {
        "case": case, "decisions": selectors.case_decisions(case), "chooser": chooser, "form": form, "rows": rows,
    }, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def enrol_view(request: HttpRequest, case_id: int) -> HttpResponse:
    user = _user(request)
    if not selectors.may_enrol(user):
        raise Forbidden()
    if request.method != "POST":
        return _enrol_page(request, case_id, EnrolForm(initial={"decision": request.GET.get("decision", "")}))
    case, _viewer = case_get_for(user, case_id, request=request)
    form = EnrolForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.enrolment_create(actor=user, case=case, decision_id=d["decision"], programme_id=d["programme"], deadline=d["deadline"],
                                      sessions_required=d["sessions_required"], allowed_absences=d["allowed_absences"],
                                      breach_counts=d["breach_counts"])
        except Invalid as exc:
            invalid_onto_form(form, exc)
        else:
            messages.success(request, _("He is enrolled; the provider has been told."))
            return redirect("cases:detail", case.pk)
    return _enrol_page(request, case.pk, form, status=422)


def _programme_input(data: dict) -> services.ProgrammeInput:
    flags = set(data.get("flags") or ())
    return services.ProgrammeInput(
        kind=data["kind"], name_kk=data["name_kk"], name_ru=data["name_ru"], name_en=data["name_en"],
        sessions_required=data["sessions_required"], region=data["region"].pk if data.get("region") else "",
        flags={f: f in flags for f in services.FLAGS},
    )


def _may_catalogue(user: User) -> None:
    if not (user.can(Capability.MANAGE_REFERENCE) or user.can(Capability.RUN_PROGRAMMES)):
        raise Forbidden()


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def catalogue_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _may_catalogue(user)
    form = ProgrammeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            unit: Unit | None = form.cleaned_data.get("unit") or user.unit
            try:
                if unit is None:
                    raise Invalid(fields={"unit": [_("Choose the provider unit.")]})
                services.programme_create(actor=user, unit=unit, data=_programme_input(form.cleaned_data))
            except Invalid as exc:
                invalid_onto_form(form, exc)
            else:
                messages.success(request, _("The programme is saved."))
                return redirect("programmes:catalogue")
        status = 422
    rows = [(p, selectors.may_manage(user, p)) for p in selectors.catalogue(active_only=False)]
    return render(request, "programmes/catalogue.html", {"form": form, "rows": rows,
                                                         "admin": user.can(Capability.MANAGE_REFERENCE)}, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def programme_view(request: HttpRequest, programme_id: int) -> HttpResponse:
    user = _user(request)
    _may_catalogue(user)
    programme = selectors.programme_get(programme_id)
    if not selectors.may_manage(user, programme):
        raise Forbidden()
    status = 200
    if request.method == "POST":
        form = ProgrammeForm(request.POST)
        if form.is_valid():
            try:
                services.programme_update(actor=user, programme_id=programme.pk, version=form.cleaned_data.get("version") or 0,
                                          data=_programme_input(form.cleaned_data))
            except Invalid as exc:
                invalid_onto_form(form, exc)
            else:
                messages.success(request, _("The programme is saved."))
                return redirect("programmes:catalogue")
        status = 422
    else:
        form = ProgrammeForm(initial={
            "kind": programme.kind, "name_kk": programme.name_kk, "name_ru": programme.name_ru, "name_en": programme.name_en,
            "sessions_required": programme.sessions_required, "region": programme.region_id, "version": programme.version,
            "flags": [f for f in services.FLAGS if getattr(programme, f)],
        })
    return render(request, "programmes/programme.html", {"form": form, "programme": programme}, status=status)
