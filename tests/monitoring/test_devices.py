"""Devices and assignments: registration, secrets, offender sets shared across his cases, refusals."""

from __future__ import annotations

import pytest
from django.utils import translation

from qorgau.accounts.roles import Role
from qorgau.cases.models import CaseEvent, EventKind
from qorgau.core.errors import Conflict, Forbidden, Invalid, NotFound
from qorgau.core.models import AuditEvent
from qorgau.monitoring import devices
from qorgau.monitoring.broker import password_check
from qorgau.monitoring.models import Assignment, DeviceKind, DeviceStatus, OffenderSet, Wearer
from qorgau.orders.services import order_issue, order_serve
from tests.monitoring.support_c import court_staff
from tests.orders.support import make_cases, police_input


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_register_and_issue_a_secret(operator):
    d = devices.device_register(actor=operator, serial=" br-0001 ", kind=DeviceKind.BRACELET, reports_phone_link=True)
    assert (d.serial, d.status, d.unit_id, d.secret_digest) == ("BR-0001", DeviceStatus.IN_STOCK, operator.unit_id, "")
    d, secret = devices.device_secret_issue(actor=operator, device=d, version=1)
    assert d.version == 2 and d.secret_digest.startswith("$7$101$")
    assert password_check(secret, d.secret_digest) and not password_check(secret + "x", d.secret_digest)
    assert secret not in d.secret_digest
    assert AuditEvent.objects.filter(target_type="device_secret", target_id=str(d.pk)).count() == 1
    with pytest.raises(Conflict):
        devices.device_secret_issue(actor=operator, device=d, version=1)


def test_register_refusals(operator, make_user):
    devices.device_register(actor=operator, serial="VD-1", kind=DeviceKind.VICTIM, can_receive=True)
    with pytest.raises(Invalid) as e:
        devices.device_register(actor=operator, serial="vd-1", kind=DeviceKind.VICTIM)
    assert e.value.fields == {"serial": ["A device with this serial number is already registered."]}
    with pytest.raises(Invalid) as e:
        devices.device_register(actor=operator, serial="x", kind="toaster")
    assert e.value.fields == {"serial": ["A serial number is 3 to 32 Latin letters, digits and dashes."],
                              "kind": ["Choose one of the offered values."]}
    with pytest.raises(Invalid) as e:
        devices.device_register(actor=operator, serial="BR-9", kind=DeviceKind.BRACELET, can_receive=True)
    assert e.value.fields == {"can_receive": ["Only her device can receive alerts."]}
    with pytest.raises(Forbidden):
        devices.device_register(actor=make_user(Role.POLICE_INSPECTOR), serial="BR-10", kind=DeviceKind.BRACELET)


def test_secret_of_another_centres_device_is_not_found(monitored, make_user, other_unit):
    stranger = make_user(Role.MONITORING_OPERATOR, unit=other_unit)
    with pytest.raises(NotFound):
        devices.device_secret_issue(actor=stranger, device=monitored.bracelet, version=monitored.bracelet.version)


def test_assign_reuses_his_offender_set_and_pairs_her_device(operator, mon_inspector):
    (case,) = make_cases(mon_inspector, serial=3000)
    order = order_issue(actor=mon_inspector, case=case, data=police_input(case))
    order_serve(actor=mon_inspector, order=order, version=order.version)
    bracelet = devices.device_register(actor=operator, serial="BR-1", kind=DeviceKind.BRACELET)
    devices.device_register(actor=operator, serial="VD-1", kind=DeviceKind.VICTIM, can_receive=True)
    a1 = devices.assignment_start(actor=mon_inspector, case=case, serial="br-1", order_id=order.pk)
    a2 = devices.assignment_start(actor=mon_inspector, case=case, serial="VD-1", order_id=order.pk, proximity_m=800)
    assert (a1.wearer, a2.wearer, a2.proximity_m, a1.proximity_m) == (Wearer.OFFENDER, Wearer.VICTIM, 800, 500)
    assert a1.offender_set_id == a2.offender_set_id and a1.unit_id == operator.unit_id
    oset = OffenderSet.objects.get()
    assert oset.offender_id == case.offender_id and oset.shard == devices.shard_of(oset.pk)
    bracelet.refresh_from_db()
    assert bracelet.status == DeviceStatus.ASSIGNED
    assert CaseEvent.objects.filter(case=case, kind=EventKind.MONITORING).count() == 2
    with pytest.raises(Invalid) as e:
        devices.assignment_start(actor=mon_inspector, case=case, serial="BR-1", order_id=order.pk)
    assert e.value.fields == {"serial": ["This device is already assigned on this case."]}
    # Her device is hers: on another man's case it is refused.
    (other,) = make_cases(mon_inspector, serial=3100)
    order2 = order_issue(actor=mon_inspector, case=other, data=police_input(other))
    with pytest.raises(Invalid) as e:
        devices.assignment_start(actor=mon_inspector, case=other, serial="VD-1", order_id=order2.pk)
    assert e.value.fields == {"serial": ["This device is worn by someone else on another case."]}
    # Ending: the version moves, the device goes back to stock when nothing else holds it.
    with pytest.raises(Conflict):
        devices.assignment_end(actor=mon_inspector, assignment=a1, version=7)
    ended = devices.assignment_end(actor=mon_inspector, assignment=a1, version=1)
    assert ended.ended_at is not None and ended.version == 2 and ended.ended_by_id == mon_inspector.pk
    bracelet.refresh_from_db()
    assert bracelet.status == DeviceStatus.IN_STOCK
    with pytest.raises(Invalid) as e:
        devices.assignment_end(actor=mon_inspector, assignment=ended, version=2)
    assert e.value.fields == {"__all__": ["This assignment has already ended."]}


