"""The bulk-import page: upload a register, see every bad row (dry run), then import it all or nothing.

For a supervisor migrating a unit's register (REGISTER_REPORT and SUPERVISE_UNIT). The upload is
kept in memory only — a register is personal data and is never written to disk — and is not kept
between the check and the import: the user uploads the file again with "import" ticked.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import InMemoryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from qorgau.accounts.access import require
from qorgau.accounts.forms import ERRORS
from qorgau.accounts.models import User
from qorgau.cases import imports
from qorgau.core.errors import Invalid

# Room for the multipart envelope and the form's other fields around the file itself.
ENVELOPE_BYTES = 64 * 1024


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Register file"),
        error_messages={
            **ERRORS,
            "required": _("Choose the file to check or import."),
            "empty": _("The file is empty."),
            "invalid": _("No file was sent. Choose the file again."),
            "missing": _("No file was sent. Choose the file again."),
        },
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}),
    )
    commit = forms.BooleanField(
        label=_("Import now (all rows or none). Leave unticked to check the file first; nothing is saved by a check."),
        required=False,
    )


class MemoryOnlyUploadHandler(FileUploadHandler):
    """Keeps an upload in memory, up to one byte over the import limit, and never spills it to disk."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.buffer = BytesIO()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        room = imports.MAX_BYTES + 1 - self.buffer.tell()
        if room > 0:
            self.buffer.write(raw_data[:room])  # beyond the limit only the size matters: the service refuses it

    def file_complete(self, file_size: int) -> UploadedFile:
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            file=self.buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )


def _too_big_form() -> ImportForm:
    """A form marked with the size error, for a request refused before its body is read."""
    form = ImportForm(data=QueryDict(""), files=MultiValueDict())
    form.is_valid()
    form.errors.clear()
    mb = imports.MAX_BYTES // (1024 * 1024)
    form.add_error("file", _g("The file is larger than %(mb)d MB. Split it into smaller files.") % {"mb": mb})
    return form


def _page(request: HttpRequest, form: ImportForm, result: imports.ImportResult | None = None, status: int = 200) -> HttpResponse:
    context = {
        "form": form,
        "result": result,
        "summary": list(imports.summary_lines(result)) if result else [],
        "columns": imports.column_help(),
        "max_mb": imports.MAX_BYTES // (1024 * 1024),
        "max_rows": imports.MAX_ROWS,
    }
    return render(request, "cases/import.html", context, status=status)


@csrf_exempt  # checked by csrf_protect below, once the upload handlers are in place
def import_view(request: HttpRequest) -> HttpResponse:
    # The handlers must be set before anything reads the body, the CSRF check included.
    request.upload_handlers = [MemoryOnlyUploadHandler(request)]
    return _import_view(request)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@csrf_protect
def _import_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    for capability in imports.REQUIRED_CAPABILITIES:
        require(user, capability)
    if request.method != "POST":
        return _page(request, ImportForm())
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdecimal() and int(declared) > imports.MAX_BYTES + ENVELOPE_BYTES:
        return _page(request, _too_big_form(), status=422)
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, form, status=422)
    upload: UploadedFile = form.cleaned_data["file"]
    try:
        result = imports.report_import(
            actor=user, filename=upload.name or "", content=upload.read(), dry_run=not form.cleaned_data["commit"]
        )
    except Invalid as exc:
        for message in exc.fields.get("file", [str(exc.message)]):
            form.add_error("file", message)
        return _page(request, form, status=422)
    # After an import the form starts afresh, so a second press does not look like it would import twice.
    return _page(request, ImportForm() if result.committed else form, result)
