"""Set-up and inspection of a fault-test installation, run in a process of its own against that
installation's database (``python -m tests.faults.probe <action> '<json keyword arguments>'``).

The fault tests' own process stays bound to the test settings; everything that touches the
installation's database goes through here and answers one line of JSON.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qorgau.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from qorgau.accounts.models import AgencyKind, Notification, NotificationKind, Unit, User  # noqa: E402
from qorgau.accounts.roles import Role  # noqa: E402
from qorgau.accounts.services import agency_kinds_load, roles_sync, unit_create, user_create  # noqa: E402
from qorgau.accounts.tokens import api_token_issue  # noqa: E402
from qorgau.cases.models import Case, CaseEvent, EventKind, Grant, Incident, Party, PartyRole, Report  # noqa: E402
from qorgau.cases.reference import markers_load  # noqa: E402
from qorgau.core import clock  # noqa: E402
from qorgau.core.geography import load_reference  # noqa: E402
from qorgau.core.models import AuditEvent, District, Region  # noqa: E402

PASSWORD = "correct-horse-battery-staple-42"


def _user(role: str, unit: Unit, username: str) -> User:
    user = user_create(actor=None, username=username, password=PASSWORD, role=role, unit=unit, language="en")
    TOTPDevice.objects.create(user=user, name="fault", confirmed=True)
    return user


def _unit(kind: str, region: str, name: str, district: str | None = None) -> Unit:
    return unit_create(
        actor=None, kind=AgencyKind.objects.get(code=kind), region=Region.objects.get(iso=region),
        district=District.objects.get(kato=district) if district else None, name_ru=name, name_kk=name, name_en=name,
    )


# --- set-up ---------------------------------------------------------------------------------------


def reference() -> dict[str, Any]:
    """The reference data every installation loads once (kept in the template database)."""
    from qorgau.protocols.definitions import protocols_load

    load_reference()
    agency_kinds_load()
    roles_sync()
    markers_load()
    report = protocols_load()
    return {"protocol_errors": [str(e) for e in report.errors]}


def inspector_token(*, username: str) -> dict[str, Any]:
    unit = _unit("police", "KZ-75", f"Almaly police {username}", "751110000")
    user = _user(Role.POLICE_INSPECTOR, unit, username)
    issued = api_token_issue(actor=user, verified=True, name="fault test")
    return {"user": user.pk, "unit": unit.pk, "token": issued.token}


def monitored_sets(*, shards: list[int], serial0: int) -> list[dict[str, Any]]:
    """One offender set per shard, each as ``tests.monitoring.conftest.monitoring_factory`` builds it:
    a case with a served police order, his bracelet, her device, a zone around her home."""
    from qorgau.monitoring.models import OffenderSet, Zone, ZonePlace, ZoneShape
    from qorgau.orders.services import order_issue, order_serve
    from tests.monitoring.conftest import HOME, HOME_RADIUS_M, _assign, _device
    from tests.orders.support import make_cases, police_input

    centre = _unit("monitoring_centre", "KZ-71", f"Monitoring centre {serial0}")
    operator = _user(Role.MONITORING_OPERATOR, centre, f"operator{serial0}")
    inspector = _user(Role.POLICE_INSPECTOR, _unit("police", "KZ-75", f"Police {serial0}", "751110000"), f"mon_inspector{serial0}")
    out = []
    for n, shard in enumerate(shards):
        (case,) = make_cases(inspector, serial=serial0 + 10 * n)
        order = order_issue(actor=inspector, case=case, data=police_input(case))
        order = order_serve(actor=inspector, order=order, version=order.version)
        oset = OffenderSet.objects.create(offender=case.offender, shard=shard, created_at=clock.now())
        bracelet = _device(f"BR-{serial0 + n}", "bracelet", centre, operator)
        her = _device(f"VD-{serial0 + n}", "victim", centre, operator, can_receive=True)
        _assign(bracelet, case, oset, "offender", order, centre, operator, 500)
        _assign(her, case, oset, "victim", order, centre, operator, 500)
        Zone.objects.create(
            case=case, offender_set=oset, place=ZonePlace.HOME, shape=ZoneShape.CIRCLE,
            geometry=f'{{"lat": {HOME[0]}, "lon": {HOME[1]}, "radius_m": {HOME_RADIUS_M}}}', created_at=clock.now(),
            created_by=operator,
        )
        out.append({"case": case.pk, "bracelet": bracelet.serial, "bracelet_id": bracelet.pk, "victim_device": her.serial,
                    "victim_device_id": her.pk})
    return out


def overdue_tasks(*, cases: int, per_case: int, checkins_per_case: int = 0) -> dict[str, Any]:
    """``cases`` × ``per_case`` live tasks of the school follow-up duty whose first escalation step
    (0 h after the deadline) is due and whose second (24 h) is not: one sweep pass escalates each
    exactly once; a second pass must find nothing. With ``checkins_per_case``, each case also gets a
    served police order whose check-ins of that many days (3 days ago and before) nobody attended:
    the sweep marks each missed once."""
    from qorgau.orders.models import CheckIn
    from qorgau.orders.services import order_issue, order_serve
    from qorgau.protocols.engine import fire
    from qorgau.protocols.models import Task, TaskStatus
    from tests.orders.support import police_input
    from tests.protocols.support import agency_unit, make_case

    police = _unit("police", "KZ-75", "Sweep police", "751110000")
    inspector = _user(Role.POLICE_INSPECTOR, police, "sweep_inspector")
    school = agency_unit("school", "KZ-75", "751110000", "School 12")
    teacher = _user("school_worker", school, "sweep_teacher")
    agency_unit("school", "KZ-75", None, "Almaty education department")
    ids, checkins = [], []
    for c in range(cases):
        case = make_case(inspector, serial=5000 + 10 * c)
        if checkins_per_case:
            order = order_issue(actor=inspector, case=case, data=police_input(case))
            order = order_serve(actor=inspector, order=order, version=order.version)
            today = clock.now().date()
            checkins += [CheckIn.objects.create(order=order, due_on=today - timedelta(days=3 + k)).pk for k in range(checkins_per_case)]
        Task.objects.filter(case=case).update(status=TaskStatus.DONE)  # the registration's own tasks are not watched
        for k in range(per_case):
            tasks = fire(trigger="child_involved", case=case, actor=inspector, key=f"fault:{c}:{k}")
            ids += [t.pk for t in tasks if t.duty is not None and t.duty.code == "school_child_follow_up"]
    Task.objects.filter(pk__in=ids).update(due_at=clock.now() - timedelta(hours=1))
    return {"tasks": ids, "teacher": teacher.pk, "checkins": checkins}


# --- inspection -----------------------------------------------------------------------------------


def reports_whole(*, report_ids: list[int], unit: int) -> dict[str, Any]:
    """For each given report: its incident, both parties, its case with the victim and offender, the
    registering unit's grant, the audit row. Across the database: nothing half-written."""
    found = {r.pk: r for r in Report.objects.filter(pk__in=report_ids).select_related("incident")}
    problems: list[str] = []
    for rid in report_ids:
        report = found.get(rid)
        if report is None:
            problems.append(f"report {rid} missing")
            continue
        roles = sorted(Party.objects.filter(incident_id=report.incident_id).values_list("role", flat=True))
        if roles != sorted([PartyRole.OFFENDER, PartyRole.VICTIM]):
            problems.append(f"report {rid}: parties {roles}")
        cases = list(Case.objects.filter(incidents=report.incident_id))
        if len(cases) != 1:
            problems.append(f"report {rid}: {len(cases)} cases")
        for case in cases:
            if not Grant.objects.filter(case=case, unit_id=unit).exists():
                problems.append(f"report {rid}: case {case.pk} without the unit's grant")
        audits = AuditEvent.objects.filter(action="write", target_type="report", target_id=str(rid)).count()
        if audits != 1:
            problems.append(f"report {rid}: {audits} audit rows")
    half = {
        "incidents_without_report": Incident.objects.filter(reports__isnull=True).count(),
        "incidents_without_parties": Incident.objects.annotate(n=Count("parties")).filter(n__lt=2).count(),
        "incidents_without_case": Incident.objects.filter(cases__isnull=True).count(),
        "cases_without_grant": Case.objects.filter(grants__isnull=True).count(),
        "reports_unnumbered": Report.objects.filter(number__startswith="tmp-").count(),
        "reports_unaudited": Report.objects.exclude(
            pk__in=[int(t) for t in AuditEvent.objects.filter(action="write", target_type="report").values_list("target_id", flat=True)]
        ).count(),
    }
    return {"problems": problems, "half_written": half, "reports": Report.objects.count(),
            "unit_reports": Report.objects.filter(unit_id=unit).count()}


