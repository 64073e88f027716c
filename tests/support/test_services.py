"""The referral's life: consent, the consent grant, each transition, bad ones, dates, stale versions."""

from __future__ import annotations

import datetime as dt

import pytest

from qorgau.accounts.masks import Scope, Sensitivity
from qorgau.accounts.models import Notification
from qorgau.cases.access import case_get_for
from qorgau.cases.models import CaseEvent, EventKind, Grant, GrantReason
from qorgau.core.errors import Conflict, Forbidden, Invalid, NotFound
from qorgau.support.models import SupportReferral, SupportStatus
from qorgau.support.selectors import support_consented
from qorgau.support.services import programme_save, referral_create, referral_move, today_for
from tests.support.builders import make_programme, provider_unit, refer

pytestmark = pytest.mark.django_db


def _move(actor, referral, to, **kw):
    return referral_move(actor=actor, referral_id=referral.pk, version=referral.version, to=to, **kw)


def test_referral_needs_her_consent_and_at_least_her_identity(case, inspector, programme):
    with pytest.raises(Invalid) as exc:
        refer(inspector, case, programme, consent_how="")
    assert "Without her consent there is no referral" in exc.value.fields["consent_how"][0]
    with pytest.raises(Invalid) as exc:
        refer(inspector, case, programme, identity=False)
    assert "at least cover her identity" in exc.value.fields["identity"][0]
    assert not SupportReferral.objects.exists()
    assert not Grant.objects.filter(unit=programme.unit).exists()


def test_referral_gives_the_provider_a_consent_grant_and_a_notification(case, inspector, programme, provider):
    r = refer(inspector, case, programme, contact=True, note="Call after 18:00")
    assert r.status == SupportStatus.REQUESTED and r.requested_on == today_for(inspector.unit)
    grant = Grant.objects.get(pk=r.grant_id)
    assert (grant.unit_id, grant.scope, grant.reason, grant.until) == (programme.unit_id, Scope.CONSENT, GrantReason.REFERRAL, None)
    _case, viewer = case_get_for(provider, case.pk)
    assert viewer.scope == Scope.CONSENT
    assert support_consented(provider.unit_id, case.pk) == {Sensitivity.IDENTITY, Sensitivity.CONTACT}
    note = Notification.objects.get(recipient=provider, target_type="support_referral")
    assert (note.target_type, note.target_id) == ("support_referral", str(r.pk))
    assert CaseEvent.objects.filter(case=case, kind=EventKind.SUPPORT, to_state="requested").exists()
    assert SupportReferral.objects.get(pk=r.pk).note == "Call after 18:00"


def test_identity_only_consent_shares_no_contact(case, inspector, programme, provider):
    refer(inspector, case, programme)
    assert support_consented(provider.unit_id, case.pk) == {Sensitivity.IDENTITY}


def test_only_a_unit_working_on_the_case_refers(case, inspector, programme, provider, make_user):
    refer(inspector, case, programme)
    other = make_programme(programme.unit, "Housing", kind="social_housing")
    _case, viewer = case_get_for(provider, case.pk)  # the provider sees it under consent only
    with pytest.raises(Forbidden):
        referral_create(actor=provider, case=case, viewer=viewer, programme=other, consent_how="phone")


def test_the_full_path_to_completed_ends_the_grant(case, inspector, programme, provider):
    today = today_for(provider.unit)
    r = refer(inspector, case, programme, requested_on=today - dt.timedelta(days=10))
    r = _move(provider, r, "accepted", on=today - dt.timedelta(days=8))
    r = _move(provider, r, "started", on=today - dt.timedelta(days=5))
    assert Grant.objects.get(pk=r.grant_id).until is None
    r = _move(provider, r, "completed", on=today, outcome="employed")
    r.refresh_from_db()
    assert (r.status, r.accepted_on, r.started_on, r.completed_on, r.outcome) == (
        "completed", today - dt.timedelta(days=8), today - dt.timedelta(days=5), today, "employed")
    assert Grant.objects.get(pk=r.grant_id).until is not None
    with pytest.raises(NotFound):
        case_get_for(provider, case.pk)
    assert support_consented(provider.unit_id, case.pk) == frozenset()
    states = list(CaseEvent.objects.filter(case=case, kind=EventKind.SUPPORT).order_by("id").values_list("to_state", flat=True))
    assert states == ["requested", "accepted", "started", "completed"]


def test_completion_needs_an_outcome_that_fits_the_kind(case, inspector, programme, provider):
    r = _move(provider, _move(provider, refer(inspector, case, programme), "accepted"), "started")
    with pytest.raises(Invalid) as exc:
        _move(provider, r, "completed", outcome="housed")
    assert "Employed" in exc.value.fields["outcome"][0]
    with pytest.raises(Invalid):
        _move(provider, r, "completed")
    assert _move(provider, r, "completed", outcome="other").outcome == "other"


