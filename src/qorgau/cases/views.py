"""Pages of the case registry: caseload, registration, the case page and its edits, search, break-glass.

Views stay thin: they read through ``cases.selectors`` and the one gate ``cases.access.case_get_for``,
write through ``cases.services``, and turn ``Invalid`` into field errors on the same form, with what
the user typed kept. A stale edit (``Conflict``) gets a page that shows both versions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qorgau.accounts.access import capability_required
from qorgau.accounts.masks import MASKED, Scope, Viewer, can_see, mask
from qorgau.accounts.models import User
from qorgau.accounts.roles import Capability
from qorgau.cases import selectors, services
from qorgau.cases.access import case_get_for
from qorgau.cases.case_sections import probe_case_page
from qorgau.cases.conflict import case_conflict
from qorgau.cases.forms import (
    AddUnitForm,
    BreakGlassForm,
    CorrectForm,
    ReportForm,
    SafeContactForm,
    SearchForm,
    StateForm,
    district_choices,
    incident_label,
)
from qorgau.cases.identity_selectors import RegistryCheck, registry_check
from qorgau.cases.models import Case, CaseState, EventKind, Incident, Marker, Relationship
from qorgau.cases.removed import REMOVED
from qorgau.cases.views_attachments import attachments_context
from qorgau.core.audit import audit_record
from qorgau.core.errors import Conflict, Forbidden, Invalid, NotFound
from qorgau.core.languages import LANGUAGE_NAMES
from qorgau.core.models import AuditAction
from qorgau.monitoring.case_card import monitoring_context
from qorgau.orders.views import orders_context
from qorgau.people.models import IinStatus, Person
from qorgau.people.registry import matches_remembered
from qorgau.people.services import PersonInput
from qorgau.programmes.case_card import programmes_context
from qorgau.protocols.conference_selectors import conference_context
from qorgau.protocols.selectors import case_referrals
from qorgau.risk.safety_plan import safety_plan_context
from qorgau.risk.views import risk_context
from qorgau.support.case_card import support_context

FORMS_OF_VIOLENCE = services.FORMS
CIRCUMSTANCES = services.CIRCUMSTANCES


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _labels(incident: Incident, names: tuple[str, ...]) -> list[str]:
    return [incident_label(n) for n in names if getattr(incident, n)]


# --- caseload -------------------------------------------------------------------------------------------


@login_required
@capability_required(Capability.WORK_CASES)
@require_GET
def caseload_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    context = {"cases": selectors.caseload(user), "can_register": user.can(Capability.REGISTER_REPORT)}
    return render(request, "cases/caseload.html", context)


# --- registration ---------------------------------------------------------------------------------------


@dataclass
class IncidentChoice:
    """One of the pair's incidents of the last 48 hours, offered to attach the report to."""

    value: str
    incident: Incident
    forms: list[str]


def _registry_check(request: HttpRequest, form: ReportForm) -> list[RegistryCheck]:
    """The people of a valid form, as the registry check reads them: the case's own records when the
    report is added to a case, otherwise what was typed."""
    linked = form.linked_case
    offender: PersonInput | Person = linked.offender if linked else form.person_input("offender_")
    victims: list[tuple[int, PersonInput | Person]] = [
        (i, linked.victim if linked and i == 0 else form.person_input(f"victim{i}_")) for i in form.filled_victims()
    ]
    return registry_check(_user(request), offender=offender, victims=victims, request=request)


def _recent_incidents(user: User, form: ReportForm, check: list[RegistryCheck]) -> list[IncidentChoice]:
    """The incidents of the last 48 hours of the pairs this report names, among the cases the user
    may see. A pair is recognised only by a confirmed link (an automatic link of the engine)."""
    data = form.cleaned_data
    offender = check[0].cluster_id
    if offender is None:
        return []
    found: dict[int, Incident] = {}
    for row in check[1:]:
        if row.cluster_id is None or row.cluster_id == offender:
            continue
        for incident in selectors.pair_recent_incidents(user, row.cluster_id, offender, around=data["received_at"]):
            found.setdefault(incident.pk, incident)
    return [IncidentChoice(str(pk), inc, _labels(inc, FORMS_OF_VIOLENCE)) for pk, inc in sorted(found.items(), key=lambda kv: kv[1].occurred_at, reverse=True)]


