"""Pages of the shelter registry: the list, a centre (one-click capacity, live placements for its
own staff), find a bed from a case (hold and refer in one step), admission and discharge.

Thin views: reads through ``shelters.selectors`` and the case gate, writes through
``shelters.services``; ``Invalid`` becomes form errors (422), a stale version the 409 error page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qorgau.accounts.access import capability_required
from qorgau.accounts.models import User
from qorgau.accounts.roles import Capability
from qorgau.cases.access import case_get_for
from qorgau.core.errors import Invalid
from qorgau.core.form_errors import invalid_onto_form
from qorgau.shelters import selectors, services
from qorgau.shelters.centres import may_edit
from qorgau.shelters.coverage import may_see_coverage
from qorgau.shelters.forms import AdmitForm, DischargeForm, FindForm, HoldForm, RegistryFilter, StepForm


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]



@login_required
@require_GET
def registry_view(request: HttpRequest) -> HttpResponse:
    form = RegistryFilter(request.GET or None)
    if request.GET and not form.is_valid():
        return render(request, "shelters/registry.html", {"form": form, "rows": []}, status=422)
    data = form.cleaned_data if request.GET else {}
    region = data.get("region")
    rows = selectors.registry(_user(request), region=region.pk if region else "", kind=data.get("kind") or "", free_only=bool(data.get("free")),
                              groups=data.get("groups") or ())
    user = _user(request)
    return render(request, "shelters/registry.html", {"form": form, "rows": rows, "may_register": user.can(Capability.MANAGE_REFERENCE),
                                                      "may_see_coverage": may_see_coverage(user)})


def _centre_page(request: HttpRequest, centre_id: int, *, form: StepForm | None = None, admit_form: AdmitForm | None = None,
                 status: int = 200) -> HttpResponse:
    user = _user(request)
    centre = selectors.centre_get(centre_id)
    own = user.unit_id == centre.unit_id and user.can(Capability.SHELTER_INTAKE)
    return render(request, "shelters/centre.html", {
        "centre": centre, "shown": selectors.centre_values(user, centre), "own": own, "form": form,
        "pools": selectors.pools_with_use([centre])[centre.pk],
        "placements": list(selectors.centre_placements(centre)) if own else [],
        "holds": list(selectors.centre_holds(centre)) if own else [],
        "admit_form": admit_form or AdmitForm(), "may_edit": may_edit(user, centre),
    }, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def centre_view(request: HttpRequest, centre_id: int) -> HttpResponse:
    if request.method != "POST":
        return _centre_page(request, centre_id)
    centre = selectors.centre_get(centre_id)
    form = StepForm(request.POST)
    if not form.is_valid():
        return _centre_page(request, centre.pk, form=form, status=422)
    pool = next((p for p in selectors.pools_with_use([centre])[centre.pk] if p.pk == form.cleaned_data["pool"]), None)
    if pool is None:
        form.add_error("pool", _("Choose one of this centre's kinds of bed."))
        return _centre_page(request, centre.pk, form=form, status=422)
    try:
        services.pool_capacity_set(actor=_user(request), pool_id=pool.pk, capacity=pool.capacity + form.cleaned_data["step"],
                                   version=form.cleaned_data["version"])
    except Invalid as exc:
        invalid_onto_form(form, exc)
        return _centre_page(request, centre.pk, form=form, status=422)
    messages.success(request, _("The number of beds is saved."))
    return redirect("shelters:centre", centre.pk)


def _find_page(request: HttpRequest, case_id: int, form: FindForm, *, status: int = 200) -> HttpResponse:
    user = _user(request)
    case, _viewer = case_get_for(user, case_id, request=request)
    rows: list[selectors.CentreRow] = []
    if form.is_valid():
        rows = selectors.find_beds(user, case, children=form.cleaned_data.get("children") or 0,
                                   disability=bool(form.cleaned_data.get("disability")), language=form.cleaned_data.get("language") or "",
                                   groups=form.cleaned_data.get("groups") or ())
    elif status == 200:
        status = 422
    return render(request, "shelters/find.html", {"case": case, "form": form, "rows": rows}, status=status)


@login_required
@capability_required(Capability.PLACE_IN_SHELTER)
@require_http_methods(["GET", "HEAD", "POST"])
def find_view(request: HttpRequest, case_id: int) -> HttpResponse:
    if request.method != "POST":
        return _find_page(request, case_id, FindForm(request.GET or {"children": 0}))
    user = _user(request)
    case, _viewer = case_get_for(user, case_id, request=request)
    form = HoldForm(request.POST)
    if not form.is_valid():
        return _find_page(request, case.pk, form, status=422)
    try:
        centre = selectors.centre_get(form.cleaned_data["centre"])
        done = services.placement_request(actor=user, case=case, centre=centre, children=form.cleaned_data.get("children") or 0,
                                          disability=bool(form.cleaned_data.get("disability")))
    except Invalid as exc:
        invalid_onto_form(form, exc)
        return _find_page(request, case.pk, form, status=422)
    messages.success(request, _("A bed is held until %(until)s and the centre has the referral; it waits for her consent.")
                     % {"until": done.hold.held_until.strftime("%d.%m.%Y %H:%M")})
    return redirect("shelters:find", case.pk)


@login_required
@capability_required(Capability.SHELTER_INTAKE)
@require_POST
def admit_view(request: HttpRequest, hold_id: int) -> HttpResponse:
    user = _user(request)
    hold = selectors.hold_get_for(user, hold_id)
    form = AdmitForm(request.POST)
    if form.is_valid():
        try:
            placement = services.placement_admit(
                actor=user, case=hold.case, pool_id=hold.pool_id, hold_id=hold.pk, children=form.cleaned_data["children"],
                expected_days=form.cleaned_data["expected_days"], services=frozenset(form.cleaned_data["services"]))
        except Invalid as exc:
            invalid_onto_form(form, exc)
        else:
            messages.success(request, _("She is admitted; the bed is taken."))
            return redirect("shelters:placement", placement.pk)
    return _centre_page(request, hold.pool.centre_id, admit_form=form, status=422)


@login_required
@capability_required(Capability.SHELTER_INTAKE)
@require_http_methods(["GET", "HEAD", "POST"])
def placement_view(request: HttpRequest, placement_id: int) -> HttpResponse:
    user = _user(request)
    placement = selectors.placement_get_for(user, placement_id)
    status = 200
    if request.method == "POST":
        form = DischargeForm(request.POST)
        if form.is_valid():
            try:
                services.placement_discharge(actor=user, placement_id=placement.pk, version=form.cleaned_data["version"],
                                             outcome=form.cleaned_data["outcome"], discharged_at=form.cleaned_data["discharged_at"],
                                             services=frozenset(form.cleaned_data["services"]))
            except Invalid as exc:
                invalid_onto_form(form, exc)
            else:
                messages.success(request, _("She is discharged; the bed is free again."))
                return redirect("shelters:placement", placement.pk)
        status = 422
    else:
        given = [s for s in ("psychologist", "lawyer", "medical", "social") if getattr(placement, f"gave_{s}")]
        form = DischargeForm(initial={"version": placement.version, "services": given})
    return render(request, "shelters/placement.html", {"placement": placement, "form": form}, status=status)
