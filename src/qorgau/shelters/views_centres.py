"""Pages of registering a centre (administrators) and editing one (administrators and its own staff)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from qorgau.accounts.access import capability_required
from qorgau.accounts.models import User
from qorgau.accounts.roles import Capability
from qorgau.core.errors import Forbidden, Invalid
from qorgau.core.form_errors import invalid_onto_form
from qorgau.shelters import centres, selectors
from qorgau.shelters.forms_centres import CentreEditForm, CentreRegisterForm

NEW_INITIAL = {"shelter": True, "lang_kk": True, "lang_ru": True, "beds_women": 0, "beds_with_children": 0, "beds_accessible": 0}


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@login_required
@capability_required(Capability.MANAGE_REFERENCE)
@require_http_methods(["GET", "HEAD", "POST"])
def centre_new_view(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "shelters/centre_form.html", {"form": CentreRegisterForm(initial=NEW_INITIAL), "new": True})
    form = CentreRegisterForm(request.POST)
    if form.is_valid():
        try:
            centre = centres.centre_create(actor=_user(request), unit_id=form.cleaned_data["unit"].pk, values=form.values(),
                                           beds=form.beds())
        except Invalid as exc:
            invalid_onto_form(form, exc)
        else:
            messages.success(request, _("The centre is registered."))
            return redirect("shelters:centre", centre.pk)
    return render(request, "shelters/centre_form.html", {"form": form, "new": True}, status=422)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def centre_edit_view(request: HttpRequest, centre_id: int) -> HttpResponse:
    user = _user(request)
    centre = selectors.centre_get(centre_id)
    if not centres.may_edit(user, centre):
        raise Forbidden()
    readable = selectors.sees_address(user, centre)
    if request.method != "POST":
        form = CentreEditForm(initial=CentreEditForm.initial_for(centre, address_readable=readable), address_readable=readable)
        return render(request, "shelters/centre_form.html", {"form": form, "centre": centre, "readable": readable})
    form = CentreEditForm(request.POST, address_readable=readable)
    if form.is_valid():
        try:
            centres.centre_update(actor=user, centre_id=centre.pk, version=form.cleaned_data["version"], values=form.values())
        except Invalid as exc:
            invalid_onto_form(form, exc)
        else:
            messages.success(request, _("The centre's details are saved."))
            return redirect("shelters:centre", centre.pk)
    return render(request, "shelters/centre_form.html", {"form": form, "centre": centre, "readable": readable}, status=422)
