"""An anonymous shelter stay: admitted from the record into the holding centre's bed, counted in the
occupancy, the last bed refused, discharged on the shelters' placement page (no case timeline);
a share with whereabouts shows only the city of the stay."""

from __future__ import annotations

import pytest

from qorgau.core.errors import Invalid, NotFound
from qorgau.intake.services import record_admit, record_register, share_give
from qorgau.shelters.models import BedPool, Placement
from qorgau.shelters.selectors import pool_occupancy, pools_with_use
from qorgau.shelters.services import NO_FREE_BED
from tests.conftest import sign_in
from tests.intake.conftest import record_input

pytestmark = pytest.mark.django_db


def test_anonymous_stay_takes_the_last_bed(record, staff, centre, client):
    pool = BedPool.objects.get(centre=centre, kind="women")
    assert pool_occupancy(pool) == 0
    c = sign_in(client, staff)
    r = c.post(f"/intake/{record.pk}/admit/", {"kind": "women", "expected_days": "14"})
    assert r.status_code == 302
    placement = Placement.objects.get(record=record)
    assert placement.case is None and placement.gave_psychologist
    assert pool_occupancy(pool) == 1
    assert pools_with_use([centre])[centre.pk][[p.kind for p in pools_with_use([centre])[centre.pk]].index("women")].free == 0  # type: ignore[attr-defined]
    second = record_register(actor=staff, data=record_input(alias="Вторая"))
    with pytest.raises(Invalid) as e:
        record_admit(actor=staff, record_id=second.pk, kind="women")
    assert str(NO_FREE_BED) in " ".join(e.value.fields["kind"])
    r = c.post(f"/intake/{second.pk}/admit/", {"kind": "women", "expected_days": "14"})
    assert r.status_code == 422 and "no free bed" in r.content.decode()
    # the placement page shows her alias, and the discharge frees the bed without a case
    page = c.get(f"/shelters/placements/{placement.pk}/").content.decode()
    assert record.number in page and record.alias in page
    r = c.post(f"/shelters/placements/{placement.pk}/", {"version": "1", "outcome": "relatives"})
    assert r.status_code == 302
    assert pool_occupancy(pool) == 0
    assert record_admit(actor=staff, record_id=second.pk, kind="women").pool_id == pool.pk


def test_she_has_one_bed_at_a_time(record, staff):
    record_admit(actor=staff, record_id=record.pk, kind="with_children")
    with pytest.raises(Invalid) as e:
        record_admit(actor=staff, record_id=record.pk, kind="women")
    assert "already has a bed" in " ".join(e.value.fields["kind"])


def test_outsiders_cannot_admit(record, make_user, other_centre):
    from qorgau.accounts.roles import Role

    with pytest.raises(NotFound):
        record_admit(actor=make_user(Role.SHELTER_WORKER, unit=other_centre.unit), record_id=record.pk)
    assert not Placement.objects.exists()


def test_whereabouts_share_shows_only_the_city(record, staff, inspector, centre, client):
    record_admit(actor=staff, record_id=record.pk, kind="women")
    share = share_give(actor=staff, record_id=record.pk, to_unit_id=inspector.unit_id, purpose="Protection order", how="phone",
                       shares=frozenset({"whereabouts"}))
    html = sign_in(client, inspector).get(f"/intake/shared/{share.pk}/").content.decode()
    city = html.split('data-field="shelter_city"')[1].split("</dd>")[0]
    assert "Almaty" in city
    assert city.strip().endswith("Almaty")
    # the centre that shares is named (the registry names it publicly); its secret address never is
    assert "Секретная" not in html and "Almaly crisis centre" not in city
