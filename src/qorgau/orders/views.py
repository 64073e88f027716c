"""Pages of protective orders: the case page's card, issuing an order, the order's page (serve,
extend, revoke, breaches, check-ins) and the printed order in kk/ru/en.

Thin views: reads through ``orders.selectors`` and the case gate, writes through
``orders.services``; ``Invalid`` becomes field errors on the same form with what was typed kept, a
stale edit a 409 page that shows both versions.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from qorgau.accounts.masks import MASKED, Viewer, mask
from qorgau.accounts.models import User
from qorgau.cases.access import case_get_for
from qorgau.cases.conflict import conflict_response
from qorgau.cases.models import Case
from qorgau.cases.selectors import CASE_POLICY
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.errors import Conflict, Forbidden, Invalid, NotFound
from qorgau.core.form_errors import invalid_onto_form
from qorgau.core.languages import LANGUAGE_NAMES
from qorgau.core.models import AuditAction
from qorgau.orders import permissions, selectors, services
from qorgau.orders.forms import BreachForm, CheckInForm, ExtendForm, OrderForm, RevokeForm, ServeForm
from qorgau.orders.legal import LANGUAGES, rules_for
from qorgau.orders.models import BANS, CheckIn, Order, OrderStatus
from qorgau.training.services import CertificateMissing


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]



def ban_labels(order: Order) -> list[str]:
    return [str(Order._meta.get_field(b).verbose_name) for b in BANS if getattr(order, b)]  # type: ignore[union-attr]


# --- the case page's card ----------------------------------------------------------------------------------


def orders_context(user: User, case: Case, viewer: Viewer) -> dict[str, Any]:
    """What ``orders/_case_orders.html`` needs on the case page; every key starts with ``orders_``."""
    orders = selectors.case_orders(case)
    rows = [{"order": o, "bans": ban_labels(o), "breaches": getattr(o, "breach_count", 0)} for o in orders]
    open_case = case.merged_into_id is None
    return {
        "orders_rows": rows,
        "orders_can_issue": open_case and bool(permissions.may_issue_any(user, viewer.scope)),
        "orders_can_record_breach": permissions.may_record_breach(user, viewer.scope),
        "orders_can_record_court": open_case and permissions.may_record_court(user, viewer.scope),
        "orders_can_see_court": open_case and permissions.may_see_court(user, viewer.scope),
        "orders_next_hearing": selectors.next_hearing(case),
        "orders_in_force": sum(1 for o in orders if o.in_force),
    }


# --- issuing -------------------------------------------------------------------------------------------------


def _people_choices(user: User, case: Case, viewer: Viewer) -> list[tuple[int, str]]:
    """The persons an order may protect, named as the viewer may see them."""
    choices = []
    for person in services.protected_candidates(user, case):
        name = mask(viewer, {"victim_name": person.full_name}, CASE_POLICY)["victim_name"]
        label = str(name) if name is not MASKED else _("Person %(n)d") % {"n": person.pk}
        if person.pk == case.victim_id:
            label = _("%(name)s — the victim in this case") % {"name": label}
        choices.append((person.pk, label))
    return choices


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def order_new_view(request: HttpRequest, case_id: int) -> HttpResponse:
    user = _user(request)
    case, viewer = case_get_for(user, case_id, request=request)
    kinds = permissions.may_issue_any(user, viewer.scope)
    if not kinds or case.merged_into_id is not None:
        raise Forbidden()
    people = _people_choices(user, case, viewer)
    now = clock.now()
    initial = {"starts_at": now.astimezone(clock.UTC).replace(second=0, microsecond=0), "protected": [case.victim_id], "ban_contact": True, "ban_seeking": True}
    form = OrderForm(request.POST or None, initial=initial, kinds=kinds, people=people)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                order = services.order_issue(actor=user, case=case, data=form.order_input())
            except CertificateMissing as exc:  # nothing is saved; the message names the course needed
                form.add_error(None, str(exc.message))
            except Invalid as exc:
                invalid_onto_form(form, exc)
            else:
                messages.success(request, _("Order %(number)s is issued and linked to the cases of the persons it protects.") % {"number": order.number})
                return redirect("orders:detail", order_id=order.pk)
        status = 422
    defaults = []
    for k in kinds:
        r = rules_for(k)
        defaults.append({"kind": k, "rules": r, "basis": r.basis_text()})
    return render(request, "orders/order_new.html", {"case": case, "form": form, "defaults": defaults}, status=status)


# --- the order's page ----------------------------------------------------------------------------------------


def _page(request: HttpRequest, order: Order, case: Case, viewer: Viewer, *, forms: dict[str, Any] | None = None,
          open_form: str = "", status: int = 200) -> HttpResponse:
    user = _user(request)
    forms = forms or {}
    scope = viewer.scope
    version = {"version": order.version}
    breaches = []
    for b in order.breaches.select_related("unit"):
        what, evidence = selectors.narrative(viewer, b.what), selectors.narrative(viewer, b.evidence)
        breaches.append({"breach": b, "what": what, "evidence": evidence, "masked": what is MASKED})
    extensions = []
    for e in order.extensions.select_related("unit"):
        reason = selectors.narrative(viewer, e.reason)
        extensions.append({"extension": e, "reason": reason, "masked": reason is MASKED})
    revoke_reason = selectors.narrative(viewer, order.revoke_reason)
    can_manage = permissions.may_manage(user, scope, order) and order.status in services.OPEN_STATUSES
    rules = rules_for(order.kind)
    context = {
        "order": order,
        "case": case,
        "offender": selectors.offender_fields(order, viewer),
        "protected": selectors.protected_rows(user, order, viewer),
        "bans": ban_labels(order),
        "basis": rules.basis_text(),
        "linked_count": order.case_links.count(),
        "breaches": breaches,
        "extensions": extensions,
        "revoke_reason": revoke_reason,
        "revoke_reason_masked": revoke_reason is MASKED,
        "checkins": list(order.checkins.all()),
        "today": clock.local(clock.now(), order.issuing_unit.timezone).date(),
        "can_serve": permissions.may_serve(user, scope, order) and order.status == OrderStatus.ISSUED,
        "can_extend": can_manage and rules.extension_max is not None,
        "can_revoke": can_manage,
        "can_breach": permissions.may_record_breach(user, scope) and order.served_at is not None,
        "can_checkin": permissions.may_record_checkin(user, scope),
        "serve_form": forms.get("serve") or ServeForm(initial=version),
        "extend_form": forms.get("extend") or ExtendForm(initial=version),
        "revoke_form": forms.get("revoke") or RevokeForm(initial=version),
        "breach_form": forms.get("breach") or BreachForm(),
        "open_form": open_form,
        "print_links": [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
    }
    return render(request, "orders/order.html", context, status=status)


def _conflict(request: HttpRequest, order: Order, *, what: str, mine: list[tuple[str, str]], resubmit: dict[str, Any]) -> HttpResponse:
    """Someone changed the order after the user opened it: both versions, and a button that applies
    the user's change on the current one."""
    order.refresh_from_db()
    stored = [
        (_("Status"), order.get_status_display()),
        (_("In force until"), clock.local(order.ends_at, order.issuing_unit.timezone).strftime("%d.%m.%Y %H:%M")),
    ]
    message = _(
        "Someone else changed %(what)s %(number)s after you opened it. Your change was not saved. Compare the two versions and choose."
    ) % {"what": what, "number": order.number}
    here = reverse("orders:detail", args=[order.pk])
    return conflict_response(request, message=message, form_action=here, back_url=here, mine=mine, stored=stored,
                             resubmit={**resubmit, "version": order.version})


