"""Her consent to a referral: blocked without it, opened with it (scope ``consent``, only what it
covers), the override only for a child or the critical level with a reason, withdrawal ends access."""

from __future__ import annotations

import pytest
from django.utils import translation

from qorgau.accounts.masks import Scope, Sensitivity
from qorgau.accounts.models import Notification, NotificationKind
from qorgau.cases.access import case_get_for, grants_in_force
from qorgau.cases.models import CaseEvent, EventKind, Grant, GrantReason, Marker, Relationship
from qorgau.core.errors import Conflict, Invalid, NotFound
from qorgau.core.models import AuditEvent
from qorgau.protocols import services
from qorgau.protocols.consent import consent_withdraw, consented_for, referral_consent_record, referral_override
from qorgau.protocols.models import Consent, OverrideGround, ReferralOverride, Task, TaskStatus
from tests.protocols.consent_support import first_contact, set_level

pytestmark = pytest.mark.django_db


@pytest.fixture
def referral(fsc_unit, fsc_worker, case):
    task = first_contact(case)
    assert task.status == TaskStatus.AWAITING_CONSENT and task.unit == fsc_unit
    return task


def _record(actor, task, **shares):
    return referral_consent_record(actor=actor, task_id=task.pk, version=task.version, purpose="First contact by a social worker",
                                   how="in_person", **shares)


def test_blocked_without_consent(referral, inspector, fsc_worker):
    with pytest.raises(NotFound):
        case_get_for(fsc_worker, referral.case_id)
    with translation.override("en"), pytest.raises(Invalid) as exc:
        services.task_accept(actor=fsc_worker, task_id=referral.pk, version=referral.version)
    assert "waits for her consent" in str(exc.value.fields["status"][0])
    with translation.override("en"), pytest.raises(Invalid) as exc:
        referral_override(actor=inspector, task_id=referral.pk, version=referral.version, reason="")
    assert "at least 10 characters" in str(exc.value.fields["reason"][0])


def test_consent_opens_the_referral_with_consent_scope(referral, inspector, fsc_unit, fsc_worker):
    consent = _record(inspector, referral, identity=True, contact=True)
    task = Task.objects.get(pk=referral.pk)
    assert task.status == TaskStatus.OPEN and task.version == referral.version + 1
    grant = Grant.objects.get(case=referral.case, unit=fsc_unit)
    assert (grant.reason, grant.scope, consent.grant_id) == (GrantReason.REFERRAL, Scope.CONSENT, grant.pk)
    assert consented_for(fsc_unit.pk, referral.case_id) == {Sensitivity.IDENTITY, Sensitivity.CONTACT}
    _case, viewer = case_get_for(fsc_worker, referral.case_id)
    assert viewer.scope is Scope.CONSENT
    assert Notification.objects.filter(recipient=fsc_worker, kind=NotificationKind.TASK_ASSIGNED, target_id=str(task.pk)).exists()
    assert CaseEvent.objects.filter(case=referral.case, kind=EventKind.TASK_CHANGED, to_state="open").count() == 1
    assert AuditEvent.objects.filter(target_type="consent", target_id=str(consent.pk)).exists()
    consent.refresh_from_db()
    assert consent.purpose == "First contact by a social worker" and consent.how == "in_person"
    # Now the FSC works it like any task.
    assert services.task_accept(actor=fsc_worker, task_id=task.pk, version=task.version).status == TaskStatus.ACCEPTED


def test_consent_needs_a_purpose_and_how_and_a_fresh_version(referral, inspector):
    with pytest.raises(Invalid) as exc:
        referral_consent_record(actor=inspector, task_id=referral.pk, version=referral.version, purpose=" ", how="telepathy")
    assert set(exc.value.fields) == {"purpose", "how"}
    with pytest.raises(Conflict):
        referral_consent_record(actor=inspector, task_id=referral.pk, version=referral.version + 5, purpose="x", how="phone")
    _record(inspector, referral)
    with pytest.raises(Invalid):  # already open: not waiting any more
        _record(inspector, Task.objects.get(pk=referral.pk))


def test_only_a_unit_working_on_the_case_records_consent(referral, fsc_worker, make_user, reference):
    with pytest.raises(NotFound):  # the receiving unit cannot consent for her
        _record(fsc_worker, referral)
    from tests.protocols.support import agency_unit

    stranger = make_user("police_inspector", unit=agency_unit("police", "KZ-23", None, "Atyrau police"))
    with pytest.raises(NotFound):
        _record(stranger, referral)
    assert Consent.objects.count() == 0


