"""Her personal safety plan: the write, the masked read and the case page's card.

The plan holds her contacts and the places she can go: whoever cannot see those fields through the
mask layer neither saves the plan (a form from such a role would overwrite what it never saw) nor
prints it (DESIGN §5). A stale save is a conflict, never a silent overwrite.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qorgau.accounts.access import viewer_for
from qorgau.accounts.masks import MASKED, FieldRule, Scope, Sensitivity, Subject, Viewer, can_see, mask
from qorgau.accounts.models import User
from qorgau.accounts.roles import OFFENDER_FACING_ROLES, Capability
from qorgau.cases.access import scope_for
from qorgau.cases.ledger import event_add
from qorgau.cases.models import Case, EventKind
from qorgau.cases.presence import absent
from qorgau.cases.services import may_work
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.errors import Conflict, Forbidden, Invalid, NotFound
from qorgau.core.models import AuditAction
from qorgau.risk.models import SafetyPlan

S, P = Sensitivity, Subject
SAFETY_PLAN_POLICY: dict[str, FieldRule] = {
    "steps": FieldRule(S.NARRATIVE, P.VICTIM),
    "contacts": FieldRule(S.CONTACT, P.VICTIM),
    "safe_places": FieldRule(S.WHEREABOUTS, P.VICTIM),
    "children": FieldRule(S.NARRATIVE, P.VICTIM),
    "documents_other": FieldRule(S.NARRATIVE, P.VICTIM),
    # What she keeps ready tells that she is preparing to leave: as private as her steps.
    "documents": FieldRule(S.NARRATIVE, P.VICTIM),
}
TEXTS = ("steps", "contacts", "safe_places", "children", "documents_other")
# Things to keep ready, by code; each is the boolean column ``doc_<code>``.
DOCUMENTS = ("identity", "children", "medical", "money", "housing", "orders", "medicines", "phone")
LANGUAGES = ("kk", "ru", "en")
LANGUAGE_LABELS = {"kk": gettext_lazy("Kazakh"), "ru": gettext_lazy("Russian"), "en": gettext_lazy("English")}
TEXT_MAX = 4000
CARD_PREVIEW = 160


@dataclass
class SafetyPlanInput:
    language: str
    steps: str = ""
    contacts: str = ""
    safe_places: str = ""
    children: str = ""
    documents_other: str = ""
    documents: set[str] = field(default_factory=set)


def _label(name: str) -> str:
    """A column's label in the current language (the model's verbose name holds the one msgid)."""
    column = SafetyPlan._meta.get_field(name)
    assert isinstance(column, models.Field)
    return str(capfirst(column.verbose_name))


def document_label(code: str) -> str:
    return _label(f"doc_{code}")


def text_label(name: str) -> str:
    return _label(name)


def may_edit_safety_plan(actor: User, viewer: Viewer, case: Case | None = None) -> bool:
    """Case work, a safety-planning role, and sight of every field of the plan."""
    return (
        may_work(actor, viewer.scope)
        and (actor.can(Capability.SUPPORT_VICTIMS) or actor.can(Capability.ASSESS_RISK))
        and all(can_see(viewer, rule) for rule in SAFETY_PLAN_POLICY.values())
        and (case is None or case.merged_into_id is None)
    )


def may_print_safety_plan(viewer: Viewer) -> bool:
    """A printed plan goes to her whole or not at all; offender-facing roles never print it."""
    return viewer.role not in OFFENDER_FACING_ROLES and all(can_see(viewer, rule) for rule in SAFETY_PLAN_POLICY.values())


def _clean(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _validate(data: SafetyPlanInput) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if data.language not in LANGUAGES:
        errors["language"] = [_("Choose Kazakh, Russian or English.")]
    for name in TEXTS:
        text = _clean(getattr(data, name))
        if "\x00" in text:
            errors[name] = [_("The text contains characters that are not allowed.")]
        elif len(text) > TEXT_MAX:
            errors[name] = [_("This value is too long.")]
    if set(data.documents) - set(DOCUMENTS):
        errors["documents"] = [_("Choose one of the offered values.")]
    if not errors and not data.documents and not any(_clean(getattr(data, n)) for n in TEXTS):
        errors["plan"] = [_("Fill in at least one part of the plan.")]
    return errors


@transaction.atomic
def safety_plan_save(*, actor: User, case: Case, version: int | None, data: SafetyPlanInput) -> SafetyPlan:
    """Create her plan, or update it on the version the form was opened with."""
    scope = scope_for(actor, case)
    if scope is None:
        raise NotFound()
    if not may_edit_safety_plan(actor, viewer_for(actor, scope=Scope(scope))):
        raise Forbidden()
    if case.merged_into_id is not None:
        raise Invalid(fields={"plan": [_("This case was merged into another: keep her safety plan there.")]})
    errors = _validate(data)
    if errors:
        raise Invalid(fields=errors)
    now = clock.now()
    values: dict[str, Any] = {
        "language": data.language,
        **{name: _clean(getattr(data, name)) for name in TEXTS},
        **{f"doc_{code}": code in data.documents for code in DOCUMENTS},
        "updated_by": actor,
        "updated_at": now,
    }
    plan = SafetyPlan.objects.select_for_update().filter(case=case).first()
    if plan is None:
        if version is not None:  # the plan the form was opened on is not there: nothing to build on
            raise Conflict()
        try:
            with transaction.atomic():  # two first saves at once: the second is a conflict, not a 500
                plan = SafetyPlan.objects.create(case=case, created_by=actor, created_at=now, **values)
        except IntegrityError:
            raise Conflict() from None
    else:
        if version != plan.version:
            raise Conflict()
        if not SafetyPlan.objects.filter(pk=plan.pk, version=version).update(version=version + 1, **values):
            raise Conflict()
        plan.refresh_from_db()
    event_add(case, EventKind.SAFETY_PLAN, actor)
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="safety_plan", target_id=plan.pk)
    return plan


SAFETY_PLAN = "safety_plan"


def plans_of(case: Case) -> QuerySet[SafetyPlan, SafetyPlan]:
    return SafetyPlan.objects.filter(case=case)


def safety_plan_for(case: Case, viewer: Viewer) -> dict[str, Any] | None:
    """Her plan's fields as this viewer may see them; ``documents`` is the list of codes kept ready."""
    plan = None if absent(case, SAFETY_PLAN) else plans_of(case).first()
    if plan is None:
        return None
    values: dict[str, Any] = {name: getattr(plan, name) or "" for name in TEXTS}
    values["documents"] = [code for code in DOCUMENTS if getattr(plan, f"doc_{code}")]
    return {"plan": plan, **mask(viewer, values, SAFETY_PLAN_POLICY)}


