"""The analytical note: the form (period, language) and the PDF it generates (aggregates only).

Thin views: the period goes through ``forms_note`` (``filters_parse``'s rules), the content comes from
``note.note_build`` (which checks VIEW_AGGREGATES and reads only suppressed aggregates) and the layout
from ``note_pdf``. A refused period or one without reports gives the form back with the message
beside the field (422), never an empty document or a 500. Each PDF is audited as an export.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from qorgau.accounts.access import require
from qorgau.accounts.models import User
from qorgau.accounts.roles import Capability
from qorgau.analytics.forms_note import NoteForm, note_initial
from qorgau.analytics.note import note_build
from qorgau.analytics.note_pdf import note_pdf
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.errors import Invalid
from qorgau.core.form_errors import invalid_onto_form
from qorgau.core.models import AuditAction


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    require(user, Capability.VIEW_AGGREGATES)
    return user


def _today() -> dt.date:
    return clock.now().date()


def _page(request: HttpRequest, form: NoteForm, status: int = 200) -> HttpResponse:
    return render(request, "analytics/note.html", {"form": form}, status=status)


@login_required
@require_GET
def note_page(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return _page(request, NoteForm(initial=note_initial(today=_today(), lang=user.language)))


@login_required
@require_GET
def note_pdf_page(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = NoteForm(request.GET)
    filters = form.filters(today=_today())
    if filters is None:
        return _page(request, form, 422)
    lang = form.cleaned_data["lang"]
    try:
        note = note_build(user, filters, lang)
    except Invalid as exc:
        invalid_onto_form(form, exc)
        return _page(request, form, 422)
    pdf = note_pdf(note)
    with transaction.atomic():
        audit_record(
            actor=user,
            action=AuditAction.EXPORT,
            target_type="analytics_note",
            target_id=f"{filters.start:%Y-%m}..{filters.end:%Y-%m}:{lang}",
            request=request,
        )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{note.filename}"'
    response["Cache-Control"] = "no-store"
    return response
