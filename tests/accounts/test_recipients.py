"""Whom notices go to: active staff of the units, by capability, never aggregate-only roles."""

from __future__ import annotations

import pytest

from qorgau.accounts.recipients import unit_staff
from qorgau.accounts.roles import Capability, Role


@pytest.mark.django_db
def test_unit_staff_by_capability_and_unit(make_user, police_unit, other_unit):
    inspector = make_user(Role.POLICE_INSPECTOR)
    supervisor = make_user(Role.POLICE_SUPERVISOR)
    analyst = make_user(Role.ANALYST)
    make_user(Role.POLICE_INSPECTOR, unit=other_unit)
    gone = make_user(Role.POLICE_SUPERVISOR)
    gone.is_active = False
    gone.save(update_fields=["is_active"])

    assert unit_staff([police_unit], capability=Capability.SUPERVISE_UNIT) == [supervisor]
    assert unit_staff([police_unit], capability=Capability.WORK_CASES) == [inspector, supervisor]
    # Any case-facing role when no capability is asked; the analyst sees aggregates only.
    assert analyst not in unit_staff([police_unit.pk])
    assert unit_staff([police_unit.pk], besides=inspector) == [supervisor]
