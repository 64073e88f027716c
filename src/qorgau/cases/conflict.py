"""The one edit-conflict page (a stale version is a conflict, never a silent overwrite): what the user
submitted beside what is stored now, and a button that applies the user's values on the current
version. Case edits, her safety plan and orders render it; each says what changed and where to go."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from qorgau.cases.models import Case


def conflict_response(
    request: HttpRequest,
    *,
    message: str,
    form_action: str,
    back_url: str,
    mine: list[tuple[str, str]],
    stored: list[tuple[str, str]],
    resubmit: dict[str, Any],
) -> HttpResponse:
    """``resubmit`` values may be lists (a multiple choice): each item becomes its own hidden field."""
    context = {
        "message": message,
        "form_action": form_action,
        "back_url": back_url,
        "mine": mine,
        "stored": stored,
        "resubmit": [(k, item) for k, v in resubmit.items() for item in (v if isinstance(v, list) else [v])],
    }
    return render(request, "cases/conflict.html", context, status=409)


def case_conflict(request: HttpRequest, case: Case, *, what: str, action: str, mine: list[tuple[str, str]],
                  stored: list[tuple[str, str]], resubmit: dict[str, Any]) -> HttpResponse:
    """A conflict on something of a case the caller has already read through the gate; ``action`` is
    the URL name of the form to post again (it takes the case id)."""
    message = _(
        "Someone else changed %(what)s of case %(number)s after you opened it. Your change was not saved. "
        "Compare the two versions and choose."
    ) % {"what": what, "number": case.number}
    return conflict_response(
        request, message=message, form_action=reverse(action, args=[case.pk]),
        back_url=reverse("cases:detail", args=[case.pk]), mine=mine, stored=stored, resubmit=resubmit,
    )