def _render_register(
    request: HttpRequest, form: ReportForm, *, choices: list[IncidentChoice] | None = None, check: list[RegistryCheck] | None = None
) -> HttpResponse:
    context = {
        "check": check or [],
        "form": form,
        "victims": form.victim_groups(),
        "offender": form.offender_group(),
        "children": form.child_groups(),
        "children_open": any(c.is_open for c in form.child_groups()),
        "incident_choices": choices or [],
        "attach_value": form.data.get("attach_incident", "") if form.is_bound else "",
        "linked": _linked_pair(request, form),
    }
    return render(request, "cases/register.html", context)


def _linked_pair(request: HttpRequest, form: ReportForm) -> dict[str, Any] | None:
    """The pair of the case the report is added to, as this user may see it (through the mask)."""
    case = form.linked_case
    if case is None:
        return None
    _case, viewer = case_get_for(_user(request), case.pk, request=request)
    return {"case": case, "people": selectors.case_people(case, viewer)}


def _from_case(request: HttpRequest, raw: str | None) -> Case | None:
    """The case named by ``?case=`` or the hidden field, through the gate (404 when not visible)."""
    if not raw:
        return None
    if not str(raw).isdecimal():
        raise NotFound()
    case, _viewer = case_get_for(_user(request), int(raw), request=request)
    return case


@login_required
@capability_required(Capability.REGISTER_REPORT)
@require_http_methods(["GET", "HEAD", "POST"])
def register_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if request.method != "POST":
        return _render_register(request, ReportForm(user=user, from_case=_from_case(request, request.GET.get("case"))))
    form = ReportForm(request.POST, user=user, from_case=_from_case(request, request.POST.get("from_case")))
    if not form.is_valid():
        return _render_register(request, form)
    # The check and the registration match the same people: the registry is searched once for each.
    with matches_remembered():
        return _register_checked(request, user, form)


def _register_checked(request: HttpRequest, user: User, form: ReportForm) -> HttpResponse:
    check = _registry_check(request, form)
    choices = _recent_incidents(user, form, check)
    if request.POST.get("check"):  # "Check the registry": show what it knows, save nothing
        return _render_register(request, form, choices=choices, check=check)
    attach: int | None = None
    if choices:
        picked = form.cleaned_data.get("attach_incident") or ""
        if picked.isdecimal() and picked in {c.value for c in choices}:
            attach = int(picked)
        elif picked != "new":
            if picked:
                form.add_error("attach_incident", _("Choose one of the offered values."))
            return _render_register(request, form, choices=choices, check=check)
    try:
        registration = services.report_register(actor=user, data=form.report_input(attach_incident_id=attach))
    except Invalid as exc:
        form.add_service_errors(exc.fields, str(exc.message))
        return _render_register(request, form, choices=choices, check=check)
    numbers = ", ".join(c.number for c in registration.cases)
    if registration.handed_to_oversight:
        messages.warning(
            request,
            _("Report %(report)s is registered. The offender is staff: the case went to internal oversight, and your unit no longer sees it.")
            % {"report": registration.report.number},
        )
        return redirect("cases:list")
    messages.success(
        request,
        ngettext(
            "Report %(report)s is registered in case %(cases)s.",
            "Report %(report)s is registered in cases %(cases)s.",
            len(registration.cases),
        )
        % {"report": registration.report.number, "cases": numbers},
    )
    linked = sum(1 for r in registration.people.values() if r.link is not None)
    if linked:
        messages.info(request, ngettext(
            "%(n)d person named in the report was already in the registry: the records are linked.",
            "%(n)d people named in the report were already in the registry: the records are linked.", linked,
        ) % {"n": linked})
    reviews = sum(r.reviews for r in registration.people.values())
    if reviews:
        messages.info(request, ngettext(
            "%(n)d possible match went to the data-quality review.",
            "%(n)d possible matches went to the data-quality review.", reviews,
        ) % {"n": reviews})
    return redirect("cases:detail", case_id=registration.cases[0].pk)


