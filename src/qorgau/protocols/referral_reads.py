"""The case page's referrals, read by hand (core.sql_reads, ADR 0018).

``protocols.selectors.case_referrals`` showed the case's referral tasks through ``_tasks()``, whose
``select_related`` of five relations (the case again among them) the ORM compiled on every case page
that has a referral. This reads the same rows in one hand-written statement and attaches the case the
gate already read; tests/protocols/test_referral_reads.py compares it with the ORM's.
"""

from __future__ import annotations

from qorgau.accounts.models import AgencyKind, Unit
from qorgau.cases.models import Case
from qorgau.core.sql_reads import attach, fetch, shape, starts
from qorgau.protocols.models import Duty, Mode, Protocol, ProtocolVersion, Task


def referral_tasks(case: Case) -> list[Task]:
    """``referrals_of(case)`` newest first: each task with its duty (the duty's protocol version and
    protocol, and the kind of agency it hands her to) and its unit, and ``case`` as its case."""
    t, d, v, p, k, u = (
        shape(Task, "t"), shape(Duty, "d"), shape(ProtocolVersion, "v"), shape(Protocol, "p"),
        shape(AgencyKind, "k"), shape(Unit, "u"),
    )
    at = starts(t, d, v, p, k, u)
    found = fetch(
        f"""
        SELECT {t.sql}, {d.sql}, {v.sql}, {p.sql}, {k.sql}, {u.sql}
        FROM protocols_task t
          LEFT JOIN protocols_duty d ON d.id = t.duty_id
          LEFT JOIN protocols_protocolversion v ON v.id = d.version_id
          LEFT JOIN protocols_protocol p ON p.id = v.protocol_id
          LEFT JOIN accounts_agencykind k ON k.code = d.agency_kind_id
          LEFT JOIN accounts_unit u ON u.id = t.unit_id
        WHERE t.case_id = %s AND t.mode = %s
        ORDER BY t.created_at DESC, t.id DESC
        """,  # noqa: S608 - column lists of the models only
        [case.pk, Mode.REFERRAL.value],
    )
    out = []
    seen: tuple[dict[object, object], ...] = ({}, {}, {}, {}, {}, {})
    for row in found:
        task, duty = t.build(row, at[0]), d.build(row, at[1], seen[0])
        if duty is not None:
            version = v.build(row, at[2], seen[1])
            attach(version, protocol=p.build(row, at[3], seen[2]))
            attach(duty, version=version, agency_kind=k.build(row, at[4], seen[3]))
        attach(task, case=case, duty=duty, unit=u.build(row, at[5], seen[4]))
        out.append(task)
    return out
