"""The case page's attachments: upload (multipart) and open (the decrypted file, audited)."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from qorgau.accounts.forms import ERRORS
from qorgau.accounts.masks import Viewer
from qorgau.accounts.models import User
from qorgau.cases.access import case_get_for
from qorgau.cases.attachments import (
    attachment_add,
    attachment_can_add,
    attachment_can_add_with,
    attachment_file_check,
    attachment_open,
    case_attachments,
)
from qorgau.cases.models import AttachmentKind, Case
from qorgau.core.errors import Forbidden, Invalid

# Room for the multipart envelope and the other fields around the file itself.
ENVELOPE_BYTES = 64 * 1024


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of document"), choices=AttachmentKind.choices, error_messages=ERRORS)
    file = forms.FileField(
        label=_("File"),
        error_messages={
            **ERRORS,
            "required": _("Choose a file to attach."),
            "empty": _("The file is empty."),
            "invalid": _("No file was sent. Choose the file again."),
            "missing": _("No file was sent. Choose the file again."),
        },
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf,.jpg,.jpeg,.png,.pdf"}),
    )

    def clean_file(self) -> UploadedFile:
        # The service checks again; here so that one submission shows every mistake at once.
        upload: UploadedFile = self.cleaned_data["file"]
        try:
            attachment_file_check(upload)
        except Invalid as exc:
            raise forms.ValidationError(exc.fields["file"]) from None
        return upload


def attachments_context(actor: User, case: Case, viewer: Viewer, form: AttachmentForm | None = None) -> dict[str, Any]:
    """The two variables the case page passes to ``cases/_attachments.html``."""
    can_add = attachment_can_add_with(actor, viewer.scope)
    return {
        "attachments": case_attachments(case, viewer),
        "attachment_form": (form or AttachmentForm()) if can_add else None,
        "attachment_max_mb": settings.QORGAU_ATTACHMENT_MAX_BYTES // (1024 * 1024),
    }


def _case_page(case: Case) -> str:
    return reverse("cases:detail", args=[case.pk])


def _respond(request: HttpRequest, case: Case, viewer: Viewer, form: AttachmentForm, *, added: bool = False) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    context = {"case": case, "viewer": viewer, "attachment_added": added, **attachments_context(user, case, viewer, form)}
    if request.headers.get("HX-Request"):
        # htmx swaps only successful responses: field errors come back as 200 with the form marked.
        return render(request, "cases/_attachments.html", context)
    context["case_url"] = _case_page(case)
    return render(request, "cases/attachment_upload.html", context, status=422)


def _too_big_form() -> AttachmentForm:
    """A form marked with the size error, for a request refused before its body is read."""
    form = AttachmentForm(data=QueryDict(""), files=MultiValueDict())
    form.is_valid()
    form.errors.clear()
    mb = settings.QORGAU_ATTACHMENT_MAX_BYTES // (1024 * 1024)
    form.add_error("file", _g("The file is larger than %(mb)d MB. Attach a smaller file.") % {"mb": mb})
    return form


@login_required
@require_POST
def attachment_upload_view(request: HttpRequest, case_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    case, viewer = case_get_for(user, case_id, request=request)
    if not attachment_can_add(user, case):
        raise Forbidden()
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdecimal() and int(declared) > settings.QORGAU_ATTACHMENT_MAX_BYTES + ENVELOPE_BYTES:
        # Refused before the body is parsed, so an oversized upload never reaches the disk.
        return _respond(request, case, viewer, _too_big_form())
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        return _respond(request, case, viewer, form)
    try:
        attachment_add(actor=user, case=case, kind=form.cleaned_data["kind"], upload=form.cleaned_data["file"])
    except Invalid as exc:
        for name, errs in exc.fields.items():
            for err in errs:
                form.add_error(name if name in form.fields else None, err)
        return _respond(request, case, viewer, form)
    if request.headers.get("HX-Request"):
        return _respond(request, case, viewer, AttachmentForm(), added=True)
    messages.success(request, _g("The file was attached. It is stored encrypted."))
    return HttpResponseRedirect(_case_page(case))


@login_required
@require_GET
def attachment_open_view(request: HttpRequest, attachment_id: int) -> FileResponse:
    user: User = request.user  # type: ignore[assignment]
    opened = attachment_open(actor=user, attachment_id=attachment_id, request=request)
    response = FileResponse(
        BytesIO(opened.content), as_attachment=True, filename=opened.filename, content_type=opened.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response