@login_required
@capability_required(Capability.REGISTER_REPORT)
@require_GET
def districts_view(request: HttpRequest) -> HttpResponse:
    """The district <option>s of a region, for the registration form's region select (htmx)."""
    region = request.GET.get("region", "")[:8]
    return render(request, "cases/_district_options.html", {"districts": district_choices(region)})


# --- the case page --------------------------------------------------------------------------------------

def _person_rows(people: dict[str, Any], prefix: str, unverified: bool) -> list[dict[str, Any]]:
    """The person's masked fields as rows; a hidden value renders as the mask's placeholder."""
    labels = [
        ("name", _("Full name")),
        ("iin", _("IIN")),
        ("birth_date", _("Birth date")),
        ("phone", _("Phone")),
        ("address", _("Address")),
        ("workplace", _("Workplace")),
    ]
    rows = []
    for key, label in labels:
        name = f"{prefix}_{key}"
        if name not in people:
            continue
        value = people[name]
        rows.append({
            "key": key,
            "label": label,
            "value": value,
            "masked": value is MASKED,
            "removed": value is REMOVED,
            "unverified": key == "iin" and unverified and value is not MASKED and value is not REMOVED and bool(value),
        })
    return rows


def _can_edit(user: User, viewer: Viewer) -> bool:
    return services.may_work(user, viewer.scope)


def _can_edit_contact(user: User, viewer: Viewer) -> bool:
    return services.may_edit_safe_contact(user, viewer)


def _allowed_states(case: Case) -> list[str]:
    return sorted(services.TRANSITIONS.get(CaseState(case.state), set()))


def _attachments_enabled() -> bool:
    try:
        get_template("cases/_attachments.html")
    except TemplateDoesNotExist:
        return False
    return True


def _attachments_context(user: User, case: Case, viewer: Viewer) -> dict[str, Any]:
    """What the attachments partial needs; nothing when that partial is not installed."""
    if not _attachments_enabled():
        return {"attachments_enabled": False}
    return {"attachments_enabled": True, **attachments_context(user, case, viewer)}


