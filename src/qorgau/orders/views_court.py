"""Court pages: recording a court decision on a case, and the court's docket (court orders ending
soon, recent ones, the court's decisions), with specialised courts marked."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from qorgau.accounts.access import capability_required
from qorgau.accounts.models import User
from qorgau.accounts.roles import Capability
from qorgau.cases.access import case_get_for
from qorgau.core.errors import Forbidden, Invalid
from qorgau.orders import court, permissions, selectors
from qorgau.orders.forms import CourtDecisionForm
from qorgau.orders.views import _errors


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def court_decision_view(request: HttpRequest, case_id: int) -> HttpResponse:
    user = _user(request)
    case, viewer = case_get_for(user, case_id, request=request)
    if not permissions.may_record_court(user, viewer.scope) or case.merged_into_id is not None:
        raise Forbidden()
    orders = selectors.case_orders(case)
    form = CourtDecisionForm(request.POST or None, orders=orders)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            c = form.cleaned_data
            try:
                court.court_decision_record(
                    actor=user, case=case, kind=c["kind"], decided_on=c["decided_on"], reference=c["reference"],
                    article=c["article"], sentence=c["sentence"], order_id=c.get("order"),
                )
            except Invalid as exc:
                _errors(form, exc)
            else:
                messages.success(request, _("The court decision is recorded on the case."))
                return redirect("cases:detail", case_id=case.pk)
        status = 422
    decisions = list(case.court_decisions.select_related("court_unit"))
    return render(request, "orders/court_decision.html", {"case": case, "form": form, "decisions": decisions}, status=status)


@login_required
@capability_required(Capability.COURT_DECISIONS)
@require_GET
def docket_view(request: HttpRequest) -> HttpResponse:
    docket = selectors.court_docket(_user(request))
    return render(request, "orders/docket.html", {"docket": docket, "days": selectors.DOCKET_DAYS})
