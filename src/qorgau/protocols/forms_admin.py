"""Forms of the protocol administration pages: uploading a version, routing unrouted tasks by hand."""

from __future__ import annotations

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from qorgau.protocols.versions import MAX_UPLOAD_BYTES

MAX_ID = 2_000_000_000


class VersionUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Protocol file (JSON)"), widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json"}),
        error_messages={"required": _("Choose a protocol file to upload."), "empty": _("The file is empty.")},
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if (upload.size or 0) > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is too large: at most %(n)d KB.") % {"n": MAX_UPLOAD_BYTES // 1024})
        if not (upload.name or "").lower().endswith(".json"):
            raise forms.ValidationError(_("A protocol file is a JSON file whose name ends in .json."))
        return upload


class VersionActionForm(forms.Form):
    action = forms.ChoiceField(choices=[("publish", _("Publish")), ("discard", _("Discard"))])


class RouteForm(forms.Form):
    task = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)
    unit = forms.IntegerField(label=_("Unit"), min_value=1, max_value=MAX_ID, error_messages={"required": _("Choose a unit.")})


class BulkRouteForm(forms.Form):
    kind = forms.CharField(max_length=40, widget=forms.HiddenInput)
    region = forms.CharField(max_length=8, widget=forms.HiddenInput)
    unit = forms.IntegerField(label=_("Unit"), min_value=1, max_value=MAX_ID, error_messages={"required": _("Choose a unit.")})