def _case_context(request: HttpRequest, case: Case, viewer: Viewer, **forms: Any) -> dict[str, Any]:
    user = _user(request)
    # One statement tells which optional sections have rows; the empty ones are not asked again.
    probe_case_page(case)
    people = selectors.case_people(case, viewer)
    contact = selectors.case_safe_contact(case, viewer)
    # The place of an incident is often her home: shown only to whoever may see her address.
    sees_whereabouts = can_see(viewer, selectors.CASE_POLICY["victim_address"])
    reports = []
    for row in selectors.case_reports(case, viewer):
        incident = row["incident"]
        reports.append({
            **row,
            "masked": row["narrative"] is MASKED,
            "locality": incident.locality if sees_whereabouts else "",
            "forms": _labels(incident, FORMS_OF_VIOLENCE),
            "circumstances": _labels(incident, CIRCUMSTANCES),
        })
    timeline = []
    for event in selectors.case_timeline(case):
        reason = mask(viewer, {"narrative": event.reason}, selectors.REPORT_POLICY)["narrative"]
        timeline.append({
            "event": event,
            "reason": reason,
            "reason_masked": reason is MASKED,
            "from_label": _event_state_label(event.kind, event.from_state),
            "to_label": _event_state_label(event.kind, event.to_state),
        })
    scopes = {Scope.FULL: _("full access"), Scope.WORKER: _("working access"), Scope.CONSENT: _("as her consent allows")}
    grants = selectors.case_workers(case)
    workers = [{"grant": g, "scope": scopes.get(Scope(g.scope), g.scope)} for g in grants]
    can_add_unit = services.may_add_unit_with(user, case, viewer.scope)
    contact_rows = []
    if contact is not None:
        sc = contact["contact"]
        contact_rows = [
            {"key": "may_call", "label": _("She may be called"), "value": _("Yes") if sc.may_call else _("No — do not call"), "masked": False},
            {"key": "call_times", "label": _("When to call"), "value": sc.call_times, "masked": False},
            {"key": "phone", "label": _("Safe number"), "value": contact["phone"], "masked": contact["phone"] is MASKED},
            {"key": "may_leave_message", "label": _("A message may be left"), "value": _yes_no(sc.may_leave_message), "masked": False},
            {"key": "code_word", "label": _("Code word"), "value": contact["code_word"], "masked": contact["code_word"] is MASKED},
            {"key": "language", "label": _("Language of messages to her"), "value": _language_name(sc.language), "masked": False},
        ]
    state_reason = mask(viewer, {"narrative": case.state_reason}, selectors.REPORT_POLICY)["narrative"]
    can_edit = _can_edit(user, viewer)
    version = {"version": case.version}
    markers = list(case.markers.all())
    facts = selectors.case_facts(case)
    contact_version = contact["contact"].version if contact else None
    if contact and _can_edit_contact(user, viewer):
        c = contact["contact"]
        contact_initial = {
            "version": c.version, "may_call": c.may_call, "call_times": c.call_times,
            "phone": "" if contact["phone"] is REMOVED else contact["phone"],
            "may_leave_message": c.may_leave_message,
            "code_word": "" if contact["code_word"] is REMOVED else contact["code_word"], "language": c.language,
        }
    else:
        contact_initial = {"version": contact_version}
    context = {
        "case": case,
        "viewer": viewer,
        "victim_rows": _person_rows(people, "victim", case.victim.iin_status == IinStatus.UNVERIFIED),
        "offender_rows": _person_rows(people, "offender", case.offender.iin_status == IinStatus.UNVERIFIED),
        "contact": contact,
        "history": selectors.pair_history(case, facts),
        "can_register": user.can(Capability.REGISTER_REPORT) and not case.restricted,
        "flags": selectors.case_flags(case, user, facts),
        "merged_from": selectors.case_merged_numbers(case),
        "contact_rows": contact_rows,
        "reports": reports,
        "timeline": timeline,
        "workers": workers,
        "markers": markers,
        "state_reason": state_reason,
        "state_reason_masked": state_reason is MASKED,
        "can_edit": can_edit,
        "can_edit_contact": _can_edit_contact(user, viewer),
        "state_form": forms.get("state_form") or StateForm(initial=version, allowed=_allowed_states(case)),
        "correct_form": forms.get("correct_form")
        or CorrectForm(initial={**version, "relationship": case.relationship, "markers": [m.code for m in markers]}),
        "contact_form": forms.get("contact_form") or SafeContactForm(initial=contact_initial),
        "open_form": forms.get("open_form", ""),
        "can_add_unit": can_add_unit,
        # Built only for who may use it: its choices are every active unit of the country.
        "add_unit_form": (forms.get("add_unit_form") or AddUnitForm(case=case, working={g.unit_id for g in grants})) if can_add_unit else None,
        **_attachments_context(user, case, viewer),
        **risk_context(user, case, viewer),
        **safety_plan_context(user, case, viewer),
        **orders_context(user, case, viewer),
        **conference_context(case, viewer, actor=user),
        **support_context(user, case, viewer),
        **programmes_context(user, case, viewer),
        **monitoring_context(user, case, viewer),
        # Other agencies' referrals: for units working on the case, not for a consent-scope unit.
        "referrals": case_referrals(case) if viewer.scope in (Scope.FULL, Scope.WORKER) else [],
    }
    return context


