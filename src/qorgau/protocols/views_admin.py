"""The administrator's protocol pages (``MANAGE_REFERENCE``): the versions of every protocol, uploading
a file as a draft, a version's duties and its changes against the published one, publishing or
discarding a draft. Thin views over ``protocols.versions``; ``Invalid`` becomes form errors."""

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
from qorgau.core.errors import Invalid, NotFound
from qorgau.protocols import versions
from qorgau.protocols.definitions import measure_gaps
from qorgau.protocols.forms_admin import VersionActionForm, VersionUploadForm
from qorgau.protocols.models import ProtocolVersion, VersionStatus
from qorgau.risk.models import Measure


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _list_page(request: HttpRequest, form: VersionUploadForm, *, status: int = 200) -> HttpResponse:
    return render(request, "protocols/admin/versions.html", {
        "versions": versions.versions_list(), "form": form, "max_kb": versions.MAX_UPLOAD_BYTES // 1024,
    }, status=status)


@login_required
@capability_required(Capability.MANAGE_REFERENCE)
@require_http_methods(["GET", "HEAD", "POST"])
def versions_view(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _list_page(request, VersionUploadForm())
    form = VersionUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _list_page(request, form, status=422)
    try:
        draft = versions.version_draft_upload(actor=_user(request), raw=form.cleaned_data["file"].read())
    except Invalid as exc:
        for errors in exc.fields.values():
            for e in errors:
                form.add_error("file", e)
        return _list_page(request, form, status=422)
    messages.success(request, _("The file is valid and stored as a draft. Check its duties and changes, then publish it."))
    return redirect("protocols:admin_version", version_id=draft.pk)


@login_required
@capability_required(Capability.MANAGE_REFERENCE)
@require_http_methods(["GET", "HEAD", "POST"])
def version_view(request: HttpRequest, version_id: int) -> HttpResponse:
    version = ProtocolVersion.objects.select_related("protocol").filter(pk=version_id).first()
    if version is None:
        raise NotFound()
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        form = VersionActionForm(request.POST)
        if not form.is_valid():
            errors, status = [_("Choose publish or discard.")], 422
        else:
            try:
                if form.cleaned_data["action"] == "publish":
                    versions.version_publish(actor=_user(request), version_id=version.pk)
                    messages.success(request, _("The version is published and in force; the previous one is retired. "
                                                "Tasks already given keep the duty they were made with."))
                    return redirect("protocols:admin_version", version_id=version.pk)
                versions.version_discard(actor=_user(request), version_id=version.pk)
                messages.success(request, _("The draft was discarded."))
                return redirect("protocols:admin_versions")
            except Invalid as exc:
                errors, status = [str(e) for field_errors in exc.fields.values() for e in field_errors], 422
    return render(request, "protocols/admin/version.html", {
        "version": version,
        "duties": [{"duty": d, "measure": Measure(d.measure).label if d.measure else ""} for d in versions.version_duties(version)],
        "diff": versions.version_diff(version),
        "gaps": measure_gaps(version),
        "is_draft": version.status == VersionStatus.DRAFT,
        "errors": errors,
    }, status=status)
