"""Pages of risk assessment: start an assessment on a case, fill and sign it, a supervisor's review of
the level, the measures applied, the unit's reassessments due, and the instruments (administrators).

Thin views: reads through ``risk.selectors`` and the case gate, writes through ``risk.services``;
``Invalid`` becomes field errors on the same form with what was ticked kept, a stale draft a 409.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qorgau.accounts.access import capability_required
from qorgau.accounts.masks import MASKED, Viewer, mask
from qorgau.accounts.models import User
from qorgau.accounts.roles import Capability
from qorgau.cases.access import case_get_for
from qorgau.cases.models import Case
from qorgau.cases.selectors import REPORT_POLICY
from qorgau.core.errors import Conflict, Forbidden, Invalid, NotFound
from qorgau.core.form_errors import invalid_onto_form
from qorgau.risk import instruments, selectors, services
from qorgau.risk.forms import AssessmentForm, ChooseInstrumentForm, LevelChangeForm, MeasureForm
from qorgau.risk.models import LEVEL_RANK, Answer, Assessment, AssessmentStatus, InstrumentVersion, Level, VersionStatus
from qorgau.risk.scoring import Spec, evaluate
from qorgau.training.services import CertificateMissing


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]



def _narrative(viewer: Viewer, text: str) -> Any:
    """Free text written about her (reasons, notes) is masked like a narrative."""
    return mask(viewer, {"narrative": text}, REPORT_POLICY)["narrative"]


# --- the case page's risk card ---------------------------------------------------------------------------


def risk_context(user: User, case: Case, viewer: Viewer) -> dict[str, Any]:
    """What ``risk/_case_panel.html`` needs on the case page."""
    panel = selectors.case_risk_panel(case)
    may = services.may_assess(user, viewer.scope) and case.merged_into_id is None
    reason = _narrative(viewer, panel.risk.assessment.level_reason) if panel.risk else ""
    return {
        "risk_panel": panel,
        "risk_reason": reason,
        "risk_reason_masked": reason is MASKED,
        "can_assess": may,
        "measure_forms": [(row, MeasureForm(initial={"measure": row.measure.value})) for row in panel.measures] if may else [],
    }


# --- start, fill, sign --------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def assessment_new_view(request: HttpRequest, case_id: int) -> HttpResponse:
    user = _user(request)
    case, viewer = case_get_for(user, case_id, request=request)
    if not services.may_assess(user, viewer.scope):
        raise Forbidden()
    versions = services.versions_for(case)
    form = ChooseInstrumentForm(request.POST or None, versions=versions)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                assessment = services.assessment_start(actor=user, case=case, version_id=form.cleaned_data["version"])
            except Invalid as exc:
                invalid_onto_form(form, exc)
            else:
                return redirect("risk:assessment", assessment_id=assessment.pk)
        status = 422
    drafts = [a for a in selectors.case_risk_panel(case).drafts]
    return render(request, "risk/assess_new.html", {"case": case, "form": form, "versions": versions, "drafts": drafts}, status=status)


def _form_for(assessment: Assessment, data: Any = None) -> AssessmentForm:
    items = list(assessment.version.items.select_related("section"))
    initial: dict[str, Any] = {"row_version": assessment.row_version}
    for item in items:
        value = assessment.answers.get(item.code) or assessment.prefill.get(item.code)
        if value:
            initial[f"item_{item.code}"] = value
    return AssessmentForm(data, initial=initial, items=items, prefill=assessment.prefill)


def _signed_rows(assessment: Assessment) -> list[dict[str, Any]]:
    sections: list[dict[str, Any]] = []
    for item in assessment.version.items.select_related("section"):
        if not sections or sections[-1]["section"].pk != item.section_id:
            sections.append({"section": item.section, "items": []})
        value = assessment.answers.get(item.code, "")
        proposed = assessment.prefill.get(item.code, "")
        sections[-1]["items"].append({
            "item": item, "answer": Answer(value).label if value else "—", "yes": value == Answer.YES,
            "prefilled": bool(proposed), "corrected": bool(proposed) and proposed != value,
        })
    return sections


def _assessment_page(request: HttpRequest, assessment: Assessment, viewer: Viewer, *, form: AssessmentForm | None = None,
                     level_form: LevelChangeForm | None = None, status: int = 200) -> HttpResponse:
    user = _user(request)
    spec = Spec.of(assessment.version)
    answers = assessment.answers
    if assessment.status == AssessmentStatus.DRAFT:
        answers = {**assessment.prefill, **assessment.answers}  # as the form shows it before saving
    if form is not None and form.is_bound:
        answers = {k: v for k, v in form.answers().items() if v in Answer.values}
    result = evaluate(spec, answers)
    may = services.may_assess(user, viewer.scope)
    reason = _narrative(viewer, assessment.level_reason)
    changes = []
    for c in assessment.level_changes.select_related("by"):
        text = _narrative(viewer, c.reason)
        changes.append({"change": c, "reason": text, "reason_masked": text is MASKED})
    context = {
        "assessment": assessment,
        "case": assessment.case,
        "result": result,
        "max_score": spec.max_score,
        "cutoffs": spec.cutoffs,
        "escalations": sorted(spec.escalations.items(), key=lambda e: LEVEL_RANK[e[0]]),
        "draft": assessment.status == AssessmentStatus.DRAFT,
        "can_edit": may and assessment.status == AssessmentStatus.DRAFT,
        "form": form or (_form_for(assessment) if may and assessment.status == AssessmentStatus.DRAFT else None),
        "signed_rows": _signed_rows(assessment) if assessment.status == AssessmentStatus.SIGNED else [],
        "level_reason": reason,
        "level_reason_masked": reason is MASKED,
        "changes": changes,
        "can_change_level": may and assessment.status == AssessmentStatus.SIGNED,
        "is_supervisor": user.can(Capability.SUPERVISE_UNIT),
        "level_form": level_form or LevelChangeForm(),
        "levels": [(lv.value, lv.label) for lv in Level],
    }
    return render(request, "risk/assessment.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def assessment_view(request: HttpRequest, assessment_id: int) -> HttpResponse:
    user = _user(request)
    assessment, viewer = selectors.assessment_get_for(user, assessment_id, request=request)
    if request.method != "POST":
        return _assessment_page(request, assessment, viewer)
    form = _form_for(assessment, request.POST)
    form.is_valid()  # the radios are checked by the service, which names the item
    try:
        row_version = int(request.POST.get("row_version", ""))
    except ValueError:
        row_version = -1
    try:
        saved = services.assessment_save(actor=user, assessment=assessment, row_version=row_version, answers=form.answers())
    except Conflict:
        messages.error(request, _("Someone else saved this assessment after you opened it. Their answers are shown; yours were not saved. Check and save again."))
        assessment.refresh_from_db()
        return _assessment_page(request, assessment, viewer, status=409)
    except Invalid as exc:
        invalid_onto_form(form, exc)
        return _assessment_page(request, assessment, viewer, form=form, status=422)
    if request.POST.get("action") != "sign":
        messages.success(request, _("The draft is saved. It can be signed when every question is answered."))
        return redirect("risk:assessment", assessment_id=saved.pk)
    try:
        services.assessment_sign(
            actor=user, assessment=saved, row_version=saved.row_version,
            final_level=request.POST.get("final_level", ""), reason=request.POST.get("level_reason", ""),
        )
    except Conflict:
        messages.error(request, _("Someone else saved this assessment after you opened it. Their answers are shown; yours were not saved. Check and save again."))
        return _assessment_page(request, saved, viewer, status=409)
    except CertificateMissing as exc:  # the draft is saved; the message names the course it needs
        messages.error(request, str(exc.message))
        return _assessment_page(request, saved, viewer, status=403)
    except Invalid as exc:
        # The answers are saved: the form goes on from the saved draft's version, with what was ticked.
        data = request.POST.copy()
        data["row_version"] = str(saved.row_version)
        form = _form_for(saved, data)
        form.is_valid()
        invalid_onto_form(form, exc)
        return _assessment_page(request, saved, viewer, form=form, status=422)
    messages.success(request, _("The assessment is signed. The case's level and reassessment date are updated."))
    return redirect("cases:detail", case_id=saved.case_id)


@login_required
@require_POST
def assessment_level_view(request: HttpRequest, assessment_id: int) -> HttpResponse:
    user = _user(request)
    assessment, viewer = selectors.assessment_get_for(user, assessment_id, request=request)
    form = LevelChangeForm(request.POST)
    if form.is_valid():
        try:
            services.assessment_change_level(actor=user, assessment=assessment, to_level=form.cleaned_data["to_level"], reason=form.cleaned_data["reason"])
        except Invalid as exc:
            invalid_onto_form(form, exc)
        else:
            messages.success(request, _("The level is changed and the reason is kept with the assessment."))
            return redirect("risk:assessment", assessment_id=assessment.pk)
    return _assessment_page(request, assessment, viewer, level_form=form, status=422)


@login_required
@require_POST
def measure_view(request: HttpRequest, case_id: int) -> HttpResponse:
    user = _user(request)
    case, _viewer = case_get_for(user, case_id, request=request)
    form = MeasureForm(request.POST)
    if form.is_valid():
        try:
            services.measure_record(actor=user, case=case, measure=form.cleaned_data["measure"], status=form.cleaned_data["status"], note=form.cleaned_data["note"])
        except Invalid as exc:
            for errors in exc.fields.values():
                for e in errors:
                    messages.error(request, e)
        else:
            messages.success(request, _("The measure is recorded."))
    else:
        for field_errors in form.errors.values():
            for message in field_errors:
                messages.error(request, str(message))
    return redirect(reverse("cases:detail", kwargs={"case_id": case_id}) + "#risk")


# --- the unit's reassessments ---------------------------------------------------------------------------


@login_required
@capability_required(Capability.ASSESS_RISK)
@require_GET
def due_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    page, rows, overdue = selectors.reassessments_due_page(user, request.GET.get("page"))
    return render(request, "risk/due.html", {"rows": rows, "page": page, "overdue": overdue, "horizon": selectors.DUE_SOON_DAYS})


# --- instruments (administrators) -----------------------------------------------------------------------


@login_required
@capability_required(Capability.MANAGE_REFERENCE)
@require_GET
def instruments_view(request: HttpRequest) -> HttpResponse:
    versions = list(InstrumentVersion.objects.select_related("instrument").prefetch_related("relationships").order_by("instrument__code", "-number"))
    return render(request, "risk/instruments.html", {"versions": versions})


@login_required
@capability_required(Capability.MANAGE_REFERENCE)
@require_http_methods(["GET", "HEAD", "POST"])
def instrument_version_view(request: HttpRequest, version_id: int) -> HttpResponse:
    version = InstrumentVersion.objects.select_related("instrument", "derived_from").filter(pk=version_id).first()
    if version is None:
        raise NotFound()
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        try:
            instruments.version_publish(actor=_user(request), version=version)
        except Invalid as exc:
            errors = [str(e) for field_errors in exc.fields.values() for e in field_errors]
            status = 422
        else:
            messages.success(request, _("The version is published. New assessments use it; signed ones keep theirs."))
            return redirect("risk:instrument_version", version_id=version.pk)
    base = {i.code: i.weight for i in version.derived_from.items.all()} if version.derived_from else {}
    items = [{"item": i, "was": base.get(i.code)} for i in version.items.select_related("section")]
    context = {
        "version": version,
        "items": items,
        "cutoffs": list(version.cutoffs.all()),
        "escalations": list(version.escalations.all()),
        "rules": list(version.flag_rules.prefetch_related("all_items", "any_items")),
        "relationships": list(version.relationships.all()),
        "can_publish": version.status == VersionStatus.DRAFT,
        "errors": errors,
        "level_rank": LEVEL_RANK,
    }
    return render(request, "risk/instrument_version.html", context, status=status)
