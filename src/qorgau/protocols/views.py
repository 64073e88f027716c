"""Pages of protocols: the unit's work queue, one task with accept / done / decline, the tasks on a
case (through the case gate), and the unrouted tasks, which administrators route by hand.

Thin views: reads through ``protocols.selectors`` and the case gate, writes through
``protocols.services``; ``Invalid`` becomes form errors, a stale version a 409 page.
"""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from qorgau.accounts.access import capability_required
from qorgau.accounts.models import AgencyKind, Unit, User
from qorgau.accounts.roles import Capability
from qorgau.cases.access import case_get_for
from qorgau.core import clock
from qorgau.core.errors import Invalid, NotFound
from qorgau.core.hrefs import href_maker
from qorgau.core.models import Region
from qorgau.protocols import consent, routing, selectors, services
from qorgau.protocols.forms import ConsentForm, OverrideForm, TaskActionForm, WithdrawForm
from qorgau.protocols.forms_admin import BulkRouteForm, RouteForm
from qorgau.protocols.models import LIVE_STATUSES, Consent, Task, TaskStatus

DONE_MESSAGES = {
    "accept": _("You accepted the task. It stays in your queue until it is done."),
    "done": _("The task is done and the outcome is recorded on the case."),
    "decline": _("You declined the task; the unit that holds the case has been told why."),
}


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@login_required
@capability_required(Capability.WORK_CASES)
@require_GET
def queue_view(request: HttpRequest) -> HttpResponse:
    """The unit's queue: the first tasks of each section with how many it holds; ``?section=`` lists
    one section page by page (an unknown section shows the whole queue)."""
    user = _user(request)
    section = request.GET.get("section", "")
    if section in selectors.SECTIONS:
        page = selectors.queue_section(user, section, request.GET.get("page"))
        _with_links(page.object_list)
        return render(request, "protocols/queue_section.html", {
            "section": section, "page": page, "query": f"section={section}&", "now": clock.now(),
        })
    queue = selectors.queue_for(user)
    _with_links([*queue.overdue, *queue.today, *queue.upcoming])
    return render(request, "protocols/queue.html", {"queue": queue, "now": clock.now()})


def _with_links(tasks: Iterable[Task]) -> None:
    """Each row's links to the task and its case (``protocols/_task_rows.html``), made without a
    ``{% url %}`` per row (core.hrefs)."""
    task_href, case_href = href_maker("protocols:task"), href_maker("cases:detail")
    for task in tasks:
        task.href = task_href(task.pk)  # type: ignore[attr-defined]
        task.case_href = case_href(task.case_id)  # type: ignore[attr-defined]


def _task_page(request: HttpRequest, task: Task, form: TaskActionForm | None = None, *, status: int = 200) -> HttpResponse:
    return render(request, "protocols/task.html", {
        "task": task,
        "form": form or TaskActionForm(initial={"version": task.version}),
        "can_accept": task.status in (TaskStatus.OPEN, TaskStatus.ESCALATED),
        "can_finish": task.status in LIVE_STATUSES,
        "overdue": task.status in LIVE_STATUSES and task.due_at <= clock.now(),
    }, status=status)


@login_required
@capability_required(Capability.WORK_CASES)
@require_http_methods(["GET", "HEAD", "POST"])
def task_view(request: HttpRequest, task_id: int) -> HttpResponse:
    user = _user(request)
    task = selectors.task_get_for(user, task_id)
    if request.method != "POST":
        return _task_page(request, task)
    form = TaskActionForm(request.POST)
    if not form.is_valid():
        return _task_page(request, task, form, status=422)
    action, version, text = form.cleaned_data["action"], form.cleaned_data["version"], form.cleaned_data["text"]
    try:
        if action == "accept":
            services.task_accept(actor=user, task_id=task.pk, version=version)
        elif action == "done":
            services.task_done(actor=user, task_id=task.pk, version=version, outcome=text)
        else:
            services.task_decline(actor=user, task_id=task.pk, version=version, reason=text)
    except Invalid as exc:
        for name, errors in exc.fields.items():
            for e in errors:
                form.add_error("text" if name in ("outcome", "reason") else None, e)
        return _task_page(request, task, form, status=422)
    messages.success(request, DONE_MESSAGES[action])
    return redirect("protocols:task", task_id=task.pk)


@login_required
@capability_required(Capability.WORK_CASES)
@require_GET
def case_tasks_view(request: HttpRequest, case_id: int) -> HttpResponse:
    case, _viewer = case_get_for(_user(request), case_id, request=request)
    return render(request, "protocols/case_tasks.html", {
        "case": case, "tasks": selectors.case_tasks(case), "referrals": selectors.case_referrals(case),
    })


def _unrouted_page(request: HttpRequest, *, errors: list[str] | None = None, status: int = 200) -> HttpResponse:
    return render(request, "protocols/unrouted.html", {"overview": routing.unrouted_overview(), "errors": errors or []}, status=status)


def _form_errors(form: forms.Form) -> list[str]:
    return [str(e) for errors in form.errors.values() for e in errors]