def test_bad_transitions_are_refused(case, inspector, programme, provider):
    r = refer(inspector, case, programme)
    with pytest.raises(Invalid) as exc:
        _move(provider, r, "started")
    assert "cannot become Started" in exc.value.fields["status"][0]
    with pytest.raises(Invalid):
        _move(provider, r, "completed", outcome="employed")
    with pytest.raises(Invalid):
        _move(provider, r, "requested")
    r = _move(provider, r, "declined")
    assert r.declined_by == "provider" and r.ended_on == today_for(provider.unit)
    with pytest.raises(Invalid):
        _move(provider, r, "accepted")
    assert Grant.objects.get(pk=r.grant_id).until is not None


def test_the_provider_cannot_withdraw_and_the_referrer_cannot_accept(case, inspector, programme, provider):
    r = refer(inspector, case, programme)
    with pytest.raises(Forbidden):
        _move(provider, r, "withdrawn")
    with pytest.raises(Forbidden):
        _move(inspector, r, "accepted", as_referrer=True)
    with pytest.raises(NotFound):  # neither the provider nor (per the caller's gate) the referrer
        _move(inspector, r, "withdrawn")


def test_her_consent_withdrawn_ends_the_referral_and_the_grant(case, inspector, programme, provider):
    r = _move(provider, refer(inspector, case, programme), "accepted")
    r = _move(inspector, r, "withdrawn", as_referrer=True)
    assert r.status == "withdrawn" and r.ended_on is not None
    assert Grant.objects.get(pk=r.grant_id).until is not None
    assert Notification.objects.filter(recipient=provider, target_type="support_referral").count() == 2


def test_she_refused_recorded_by_the_referrer(case, inspector, programme, provider):
    r = _move(inspector, refer(inspector, case, programme), "declined", as_referrer=True)
    assert r.declined_by == "victim"


def test_dates_not_in_the_future_nor_before_the_previous_step(case, inspector, programme, provider):
    today = today_for(provider.unit)
    with pytest.raises(Invalid) as exc:
        refer(inspector, case, programme, requested_on=today + dt.timedelta(days=1))
    assert "future" in exc.value.fields["requested_on"][0]
    r = refer(inspector, case, programme, requested_on=today - dt.timedelta(days=3))
    with pytest.raises(Invalid) as exc:
        _move(provider, r, "accepted", on=today - dt.timedelta(days=4))
    assert "before the previous step" in exc.value.fields["on"][0]
    with pytest.raises(Invalid):
        _move(provider, r, "accepted", on=today + dt.timedelta(days=1))
    r = _move(provider, r, "accepted", on=today - dt.timedelta(days=1))
    with pytest.raises(Invalid):
        _move(provider, r, "started", on=today - dt.timedelta(days=2))


def test_a_stale_version_is_a_conflict(case, inspector, programme, provider):
    r = refer(inspector, case, programme)
    referral_move(actor=provider, referral_id=r.pk, version=1, to="accepted")
    with pytest.raises(Conflict):
        referral_move(actor=provider, referral_id=r.pk, version=1, to="declined")
    assert SupportReferral.objects.get(pk=r.pk).status == "accepted"


def test_one_live_referral_per_programme(case, inspector, programme):
    refer(inspector, case, programme)
    with pytest.raises(Invalid) as exc:
        refer(inspector, case, programme)
    assert "already has a referral" in exc.value.fields["programme"][0]


def test_an_inactive_programme_takes_no_referral(case, inspector, programme):
    programme_save(actor=None, unit=programme.unit, kind=programme.kind, name_kk=programme.name_kk, name_ru=programme.name_ru,
                   name_en=programme.name_en, programme=programme, version=programme.version, active=False)
    programme.refresh_from_db()
    with pytest.raises(Invalid):
        refer(inspector, case, programme)


def test_programme_rules(reference, make_user):
    police = provider_unit("Not a provider", kind="police")
    with pytest.raises(Invalid) as exc:
        make_programme(police, "Nope")
    assert "unit" in exc.value.fields
    office = provider_unit("Office")
    p = make_programme(office, "Legal clinic", kind="legal_aid")
    with pytest.raises(Invalid):
        make_programme(office, "Legal clinic", kind="legal_aid")
    with pytest.raises(Invalid):
        make_programme(office, "Silent", lang_kk=False, lang_ru=False)
    with pytest.raises(Conflict):
        programme_save(actor=None, unit=office, kind="legal_aid", name_kk="a", name_ru="b", name_en="c", programme=p, version=7)
    boss = make_user("police_supervisor", unit=office)
    edited = programme_save(actor=boss, unit=office, kind="legal_aid", name_kk="a", name_ru="b", name_en="c", programme=p, version=1)
    assert edited.version == 2 and edited.name_en == "c"
    stranger = make_user("police_supervisor")
    with pytest.raises(Forbidden):
        programme_save(actor=stranger, unit=office, kind="legal_aid", name_kk="a", name_ru="b", name_en="c", programme=p, version=2)
