"""Pages of the data-protection officer: the requests, one request (find the person, prepare the
export, correct a record), the downloads. Thin: reads through ``privacy.selectors``, writes through
``privacy.services``; ``Invalid`` becomes form errors (422), a stale version the conflict page."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qorgau.accounts.access import capability_required
from qorgau.accounts.models import User
from qorgau.accounts.roles import Capability
from qorgau.cases.conflict import conflict_response
from qorgau.core.audit import audit_record
from qorgau.core.errors import Conflict, Invalid
from qorgau.core.form_errors import invalid_onto_form
from qorgau.core.models import AuditAction
from qorgau.people.models import Person
from qorgau.people.services import PersonInput
from qorgau.privacy import selectors, services
from qorgau.privacy.forms import AttachForm, CorrectionForm, RequestForm, SearchForm
from qorgau.privacy.models import PrivacyRequest, RequestKind

PRIVACY = Capability.HANDLE_PRIVACY_REQUESTS


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@login_required
@capability_required(PRIVACY)
@require_http_methods(["GET", "HEAD", "POST"])
def requests_view(request: HttpRequest) -> HttpResponse:
    form = RequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                found = services.request_create(actor=_user(request), reference=data["reference"], received_on=data["received_on"],
                                                legal_basis=data["legal_basis"], identity_checked=data["identity_checked"],
                                                kind=data["kind"], language=data["language"], notes=data.get("notes") or "")
                return redirect("privacy:request", found.pk)
            except Invalid as exc:
                invalid_onto_form(form, exc)
        status = 422
    rows = selectors.requests_list()
    audit_record(actor=_user(request), action=AuditAction.READ, target_type="privacy_requests", count=len(rows), request=request)
    return render(request, "privacy/requests.html", {"form": form, "rows": rows}, status=status)


def _request_page(request: HttpRequest, found: PrivacyRequest, *, search: SearchForm | None = None,
                  candidates: list[selectors.Found] | None = None, status: int = 200, error: str = "") -> HttpResponse:
    audit_record(actor=_user(request), action=AuditAction.READ, target_type="privacy_request", target_id=found.pk, request=request)
    members = selectors.request_members(found)
    return render(request, "privacy/request.html", {
        "req": found, "search": search or SearchForm(), "candidates": candidates, "error": error,
        "members": members, "exports": list(found.exports.all()[:5]), "corrections": list(found.corrections.all()),
        "correction": found.kind == RequestKind.CORRECTION, "search_data": (search.cleaned_data if search and search.is_bound and search.is_valid() else {}),
    }, status=status)


@login_required
@capability_required(PRIVACY)
@require_GET
def request_view(request: HttpRequest, request_id: int) -> HttpResponse:
    return _request_page(request, selectors.request_get(request_id))


@login_required
@capability_required(PRIVACY)
@require_POST
def find_view(request: HttpRequest, request_id: int) -> HttpResponse:
    found = selectors.request_get(request_id)
    form = SearchForm(request.POST)
    if not form.is_valid():
        return _request_page(request, found, search=form, status=422)
    try:
        candidates = services.subject_search(actor=_user(request), request=found, iin=form.cleaned_data["iin"] or "",
                                             case_number=form.cleaned_data["case_number"] or "")
    except Invalid as exc:
        invalid_onto_form(form, exc)
        return _request_page(request, found, search=form, status=422)
    return _request_page(request, found, search=form, candidates=candidates)


@login_required
@capability_required(PRIVACY)
@require_POST
def attach_view(request: HttpRequest, request_id: int) -> HttpResponse:
    found = selectors.request_get(request_id)
    form = AttachForm(request.POST)
    if not form.is_valid():
        return _request_page(request, found, status=422, error=_("Choose one of the records the search found."))
    data = form.cleaned_data
    try:
        services.subject_attach(actor=_user(request), request=found, person_id=data["person"], iin=data["iin"] or "",
                                case_number=data["case_number"] or "", version=data["version"])
    except Invalid as exc:
        return _request_page(request, found, status=422, error=str(exc.fields.get("person", [exc.message])[0]))
    except Conflict as exc:
        return _request_page(request, found, status=409, error=str(exc.message))
    return redirect("privacy:request", found.pk)


@login_required
@capability_required(PRIVACY)
@require_POST
def export_view(request: HttpRequest, request_id: int) -> HttpResponse:
    found = selectors.request_get(request_id)
    try:
        services.export_prepare(actor=_user(request), request=found)
    except Invalid as exc:
        return _request_page(request, found, status=422, error=str(exc.fields.get("subject", [exc.message])[0]))
    return redirect("privacy:request", found.pk)


@login_required
@capability_required(PRIVACY)
@require_GET
def download_view(request: HttpRequest, export_id: int, fmt: str) -> HttpResponse:
    found, data = services.export_take(actor=_user(request), export_id=export_id, fmt=fmt)
    name = f"qorgau-privacy-{found.pk}"
    if fmt == "json":
        response = HttpResponse(json.dumps(data, ensure_ascii=False, indent=1), content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.json"'
    else:
        with translation.override(found.language):
            body = render_to_string("privacy/export.html", {"d": data, "lang": found.language}, request=request)
        response = HttpResponse(body, content_type="text/html; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="{name}.html"'
    response["Cache-Control"] = "no-store"
    return response


def _initial(person: Person) -> dict[str, Any]:
    return {
        "full_name": person.full_name, "iin": person.iin or "", "birth_date": person.birth_date, "sex": person.sex,
        "phone": person.phone or "", "address": person.address or "", "workplace": person.workplace or "", "version": person.version,
    }


@login_required
@capability_required(PRIVACY)
@require_http_methods(["GET", "HEAD", "POST"])
def correct_view(request: HttpRequest, request_id: int, person_id: int) -> HttpResponse:
    found = selectors.request_get(request_id)
    person = selectors.request_member(found, person_id)
    if found.kind != RequestKind.CORRECTION:
        raise Invalid(_("This request does not ask for a correction."))
    user = _user(request)
    audit_record(actor=user, action=AuditAction.READ, target_type="person", target_id=person.pk, request=request)
    form = CorrectionForm(request.POST or None, initial=_initial(person))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            entry = PersonInput(
                full_name=data["full_name"], iin=data.get("iin") or "", iin_unverified_ok=bool(data.get("iin_unverified_ok")),
                birth_date=data.get("birth_date"), sex=data["sex"], phone=data.get("phone") or "",
                address=data.get("address") or "", workplace=data.get("workplace") or "",
            )
            try:
                services.person_correct(actor=user, request=found, person=person, data=entry, version=data["version"], reason=data.get("reason") or "")
                return redirect("privacy:request", found.pk)
            except Invalid as exc:
                invalid_onto_form(form, exc)
            except Conflict:
                person.refresh_from_db()
                return _conflict(request, found, person, form)
        status = 422
    return render(request, "privacy/correct.html", {"req": found, "person": person, "form": form}, status=status)


def _conflict(request: HttpRequest, found: PrivacyRequest, person: Person, form: CorrectionForm) -> HttpResponse:
    stored = _initial(person)
    labels = {name: str(field.label) for name, field in form.fields.items()}
    keys = ("full_name", "iin", "birth_date", "sex", "phone", "address", "workplace")
    resubmit = {k: ("" if form.cleaned_data.get(k) is None else str(form.cleaned_data.get(k))) for k in (*keys, "reason")}
    resubmit["version"] = str(person.version)
    if form.cleaned_data.get("iin_unverified_ok"):
        resubmit["iin_unverified_ok"] = "on"
    return conflict_response(
        request,
        message=_("Someone else corrected this record after you opened it. Your correction was not saved. Compare the two versions and choose."),
        form_action=reverse("privacy:correct", args=[found.pk, person.pk]),
        back_url=reverse("privacy:request", args=[found.pk]),
        mine=[(labels[k], resubmit[k]) for k in keys],
        stored=[(labels[k], "" if stored[k] is None else str(stored[k])) for k in keys],
        resubmit=resubmit,
    )
