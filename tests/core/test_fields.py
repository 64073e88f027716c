"""EncryptedTextField: what the database holds, and what it refuses to do."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from qorgau.accounts.models import User
from qorgau.core import crypto
from qorgau.core.crypto import DecryptionError
from qorgau.core.fields import encrypted_fields
from qorgau.core.iin import make

IIN = make(dt.date(1985, 4, 12), "F", 17)
assert IIN is not None


def _stored(user_id: int) -> tuple[str, str | None]:
    qn = connection.ops.quote_name
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT {qn('full_name')}, {qn('iin')} FROM {qn(User._meta.db_table)} WHERE {qn('id')} = %s", [user_id]
        )
        return cur.fetchone()


def test_every_personal_field_is_encrypted():
    """The inventory of encrypted columns: names, IINs, addresses, phones, narratives, free-text
    reasons and file names. A new personal field must be added here on purpose."""
    found = {(model._meta.label, field.name, field.crypto_context) for model, field in encrypted_fields()}
    assert found == {
        ("accounts.User", "full_name", "accounts.user.full_name"),
        ("accounts.User", "iin", "accounts.user.iin"),
        ("accounts.User", "email", "accounts.user.email"),
        ("accounts.User", "phone", "accounts.user.phone"),
        ("cases.Attachment", "filename", "cases.attachment.filename"),
        ("cases.Case", "state_reason", "cases.case.state_reason"),
        ("cases.CaseEvent", "reason", "cases.caseevent.reason"),
        ("cases.Grant", "justification", "cases.grant.justification"),
        ("cases.Report", "narrative", "cases.report.narrative"),
        ("orders.Breach", "evidence", "orders.breach.evidence"),
        ("orders.Breach", "what", "orders.breach.what"),
        ("orders.CourtDecision", "sentence", "orders.courtdecision.sentence"),
        ("orders.CourtHearing", "outcome", "orders.courthearing.outcome"),
        ("orders.Order", "revoke_reason", "orders.order.revoke_reason"),
        ("orders.OrderExtension", "reason", "orders.orderextension.reason"),
        ("protocols.Consent", "purpose", "protocols.consent.purpose"),
        ("protocols.Consent", "withdraw_reason", "protocols.consent.withdraw_reason"),
        ("protocols.ReferralOverride", "reason", "protocols.referraloverride.reason"),
        ("protocols.Task", "decline_reason", "protocols.task.decline_reason"),
        ("protocols.Task", "outcome", "protocols.task.outcome"),
        ("protocols.Task", "title", "protocols.task.title"),
        ("protocols.Task", "instructions", "protocols.task.instructions"),
        ("protocols.Conference", "minutes", "protocols.conference.minutes"),
        ("protocols.Conference", "close_reason", "protocols.conference.close_reason"),
        ("protocols.ConferenceDecision", "text", "protocols.conferencedecision.text"),
        ("protocols.ConferenceDecision", "details", "protocols.conferencedecision.details"),
        ("shelters.Centre", "address", "shelters.centre.address"),
        ("intake.AnonymousRecord", "alias", "intake.anonymousrecord.alias"),
        ("intake.AnonymousRecord", "full_name", "intake.anonymousrecord.full_name"),
        ("intake.AnonymousRecord", "iin", "intake.anonymousrecord.iin"),
        ("intake.AnonymousRecord", "phone", "intake.anonymousrecord.phone"),
        ("intake.AnonymousRecord", "narrative", "intake.anonymousrecord.narrative"),
        ("intake.RecordShare", "purpose", "intake.recordshare.purpose"),
        # Her whereabouts (DESIGN §5): the zones around her places and her device's positions; the
        # operator's free-text notes on an alert.
        ("monitoring.Zone", "geometry", "monitoring.zone.geometry"),
        ("monitoring.Zone", "label", "monitoring.zone.label"),
        ("monitoring.Ping", "position", "monitoring.ping.position"),
        ("monitoring.Alert", "dispatch_note", "monitoring.alert.dispatch_note"),
        ("privacy.PrivacyRequest", "reference", "privacy.privacyrequest.reference"),
        ("privacy.PrivacyRequest", "notes", "privacy.privacyrequest.notes"),
        ("privacy.PrivacyCorrection", "reason", "privacy.privacycorrection.reason"),
        ("watch.AccessAlert", "review_note", "watch.accessalert.review_note"),
        ("watch.AccessReview", "note", "watch.accessreview.note"),
        ("monitoring.Alert", "resolution_note", "monitoring.alert.resolution_note"),
        ("programmes.Enrolment", "reason", "programmes.enrolment.reason"),
        ("programmes.Session", "note", "programmes.session.note"),
        ("support.SupportReferral", "note", "support.supportreferral.note"),
        ("risk.Assessment", "level_reason", "risk.assessment.level_reason"),
        ("risk.LevelChange", "reason", "risk.levelchange.reason"),
        ("risk.MeasureRecord", "note", "risk.measurerecord.note"),
        ("risk.SafetyPlan", "steps", "risk.safetyplan.steps"),
        ("risk.SafetyPlan", "contacts", "risk.safetyplan.contacts"),
        ("risk.SafetyPlan", "safe_places", "risk.safetyplan.safe_places"),
        ("risk.SafetyPlan", "children", "risk.safetyplan.children"),
        ("risk.SafetyPlan", "documents_other", "risk.safetyplan.documents_other"),
        ("training.Completion", "revoke_reason", "training.completion.revoke_reason"),
        ("people.Person", "address", "people.person.address"),
        ("people.Person", "full_name", "people.person.full_name"),
        ("people.Person", "iin", "people.person.iin"),
        ("people.Person", "phone", "people.person.phone"),
        ("people.Person", "workplace", "people.person.workplace"),
        ("people.PersonLink", "undo_reason", "people.personlink.undo_reason"),
        ("people.SafeContact", "code_word", "people.safecontact.code_word"),
        ("people.SafeContact", "phone", "people.safecontact.phone"),
    }


@pytest.mark.django_db
def test_database_holds_tokens_and_model_reads_plaintext(make_user):
    user = make_user(full_name="Әлия Серікқызы", iin=IIN)
    name_token, iin_token = _stored(user.pk)
    assert name_token.startswith("v1:t2:") and iin_token.startswith("v1:t2:")
    assert "Әлия" not in name_token and IIN not in iin_token
    assert crypto.decrypt(name_token, context="accounts.user.full_name") == "Әлия Серікқызы"
    assert crypto.decrypt(iin_token, context="accounts.user.iin") == IIN
    fresh = User.objects.get(pk=user.pk)
    assert (fresh.full_name, fresh.iin) == ("Әлия Серікқызы", IIN)


@pytest.mark.django_db
def test_null_stays_null_and_isnull_works(make_user):
    user = make_user(full_name="Ержан")
    assert _stored(user.pk)[1] is None
    assert User.objects.get(pk=user.pk).iin is None
    assert list(User.objects.filter(iin__isnull=True).values_list("pk", flat=True)) == [user.pk]
    assert User.objects.filter(iin__isnull=False).count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("lookup", ["exact", "icontains", "startswith", "in"])
def test_searching_an_encrypted_column_is_refused(lookup):
    value = ["x"] if lookup == "in" else "x"
    with pytest.raises(TypeError, match=f"cannot be searched with '{lookup}'"):
        User.objects.filter(**{f"full_name__{lookup}": value})


@pytest.mark.django_db
def test_a_token_copied_into_another_column_does_not_decrypt(make_user):
    user = make_user(full_name="Гүлнар", iin=IIN)
    qn = connection.ops.quote_name
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {qn(User._meta.db_table)} SET {qn('iin')} = {qn('full_name')} WHERE {qn('id')} = %s", [user.pk]
        )
    with pytest.raises(DecryptionError, match="authentication failed"):
        User.objects.get(pk=user.pk)
