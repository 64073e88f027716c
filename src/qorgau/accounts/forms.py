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


TEXT_ERRORS = {**ERRORS, "null_characters_not_allowed": _("The text contains characters that are not allowed.")}


class NotificationSettingsForm(forms.Form):
    """Work e-mail and phone, and a pair of check boxes (e-mail, SMS) per notification kind."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, error_messages=ERRORS)
    email = forms.CharField(label=_("Work e-mail"), required=False, max_length=254, error_messages=TEXT_ERRORS,
                            widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    phone = forms.CharField(label=_("Work mobile phone"), required=False, max_length=40, error_messages=TEXT_ERRORS,
                            widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}))

    def __init__(self, *args: object, kinds: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.kinds = kinds
        for value, label in kinds:
            self.fields[f"email_{value}"] = forms.BooleanField(label=label, required=False)
            self.fields[f"sms_{value}"] = forms.BooleanField(label=label, required=False)

    def kind_rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [(label, self[f"email_{value}"], self[f"sms_{value}"]) for value, label in self.kinds]
