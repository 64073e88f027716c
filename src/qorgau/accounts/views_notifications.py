"""The notification settings page: each staff member's work e-mail and phone, and which kinds of
notification also come by e-mail or SMS (every kind always comes in the app)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from qorgau.accounts.forms import NotificationSettingsForm
from qorgau.accounts.models import NotificationKind, User
from qorgau.accounts.preferences import CONFIGURABLE_KINDS, Channels, notification_settings_save, preferences_of
from qorgau.cases.conflict import conflict_response
from qorgau.core.errors import Conflict, Invalid


def _kinds() -> list[tuple[str, str]]:
    return [(k.value, str(k.label)) for k in CONFIGURABLE_KINDS]


def _initial(user: User) -> dict[str, object]:
    initial: dict[str, object] = {"version": user.version, "email": user.email, "phone": user.phone}
    for kind, channels in preferences_of(user).items():
        initial[f"email_{kind}"] = channels.email
        initial[f"sms_{kind}"] = channels.sms
    return initial


def _chosen_labels(data: dict[str, object], channel: str) -> str:
    return ", ".join(str(NotificationKind(k).label) for k in (k.value for k in CONFIGURABLE_KINDS) if data.get(f"{channel}_{k}"))


def _conflict(request: HttpRequest, user: User, data: dict[str, object]) -> HttpResponse:
    user.refresh_from_db()
    stored = preferences_of(user)
    stored_flags = {f"{c}_{k}": getattr(v, c) for k, v in stored.items() for c in ("email", "sms")}
    url = reverse("accounts:notification_settings")
    resubmit: dict[str, object] = {"version": user.version, "email": data["email"], "phone": data["phone"]}
    resubmit.update({k: "on" for k, v in data.items() if k.startswith(("email_", "sms_")) and v})
    return conflict_response(
        request,
        message=_("Your notification settings were changed elsewhere after you opened this page."),
        form_action=url,
        back_url=url,
        mine=[(_("Work e-mail"), str(data["email"])), (_("Work mobile phone"), str(data["phone"])),
              (_("By e-mail"), _chosen_labels(data, "email")), (_("By SMS"), _chosen_labels(data, "sms"))],
        stored=[(_("Work e-mail"), user.email), (_("Work mobile phone"), user.phone),
                (_("By e-mail"), _chosen_labels(stored_flags, "email")), (_("By SMS"), _chosen_labels(stored_flags, "sms"))],
        resubmit=resubmit,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def notification_settings_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    status = 200
    if request.method == "POST":
        form = NotificationSettingsForm(request.POST, kinds=_kinds())
        if form.is_valid():
            data = form.cleaned_data
            channels = {k: Channels(email=data[f"email_{k}"], sms=data[f"sms_{k}"]) for k, _label in form.kinds}
            try:
                notification_settings_save(actor=user, version=data["version"], email=data["email"], phone=data["phone"], channels=channels)
            except Conflict:
                return _conflict(request, user, data)
            except Invalid as exc:
                for name, errors in exc.fields.items():
                    for error in errors:
                        form.add_error(name if name in form.fields else None, error)
            else:
                messages.success(request, _("Your notification settings were saved."))
                return redirect("accounts:notification_settings")
        status = 422
    else:
        form = NotificationSettingsForm(initial=_initial(user), kinds=_kinds())
    return render(request, "accounts/notification_settings.html", {"form": form}, status=status)
