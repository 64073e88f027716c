"""The data-quality reviewer's pages: the review queue of uncertain person matches, one decision at a
time, and the history of links with the undo of a wrong one (DESIGN §6, §10)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from qorgau.accounts.access import capability_required
from qorgau.accounts.forms import ERRORS
from qorgau.accounts.models import User
from qorgau.accounts.roles import Capability
from qorgau.cases import identity, identity_selectors
from qorgau.core.errors import Conflict, Invalid, NotFound


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Your decision"),
        choices=[("same", _("The same person: link the records")), ("different", _("Different people"))],
        widget=forms.RadioSelect,
        error_messages={**ERRORS, "required": _("Choose: the same person or different people.")},
    )


class UndoForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is this link wrong?"), max_length=2000, error_messages=ERRORS, widget=forms.Textarea(attrs={"rows": 3})
    )


def _service_errors(form: forms.Form, exc: Invalid, field: str | None) -> None:
    """The service's field errors, shown on the one field this page has (or above the form)."""
    for errors in exc.fields.values():
        for e in errors:
            form.add_error(field, e)


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@login_required
@capability_required(Capability.REVIEW_MATCHES)
@require_GET
def review_list_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    rows = identity_selectors.review_queue(user, request=request)
    return render(request, "cases/review_list.html", {"reviews": rows, "waiting": identity_selectors.review_open_count(user)})


@login_required
@capability_required(Capability.REVIEW_MATCHES)
@require_http_methods(["GET", "HEAD", "POST"])
def review_view(request: HttpRequest, review_id: int) -> HttpResponse:
    user = _user(request)
    item = identity_selectors.review_item(user, review_id, request=request)
    if item is None:
        raise NotFound()
    form = DecisionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        same = form.cleaned_data["decision"] == "same"
        try:
            identity.review_decide(actor=user, review_id=review_id, same=same)
        except Conflict:
            messages.warning(request, gettext("Someone has already decided this match. Nothing was changed."))
            return redirect("cases:review")
        except Invalid as exc:
            _service_errors(form, exc, None)
        else:
            messages.success(request, gettext("The records are linked as one person.") if same else gettext("Recorded: different people."))
            return redirect("cases:review")
    return render(request, "cases/review.html", {"item": item, "form": form})


@login_required
@capability_required(Capability.REVIEW_MATCHES)
@require_GET
def links_view(request: HttpRequest) -> HttpResponse:
    return render(request, "cases/links.html", {"links": identity_selectors.link_history(_user(request), request=request)})


@login_required
@capability_required(Capability.REVIEW_MATCHES)
@require_http_methods(["GET", "HEAD", "POST"])
def link_undo_view(request: HttpRequest, link_id: int) -> HttpResponse:
    user = _user(request)
    row = identity_selectors.link_get(user, link_id, request=request)
    if row is None:
        raise NotFound()
    form = UndoForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid() and row.link.undone_at is None:
        try:
            identity.person_link_undo(actor=user, link_id=link_id, reason=form.cleaned_data["reason"])
        except Conflict:
            messages.warning(request, gettext("This link has already been undone. Nothing was changed."))
            return redirect("cases:links")
        except Invalid as exc:
            _service_errors(form, exc, "reason")
        else:
            messages.success(request, gettext("The link is undone: the records and their cases are separate again."))
            return redirect("cases:links")
    return render(request, "cases/link_undo.html", {"row": row, "form": form})