def test_consent_scope_viewer_sees_only_what_she_agreed_to(referral, inspector, fsc_unit):
    _record(inspector, referral, whereabouts=True)
    shares = consented_for(fsc_unit.pk, referral.case_id)
    assert shares == {Sensitivity.WHEREABOUTS}
    from qorgau.accounts.masks import FieldRule, Subject, Viewer, can_see
    from qorgau.accounts.roles import Role

    viewer = Viewer(role=Role.SOCIAL_WORKER, scope=Scope.CONSENT, consented=shares)
    assert can_see(viewer, FieldRule(Sensitivity.WHEREABOUTS, Subject.VICTIM))
    assert not can_see(viewer, FieldRule(Sensitivity.NARRATIVE, Subject.VICTIM))
    assert not can_see(viewer, FieldRule(Sensitivity.IDENTITY, Subject.VICTIM))


def test_override_refused_for_an_adult_below_critical(referral, inspector):
    set_level(referral.case, "high", inspector)
    with translation.override("en"), pytest.raises(Invalid) as exc:
        referral_override(actor=inspector, task_id=referral.pk, version=referral.version, reason="She cannot be reached, urgent.")
    assert "only when the victim is a child" in str(exc.value.fields["reason"][0])
    assert Task.objects.get(pk=referral.pk).status == TaskStatus.AWAITING_CONSENT


def test_override_at_the_critical_level(referral, inspector, fsc_unit):
    set_level(referral.case, "critical", inspector)
    with pytest.raises(Invalid):
        referral_override(actor=inspector, task_id=referral.pk, version=referral.version, reason="too short")
    override = referral_override(actor=inspector, task_id=referral.pk, version=referral.version, reason="Threats to kill; she is in hiding.")
    assert override.ground == OverrideGround.CRITICAL
    assert Task.objects.get(pk=referral.pk).status == TaskStatus.OPEN
    assert Grant.objects.get(case=referral.case, unit=fsc_unit).scope == Scope.CONSENT
    assert consented_for(fsc_unit.pk, referral.case_id) == {Sensitivity.IDENTITY, Sensitivity.CONTACT}
    assert AuditEvent.objects.filter(target_type="referral_override", target_id=str(override.pk), outcome="critical").exists()
    event = CaseEvent.objects.get(case=referral.case, kind=EventKind.TASK_CHANGED)
    assert event.reason == "Threats to kill; she is in hiding."


@pytest.mark.parametrize("how", ["parent", "minor"])
def test_override_for_a_child(referral, inspector, how):
    case = referral.case
    if how == "parent":
        case.relationship = Relationship.PARENT
        case.save(update_fields=["relationship"])
    else:
        case.markers.add(Marker.objects.get(code="minor"))
    override = referral_override(actor=inspector, task_id=referral.pk, version=referral.version, reason="The child needs a psychologist now.")
    assert override.ground == OverrideGround.CHILD and ReferralOverride.objects.count() == 1


def test_withdrawal_ends_the_grant(referral, inspector, fsc_unit, fsc_worker):
    consent = _record(inspector, referral, identity=True)
    case_get_for(fsc_worker, referral.case_id)
    with pytest.raises(Invalid):
        consent_withdraw(actor=inspector, consent_id=consent.pk, reason="  ")
    consent_withdraw(actor=fsc_worker, consent_id=consent.pk, reason="She no longer wants the service.")
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None and consent.withdrawn_by == fsc_worker
    assert not grants_in_force().filter(case=referral.case, unit=fsc_unit).exists()
    assert consented_for(fsc_unit.pk, referral.case_id) == frozenset()
    with pytest.raises(NotFound):
        case_get_for(fsc_worker, referral.case_id)
    assert Task.objects.get(pk=referral.pk).status == TaskStatus.AWAITING_CONSENT
    assert AuditEvent.objects.filter(target_type="consent", target_id=str(consent.pk), outcome="withdrawn").exists()
    with pytest.raises(Invalid):
        consent_withdraw(actor=inspector, consent_id=consent.pk, reason="again")
    # She may consent again later: a new consent, a new grant.
    again = _record(inspector, Task.objects.get(pk=referral.pk), contact=True)
    assert again.pk != consent.pk and consented_for(fsc_unit.pk, referral.case_id) == {Sensitivity.CONTACT}


def test_decline_of_a_referral_ends_the_referral_grant(referral, inspector, fsc_unit, fsc_worker):
    _record(inspector, referral)
    task = Task.objects.get(pk=referral.pk)
    services.task_decline(actor=fsc_worker, task_id=task.pk, version=task.version, reason="No places this month.")
    assert not grants_in_force().filter(case=referral.case, unit=fsc_unit).exists()
