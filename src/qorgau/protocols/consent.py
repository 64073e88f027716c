"""Her consent to a referral, the override for a child or the critical level, and withdrawal
(DESIGN §5, §10).

A referral task waits in ``awaiting_consent``: the receiving unit is not told and cannot open the
case. A unit working on the case (a ``full`` or ``worker`` grant) records her consent — purpose, how
she gave it, which kinds of her data may be shared — and the referral opens: the receiving unit gets
a grant with scope ``consent`` (reason ``referral``) whose visible fields are exactly what the
consent covers (``consented_for``), is notified, and the deadline starts from now. Without consent a
referral opens only by an override (a child, or the critical level, with a written reason). A
withdrawn consent ends its grant and the referral waits for consent again.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from qorgau.accounts.masks import Scope, Sensitivity
from qorgau.accounts.models import NotificationKind, User
from qorgau.accounts.services import notify
from qorgau.cases.access import case_get_for, grants_in_force
from qorgau.cases.ledger import event_add, grant_add
from qorgau.cases.models import Case, EventKind, Grant, GrantReason, Relationship
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.errors import Conflict, Invalid, NotFound
from qorgau.core.models import AuditAction
from qorgau.protocols.engine import unit_workers
from qorgau.protocols.models import (
    LIVE_STATUSES,
    Consent,
    ConsentHow,
    Mode,
    OverrideGround,
    ReferralOverride,
    Task,
    TaskStatus,
)

PURPOSE_LIMIT = 1000
REASON_MIN = 10
REASON_LIMIT = 4000
# An override shares only what the receiving unit needs to reach her.
OVERRIDE_SHARES = frozenset({Sensitivity.IDENTITY, Sensitivity.CONTACT})
_SHARE_FIELDS = {
    Sensitivity.IDENTITY: "shares_identity",
    Sensitivity.CONTACT: "shares_contact",
    Sensitivity.WHEREABOUTS: "shares_whereabouts",
    Sensitivity.NARRATIVE: "shares_narrative",
}


def consent_shares(consent: Consent) -> frozenset[Sensitivity]:
    return frozenset(s for s, name in _SHARE_FIELDS.items() if getattr(consent, name))


def consented_for(unit_id: int | None, case_id: int) -> frozenset[Sensitivity]:
    """What the unit may see of her on the case under a ``consent`` grant: the union of its live
    consents and overrides whose grants are still in force. Feeds ``Viewer.consented``."""
    if unit_id is None:
        return frozenset()
    live = grants_in_force().filter(case_id=case_id, unit_id=unit_id, reason=GrantReason.REFERRAL).values("pk")
    out: set[Sensitivity] = set()
    for consent in Consent.objects.filter(case_id=case_id, unit_id=unit_id, withdrawn_at__isnull=True, grant__in=live):
        out |= consent_shares(consent)
    if ReferralOverride.objects.filter(case_id=case_id, unit_id=unit_id, grant__in=live).exists():
        out |= OVERRIDE_SHARES
    # Referrals to socio-economic support carry their own consent (qorgau.support, docs/support.md).
    from qorgau.support.selectors import support_consented

    out |= support_consented(unit_id, case_id)
    return frozenset(out)


def referral_get_for(actor: User, task_id: int) -> Task:
    """The referral task, through the case gate; only a unit working on the case (full or worker
    grant) may act for her. NotFound alike for a missing task and one the actor may not act on."""
    task = Task.objects.select_related("case", "unit", "duty").filter(pk=task_id, mode=Mode.REFERRAL).first()
    if task is None:
        raise NotFound()
    _case, viewer = case_get_for(actor, task.case_id)
    if viewer.scope not in (Scope.FULL, Scope.WORKER):
        raise NotFound()
    return task


def _check_open(task: Task, version: int) -> None:
    if task.status != TaskStatus.AWAITING_CONSENT:
        raise Invalid(fields={"status": [_("This referral is not waiting for her consent (it is %(status)s).")
                                         % {"status": task.get_status_display()}]})
    if task.version != version:
        raise Conflict()
    if task.unit is None:
        raise Invalid(fields={"status": [_("No unit has been found for this referral yet: the administrator must route it first.")]})


def _open(task: Task, actor: User, version: int) -> Task:
    """awaiting_consent → open, the deadline counted from now; a conditional update, so a stale
    form or a concurrent consent is a conflict."""
    at = clock.now()
    updated = Task.objects.filter(pk=task.pk, version=version, status=TaskStatus.AWAITING_CONSENT).update(
        status=TaskStatus.OPEN, version=version + 1, due_at=at + (task.due_at - task.created_at), updated_at=at, updated_by=actor,
    )
    if not updated:
        raise Conflict()
    task.refresh_from_db()
    return task


def _hand_over(task: Task, actor: User, reason: str = "") -> Grant:
    unit = task.unit
    assert unit is not None
    grant = grant_add(task.case, unit, GrantReason.REFERRAL, Scope.CONSENT, by=actor)
    event_add(task.case, EventKind.TASK_CHANGED, actor, to_state=TaskStatus.OPEN.value, reason=reason)
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="task", target_id=task.pk)
    notify(recipients=unit_workers(unit), kind=NotificationKind.TASK_ASSIGNED, target_type="task", target_id=task.pk)
    return grant


@transaction.atomic
def referral_consent_record(
    *, actor: User, task_id: int, version: int, purpose: str, how: str,
    identity: bool = False, contact: bool = False, whereabouts: bool = False, narrative: bool = False,
) -> Consent:
    """Record her consent to the referral and open it for the receiving unit (scope ``consent``)."""
    task = referral_get_for(actor, task_id)
    purpose = (purpose or "").strip()
    errors: dict[str, list[str]] = {}
    if not purpose:
        errors["purpose"] = [_("Write what she agreed to: the purpose of the referral.")]
    elif len(purpose) > PURPOSE_LIMIT:
        errors["purpose"] = [_("At most %(n)d characters.") % {"n": PURPOSE_LIMIT}]
    if how not in ConsentHow.values:
        errors["how"] = [_("Say how she gave her consent: in person, by phone or in writing.")]
    if errors:
        raise Invalid(fields=errors)
    _check_open(task, version)
    task = _open(task, actor, version)
    consent = Consent(
        case=task.case, task=task, unit=task.unit, purpose=purpose, how=how, given_at=clock.now(), recorded_by=actor,
        shares_identity=identity, shares_contact=contact, shares_whereabouts=whereabouts, shares_narrative=narrative,
    )
    consent.grant = _hand_over(task, actor)
    consent.full_clean(exclude=["grant"])
    consent.save()
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="consent", target_id=consent.pk)
    return consent


def override_ground(case: Case) -> OverrideGround | None:
    """Why an override is allowed on the case, if it is: a child victim, or the critical level."""
    from qorgau.risk.models import CaseRisk, Level

    if case.relationship == Relationship.PARENT or case.markers.filter(code="minor").exists():
        return OverrideGround.CHILD
    if CaseRisk.objects.filter(case=case, level=Level.CRITICAL).exists():
        return OverrideGround.CRITICAL
    return None


@transaction.atomic
def referral_override(*, actor: User, task_id: int, version: int, reason: str) -> ReferralOverride:
    """Open the referral without her consent: only for a child or at the critical level, with a
    reason of at least 10 characters; audited as its own target (``referral_override``)."""
    task = referral_get_for(actor, task_id)
    reason = (reason or "").strip()
    if len(reason) < REASON_MIN:
        raise Invalid(fields={"reason": [_(
            "Without her consent a referral opens only by an override with a written reason of at least %(n)d characters."
        ) % {"n": REASON_MIN}]})
    if len(reason) > REASON_LIMIT:
        raise Invalid(fields={"reason": [_("At most %(n)d characters.") % {"n": REASON_LIMIT}]})
    ground = override_ground(task.case)
    if ground is None:
        raise Invalid(fields={"reason": [_(
            "An override is allowed only when the victim is a child or the case's risk level is critical. Record her consent instead."
        )]})
    _check_open(task, version)
    task = _open(task, actor, version)
    unit = task.unit
    assert unit is not None
    grant = _hand_over(task, actor, reason=reason)
    override = ReferralOverride.objects.create(
        case=task.case, task=task, unit=unit, ground=ground, reason=reason, by=actor, at=clock.now(), grant=grant
    )
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="referral_override", target_id=override.pk, outcome=ground.value)
    return override


@transaction.atomic
def consent_withdraw(*, actor: User, consent_id: int, reason: str) -> Consent:
    """She withdraws her consent: its grant ends now, and a referral still in progress waits for her
    consent again (out of the queue, not escalated). Recorded by a unit working on the case or by
    the receiving unit; a second withdrawal is refused."""
    consent = Consent.objects.select_related("task", "case").filter(pk=consent_id).first()
    if consent is None:
        raise NotFound()
    _case, viewer = case_get_for(actor, consent.case_id)
    if viewer.scope not in (Scope.FULL, Scope.WORKER) and actor.unit_id != consent.unit_id:
        raise NotFound()
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(fields={"reason": [_("Write a few words: this field is required.")]})
    if len(reason) > REASON_LIMIT:
        raise Invalid(fields={"reason": [_("At most %(n)d characters.") % {"n": REASON_LIMIT}]})
    at = clock.now()
    if not Consent.objects.filter(pk=consent.pk, withdrawn_at__isnull=True).update(withdrawn_at=at, withdrawn_by=actor):
        raise Invalid(fields={"reason": [_("This consent has already been withdrawn.")]})
    consent.refresh_from_db()
    consent.withdraw_reason = reason
    consent.save(update_fields=["withdraw_reason"])
    if consent.grant_id:
        Grant.objects.filter(pk=consent.grant_id).filter(Q(until__isnull=True) | Q(until__gt=at)).update(until=at)
    task = consent.task
    if task.status in LIVE_STATUSES:
        Task.objects.filter(pk=task.pk, status=task.status).update(
            status=TaskStatus.AWAITING_CONSENT, version=task.version + 1, updated_at=at, updated_by=actor
        )
    event_add(consent.case, EventKind.TASK_CHANGED, actor, from_state=task.status[:12], to_state="withdrawn", reason=reason)
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="consent", target_id=consent.pk, outcome="withdrawn")
    return consent