def _post(request: HttpRequest, order: Order, case: Case, viewer: Viewer) -> HttpResponse:
    user = _user(request)
    action = request.POST.get("action", "")
    if action == "serve":
        form: Any = ServeForm(request.POST)
        if form.is_valid():
            c = form.cleaned_data
            try:
                services.order_serve(actor=user, order=order, version=c["version"], served_at=c.get("served_at"))
            except Conflict:
                return _conflict(request, order, what=_("the order"), mine=[(_("Action"), _("Served on him"))], resubmit={"action": "serve"})
            except Invalid as exc:
                invalid_onto_form(form, exc)
            else:
                messages.success(request, _("The order is recorded as served on the offender."))
                return redirect("orders:detail", order_id=order.pk)
        return _page(request, order, case, viewer, forms={"serve": form}, open_form="serve", status=422)
    if action == "extend":
        form = ExtendForm(request.POST)
        if form.is_valid():
            c = form.cleaned_data
            try:
                services.order_extend(actor=user, order=order, version=c["version"], ends_at=c["ends_at"], reason=c["reason"])
            except Conflict:
                mine = [(_("New end"), request.POST.get("ends_at", "")), (_("Reason"), c["reason"])]
                return _conflict(request, order, what=_("the order"), mine=mine,
                                 resubmit={"action": "extend", "ends_at": request.POST.get("ends_at", ""), "reason": c["reason"]})
            except Invalid as exc:
                invalid_onto_form(form, exc)
            else:
                messages.success(request, _("The order is extended."))
                return redirect("orders:detail", order_id=order.pk)
        return _page(request, order, case, viewer, forms={"extend": form}, open_form="extend", status=422)
    if action == "revoke":
        form = RevokeForm(request.POST)
        if form.is_valid():
            c = form.cleaned_data
            try:
                services.order_revoke(actor=user, order=order, version=c["version"], reason=c["reason"])
            except Conflict:
                return _conflict(request, order, what=_("the order"), mine=[(_("Reason"), c["reason"])],
                                 resubmit={"action": "revoke", "reason": c["reason"]})
            except Invalid as exc:
                invalid_onto_form(form, exc)
            else:
                messages.success(request, _("The order is revoked."))
                return redirect("orders:detail", order_id=order.pk)
        return _page(request, order, case, viewer, forms={"revoke": form}, open_form="revoke", status=422)
    if action == "breach":
        form = BreachForm(request.POST)
        if form.is_valid():
            c = form.cleaned_data
            try:
                services.breach_record(actor=user, order=order, occurred_at=c["occurred_at"], what=c["what"], evidence=c["evidence"], source=c["source"])
            except Invalid as exc:
                invalid_onto_form(form, exc)
            else:
                messages.warning(request, _("The breach is recorded. The units working on the case were told, and the risk must be reassessed now."))
                return redirect("orders:detail", order_id=order.pk)
        return _page(request, order, case, viewer, forms={"breach": form}, open_form="breach", status=422)
    if action == "checkin":
        form = CheckInForm(request.POST)
        checkin = CheckIn.objects.filter(pk=form.cleaned_data["checkin"], order=order).first() if form.is_valid() else None
        if checkin is None:
            raise NotFound()
        try:
            services.checkin_record(actor=user, checkin=checkin)
        except (Invalid, Conflict) as exc:
            messages.error(request, str(exc.message) if isinstance(exc, Conflict) else " ".join(e for errs in exc.fields.values() for e in errs))
        else:
            messages.success(request, _("The check-in is recorded."))
        return redirect("orders:detail", order_id=order.pk)
    messages.error(request, _("Choose one of the offered values."))
    return _page(request, order, case, viewer, status=422)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def order_view(request: HttpRequest, order_id: int) -> HttpResponse:
    order, case, viewer = selectors.order_get_for(_user(request), order_id, request=request)
    if request.method == "POST":
        return _post(request, order, case, viewer)
    return _page(request, order, case, viewer)