def _case_page(request: HttpRequest, case_id: int, **forms: Any) -> HttpResponse:
    case, viewer = case_get_for(_user(request), case_id, request=request)
    if case.merged_into_id is not None and not forms:
        # The same pair goes on in the case it was merged into (both histories are there).
        messages.info(request, _("Case %(number)s was merged into this case: it is the same pair.") % {"number": case.number})
        return redirect("cases:detail", case_id=case.merged_into_id)
    return render(request, "cases/case.html", _case_context(request, case, viewer, **forms))


@login_required
@require_GET
def case_view(request: HttpRequest, case_id: int) -> HttpResponse:
    return _case_page(request, case_id)


def _conflict(request: HttpRequest, case_id: int, *, what: str, action: str, mine: list[tuple[str, str]],
              stored: list[tuple[str, str]], resubmit: dict[str, Any]) -> HttpResponse:
    """The edit conflict page for a change of the case (re-read through the gate)."""
    case, _viewer = case_get_for(_user(request), case_id, request=request)
    return case_conflict(request, case, what=what, action=action, mine=mine, stored=stored, resubmit=resubmit)


def _language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code) or str(_("The default"))


def _state_label(value: str) -> str:
    return str(CaseState(value).label) if value in CaseState.values else value


# The states a timeline event of another aggregate moves between, by event kind (labels, not codes).
_EVENT_STATES = {
    EventKind.TASK_CHANGED: "qorgau.protocols.models.TaskStatus",
    EventKind.TASK_ESCALATED: "qorgau.protocols.models.EscalateTo",
    EventKind.CONFERENCE: "qorgau.protocols.models_conferences.ConferenceStatus",
    EventKind.VICTIM_NOTICE: "qorgau.accounts.models.DeliveryStatus",
    EventKind.SUPPORT: "qorgau.support.models.SupportStatus",
    EventKind.PROGRAMME: "qorgau.programmes.models.EnrolmentStatus",
}


def _event_state_label(kind: str, value: str) -> str:
    if not value:
        return ""
    if kind in _EVENT_STATES:
        choices = dict(import_string(_EVENT_STATES[EventKind(kind)]).choices)
        choices.setdefault("withdrawn", _("consent withdrawn"))
        # Task states are stored cut to the column's 12 characters ("awaiting_con").
        label = choices.get(value) or next((v for k, v in choices.items() if k[:12] == value), None)
        return str(label) if label is not None else "—"
    return _state_label(value)


def _relationship_label(value: str) -> str:
    return str(Relationship(value).label) if value in Relationship.values else value


def _marker_labels(codes: list[str]) -> str:
    names = [m.name for m in Marker.objects.filter(code__in=codes)]
    return ", ".join(names) or "—"


def _yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


@login_required
@capability_required(Capability.WORK_CASES)
@require_POST
def case_state_view(request: HttpRequest, case_id: int) -> HttpResponse:
    user = _user(request)
    case, _viewer = case_get_for(user, case_id, request=request)
    # Every state is accepted here: whether this one is reachable is the service's call, so that a form
    # rendered before someone else changed the state becomes a conflict, not a bare "invalid choice".
    form = StateForm(request.POST)
    if not form.is_valid():
        form.fields["to_state"].choices = [(s, CaseState(s).label) for s in _allowed_states(case)]  # type: ignore[attr-defined]
        return _case_page(request, case_id, state_form=form, open_form="state")
    c = form.cleaned_data
    try:
        services.case_change_state(actor=user, case=case, version=c["version"], to_state=c["to_state"], reason=c["reason"])
    except Invalid as exc:
        _field_errors(form, exc)
        form.fields["to_state"].choices = [(s, CaseState(s).label) for s in _allowed_states(case)]  # type: ignore[attr-defined]
        return _case_page(request, case_id, state_form=form, open_form="state")
    except Conflict:
        case, viewer = case_get_for(user, case_id, request=request)
        stored_reason = mask(viewer, {"narrative": case.state_reason}, selectors.REPORT_POLICY)["narrative"]
        return _conflict(
            request, case_id, what=_("the case's state"), action="cases:state",
            mine=[(_("State"), _state_label(c["to_state"])), (_("Reason"), c["reason"])],
            stored=[(_("State"), _state_label(case.state)), (_("Reason"), str(stored_reason) or "—")],
            resubmit={"version": case.version, "to_state": c["to_state"], "reason": c["reason"]},
        )
    messages.success(request, _("The case is now: %(state)s.") % {"state": _state_label(c["to_state"])})
    return redirect("cases:detail", case_id=case_id)


