"""The referral page: her consent or an override with clear messages in each language, a stale form
is a 409, strangers get 404; the withdrawal page; the referrals partial on the case's tasks page."""

from __future__ import annotations

import pytest

from qorgau.protocols.models import Consent, Task, TaskStatus
from tests.conftest import sign_in
from tests.protocols.consent_support import first_contact, set_level
from tests.protocols.support import agency_unit

pytestmark = pytest.mark.django_db



@pytest.fixture
def referral(fsc_unit, fsc_worker, case):
    return first_contact(case)


def _consent_data(task, **kw):
    return {"action": "consent", "version": str(task.version), "purpose": "First contact", "how": "phone", "identity": "on", **kw}


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_referral_page_and_case_partial_render(referral, inspector, client, lang):
    inspector.language = lang
    inspector.save(update_fields=["language"])
    c = sign_in(client, inspector)
    page = c.get(f"/protocols/referrals/{referral.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="consent-form"' in html and 'data-testid="override-form"' not in html  # an adult, no level
    tasks_page = c.get(f"/protocols/case/{referral.case_id}/").content.decode()
    assert f'data-referral="{referral.pk}"' in tasks_page and 'data-testid="consent-link"' in tasks_page


def test_consent_through_the_page(referral, inspector, fsc_worker, client):
    c = sign_in(client, inspector)
    bad = c.post(f"/protocols/referrals/{referral.pk}/", {"action": "consent", "version": str(referral.version), "purpose": ""})
    assert bad.status_code == 422
    assert "Write what she agreed to" in bad.content.decode() or "purpose" in bad.content.decode()
    ok = c.post(f"/protocols/referrals/{referral.pk}/", _consent_data(referral))
    assert ok.status_code == 302
    assert Task.objects.get(pk=referral.pk).status == TaskStatus.OPEN
    consent = Consent.objects.get(task=referral)
    assert consent.shares_identity and not consent.shares_narrative and consent.how == "phone"
    stale = c.post(f"/protocols/referrals/{referral.pk}/", _consent_data(referral))
    assert stale.status_code == 422  # no longer waiting: a clear message, not a silent second consent
    withdraw = c.get(f"/protocols/consents/{consent.pk}/withdraw/")
    assert withdraw.status_code == 200 and 'data-testid="withdraw-form"' in withdraw.content.decode()
    assert c.post(f"/protocols/consents/{consent.pk}/withdraw/", {"reason": ""}).status_code == 422
    assert c.post(f"/protocols/consents/{consent.pk}/withdraw/", {"reason": "She changed her mind."}).status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None


def test_stale_form_is_a_conflict(referral, inspector, client):
    c = sign_in(client, inspector)
    Task.objects.filter(pk=referral.pk).update(version=referral.version + 1)  # someone else touched it
    assert c.post(f"/protocols/referrals/{referral.pk}/", _consent_data(referral)).status_code == 409


def test_override_needs_grounds_and_a_reason(referral, inspector, client):
    c = sign_in(client, inspector)
    refused = c.post(f"/protocols/referrals/{referral.pk}/", {"action": "override", "version": str(referral.version),
                                                              "reason": "She is in danger tonight."})
    assert refused.status_code == 422
    set_level(referral.case, "critical", inspector)
    page = c.get(f"/protocols/referrals/{referral.pk}/").content.decode()
    assert 'data-testid="override-form"' in page
    short = c.post(f"/protocols/referrals/{referral.pk}/", {"action": "override", "version": str(referral.version), "reason": "urgent"})
    assert short.status_code == 422
    ok = c.post(f"/protocols/referrals/{referral.pk}/", {"action": "override", "version": str(referral.version),
                                                         "reason": "She is in danger tonight."})
    assert ok.status_code == 302 and Task.objects.get(pk=referral.pk).status == TaskStatus.OPEN


def test_strangers_and_the_receiving_unit_get_404(referral, fsc_worker, make_user, client):
    assert sign_in(client, fsc_worker).get(f"/protocols/referrals/{referral.pk}/").status_code == 404
    stranger = make_user("police_inspector", unit=agency_unit("police", "KZ-23", None, "Atyrau police"))
    assert sign_in(client, stranger).get(f"/protocols/referrals/{referral.pk}/").status_code == 404
