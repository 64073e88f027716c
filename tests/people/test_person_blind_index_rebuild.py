"""`rotate-keys` recomputes the person registry's blind indexes, so search survives a key change."""

from __future__ import annotations

import dataclasses

import pytest
from django.core.management import call_command

from qorgau.cases.reference import markers_load
from qorgau.cases.selectors import case_search
from qorgau.cases.services import report_register
from qorgau.people.models import Person
from qorgau.people.services import person_blind_indexes_rebuild
from tests.cases.factories import report_input

pytestmark = pytest.mark.django_db


def test_search_finds_people_after_the_old_blind_index_key_is_retired(settings, make_user):
    markers_load()
    inspector = make_user("police_inspector")
    case = report_register(actor=inspector, data=report_input()).cases[0]
    iin = case.victim.iin
    ring = settings.QORGAU_KEYRING
    settings.QORGAU_KEYRING = dataclasses.replace(ring, blind_keys={"tb9": b"\x07" * 32, **ring.blind_keys}, active_blind_key="tb9")
    call_command("rotate-keys")
    assert all(p.iin_bidx.startswith("tb9.") for p in Person.objects.exclude(iin_bidx=""))
    assert person_blind_indexes_rebuild() == 0  # a second run changes nothing

    # Retire the old key: only the new one is configured, and the person is still found.
    settings.QORGAU_KEYRING = dataclasses.replace(
        settings.QORGAU_KEYRING, blind_keys={"tb9": b"\x07" * 32}, active_blind_key="tb9"
    )
    hits = case_search(inspector, iin=iin)
    assert [h.case_id for h in hits] == [case.pk]
    hits = case_search(inspector, full_name="Сапарова Айгерим", birth_date=case.victim.birth_date)
    assert [h.case_id for h in hits] == [case.pk]