def test_his_second_victim_shares_the_set(operator, mon_inspector):
    first, second = make_cases(mon_inspector, victims=2, serial=3200)
    bracelet = devices.device_register(actor=operator, serial="BR-2", kind=DeviceKind.BRACELET)
    orders = []
    for c in (first, second):
        o = order_issue(actor=mon_inspector, case=c, data=police_input(c))
        orders.append(o)
    a1 = devices.assignment_start(actor=mon_inspector, case=first, serial=bracelet.serial, order_id=orders[0].pk)
    a2 = devices.assignment_start(actor=mon_inspector, case=second, serial=bracelet.serial, order_id=orders[1].pk)
    assert a1.offender_set_id == a2.offender_set_id and OffenderSet.objects.count() == 1
    assert Assignment.objects.filter(device=bracelet, ended_at__isnull=True).count() == 2


def test_assignment_refusals(monitored, make_user, operator):
    m = monitored
    spare = devices.device_register(actor=operator, serial="BR-77", kind=DeviceKind.BRACELET)
    with pytest.raises(Invalid) as e:
        devices.assignment_start(actor=m.inspector, case=m.case, serial=spare.serial)
    assert e.value.fields == {"__all__": ["A device is assigned under a protective order or a court decision on the case."]}
    with pytest.raises(Invalid) as e:
        devices.assignment_start(actor=m.inspector, case=m.case, serial=spare.serial, order_id=m.order.pk, proximity_m=50)
    assert e.value.fields == {"proximity_m": ["The distance he must keep is from 100 to 5000 metres."]}
    with pytest.raises(Invalid) as e:
        devices.assignment_start(actor=m.inspector, case=m.case, serial="NOPE-1", order_id=m.order.pk)
    assert e.value.fields == {"serial": ["No device has this serial number."]}
    with pytest.raises(Invalid) as e:
        devices.assignment_start(actor=m.inspector, case=m.case, serial=spare.serial, order_id=999999)
    assert e.value.fields == {"order": ["Choose a protective order linked to this case."]}
    # A clerk with a worker grant: not full. A social worker: not court or police. The operator: no grant.
    clerk = court_staff(make_user, m, Role.COURT_CLERK, scope="worker")
    with pytest.raises(Forbidden):
        devices.assignment_start(actor=clerk, case=m.case, serial=spare.serial, order_id=m.order.pk)
    with pytest.raises(NotFound):
        devices.assignment_start(actor=operator, case=m.case, serial=spare.serial, order_id=m.order.pk)
    judge = court_staff(make_user, m)
    a = devices.assignment_start(actor=judge, case=m.case, serial=spare.serial, order_id=m.order.pk)
    assert a.started_by_id == judge.pk


def test_retire(operator, monitored):
    with pytest.raises(Invalid) as e:
        devices.device_retire(actor=operator, device=monitored.bracelet, version=monitored.bracelet.version)
    assert e.value.fields == {"__all__": ["The device is still assigned on a case: end the assignment first."]}
    spare = devices.device_register(actor=operator, serial="BR-78", kind=DeviceKind.BRACELET)
    retired = devices.device_retire(actor=operator, device=spare, version=1)
    assert retired.status == DeviceStatus.RETIRED


def test_taking_her_device_off_ends_its_open_conditions(monitored):
    from qorgau.monitoring.models import Episode
    from tests.monitoring.support_c import raise_alert

    m = monitored
    alert = raise_alert(m)
    hers = next(a for a in m.assignments if a.wearer == Wearer.VICTIM)
    devices.assignment_end(actor=m.inspector, assignment=hers, version=1)
    assert Episode.objects.get(pk=alert.episode_id).ended_at is not None
    alert.refresh_from_db()
    assert alert.status == "open"  # the alert stays for the operator
