"""Query counts of the privacy pages (issue 10): imported by tests/core/test_query_counts.py, so that
its completeness test sees these routes as measured; the module itself is not collected twice."""

from __future__ import annotations

import datetime as dt

from django.test import Client

from qorgau.accounts.roles import Role
from qorgau.core import clock
from qorgau.privacy.models import PrivacyCorrection, PrivacyExport, PrivacyRequest
from tests.conftest import sign_in
from tests.core.query_pages import assert_flat, covers


@covers("privacy/", "privacy/<int:request_id>/")
def test_privacy_pages(make_user):
    """The request list with 2 and 12 requests; one request with 2 and 12 corrections (its latest
    exports are capped at five)."""
    officer = make_user(Role.PRIVACY_OFFICER, username="qc_privacy_officer")
    client = sign_in(Client(), officer)

    def request(kind: str = "export") -> PrivacyRequest:
        return PrivacyRequest.objects.create(reference=f"Q-{PrivacyRequest.objects.count() + 1}", received_on=dt.date(2026, 1, 5),
                                             legal_basis="subject_access", identity_checked=True, kind=kind, language="ru",
                                             created_by=officer, created_at=clock.now())

    assert_flat(client, "/privacy/", lambda n: [request() for _ in range(n)])

    from qorgau.people.models import Person

    one = request("correction")
    person = Person.objects.create(full_name="Тест Тестова", created_at=clock.now(), created_by_unit=officer.unit)
    Person.objects.filter(pk=person.pk).update(cluster_id=person.pk)
    PrivacyRequest.objects.filter(pk=one.pk).update(subject=person)

    def corrections(n: int) -> None:
        for i in range(n):
            PrivacyCorrection.objects.create(request=one, person=person, fields=["address"], reason=f"паспорт {i}", by=officer, at=clock.now())
            PrivacyExport.objects.create(request=one, prepared_by=officer, prepared_at=clock.now(), expires_at=clock.now())

    assert_flat(client, f"/privacy/{one.pk}/", corrections)