def print_links(case_id: int) -> list[dict[str, str]]:
    url = reverse("risk:safety_plan_print", args=[case_id])
    return [{"code": code, "label": str(LANGUAGE_LABELS[code]), "url": f"{url}?lang={code}"} for code in LANGUAGES]


def safety_plan_context(user: User, case: Case, viewer: Viewer) -> dict[str, Any]:
    """What ``risk/_safety_plan_card.html`` needs on the case page; every key starts ``safety_plan``."""
    found = safety_plan_for(case, viewer)
    rows: list[dict[str, Any]] = []
    documents: list[str] = []
    documents_masked = False
    if found is not None:
        for name in TEXTS:
            value = found[name]
            masked = value is MASKED
            rows.append({
                "key": name,
                "label": text_label(name),
                "value": value if masked else Truncator(value).chars(CARD_PREVIEW),
                "masked": masked,
            })
        documents_masked = found["documents"] is MASKED
        documents = [] if documents_masked else [document_label(c) for c in found["documents"]]
    can_print = found is not None and may_print_safety_plan(viewer)
    plan = found["plan"] if found else None
    return {
        "safety_plan_enabled": True,
        "safety_plan": plan,
        "safety_plan_case_id": case.pk,
        "safety_plan_url": reverse("risk:safety_plan", args=[case.pk]),
        "safety_plan_language": str(LANGUAGE_LABELS.get(plan.language, plan.language)) if plan else "",
        "safety_plan_rows": rows,
        "safety_plan_documents": documents,
        "safety_plan_documents_masked": documents_masked,
        "safety_plan_can_edit": may_edit_safety_plan(user, viewer, case),
        "safety_plan_can_print": can_print,
        "safety_plan_print_links": print_links(case.pk) if can_print else [],
    }
