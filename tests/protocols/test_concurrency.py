"""Two workers firing the same event at once create each task once (PostgreSQL only: SQLite
serialises writers, so the race cannot happen there)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from qorgau.protocols.engine import fire
from qorgau.protocols.models import Task

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL for real concurrent transactions")


@pytest.mark.django_db(transaction=True)
def test_two_workers_fire_once(protocols, inspector):
    from tests.protocols.support import make_case

    case = make_case(inspector)
    barrier = threading.Barrier(2)
    results: list[list[int]] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append([t.pk for t in fire(trigger="report_registered", case=case, actor=None, key="report:race")])
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    # The police check; the family support referral's measure is already carried by the registration's
    # first-contact referral (still waiting for her consent), so neither worker makes a second one.
    assert list(Task.objects.filter(key="report:race").values_list("duty__code", flat=True)) == ["police_check_report"]
    assert sorted(results[0]) == sorted(results[1])