def reports_per_victim(*, iins: list[str]) -> dict[str, int]:
    """How many reports name each victim (by her IIN's blind index): one each, or a retry doubled it."""
    from qorgau.people.services import iin_index

    return {
        iin: Report.objects.filter(incident__parties__role=PartyRole.VICTIM, incident__parties__person__iin_bidx=iin_index(iin))
        .distinct().count()
        for iin in iins
    }


def pings_and_alerts(*, device_ids: list[int]) -> dict[str, Any]:
    from qorgau.monitoring.models import Alert, Episode, Ping

    per_device = dict(Counter(Ping.objects.filter(device_id__in=device_ids).values_list("device_id", flat=True)))
    doubled = (Ping.objects.filter(device_id__in=device_ids).values("device_id", "seq").annotate(n=Count("id")).filter(n__gt=1).count())
    alerts = sorted([a.device_id, a.kind] for a in Alert.objects.filter(device_id__in=device_ids))
    episodes = Episode.objects.filter(device_id__in=device_ids).count() if hasattr(Episode, "device_id") else Episode.objects.count()
    return {"pings": {str(k): v for k, v in per_device.items()}, "doubled": doubled, "alerts": alerts, "episodes": episodes}


def checkins_state(*, checkin_ids: list[int]) -> dict[str, Any]:
    """Missed check-ins, their ledger events and audit rows, and the protocol tasks each fired (by key)."""
    from qorgau.orders.models import CheckIn
    from qorgau.protocols.models import Task

    keys = [f"checkin:{pk}" for pk in checkin_ids]
    fired = Counter(Task.objects.filter(trigger="checkin_missed", key__in=keys).values_list("key", flat=True))
    doubled_tasks = (Task.objects.filter(trigger="checkin_missed", key__in=keys).values("case_id", "duty_id", "key")
                     .annotate(n=Count("id")).filter(n__gt=1).count())
    audits = Counter(AuditEvent.objects.filter(target_type="checkin", target_id__in=[str(pk) for pk in checkin_ids])
                     .values_list("target_id", flat=True))
    return {
        "missed": CheckIn.objects.filter(pk__in=checkin_ids, missed_at__isnull=False).count(),
        "events": CaseEvent.objects.filter(kind=EventKind.CHECKIN_MISSED).count(),
        "audited": len(audits), "audit_doubled": sum(1 for n in audits.values() if n > 1),
        "keys_fired": len(fired), "tasks_per_key": sorted(set(fired.values())), "tasks_doubled": doubled_tasks,
    }