@login_required
@require_POST
def case_add_unit_view(request: HttpRequest, case_id: int) -> HttpResponse:
    user = _user(request)
    case, _viewer = case_get_for(user, case_id, request=request)
    if not services.may_add_unit(user, case):
        raise Forbidden()
    form = AddUnitForm(request.POST, case=case)
    if not form.is_valid():
        return _case_page(request, case_id, add_unit_form=form, open_form="add_unit")
    c = form.cleaned_data
    try:
        grant = services.case_add_unit(actor=user, case=case, unit_id=c["unit"], scope=c["scope"], justification=c["justification"])
    except Invalid as exc:
        _field_errors(form, exc)
        return _case_page(request, case_id, add_unit_form=form, open_form="add_unit")
    messages.success(request, _("%(unit)s now works on the case and was notified.") % {"unit": grant.unit.name})
    return redirect("cases:detail", case_id=case_id)


@login_required
@capability_required(Capability.WORK_CASES)
@require_POST
def case_correct_view(request: HttpRequest, case_id: int) -> HttpResponse:
    user = _user(request)
    case, _viewer = case_get_for(user, case_id, request=request)
    form = CorrectForm(request.POST)
    if not form.is_valid():
        return _case_page(request, case_id, correct_form=form, open_form="correct")
    c = form.cleaned_data
    try:
        services.case_correct(
            actor=user, case=case, version=c["version"], relationship=c["relationship"], markers=list(c["markers"]), reason=c["reason"]
        )
    except Invalid as exc:
        _field_errors(form, exc)
        return _case_page(request, case_id, correct_form=form, open_form="correct")
    except Conflict:
        case, _viewer = case_get_for(user, case_id, request=request)
        return _conflict(
            request, case_id, what=_("the relationship and vulnerability"), action="cases:correct",
            mine=[
                (_("What the offender is to her"), _relationship_label(c["relationship"])),
                (_("Vulnerability"), _marker_labels(list(c["markers"]))),
                (_("Reason for the correction"), c["reason"]),
            ],
            stored=[
                (_("What the offender is to her"), _relationship_label(case.relationship)),
                (_("Vulnerability"), _marker_labels(list(case.markers.values_list("code", flat=True)))),
            ],
            resubmit={"version": case.version, "relationship": c["relationship"], "markers": list(c["markers"]), "reason": c["reason"]},
        )
    messages.success(request, _("The case details were corrected."))
    return redirect("cases:detail", case_id=case_id)


