"""Two workers taking the last bed at the same moment: one gets it, the other is told at once
(PostgreSQL only, the project's pattern: SQLite serialises writers, so the race cannot happen there)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from qorgau.core.errors import Invalid
from qorgau.shelters import services
from qorgau.shelters.models import BedHold, BedPool, Placement

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL for real concurrent transactions")


def _race(work) -> tuple[list[int], list[Invalid], list[BaseException]]:
    barrier = threading.Barrier(2)
    won: list[int] = []
    refused: list[Invalid] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            won.append(work().pk)
        except Invalid as exc:
            refused.append(exc)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return won, refused, errors


@pytest.mark.django_db(transaction=True)
def test_two_admissions_for_the_last_bed(centre, staff, case):
    pool = BedPool.objects.get(centre=centre, kind="accessible")  # one bed
    won, refused, errors = _race(lambda: services.placement_admit(actor=staff, case=case, pool_id=pool.pk))
    assert errors == [] and len(won) == 1 and len(refused) == 1
    assert "pool" in refused[0].fields
    assert Placement.objects.filter(pool=pool).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_holds_for_the_last_bed(centre, coordinator, case):
    pool = BedPool.objects.get(centre=centre, kind="accessible")
    won, refused, errors = _race(lambda: services.bed_hold(actor=coordinator, case=case, pool_id=pool.pk))
    assert errors == [] and len(won) == 1 and len(refused) == 1
    assert BedHold.objects.filter(pool=pool).count() == 1