def sweep_state(*, task_ids: list[int], teacher: int) -> dict[str, Any]:
    from django_tasks_db.models import DBTaskResult

    from qorgau.protocols.models import Task

    levels = dict(Counter(Task.objects.filter(pk__in=task_ids).values_list("escalation_level", flat=True)))
    events = Counter(CaseEvent.objects.filter(kind=EventKind.TASK_ESCALATED).values_list("case_id", flat=True))
    audits = Counter(AuditEvent.objects.filter(target_type="task", target_id__in=[str(t) for t in task_ids],
                                               outcome__startswith="escalated").values_list("target_id", "outcome"))
    notices = Counter(Notification.objects.filter(recipient_id=teacher, kind=NotificationKind.TASK_OVERDUE,
                                                  target_type="task").values_list("target_id", flat=True))
    results = dict(Counter(DBTaskResult.objects.filter(task_path__endswith="sweep_deadlines").values_list("status", flat=True)))
    return {
        "levels": {str(k): v for k, v in levels.items()},
        "escalated_events": sum(events.values()),
        "audit_rows": len(audits), "audit_doubled": sum(1 for n in audits.values() if n > 1),
        "notified_tasks": len(notices), "notices": sum(notices.values()),
        "notices_doubled": sum(1 for n in notices.values() if n > 1),
        "task_results": results,
    }


def sweep_enqueue() -> dict[str, Any]:
    """What the scheduler's next minute does: enqueue one sweep (rewinding its job row would wait for
    the scheduler's poll; enqueuing directly is the same row in the same queue)."""
    from qorgau.protocols.tasks import sweep_deadlines

    result = sweep_deadlines.enqueue()
    return {"id": str(result.id)}


def scheduler_minute_passes(*, job: str) -> dict[str, Any]:
    """Move the job's last enqueue a minute back: the running scheduler enqueues it at its next poll,
    as it would a minute later."""
    from qorgau.core.models import PeriodicJob

    rows = PeriodicJob.objects.filter(name=job).update(last_enqueued_at=clock.now() - timedelta(seconds=61))
    return {"rows": rows}


def escalated_count(*, task_ids: list[int]) -> dict[str, Any]:
    from qorgau.protocols.models import Task

    return {"escalated": Task.objects.filter(pk__in=task_ids, escalation_level__gte=1).count()}


def leases() -> dict[str, Any]:
    """Fresh leases: shard (or the router's row, or a monitor's member slot) → owner."""
    from qorgau.monitoring.models import ShardLease

    fresh = ShardLease.objects.filter(expires_at__gt=clock.now()).exclude(owner="")
    return {str(row.shard): row.owner for row in fresh}


def backend_pid_count() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("select count(*) from pg_stat_activity where datname = current_database()")
        return {"connections": cursor.fetchone()[0]}


ACTIONS: dict[str, Callable[..., Any]] = {f.__name__: f for f in (reference, inspector_token, monitored_sets, overdue_tasks, reports_whole, reports_per_victim, pings_and_alerts, checkins_state,
                                   sweep_state, sweep_enqueue, scheduler_minute_passes, escalated_count, leases, backend_pid_count)}


def serve() -> None:
    """One request per line on stdin (``{"action": …, "args": {…}}``), one answer per line on stdout:
    Django starts once per test instead of once per look. The connection is closed after each
    answer, so a restarted database server costs this process nothing."""
    for line in sys.stdin:
        request = json.loads(line)
        try:
            answer = {"ok": ACTIONS[request["action"]](**request["args"])}
        except Exception:  # reported to the test, which fails with it
            answer = {"error": traceback.format_exc()}
        finally:
            connection.close()
        sys.stdout.write(json.dumps(answer, default=str) + "\n")
        sys.stdout.flush()


def main() -> None:
    if sys.argv[1] == "serve":
        serve()
        return
    action, args = sys.argv[1], json.loads(sys.argv[2] if len(sys.argv) > 2 else "{}")
    answer = ACTIONS[action](**args)
    sys.stdout.write("\n" + json.dumps(answer, default=str) + "\n")


if __name__ == "__main__":
    main()
