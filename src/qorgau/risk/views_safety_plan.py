"""Pages of her safety plan: the form page, and the printable plan in her language.

Both pass the case's one gate first, so a case one may not see is 404 whatever else is asked. The
printed plan carries no case number and no staff names: a paper found by him must not lead anywhere.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from qorgau.accounts.masks import MASKED, Viewer
from qorgau.accounts.models import User
from qorgau.cases.access import case_get_for
from qorgau.cases.conflict import case_conflict
from qorgau.cases.models import Case
from qorgau.core.audit import audit_record
from qorgau.core.errors import Conflict, Forbidden, Invalid, NotFound
from qorgau.core.models import AuditAction
from qorgau.risk.forms_safety_plan import SafetyPlanForm
from qorgau.risk.safety_plan import (
    DOCUMENTS,
    LANGUAGE_LABELS,
    LANGUAGES,
    TEXTS,
    SafetyPlanInput,
    document_label,
    may_edit_safety_plan,
    may_print_safety_plan,
    print_links,
    safety_plan_for,
    safety_plan_save,
    text_label,
)


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


# --- the form page --------------------------------------------------------------------------------------


def _initial(found: dict[str, Any] | None) -> dict[str, Any]:
    if found is None:
        return {}  # her language is asked, never assumed
    plan = found["plan"]
    return {"version": plan.version, "language": plan.language, "documents": found["documents"], **{n: found[n] for n in TEXTS}}


def _render(request: HttpRequest, case: Case, viewer: Viewer, found: dict[str, Any] | None, form: SafetyPlanForm | None) -> HttpResponse:
    rows = []
    documents: list[str] = []
    documents_masked = False
    if found is not None:
        rows = [{"key": n, "label": text_label(n), "value": found[n], "masked": found[n] is MASKED} for n in TEXTS]
        documents_masked = found["documents"] is MASKED
        documents = [] if documents_masked else [document_label(c) for c in found["documents"]]
    can_print = found is not None and may_print_safety_plan(viewer)
    context = {
        "case": case,
        "plan": found["plan"] if found else None,
        "plan_language": str(LANGUAGE_LABELS.get(found["plan"].language, "")) if found else "",
        "rows": rows,
        "documents": documents,
        "documents_masked": documents_masked,
        "form": form,
        "can_print": can_print,
        "print_links": print_links(case.pk) if can_print else [],
    }
    response = render(request, "risk/safety_plan.html", context)
    response["Cache-Control"] = "no-store"
    return response


def _field_errors(form: SafetyPlanForm, exc: Invalid) -> None:
    if not exc.fields:
        form.add_error(None, str(exc.message))
    for key, errors in exc.fields.items():
        for e in errors:
            form.add_error(key if key in form.fields else None, e)


def _summary(data: SafetyPlanInput) -> list[tuple[str, str]]:
    return [
        (_("Her language"), str(LANGUAGE_LABELS.get(data.language, data.language))),
        *((text_label(n), getattr(data, n).strip() or "—") for n in TEXTS),
        (_("What she keeps ready"), ", ".join(document_label(c) for c in DOCUMENTS if c in data.documents) or "—"),
    ]


def _conflict(request: HttpRequest, case_id: int, data: SafetyPlanInput) -> HttpResponse:
    """The edit conflict page of the case registry: her plan as submitted beside the plan stored now
    (re-read through the gate and the mask), and a button that applies it on the current version."""
    case, viewer = case_get_for(_user(request), case_id, request=request)
    stored = safety_plan_for(case, viewer)
    stored_rows: list[tuple[str, str]] = []
    if stored is not None:
        docs = stored["documents"]
        stored_rows = [
            (_("Her language"), str(LANGUAGE_LABELS.get(stored["plan"].language, stored["plan"].language))),
            *((text_label(n), str(stored[n]) or "—") for n in TEXTS),
            (_("What she keeps ready"), str(docs) if docs is MASKED else (", ".join(document_label(c) for c in docs) or "—")),
        ]
    resubmit: dict[str, Any] = {
        "version": stored["plan"].version if stored else "",
        "language": data.language,
        **{n: getattr(data, n) for n in TEXTS},
        "documents": sorted(data.documents),
    }
    return case_conflict(request, case, what=_("the safety plan"), action="risk:safety_plan", mine=_summary(data),
                         stored=stored_rows, resubmit=resubmit)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def safety_plan_view(request: HttpRequest, case_id: int) -> HttpResponse:
    user = _user(request)
    case, viewer = case_get_for(user, case_id, request=request)
    found = safety_plan_for(case, viewer)
    can_edit = may_edit_safety_plan(user, viewer, case)
    if request.method != "POST":
        if found is not None:
            audit_record(actor=user, action=AuditAction.READ, target_type="safety_plan", target_id=found["plan"].pk, request=request)
        return _render(request, case, viewer, found, SafetyPlanForm(initial=_initial(found)) if can_edit else None)
    if not can_edit:
        raise Forbidden()
    form = SafetyPlanForm(request.POST)
    if not form.is_valid():
        return _render(request, case, viewer, found, form)
    data = form.plan_input()
    try:
        safety_plan_save(actor=user, case=case, version=form.cleaned_data.get("version"), data=data)
    except Invalid as exc:
        _field_errors(form, exc)
        return _render(request, case, viewer, found, form)
    except Conflict:
        return _conflict(request, case_id, data)
    messages.success(request, _("Her safety plan was saved."))
    return redirect("risk:safety_plan", case_id=case.pk)


# --- the printed plan -----------------------------------------------------------------------------------


def _help_numbers() -> list[tuple[str, str]]:
    return [
        ("150", _("National helpline for children and young people, and for victims of domestic violence")),
        ("111", _("Contact centre for the rights of families, women and children")),
        ("102", _("Police")),
        ("103", _("Ambulance")),
        ("112", _("Emergency services")),
    ]


def _her_documents() -> dict[str, str]:
    """The things to keep ready, said to her (the model's labels speak of her to staff)."""
    labels = {
        "identity": _("My identity card or passport"),
        "children": _("The children's birth certificates"),
        "medical": _("Medical certificates and records"),
        "money": _("Bank cards and some cash"),
        "housing": _("Papers for the home and property"),
        "orders": _("Copies of protective orders and police reports"),
        "medicines": _("Medicines for me and the children"),
        "phone": _("A charged phone, and important numbers on paper"),
    }
    return {code: labels[code] for code in DOCUMENTS}


def _print_context(found: dict[str, Any]) -> dict[str, Any]:
    """The plan's texts under headings written for her; built inside her language."""
    headings = {
        "steps": _("What I will do to stay safe"),
        "contacts": _("People and numbers I can call"),
        "safe_places": _("Where I can go"),
        "children": _("Keeping my children safe"),
    }
    ready = set(found["documents"])
    return {
        "sections": [{"key": n, "heading": h, "text": found[n]} for n, h in headings.items() if found[n]],
        "documents": [{"code": c, "label": label, "ready": c in ready} for c, label in _her_documents().items()],
        "documents_other": found["documents_other"],
        "help_numbers": _help_numbers(),
        "updated_at": found["plan"].updated_at,
    }


@login_required
@require_GET
def safety_plan_print_view(request: HttpRequest, case_id: int) -> HttpResponse:
    user = _user(request)
    case, viewer = case_get_for(user, case_id, request=request)
    found = safety_plan_for(case, viewer)
    if found is None or not may_print_safety_plan(viewer):
        audit_record(actor=user, action=AuditAction.DENIED, target_type="case", target_id=case.pk, request=request, outcome="refused")
        raise NotFound()
    plan = found["plan"]
    lang = request.GET.get("lang", "")
    if lang not in LANGUAGES:
        lang = plan.language if plan.language in LANGUAGES else (get_language() or "ru")[:2]
    audit_record(actor=user, action=AuditAction.EXPORT, target_type="safety_plan", target_id=plan.pk, request=request)
    with translation.override(lang):
        response = render(request, "risk/safety_plan_print.html", {"lang": lang, **_print_context(found)})
    response["Content-Language"] = lang
    response["Cache-Control"] = "no-store"
    return response
