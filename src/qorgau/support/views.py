"""Pages of victim support: a case's referrals with the new-referral form, the provider's queue, a
referral (moved along by the provider, withdrawn by the referring unit), the programme catalogue
with its editor, and the figures.

Thin views: reads through ``support.selectors`` and the case gate, writes through
``support.services``; ``Invalid`` becomes form errors (422), a stale version the 409 error page.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from qorgau.accounts.access import capability_required
from qorgau.accounts.models import Unit, User
from qorgau.accounts.roles import Capability
from qorgau.cases.access import case_get_for
from qorgau.core.errors import Forbidden, Invalid, NotFound
from qorgau.core.form_errors import invalid_onto_form
from qorgau.support import selectors, services
from qorgau.support.forms import FiguresFilter, MoveForm, ProgrammeFilter, ProgrammeForm, ReferralForm
from qorgau.support.models import SupportKind, SupportProgramme, SupportStatus


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]



# --- a case's referrals ----------------------------------------------------------------------------


def _case_page(request: HttpRequest, case_id: int, *, form: ReferralForm | None = None, status: int = 200) -> HttpResponse:
    user = _user(request)
    if not services.works_on_cases(user):
        raise Forbidden()
    case, viewer = case_get_for(user, case_id, request=request)
    if not services.may_refer(user, viewer):
        raise NotFound()
    region = selectors.case_region(case)
    filters = ProgrammeFilter(request.GET or {"region": region})
    rows: list[SupportProgramme] = []
    if filters.is_valid():
        data = filters.cleaned_data
        rows = list(selectors.programmes(kind=data.get("kind") or "", region=data["region"].pk if data.get("region") else "",
                                         language=data.get("language") or "", groups=tuple(data.get("groups") or ())))
    elif status == 200:
        status = 422
    return render(request, "support/case.html", {
        "case": case, "filters": filters, "programmes": rows, "form": form or ReferralForm(),
        "referrals": selectors.case_referrals(case, viewer, user),
    }, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def case_view(request: HttpRequest, case_id: int) -> HttpResponse:
    if request.method != "POST":
        return _case_page(request, case_id)
    user = _user(request)
    if not services.works_on_cases(user):
        raise Forbidden()
    case, viewer = case_get_for(user, case_id, request=request)
    form = ReferralForm(request.POST)
    if not form.is_valid():
        return _case_page(request, case.pk, form=form, status=422)
    data = form.cleaned_data
    try:
        programme = selectors.programme_get(data["programme"])
        services.referral_create(actor=user, case=case, viewer=viewer, programme=programme, consent_how=data.get("consent_how") or "",
                                 identity=bool(data.get("identity")), contact=bool(data.get("contact")),
                                 requested_on=data.get("requested_on"), note=data.get("note") or "")
    except NotFound:
        form.add_error("programme", _("Choose a programme from the list."))
        return _case_page(request, case.pk, form=form, status=422)
    except Invalid as exc:
        invalid_onto_form(form, exc)
        return _case_page(request, case.pk, form=form, status=422)
    messages.success(request, _("She is referred; the provider unit is notified and sees only what her consent covers."))
    return redirect("support:case", case.pk)


# --- the provider's queue and a referral -----------------------------------------------------------


@login_required
@require_GET
def queue_view(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in ("", *SupportStatus.values):
        status = ""
    rows = selectors.provider_queue(_user(request), status=status)
    return render(request, "support/queue.html", {"rows": rows, "status": status, "statuses": SupportStatus.choices})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def referral_view(request: HttpRequest, referral_id: int) -> HttpResponse:
    user = _user(request)
    access = selectors.referral_get_for(user, referral_id)
    referral = access.referral
    status = 200
    form = MoveForm(initial={"version": referral.version})
    if request.method == "POST":
        form = MoveForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.referral_move(actor=user, referral_id=referral.pk, version=data["version"], to=data["to"], on=data.get("on"),
                                       outcome=data.get("outcome") or "", declined_by=data.get("declined_by") or "",
                                       note=data.get("note"), as_referrer=access.referrer)
            except Invalid as exc:
                invalid_onto_form(form, exc)
            else:
                messages.success(request, _("The referral is updated."))
                return redirect("support:referral", referral.pk)
        status = 422
    nexts = services.TRANSITIONS.get(referral.status, ())
    moves = [s for s in nexts if (access.provider and s in services.PROVIDER_MOVES) or (access.referrer and s in services.REFERRER_MOVES)]
    if moves:
        form.fields["to"].choices = [(s, SupportStatus(s).label) for s in moves]  # type: ignore[attr-defined]
    return render(request, "support/referral.html", {"referral": referral, "access": access, "form": form, "moves": moves}, status=status)


# --- the catalogue ---------------------------------------------------------------------------------


@login_required
@require_GET
def programmes_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    filters = ProgrammeFilter(request.GET or None)
    status = 200
    rows: list[SupportProgramme] = []
    if request.GET and not filters.is_valid():
        status = 422
    else:
        data = filters.cleaned_data if request.GET else {}
        rows = list(selectors.programmes(kind=data.get("kind") or "", region=data["region"].pk if data.get("region") else "",
                                         language=data.get("language") or "", groups=tuple(data.get("groups") or ()), active_only=False))
    can_add = user.can(Capability.MANAGE_REFERENCE) or (user.can(Capability.SUPERVISE_UNIT) and user.unit is not None
                                                         and user.unit.kind_id in services.PROVIDER_KINDS)
    return render(request, "support/programmes.html", {
        "filters": filters, "rows": rows, "can_add": can_add,
        "editable": {p.pk for p in rows if services.may_manage_programme(user, p.unit)},
    }, status=status)


def _programme_unit(user: User, form: ProgrammeForm, programme: SupportProgramme | None) -> Unit | None:
    chosen = form.cleaned_data.get("unit")
    if chosen is not None and user.can(Capability.MANAGE_REFERENCE):
        return chosen
    if programme is not None:
        return programme.unit
    return user.unit


def _programme_edit(request: HttpRequest, programme: SupportProgramme | None) -> HttpResponse:
    user = _user(request)
    if not services.may_manage_programme(user, programme.unit if programme else user.unit):
        raise Forbidden()
    status = 200
    if request.method == "POST":
        form = ProgrammeForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            unit = _programme_unit(user, form, programme)
            if unit is None:
                form.add_error("unit", _("Give the id of an existing unit."))
            else:
                flags = {k: bool(data.get(k)) for k in (*services.LANG_FLAGS, *services.GROUP_FLAGS)}
                try:
                    saved = services.programme_save(
                        actor=user, unit=unit, kind=data["kind"], name_kk=data["name_kk"], name_ru=data["name_ru"], name_en=data["name_en"],
                        region=data.get("region"), programme=programme, version=data.get("version"), active=bool(data.get("active")), **flags)
                except Invalid as exc:
                    invalid_onto_form(form, exc)
                else:
                    messages.success(request, _("The programme is saved."))
                    return redirect("support:programme", saved.pk)
        status = 422
    elif programme is not None:
        form = ProgrammeForm(initial={
            "version": programme.version, "unit": programme.unit_id, "kind": programme.kind, "name_kk": programme.name_kk,
            "name_ru": programme.name_ru, "name_en": programme.name_en, "region": programme.region_id, "active": programme.active,
            **{k: getattr(programme, k) for k in (*services.LANG_FLAGS, *services.GROUP_FLAGS)},
        })
    else:
        form = ProgrammeForm(initial={"lang_kk": True, "lang_ru": True, "active": True, "kind": SupportKind.EMPLOYMENT})
    return render(request, "support/programme_form.html", {
        "form": form, "programme": programme, "admin": user.can(Capability.MANAGE_REFERENCE),
    }, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def programme_new_view(request: HttpRequest) -> HttpResponse:
    return _programme_edit(request, None)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def programme_view(request: HttpRequest, programme_id: int) -> HttpResponse:
    return _programme_edit(request, selectors.programme_get(programme_id))


# --- figures ---------------------------------------------------------------------------------------


@login_required
@capability_required(Capability.VIEW_AGGREGATES)
@require_GET
def figures_view(request: HttpRequest) -> HttpResponse:
    filters = FiguresFilter(request.GET or None)
    status = 200
    region = ""
    period = None
    if request.GET:
        if filters.is_valid():
            data = filters.cleaned_data
            region = data["region"].pk if data.get("region") else ""
            if data.get("since") or data.get("until"):
                period = (data.get("since") or dt.date(2000, 1, 1), data.get("until") or dt.date(2999, 12, 31))
        else:
            status = 422
    counts = selectors.support_figures(region=region or None, period=period) if status == 200 else {}
    table = [(SupportKind(k).label, [selectors.cell(by_status[s]) for s in SupportStatus.values]) for k, by_status in counts.items()]
    repeat = selectors.repeat_after_support()
    groups = [
        (_("With completed economic support"), repeat["with_support"]),
        (_("Without"), repeat["without_support"]),
    ]
    rows = [(label, selectors.cell(g.cases), selectors.cell(g.repeated), selectors.share(g.repeated, g.cases)) for label, g in groups]
    return render(request, "support/figures.html", {
        "filters": filters, "statuses": [s.label for s in SupportStatus], "table": table, "repeat": rows,
    }, status=status)
