"""Builders of the support tests: provider units, programmes, a referral made through the gate."""

from __future__ import annotations

from qorgau.accounts.models import Unit, User
from qorgau.cases.access import case_get_for
from qorgau.cases.models import Case
from qorgau.support.models import SupportProgramme, SupportReferral
from qorgau.support.services import programme_save, referral_create
from tests.protocols.support import agency_unit


def provider_unit(name: str, kind: str = "social_protection", region: str = "KZ-75") -> Unit:
    return agency_unit(kind, region, None, name)


def make_programme(unit: Unit, name: str, *, kind: str = "employment", **flags: bool) -> SupportProgramme:
    return programme_save(actor=None, unit=unit, kind=kind, name_kk=f"{name} (kk)", name_ru=f"{name} (ru)", name_en=name, **flags)


def refer(actor: User, case: Case, programme: SupportProgramme, **kw: object) -> SupportReferral:
    _case, viewer = case_get_for(actor, case.pk)
    kw.setdefault("consent_how", "in_person")
    return referral_create(actor=actor, case=case, viewer=viewer, programme=programme, **kw)  # type: ignore[arg-type]
