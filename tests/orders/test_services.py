"""Orders' services: validation in the user's language, the lifecycle, linking to every case of the
offender with a protected person (counted once), breach escalation and the sweep's idempotence."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest
from django.utils import translation

from qorgau.accounts.masks import Scope
from qorgau.accounts.models import Notification, NotificationKind
from qorgau.accounts.roles import Role
from qorgau.cases.models import CaseEvent, EventKind
from qorgau.core import clock
from qorgau.core.errors import Conflict, Forbidden, Invalid, NotFound
from qorgau.core.models import AuditEvent
from qorgau.orders import court, selectors, services
from qorgau.orders.legal import add_months, rules_for
from qorgau.orders.models import CheckIn, Order, OrderStatus
from qorgau.risk.panel_reads import forcing_event_after
from tests.orders.support import court_input, court_unit, grant, make_cases, police_input

pytestmark = pytest.mark.django_db


def _invalid(fn, **kw) -> dict[str, list[str]]:
    with pytest.raises(Invalid) as exc, translation.override("en"):
        fn(**kw)
    return exc.value.fields


def test_a_police_order_lasts_30_days_by_default_and_is_on_the_timeline(inspector):
    case = make_cases(inspector)[0]
    order = services.order_issue(actor=inspector, case=case, data=police_input(case))
    assert order.ends_at - order.starts_at == timedelta(days=30)
    assert (order.status, order.offender_id, order.issuing_unit_id) == (OrderStatus.ISSUED, case.offender_id, inspector.unit_id)
    assert order.number.startswith("O-")
    assert list(order.protected.values_list("pk", flat=True)) == [case.victim_id]
    assert CaseEvent.objects.filter(case=case, kind=EventKind.ORDER_ISSUED).count() == 1
    assert AuditEvent.objects.filter(target_type="order", target_id=str(order.pk)).exists()
    assert not order.checkins.exists()  # reporting is for special requirements


def test_validation_messages(inspector):
    case = make_cases(inspector)[0]
    now = clock.now()
    fields = _invalid(services.order_issue, actor=inspector, case=case, data=police_input(case, ends_at=now - timedelta(hours=1)))
    assert fields == {"ends_at": ["The order cannot end before it starts."]}
    fields = _invalid(services.order_issue, actor=inspector, case=case, data=police_input(case, ends_at=now + timedelta(days=31)))
    assert fields == {"ends_at": ["For this kind of order the law allows from 1 to 30 days."]}
    fields = _invalid(services.order_issue, actor=inspector, case=case,
                      data=police_input(case, protected_ids=[], ban_contact=False, ban_seeking=False, ban_cohabitation=True, reporting_per_month=2))
    assert fields == {
        "protected": ["Choose at least one person the order protects."],
        "ban_cohabitation": ["Only a court may ban living together."],
        "reporting_per_month": ["Reporting to the police is set only with special requirements."],
    }
    fields = _invalid(services.order_issue, actor=inspector, case=case, data=police_input(case, ban_contact=False, ban_seeking=False))
    assert fields == {"bans": ["Choose at least one ban."]}
    fields = _invalid(services.order_issue, actor=inspector, case=case, data=police_input(case, protected_ids=[case.offender_id]))
    assert fields == {"protected": ["Choose among the persons offered."]}
    assert not Order.objects.exists()


def test_messages_come_in_the_users_language(inspector):
    case = make_cases(inspector)[0]
    with pytest.raises(Invalid) as exc, translation.override("ru"):
        services.order_issue(actor=inspector, case=case, data=police_input(case, ends_at=clock.now() - timedelta(hours=1)))
    with translation.override("ru"):
        assert str(exc.value.fields["ends_at"][0]) == str(translation.gettext("The order cannot end before it starts."))


def test_an_offender_under_16_gets_no_order(inspector):
    young = clock.now().date().replace(year=clock.now().year - 15)
    case = make_cases(inspector, offender_birth=young, serial=2300)[0]
    fields = _invalid(services.order_issue, actor=inspector, case=case, data=police_input(case))
    assert fields == {"__all__": ["The offender is under 16: the law does not allow this order."]}


def test_special_requirements_need_a_court_and_their_range(inspector, make_user):
    case = make_cases(inspector)[0]
    with pytest.raises(Forbidden):
        services.order_issue(actor=inspector, case=case, data=court_input(case))
    unit = court_unit()
    judge = make_user(Role.JUDGE, unit=unit)
    with pytest.raises(NotFound):  # no grant on the case yet
        services.order_issue(actor=judge, case=case, data=court_input(case))
    grant(case, unit)
    starts = clock.now()
    fields = _invalid(services.order_issue, actor=judge, case=case,
                      data=court_input(case, ends_at=add_months(starts, 2), starts_at=starts, reporting_per_month=0, court_reference=""))
    assert fields == {
        "ends_at": ["For this kind of order the law allows from 3 to 12 months."],
        "reporting_per_month": ["Reporting to the police is set from 1 to 4 times a month."],
        "court_reference": ["Enter the reference of the court decision."],
    }
    order = services.order_issue(actor=judge, case=case, data=court_input(case))
    assert order.ban_alcohol and order.reporting_per_month == 2
    # two dates a month over four months
    assert order.checkins.count() == 8


def test_a_social_worker_issues_no_police_order(inspector, make_user):
    case = make_cases(inspector)[0]
    worker = make_user(Role.SOCIAL_WORKER)  # same unit, full grant, but not police
    with pytest.raises(Forbidden):
        services.order_issue(actor=worker, case=case, data=police_input(case))


def test_one_order_protecting_two_women_joins_both_cases_and_counts_once(inspector):
    wife, mother = make_cases(inspector, victims=2, serial=2400)
    assert wife.offender_id == mother.offender_id
    order = services.order_issue(actor=inspector, case=wife, data=police_input(wife, protected_ids=[wife.victim_id, mother.victim_id]))
    assert set(order.cases.values_list("pk", flat=True)) == {wife.pk, mother.pk}
    assert CaseEvent.objects.filter(kind=EventKind.ORDER_ISSUED).count() == 2
    assert [o.pk for o in selectors.case_orders(mother)] == [order.pk]
    figures = selectors.order_figures()
    assert (figures["orders"], figures["orders_by_kind"]) == (1, {"police": 1})
    assert selectors.order_counts_for_offender(wife.offender.cluster_id) == (1, 0)


def test_protecting_only_the_wife_leaves_the_mothers_case_alone(inspector):
    wife, mother = make_cases(inspector, victims=2, serial=2500)
    order = services.order_issue(actor=inspector, case=wife, data=police_input(wife))
    assert list(order.cases.values_list("pk", flat=True)) == [wife.pk]
    fields = _invalid(services.order_issue, actor=inspector, case=wife, data=police_input(wife, protected_ids=[mother.victim_id]))
    assert fields == {"protected": ["At least one protected person must be of this case: the victim or a child."]}


def test_the_lifecycle(inspector, make_user):
    case = make_cases(inspector)[0]
    unit = court_unit()
    grant(case, unit)
    judge = make_user(Role.JUDGE, unit=unit)
    order = services.order_issue(actor=judge, case=case, data=court_input(case))
    with pytest.raises(Conflict):
        services.order_serve(actor=inspector, order=order, version=order.version + 5)
    order = services.order_serve(actor=inspector, order=order, version=order.version)  # the police serve a court's order
    assert order.status == OrderStatus.ACTIVE and order.served_at is not None
    with pytest.raises(Forbidden):
        services.order_extend(actor=inspector, order=order, version=order.version, ends_at=order.ends_at + timedelta(days=30), reason="she asked the court again")
    fields = _invalid(services.order_extend, actor=judge, order=order, version=order.version, ends_at=order.ends_at - timedelta(days=1), reason="short")
    assert fields == {"ends_at": ["The new end must be after the current end."], "reason": ["Write the reason (at least 10 characters)."]}
    before = order.checkins.count()
    old_end = order.ends_at
    order = services.order_extend(actor=judge, order=order, version=order.version, ends_at=add_months(old_end, 2), reason="the court extended it on police request")
    assert (order.status, order.ends_at) == (OrderStatus.EXTENDED, add_months(old_end, 2))
    assert order.extensions.get().from_ends_at == old_end
    assert order.checkins.count() > before
    stale = order.version
    order = services.order_revoke(actor=judge, order=order, version=order.version, reason="the court quashed the decision on appeal")
    assert order.status == OrderStatus.REVOKED and order.revoke_reason.startswith("the court")
    assert order.checkins.filter(cancelled_at__isnull=False).exists()
    with pytest.raises(Conflict):
        services.order_revoke(actor=judge, order=order, version=stale, reason="the court quashed the decision on appeal")
    assert CaseEvent.objects.filter(case=case, kind=EventKind.ORDER_CHANGED).count() == 3


def test_a_police_order_cannot_be_extended(inspector):
    case = make_cases(inspector)[0]
    order = services.order_issue(actor=inspector, case=case, data=police_input(case))
    fields = _invalid(services.order_extend, actor=inspector, order=order, version=order.version, ends_at=order.ends_at + timedelta(days=5), reason="still afraid of him")
    assert fields == {"ends_at": ["This kind of order cannot be extended: issue a new one when it ends."]}


def test_a_breach_escalates_every_linked_case(inspector, make_user, other_unit):
    wife, mother = make_cases(inspector, victims=2, serial=2600)
    grant(mother, other_unit)
    colleague = make_user(Role.POLICE_SUPERVISOR)
    elsewhere = make_user(Role.SOCIAL_WORKER, unit=other_unit)
    order = services.order_issue(actor=inspector, case=wife, data=police_input(wife, protected_ids=[wife.victim_id, mother.victim_id]))
    fields = _invalid(services.breach_record, actor=inspector, order=order, occurred_at=clock.now(), what="came to her door")
    assert fields == {"__all__": ["The order was not served on the offender yet: a breach needs a served order."]}
    order = services.order_serve(actor=inspector, order=order, version=order.version)
    fields = _invalid(services.breach_record, actor=inspector, order=order, occurred_at=clock.now() + timedelta(hours=2), what=" ")
    assert fields == {"occurred_at": ["This time is in the future."], "what": ["Describe what happened."]}
    before = clock.now() - timedelta(seconds=1)
    breach = services.breach_record(actor=inspector, order=order, occurred_at=clock.now(), what="came to her door drunk", evidence="neighbour's statement")
    assert CaseEvent.objects.filter(kind=EventKind.BREACH).count() == 2
    notified = set(Notification.objects.filter(kind=NotificationKind.ORDER_BREACHED).values_list("recipient_id", flat=True))
    assert notified == {colleague.pk, elsewhere.pk}  # the units on both cases, not the one who recorded it
    latest_incident = max(i.created_at for i in mother.incidents.all())
    assert forcing_event_after(mother, max(before, latest_incident)) == breach.recorded_at  # a breach of the order forces her reassessment
    assert forcing_event_after(mother, breach.recorded_at) is None
    assert selectors.order_counts_for_offender(wife.offender.cluster_id) == (1, 1)
    assert Order.objects.get(pk=order.pk).breaches.get().what == "came to her door drunk"


def test_any_unit_working_on_the_case_records_a_breach(inspector, make_user, reference):
    case = make_cases(inspector)[0]
    order = services.order_issue(actor=inspector, case=case, data=police_input(case))
    order = services.order_serve(actor=inspector, order=order, version=order.version)
    from qorgau.accounts.models import AgencyKind
    from qorgau.accounts.services import unit_create
    from qorgau.core.models import Region

    probation = unit_create(actor=None, kind=AgencyKind.objects.get(code="probation"), region=Region.objects.get(iso="KZ-75"),
                            name_ru="Пробация", name_kk="Пробация kk", name_en="Probation")
    officer = make_user(Role.PROBATION_OFFICER, unit=probation)
    with pytest.raises(NotFound):
        services.breach_record(actor=officer, order=order, occurred_at=clock.now(), what="called her 20 times")
    grant(case, probation, Scope.WORKER)
    assert services.breach_record(actor=officer, order=order, occurred_at=clock.now(), what="called her 20 times").unit_id == probation.pk


def test_the_sweep_expires_once(inspector):
    case = make_cases(inspector)[0]
    order = services.order_issue(actor=inspector, case=case, data=police_input(case))
    assert services.order_expire_due() == []
    with clock.frozen(order.ends_at + timedelta(minutes=1)):
        assert [o.pk for o in services.order_expire_due()] == [order.pk]
        assert services.order_expire_due() == []
    order.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED and order.expired_at is not None
    assert CaseEvent.objects.filter(case=case, kind=EventKind.ORDER_CHANGED).count() == 1


def test_a_served_order_comes_into_force_on_its_first_day(inspector):
    case = make_cases(inspector)[0]
    later = clock.now() + timedelta(days=2)
    order = services.order_issue(actor=inspector, case=case, data=police_input(case, starts_at=later))
    order = services.order_serve(actor=inspector, order=order, version=order.version)
    assert order.status == OrderStatus.SERVED
    with clock.frozen(later + timedelta(minutes=1)):
        services.order_expire_due()
    order.refresh_from_db()
    assert order.status == OrderStatus.ACTIVE


def test_missed_checkins_are_marked_once(inspector, make_user):
    case = make_cases(inspector)[0]
    unit = court_unit()
    grant(case, unit)
    judge = make_user(Role.JUDGE, unit=unit)
    order = services.order_issue(actor=judge, case=case, data=court_input(case, reporting_per_month=1))
    order = services.order_serve(actor=inspector, order=order, version=order.version)
    first, second = list(order.checkins.order_by("due_on"))[:2]
    with pytest.raises(Forbidden):
        services.checkin_record(actor=judge, checkin=first)  # check-ins are kept by the police
    services.checkin_record(actor=inspector, checkin=first)
    zone = order.issuing_unit.timezone
    day_after = dt.datetime.combine(second.due_on + timedelta(days=1), dt.time(23, 0), tzinfo=clock.local(clock.now(), zone).tzinfo)
    with clock.frozen(day_after):
        assert services.checkins_missed_due() == []  # the day after the due date is still grace
    with clock.frozen(day_after + timedelta(hours=2)):
        assert [c.pk for c in services.checkins_missed_due()] == [second.pk]
        assert services.checkins_missed_due() == []
    assert CheckIn.objects.get(pk=first.pk).missed_at is None
    assert CaseEvent.objects.filter(case=case, kind=EventKind.CHECKIN_MISSED).count() == 1
    fields = _invalid(services.checkin_record, actor=inspector, checkin=CheckIn.objects.get(pk=second.pk))
    assert fields == {"__all__": ["This check-in is already settled."]}


def test_expiry_warning_once_per_end(inspector):
    case = make_cases(inspector)[0]
    order = services.order_issue(actor=inspector, case=case, data=police_input(case))
    services.order_serve(actor=inspector, order=order, version=order.version)
    with clock.frozen(order.ends_at - timedelta(days=1)):
        assert [o.pk for o in services.order_expiring_warn()] == [order.pk]
        assert services.order_expiring_warn() == []


def test_court_decisions_and_criminal_cases_feed_the_figures(inspector, make_user):
    case = make_cases(inspector)[0]
    unit = court_unit()
    grant(case, unit)
    clerk = make_user(Role.COURT_CLERK, unit=unit)
    today = clock.local(clock.now(), unit.timezone).date()
    with pytest.raises(Forbidden):
        court.court_decision_record(actor=inspector, case=case, kind="acquittal", decided_on=today, reference="1-1/2025")
    fields = _invalid(court.court_decision_record, actor=clerk, case=case, kind="bogus", decided_on=today + timedelta(days=3), reference="")
    assert fields == {"kind": ["Choose one of the offered values."], "decided_on": ["This date is in the future."], "reference": ["This field is required."]}
    court.court_decision_record(actor=clerk, case=case, kind="administrative_penalty", decided_on=today, reference="5-77/2025", article="CoAO 73-1")
    fields = _invalid(court.court_decision_record, actor=clerk, case=case, kind="administrative_penalty", decided_on=today, reference="5-77/2025")
    assert fields == {"reference": ["A decision with this reference is already recorded on the case."]}
    assert CaseEvent.objects.filter(case=case, kind=EventKind.COURT_DECISION).count() == 1
    court.criminal_case_record(actor=inspector, case=case, number="251750031000123", registered_on=today, article="CC 108-1")
    figures = selectors.order_figures()
    assert (figures["court_decisions"], figures["court_decisions_by_kind"], figures["criminal_cases"]) == (1, {"administrative_penalty": 1}, 1)


def test_legal_file_has_every_language():
    for kind in ("police", "special_requirements", "restraining"):
        rules = rules_for(kind)
        assert all(rules.basis_text(lang) for lang in ("kk", "ru", "en"))
    assert "461" in rules_for("police").basis_text("en") and "54" in rules_for("special_requirements").basis_text("ru")