@login_required
@capability_required(Capability.MANAGE_REFERENCE)
@require_http_methods(["GET", "HEAD", "POST"])
def unrouted_view(request: HttpRequest) -> HttpResponse:
    """Tasks that no unit of the duty's agency kind took, and routing them by hand: one task to a
    chosen unit (the nearest is suggested), or all of a kind in a region to one unit. Administrators
    (``MANAGE_REFERENCE``) route: the choice is about the network of units, and the page names no person."""
    if request.method != "POST":
        return _unrouted_page(request)
    user = _user(request)
    if request.POST.get("action") == "bulk":
        bulk = BulkRouteForm(request.POST)
        if not bulk.is_valid():
            return _unrouted_page(request, errors=_form_errors(bulk), status=422)
        kind = AgencyKind.objects.filter(pk=bulk.cleaned_data["kind"]).first()
        region = Region.objects.filter(pk=bulk.cleaned_data["region"]).first()
        unit = Unit.objects.select_related("kind").filter(pk=bulk.cleaned_data["unit"]).first()
        if kind is None or region is None or unit is None:
            return _unrouted_page(request, errors=[str(_("Choose a unit from the list."))], status=422)
        try:
            n = services.tasks_route_bulk(actor=user, kind=kind, region=region, unit=unit)
        except Invalid as exc:
            return _unrouted_page(request, errors=[e for errs in exc.fields.values() for e in errs], status=422)
        messages.success(request, ngettext(
            "%(n)d task was routed to %(unit)s.", "%(n)d tasks were routed to %(unit)s.", n) % {"n": n, "unit": unit.name})
        return redirect("protocols:unrouted")
    form = RouteForm(request.POST)
    if not form.is_valid():
        return _unrouted_page(request, errors=_form_errors(form), status=422)
    task = Task.objects.select_related("case", "duty__agency_kind", "unit").filter(pk=form.cleaned_data["task"]).first()
    if task is None:
        raise NotFound()
    unit = Unit.objects.select_related("kind").filter(pk=form.cleaned_data["unit"]).first()
    if unit is None:
        return _unrouted_page(request, errors=[str(_("Choose a unit from the list."))], status=422)
    try:
        services.task_route(actor=user, task=task, unit=unit, version=form.cleaned_data["version"])
    except Invalid as exc:
        return _unrouted_page(request, errors=[e for errs in exc.fields.values() for e in errs], status=422)
    messages.success(request, _("The task was routed to %(unit)s.") % {"unit": unit.name})
    return redirect("protocols:unrouted")


# --- her consent to a referral ------------------------------------------------------------------------


def _field_errors(form: forms.Form, exc: Invalid) -> None:
    for name, errors in exc.fields.items():
        for e in errors:
            form.add_error(name if name in form.fields else None, e)


def _referral_page(request: HttpRequest, task: Task, consent_form: ConsentForm | None = None,
                   override_form: OverrideForm | None = None, *, status: int = 200) -> HttpResponse:
    return render(request, "protocols/referral.html", {
        "task": task,
        "consent_form": consent_form or ConsentForm(initial={"version": task.version}),
        "override_form": override_form or OverrideForm(initial={"version": task.version}),
        "ground": consent.override_ground(task.case),
        "waiting": task.status == TaskStatus.AWAITING_CONSENT,
        "referral": next((r for r in selectors.case_referrals(task.case) if r.task.pk == task.pk), None),
    }, status=status)


@login_required
@capability_required(Capability.WORK_CASES)
@require_http_methods(["GET", "HEAD", "POST"])
def referral_view(request: HttpRequest, task_id: int) -> HttpResponse:
    """A unit working on the case records her consent to a referral, or an override."""
    user = _user(request)
    task = consent.referral_get_for(user, task_id)
    if request.method != "POST":
        return _referral_page(request, task)
    if request.POST.get("action") == "override":
        oform = OverrideForm(request.POST)
        if not oform.is_valid():
            return _referral_page(request, task, override_form=oform, status=422)
        try:
            consent.referral_override(actor=user, task_id=task.pk, version=oform.cleaned_data["version"], reason=oform.cleaned_data["reason"])
        except Invalid as exc:
            _field_errors(oform, exc)
            return _referral_page(request, task, override_form=oform, status=422)
        messages.success(request, _("The referral was opened without her consent; the override and its reason are recorded."))
        return redirect("protocols:referral", task_id=task.pk)
    cform = ConsentForm(request.POST)
    if not cform.is_valid():
        return _referral_page(request, task, consent_form=cform, status=422)
    data = cform.cleaned_data
    try:
        consent.referral_consent_record(
            actor=user, task_id=task.pk, version=data["version"], purpose=data["purpose"], how=data["how"],
            identity=data["identity"], contact=data["contact"], whereabouts=data["whereabouts"], narrative=data["narrative"],
        )
    except Invalid as exc:
        _field_errors(cform, exc)
        return _referral_page(request, task, consent_form=cform, status=422)
    messages.success(request, _("Her consent is recorded; the receiving unit has been told and sees only what she agreed to share."))
    return redirect("protocols:referral", task_id=task.pk)


@login_required
@capability_required(Capability.WORK_CASES)
@require_http_methods(["GET", "HEAD", "POST"])
def consent_withdraw_view(request: HttpRequest, consent_id: int) -> HttpResponse:
    user = _user(request)
    row = Consent.objects.select_related("task__duty", "case").filter(pk=consent_id).first()
    if row is None:
        raise NotFound()
    case_get_for(user, row.case_id, request=request)
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            consent.consent_withdraw(actor=user, consent_id=row.pk, reason=form.cleaned_data["reason"])
        except Invalid as exc:
            _field_errors(form, exc)
        else:
            messages.success(request, _("Her consent is withdrawn: the receiving unit no longer sees the case."))
            return redirect("protocols:case_tasks", case_id=row.case_id)
    status = 422 if request.method == "POST" else 200
    return render(request, "protocols/consent_withdraw.html", {"consent": row, "form": form}, status=status)
