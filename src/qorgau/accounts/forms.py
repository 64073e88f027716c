from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

# Our own wording, so every language has it (Django's Kazakh catalogue is incomplete).
ERRORS = {
    "required": _("This field is required."),
    "max_length": _("This value is too long."),
    "min_length": _("This value is too short."),
    "invalid_choice": _("Choose one of the offered values."),
}


class LoginForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=64, error_messages=ERRORS, widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}))
    password = forms.CharField(label=_("Password"), max_length=256, error_messages=ERRORS, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Six-digit code from your authenticator app"),
        min_length=6,
        max_length=8,
        error_messages=ERRORS,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )

    def clean_code(self) -> str:
        code = "".join(ch for ch in self.cleaned_data["code"] if not ch.isspace())
        if not code.isdecimal() or len(code) != 6:
            raise forms.ValidationError(_("Enter the six digits shown in your authenticator app."))
        return code


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=80, error_messages=ERRORS)


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=[("ru", "Русский"), ("kk", "Қазақша"), ("en", "English")], error_messages=ERRORS)
    next = forms.CharField(required=False, max_length=500, error_messages=ERRORS)
