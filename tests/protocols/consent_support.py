"""Builders for the consent tests: the referral the FSC gets at registration, a critical level."""

from __future__ import annotations

from datetime import timedelta

from qorgau.accounts.models import User
from qorgau.cases.models import Case
from qorgau.core import clock
from qorgau.protocols.models import Task
from qorgau.risk.instruments import instruments_load
from qorgau.risk.models import Assessment, CaseRisk, InstrumentVersion


def first_contact(case: Case) -> Task:
    return Task.objects.get(case=case, duty__code="fsc_first_contact")


def set_level(case: Case, level: str, by: User) -> None:
    """The case's current level without a full assessment (the risk app's own tests cover those)."""
    instruments_load()
    at = clock.now()
    assessment = Assessment.objects.create(
        case=case, version=InstrumentVersion.objects.filter(instrument__code="dash").first(), unit=by.unit, assessed_by=by,
        created_at=at, updated_at=at,
    )
    CaseRisk.objects.update_or_create(case=case, defaults={"level": level, "assessment": assessment, "assessed_at": at,
                                                           "due_at": at + timedelta(days=7)})