# --- the printed order ----------------------------------------------------------------------------------------


@login_required
@require_GET
def order_print_view(request: HttpRequest, order_id: int) -> HttpResponse:
    """The order as handed to the offender: it names him, the bans, the period and the law; it never
    carries the protected persons' address or phone."""
    user = _user(request)
    order, _case, viewer = selectors.order_get_for(user, order_id, request=request)
    lang = request.GET.get("lang", "")
    if lang not in LANGUAGES:
        lang = (get_language() or "ru")[:2]
    audit_record(actor=user, action=AuditAction.EXPORT, target_type="order", target_id=order.pk, request=request)
    zone = order.issuing_unit.timezone
    with translation.override(lang):
        context = {
            "lang": lang,
            "order": order,
            "offender": selectors.offender_fields(order, viewer),
            "protected": [r for r in selectors.protected_rows(user, order, viewer) if r["known"]],
            "bans": ban_labels(order),
            "basis": rules_for(order.kind).basis_text(lang),
            "starts": clock.local(order.starts_at, zone),
            "ends": clock.local(order.ends_at, zone),
            "unit_name": order.issuing_unit.name,
        }
        response = render(request, "orders/order_print.html", context)
    response["Content-Language"] = lang
    response["Cache-Control"] = "no-store"
    return response