@login_required
@capability_required(Capability.WORK_CASES)
@require_POST
def case_safe_contact_view(request: HttpRequest, case_id: int) -> HttpResponse:
    user = _user(request)
    case, viewer = case_get_for(user, case_id, request=request)
    form = SafeContactForm(request.POST)
    if not _can_edit_contact(user, viewer):
        raise Forbidden()
    if not form.is_valid():
        return _case_page(request, case_id, contact_form=form, open_form="contact")
    c = form.cleaned_data
    try:
        services.safe_contact_update(actor=user, case=case, version=c.get("version"), data=form.contact_input())
    except Invalid as exc:
        _field_errors(form, exc)
        return _case_page(request, case_id, contact_form=form, open_form="contact")
    except Conflict:
        case, viewer = case_get_for(user, case_id, request=request)
        stored = selectors.case_safe_contact(case, viewer)
        data = form.contact_input()
        stored_rows: list[tuple[str, str]] = []
        if stored is not None:
            sc = stored["contact"]
            stored_rows = [
                (_("She may be called"), _yes_no(sc.may_call)),
                (_("When to call"), sc.call_times or "—"),
                (_("Safe number"), str(stored["phone"]) or "—"),
                (_("A message may be left"), _yes_no(sc.may_leave_message)),
                (_("Code word"), str(stored["code_word"]) or "—"),
                (_("Language of messages to her"), _language_name(sc.language)),
            ]
        return _conflict(
            request, case_id, what=_("the safe-contact preferences"), action="cases:safe_contact",
            mine=[
                (_("She may be called"), _yes_no(data.may_call)),
                (_("When to call"), data.call_times or "—"),
                (_("Safe number"), data.phone or "—"),
                (_("A message may be left"), _yes_no(data.may_leave_message)),
                (_("Code word"), data.code_word or "—"),
                (_("Language of messages to her"), _language_name(data.language)),
            ],
            stored=stored_rows,
            resubmit={
                "version": stored["contact"].version if stored else "",
                "may_call": "on" if data.may_call else "",
                "call_times": data.call_times,
                "phone": data.phone,
                "may_leave_message": "on" if data.may_leave_message else "",
                "code_word": data.code_word,
                "language": data.language,
            },
        )
    messages.success(request, _("The safe-contact preferences were saved."))
    return redirect("cases:detail", case_id=case_id)


def _field_errors(form: Any, exc: Invalid) -> None:
    if not exc.fields:
        form.add_error(None, str(exc.message))
    for key, errors in exc.fields.items():
        target = key if key in form.fields else ("to_state" if key == "state" and "to_state" in form.fields else None)
        for e in errors:
            form.add_error(target, e)


# --- search and break-glass -----------------------------------------------------------------------------


@login_required
@capability_required(Capability.WORK_CASES)
@require_GET
def search_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    searched = any(request.GET.get(k) for k in ("iin", "full_name", "birth_date", "number"))
    form = SearchForm(request.GET if searched else None)
    hits = None
    if searched and form.is_valid():
        c = form.cleaned_data
        hits = selectors.case_search(
            user, iin=c["iin"], full_name=c.get("full_name") or "", birth_date=c.get("birth_date"),
            number=c.get("number") or "", request=request,
        )
    context = {"form": form, "hits": hits, "can_break_glass": user.can(Capability.BREAK_GLASS)}
    return render(request, "cases/search.html", context)


@login_required
@capability_required(Capability.BREAK_GLASS)
@require_http_methods(["GET", "HEAD", "POST"])
def break_glass_view(request: HttpRequest, case_id: int) -> HttpResponse:
    user = _user(request)
    target = selectors.break_glass_target(user, case_id)
    # Which unit holds a case is itself a signal: every look at this page is audited like a search.
    audit_record(
        actor=user, action=AuditAction.SEARCH if target else AuditAction.DENIED, target_type="break_glass",
        target_id=case_id, count=1 if target else 0, request=request, outcome="ok" if target else "refused",
    )
    if target is None:
        raise NotFound()
    if target.visible:
        return redirect("cases:detail", case_id=case_id)
    form = BreakGlassForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.case_break_glass(actor=user, case_id=case_id, justification=form.cleaned_data["justification"])
        except Invalid as exc:
            _field_errors(form, exc)
        else:
            messages.warning(
                request,
                _("Emergency access is open for %(hours)d hours. It is recorded, and the holding unit's supervisor has been told.")
                % {"hours": services.BREAK_GLASS_HOURS},
            )
            return redirect("cases:detail", case_id=case_id)
    context = {"form": form, "target": target, "case_id": case_id, "hours": services.BREAK_GLASS_HOURS}
    return render(request, "cases/break_glass.html", context)
