"""The case's orders read by hand (orders.selectors.case_orders, ADR 0018) are what the ORM read
gave: the same orders in the same order, the same values and issuing unit, and the same counts of
breaches, protected persons and linked cases — on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db.models import Count

from qorgau.accounts.roles import Role
from qorgau.cases.models import Case
from qorgau.cases.selectors import case_and_merged_ids
from qorgau.core import clock
from qorgau.orders import services
from qorgau.orders.models import Order, OrderCase
from qorgau.orders.selectors import case_orders
from tests.hand_reads import fields
from tests.orders.support import make_cases, police_input

pytestmark = pytest.mark.django_db


def _orm(case: Case) -> list[Order]:
    """The ORM read it replaced."""
    linked = OrderCase.objects.filter(case__in=case_and_merged_ids(case)).values("order_id")
    return list(Order.objects.filter(pk__in=linked).select_related("issuing_unit").annotate(
        breach_count=Count("breaches", distinct=True),
        protected_count=Count("protected_rows", distinct=True),
        linked_count=Count("case_links", distinct=True),
    ).order_by("-starts_at", "-id"))


def test_the_case_orders_are_the_orms(make_user):
    inspector = make_user(Role.POLICE_INSPECTOR)
    wife, mother = make_cases(inspector, victims=2)
    both = services.order_issue(actor=inspector, case=wife, data=police_input(wife, protected_ids=[wife.victim_id, mother.victim_id]))
    both = services.order_serve(actor=inspector, order=both, version=both.version)
    services.breach_record(actor=inspector, order=both, occurred_at=clock.now(), what="пришёл к двери")
    services.breach_record(actor=inspector, order=both, occurred_at=clock.now(), what="звонил ночью")
    services.order_issue(actor=inspector, case=mother, data=police_input(mother))
    other, = make_cases(inspector, serial=2100)
    services.order_issue(actor=inspector, case=other, data=police_input(other))
    Case.objects.filter(pk=other.pk).update(merged_into=wife)  # its orders now show on the case it was merged into
    for case in (wife, mother, other):
        ours, orm = case_orders(case), _orm(case)
        assert [o.pk for o in ours] == [o.pk for o in orm]
        for a, b in zip(ours, orm, strict=True):
            assert fields(a) == fields(b)
            assert (a._state.adding, a._state.db) == (False, b._state.db)
            assert fields(a.issuing_unit) == fields(b.issuing_unit)
            assert (a.breach_count, a.protected_count, a.linked_count) == (b.breach_count, b.protected_count, b.linked_count)
    counts = {o.pk: (o.breach_count, o.protected_count, o.linked_count) for o in case_orders(wife)}
    assert counts[both.pk][0] == 2 and counts[both.pk][1] == 2
    assert len(counts) == 2  # its own order and the merged case's
