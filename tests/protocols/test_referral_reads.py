"""The case page's referrals read by hand (protocols.referral_reads, ADR 0018) are what the ORM reads:
the same tasks in the same order, the same values, the same duty, version, protocol, agency kind and
unit attached — on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from qorgau.accounts.roles import Role
from qorgau.cases.services import report_register
from qorgau.protocols.engine import fire
from qorgau.protocols.models import Mode, Task
from qorgau.protocols.referral_reads import referral_tasks
from qorgau.protocols.selectors import _tasks, case_referrals, referrals_of
from tests.cases.factories import report_input
from tests.hand_reads import same

pytestmark = pytest.mark.django_db


def test_the_referral_tasks_are_the_orms(protocols, make_user):
    inspector = make_user(Role.POLICE_INSPECTOR)
    case = report_register(actor=inspector, data=report_input()).cases[0]
    again = report_register(actor=inspector, data=report_input()).cases[0]  # the same pair: a second report joins the case
    assert again.pk == case.pk
    fire(trigger="report_registered", case=case, actor=inspector, key="referral-reads-again")
    first = referrals_of(case).order_by("pk").first()
    assert first is not None, "the shipped protocols refer her to another agency on registration"
    later = Task.objects.get(pk=first.pk)  # a second referral, made later, with no duty or unit
    later.pk, later.created_at, later.duty, later.unit, later.key = None, first.created_at + timedelta(minutes=5), None, None, "later"
    later.save()
    orm = list(_tasks().filter(pk__in=referrals_of(case).values("pk")).order_by("-created_at", "-id"))
    assert len(orm) >= 2 and orm[0].pk == later.pk
    assert Task.objects.filter(case=case).exclude(mode=Mode.REFERRAL).exists()  # duties are left out
    ours = referral_tasks(case)
    assert [t.pk for t in ours] == [t.pk for t in orm]
    for a, b in zip(ours, orm, strict=True):
        same(a, b)
        assert a.case is case  # the case the gate read, not a second copy
        for related in ("duty", "unit"):
            if getattr(b, related) is None:
                assert getattr(a, related) is None
            else:
                same(getattr(a, related), getattr(b, related))
        if b.duty is not None:
            same(a.duty.version, b.duty.version)
            same(a.duty.version.protocol, b.duty.version.protocol)
            same(a.duty.agency_kind, b.duty.agency_kind)
    assert [row.task.pk for row in case_referrals(case)] == [t.pk for t in orm]


def test_a_case_without_referrals_reads_none(protocols, make_user):
    inspector = make_user(Role.POLICE_INSPECTOR)
    case = report_register(actor=inspector, data=report_input()).cases[0]
    Task.objects.filter(case=case, mode=Mode.REFERRAL).delete()
    assert referral_tasks(case) == []
