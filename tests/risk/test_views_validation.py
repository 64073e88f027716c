"""The validation report's pages: administrators only, in three languages, field errors for bad input
(never a 500), and the proposed weights turned into a DRAFT version."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from qorgau.accounts.roles import Role
from qorgau.core import clock
from qorgau.risk.models import InstrumentVersion, VersionStatus
from tests.conftest import sign_in
from tests.risk.test_validation import BASE, LATER, Pair, _ordered, build, dash

pytestmark = pytest.mark.django_db

URL = "/risk/validation/"
DRAFT_URL = "/risk/validation/draft/"
PERIOD = {"date_from": "2024-06-01", "date_to": "2026-02-01"}


@pytest.fixture
def version(instruments, make_user) -> InstrumentVersion:
    """DASH with twenty assessments whose outcomes the score orders perfectly."""
    v = dash(None)
    codes = list(v.items.order_by("position").values_list("code", flat=True))
    build(make_user(Role.POLICE_INSPECTOR), v, _ordered(codes, reverse=False))
    return v


@pytest.fixture
def light(instruments, make_user) -> InstrumentVersion:
    """DASH with one signed assessment: enough to be offered, too little to measure."""
    v = dash(None)
    build(make_user(Role.POLICE_INSPECTOR), v, [Pair(yes=[])])
    return v


@pytest.fixture
def admin_client(make_user):
    def make(language: str = "en") -> Client:
        return sign_in(Client(), make_user(Role.ADMINISTRATOR, language=language))

    return make


def test_administrator_sees_the_report_in_every_language(version, admin_client):
    with clock.frozen(LATER):
        for language in ("ru", "kk", "en"):
            response = admin_client(language).get(URL)  # the default period: the two years before today
            assert response.status_code == 200
            html = response.content.decode()
            assert f'<html lang="{language}">' in html
            for testid in ("validation-form", "window-90", "window-180", "auc-score-180", "calibration-computed-180",
                           "overrides", "proposal-notice", "draft-form", "cv-auc-proposed"):
                assert f'data-testid="{testid}"' in html, (language, testid)
            assert f'<option value="{version.pk}" selected>' in html
            # AUC 1.00 (1,00 in Kazakh and Russian number format)
            assert 'data-testid="auc-score-180">1.00<' in html or 'data-testid="auc-score-180">1,00<' in html
            assert 'name="weight_threats_to_kill"' in html


def test_the_english_page_explains_auc_and_that_proposals_change_nothing(version, admin_client):
    with clock.frozen(LATER):
        html = admin_client("en").get(URL, {"version": version.pk, **PERIOD}).content.decode()
    assert "AUC is the chance" in html and "Calibration shows" in html
    assert "Proposed weights change nothing" in html
    assert "20 signed assessments from 01.06.2024 to 01.02.2026." in html


def test_too_few_outcomes_are_shown_not_failed(version, admin_client):
    """A hundred days on, the 90-day window is measured; the 180-day one has nothing followed up yet."""
    with clock.frozen(BASE + timedelta(days=100)):
        response = admin_client("en").get(URL, {"version": version.pk, **PERIOD})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="auc-score-90"' in html and 'data-testid="auc-score-180"' not in html
    assert 'data-testid="too-few-180"' in html and 'data-testid="proposal-too-few"' in html
    assert "Not yet followed up: 20 assessments signed less than 180 days ago." in html
    assert 'data-testid="draft-form"' not in html


@pytest.mark.parametrize(("query", "field", "message"), [
    ({"date_from": "2025-13-45", "date_to": "2026-01-01"}, "date_from", "Enter a date as YYYY-MM-DD"),
    ({"date_from": "yesterday", "date_to": "soon"}, "date_to", "Enter a date as YYYY-MM-DD"),
    ({"date_from": "2026-01-01", "date_to": "2025-01-01"}, "date_to", "The end of the period must not be before its start."),
    ({"version": "999999", **PERIOD}, "version", "Choose one of the offered values."),
    ({"version": "dash", **PERIOD}, "version", "Choose one of the offered values."),
    ({"date_from": "", "date_to": "2025-01-01"}, "date_from", "This field is required."),
])
def test_bad_input_gives_field_errors(light, admin_client, query, field, message):
    with clock.frozen(LATER):
        response = admin_client("en").get(URL, {"version": light.pk, **query})
    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-field="{field}"' in html and message in html
    assert 'data-testid="window-90"' not in html


def test_bad_input_is_explained_in_the_users_language(light, admin_client):
    with clock.frozen(LATER):
        response = admin_client("ru").get(URL, {"version": light.pk, "date_from": "", "date_to": "2025-01-01"})
    assert response.status_code == 200
    with translation.override("ru"):
        assert gettext("This field is required.") in response.content.decode()


def test_without_any_signed_assessment_the_page_says_so(instruments, admin_client):
    with clock.frozen(LATER):
        response = admin_client("en").get(URL)
    assert response.status_code == 200
    assert 'data-testid="validation-no-versions"' in response.content.decode()


@pytest.mark.parametrize("role", [Role.POLICE_INSPECTOR, Role.POLICE_SUPERVISOR, Role.ANALYST, Role.OVERSIGHT])
def test_only_administrators_may_see_or_draft(light, signed_in, role):
    with clock.frozen(LATER):
        client = signed_in(role)
        assert client.get(URL).status_code == 403
        assert client.post(DRAFT_URL, {"version": light.pk, **PERIOD, **_weights(light)}).status_code == 403
    assert not InstrumentVersion.objects.filter(status=VersionStatus.DRAFT).exists()


def test_anonymous_visitors_are_sent_to_sign_in(light):
    assert Client().get(URL).status_code == 302
    assert Client().post(DRAFT_URL).status_code == 302


def _weights(version: InstrumentVersion, **changes: int) -> dict[str, object]:
    weights = {f"weight_{code}": w for code, w in version.items.values_list("code", "weight")}
    return weights | {f"weight_{code}": w for code, w in changes.items()}


def test_posting_the_weights_creates_a_draft_and_goes_to_it(version, admin_client):
    before = dict(version.items.values_list("code", "weight"))
    with clock.frozen(LATER):
        client = admin_client("en")
        response = client.post(DRAFT_URL, {"version": version.pk, **PERIOD, **_weights(version, threats_to_kill=4, pet_harmed=0)})
        draft = InstrumentVersion.objects.get(status=VersionStatus.DRAFT)
        assert response.status_code == 302 and response["Location"] == f"/risk/instruments/{draft.pk}/"
        page = client.get(response["Location"])
    assert page.status_code == 200 and "changes nothing until an administrator publishes it" in page.content.decode()
    assert draft.derived_from_id == version.pk and draft.number == version.number + 1
    weights = dict(draft.items.values_list("code", "weight"))
    assert (weights["threats_to_kill"], weights["pet_harmed"], weights["stalking"]) == (4, 0, 1)
    version.refresh_from_db()
    assert version.status == VersionStatus.PUBLISHED and dict(version.items.values_list("code", "weight")) == before


@pytest.mark.parametrize(("data", "message"), [
    ({"weight_threats_to_kill": 21}, "Enter a whole number from 0 to 20."),
    ({"weight_threats_to_kill": -1}, "Enter a whole number from 0 to 20."),
    ({"weight_threats_to_kill": "two"}, "Enter a whole number from 0 to 20."),
    ({"version": "999999"}, "Choose one of the offered values."),
    ({"date_from": "2026-01-01", "date_to": "2025-01-01"}, "The end of the period must not be before its start."),
])
def test_bad_weights_are_field_errors_and_create_nothing(light, admin_client, data, message):
    with clock.frozen(LATER):
        response = admin_client("en").post(DRAFT_URL, {"version": light.pk, **PERIOD, **_weights(light), **data})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not InstrumentVersion.objects.filter(status=VersionStatus.DRAFT).exists()


def test_an_empty_post_is_a_field_error_not_a_crash(instruments, admin_client):
    with clock.frozen(LATER):
        response = admin_client("en").post(DRAFT_URL, {})
    assert response.status_code == 422


def test_the_draft_page_only_takes_posts(light, admin_client):
    with clock.frozen(LATER):
        assert admin_client("en").get(DRAFT_URL).status_code == 405


def test_a_bad_weight_is_shown_on_its_row(version, admin_client):
    with clock.frozen(LATER):
        response = admin_client("en").post(DRAFT_URL, {"version": version.pk, **PERIOD, **_weights(version, stalking=99)})
    html = response.content.decode()
    assert response.status_code == 422
    row = html[html.index('<tr data-item="stalking">'):]
    row = row[: row.index("</tr>")]
    assert 'value="99"' in row and "Enter a whole number from 0 to 20." in row
    assert not InstrumentVersion.objects.filter(status=VersionStatus.DRAFT).exists()
