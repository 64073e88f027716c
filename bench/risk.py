"""Risk assessment (issue 5): the reassessment queue and the registry pre-fill, each against the read
the same screen already makes without it.

A unit holding ``cases`` cases (default 1,500; QORGAU_BENCH_RISK_CASES), half of them assessed, some
with an incident after the assessment:

* the unit's reassessment queue (``reassessments_due``: due dates, forced by later incidents,
  never assessed) against its caseload list (``caseload``), the other list of the same cases;
* the pre-fill of a checklist at the start of an assessment (``prefill_answers``: the latest
  incident, the offender's earlier incidents and other victims across the registry, markers)
  against the case page's flags (``case_flags``), which read the same repeat counts.
"""

from __future__ import annotations

import datetime as dt
import os
from datetime import timedelta

from bench.harness import Report, compare


def _populate(actor, cases: int) -> list:
    from qorgau.cases.services import VictimInput, report_register
    from qorgau.core import clock
    from qorgau.people.services import PersonInput
    from qorgau.risk.instruments import instruments_load, policy_load
    from qorgau.risk.models import InstrumentVersion
    from qorgau.risk.services import assessment_save, assessment_sign, assessment_start
    from tests.cases.factories import report_input

    instruments_load()
    policy_load()
    dash = InstrumentVersion.objects.get(instrument__code="dash", status="published")
    codes = list(dash.items.values_list("code", flat=True))
    made = []
    start = clock.now() - timedelta(hours=6 * cases)  # spread up to now: some due, some not
    for i in range(cases):
        with clock.frozen(start + timedelta(hours=6 * i)):
            victim = PersonInput(full_name=f"Бенчова Айгуль {i}", birth_date=dt.date(1980 + i % 20, 1 + i % 12, 1 + i % 28), sex="F")
            offender = PersonInput(full_name=f"Бенчов Ерлан {i // 3}", birth_date=dt.date(1975 + i % 15, 1 + i % 12, 2), sex="M")
            reg = report_register(actor=actor, data=report_input(
                victims=[VictimInput(relationship="spouse", person=victim)], offender=offender,
                circumstances={"strangulation"} if i % 5 == 0 else set(),
            ))
            case = reg.cases[0]
            made.append(case)
            if i % 2 == 0:
                a = assessment_start(actor=actor, case=case, version_id=dash.pk)
                answers = {c: ("yes" if (k + i) % 4 == 0 else "no") for k, c in enumerate(codes)}
                a = assessment_save(actor=actor, assessment=a, row_version=a.row_version, answers=answers)
                assessment_sign(actor=actor, assessment=a, row_version=a.row_version)
    return made


def run(report: Report) -> None:
    from qorgau.accounts.models import User
    from qorgau.cases.selectors import case_flags, caseload
    from qorgau.risk.models import InstrumentVersion
    from qorgau.risk.prefill import prefill_answers
    from qorgau.risk.selectors import reassessments_due

    cases = int(os.environ.get("QORGAU_BENCH_RISK_CASES", "1500"))
    inspector = User.objects.get(username="inspector")
    made = _populate(inspector, cases)
    due = reassessments_due(inspector, limit=cases)
    report.add(
        compare(
            "reassessment queue of a unit (due, forced by new incidents, never assessed)",
            lambda: reassessments_due(inspector, limit=cases),
            "the same unit's caseload list",
            lambda: caseload(inspector, limit=cases),
            n=10,
            rounds=3,
            note=f"{cases} cases, {len(due)} due within 7 days",
        )
    )
    dash = InstrumentVersion.objects.get(instrument__code="dash", status="published")
    sources = list(dash.items.exclude(prefill="").values_list("code", "prefill"))
    case = made[-1]
    report.add(
        compare(
            "checklist pre-fill from the registry (incident, his history, markers)",
            lambda: prefill_answers(case, sources),
            "the case page's cross-registry flags",
            lambda: case_flags(case, inspector),
            n=100,
            rounds=3,
            note=f"{len(sources)} pre-filled items",
        )
    )
