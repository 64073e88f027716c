"""Reads of victim support: the catalogue with its filters, a referral through its gate, the
provider's queue, the case's referrals, and the figures (with small-cell suppression)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Min, QuerySet

from qorgau.accounts.masks import Scope, Sensitivity, Viewer
from qorgau.accounts.models import User
from qorgau.cases.access import grants_in_force, scope_for
from qorgau.cases.models import Case, GrantReason, Incident
from qorgau.cases.presence import absent
from qorgau.core.audit import audit_record
from qorgau.core.errors import NotFound
from qorgau.core.models import AuditAction
from qorgau.support.models import (
    ECONOMIC_KINDS,
    LIVE_STATUSES,
    SupportKind,
    SupportProgramme,
    SupportReferral,
    SupportStatus,
)
from qorgau.support.services import is_provider, works_on_cases

SMALL_CELL = 5
GROUPS = {"migrants": "serves_migrants", "ethnic": "serves_ethnic", "disabilities": "serves_disabilities"}


def programmes(*, kind: str = "", region: str = "", language: str = "", groups: tuple[str, ...] = (),
               active_only: bool = True) -> QuerySet[SupportProgramme]:
    """The catalogue filtered by kind, region, a language she speaks and the groups she belongs to
    (a programme must serve every group given)."""
    rows = SupportProgramme.objects.select_related("unit", "region")
    if active_only:
        rows = rows.filter(active=True)
    if kind:
        rows = rows.filter(kind=kind)
    if region:
        rows = rows.filter(region_id=region)
    if language in ("kk", "ru", "en", "other"):
        rows = rows.filter(**{f"lang_{language}": True})
    for group in groups:
        if group in GROUPS:
            rows = rows.filter(**{GROUPS[group]: True})
    return rows


def programme_get(programme_id: int) -> SupportProgramme:
    found = SupportProgramme.objects.select_related("unit", "region").filter(pk=programme_id).first()
    if found is None:
        raise NotFound()
    return found


def case_region(case: Case) -> str:
    """The case's region: its latest incident's, else the holding unit's."""
    region = case.incidents.order_by("-occurred_at").values_list("region_id", flat=True).first()
    return region or case.holding_unit.region_id


@dataclass(frozen=True)
class Access:
    referral: SupportReferral
    provider: bool  # staff of the provider unit
    referrer: bool  # a unit working on the case (full or worker grant)


def referral_get_for(actor: User, referral_id: int) -> Access:
    """The referral for its provider unit's staff or a unit working on the case; NotFound alike for
    a missing referral and one the actor may not see."""
    referral = (SupportReferral.objects.select_related("programme", "programme__unit", "unit", "case", "referring_unit")
                .filter(pk=referral_id).first())
    if referral is None:
        audit_record(actor=actor, action=AuditAction.DENIED, target_type="support_referral", target_id=referral_id, outcome="refused")
        raise NotFound()
    provider = is_provider(actor, referral)
    # The scope without the case gate's audit row: the referral read is audited as its own target.
    scope = scope_for(actor, referral.case)
    referrer = works_on_cases(actor) and scope in (Scope.FULL, Scope.WORKER)
    if not provider and not referrer:
        audit_record(actor=actor, action=AuditAction.DENIED, target_type="support_referral", target_id=referral_id, outcome="refused")
        raise NotFound()
    audit_record(actor=actor, action=AuditAction.READ, target_type="support_referral", target_id=referral.pk)
    return Access(referral, provider, referrer)


REFERRALS = "support_referrals"


def referrals_of(case: Case) -> QuerySet[SupportReferral, SupportReferral]:
    return SupportReferral.objects.filter(case=case)


def case_referrals(case: Case, viewer: Viewer, user: User) -> list[SupportReferral]:
    """What she was referred to: all referrals for a unit working on the case, only its own for a
    provider that sees the case under consent."""
    if absent(case, REFERRALS):
        return []
    rows = referrals_of(case).select_related("programme", "unit").order_by("-requested_on", "-id")
    if viewer.scope in (Scope.FULL, Scope.WORKER):
        return list(rows)
    return list(rows.filter(unit_id=user.unit_id)) if user.unit_id else []


def provider_queue(user: User, *, status: str = "") -> list[SupportReferral]:
    """Referrals to the user's unit; live ones first."""
    if user.unit_id is None:
        return []
    rows = SupportReferral.objects.filter(unit_id=user.unit_id).select_related("programme", "case")
    if status:
        rows = rows.filter(status=status)
    return sorted(rows, key=lambda r: (r.status not in LIVE_STATUSES, -r.requested_on.toordinal(), -r.pk))


def support_consented(unit_id: int | None, case_id: int) -> frozenset[Sensitivity]:
    """What a provider unit may see of her under its live support grants (identity, and contact when
    she agreed). Meant to be joined into ``protocols.consent.consented_for`` (see docs/support.md)."""
    if unit_id is None:
        return frozenset()
    live = grants_in_force().filter(case_id=case_id, unit_id=unit_id, reason=GrantReason.REFERRAL).values("pk")
    out: set[Sensitivity] = set()
    for contact in SupportReferral.objects.filter(case_id=case_id, unit_id=unit_id, grant__in=live).values_list("shares_contact", flat=True):
        out.add(Sensitivity.IDENTITY)
        if contact:
            out.add(Sensitivity.CONTACT)
    return frozenset(out)


# --- figures ---------------------------------------------------------------------------------------


def cell(n: int) -> str:
    """A count for display: under 5 is suppressed."""
    return "<5" if n < SMALL_CELL else str(n)


def share(part: int, whole: int) -> str:
    """A percentage, suppressed when either the part or the rest is a small cell."""
    if whole == 0 or part < SMALL_CELL or whole - part < SMALL_CELL:
        return "—"
    return f"{100 * part / whole:.0f}%"


def support_figures(region: str | None = None, period: tuple[dt.date, dt.date] | None = None) -> dict[str, dict[str, int]]:
    """Referrals by kind and status (raw counts; suppress with ``cell`` when shown). ``period`` is
    an inclusive range of request dates; ``region`` the programme's region."""
    rows = SupportReferral.objects.all()
    if region:
        rows = rows.filter(programme__region_id=region)
    if period is not None:
        rows = rows.filter(requested_on__gte=period[0], requested_on__lte=period[1])
    out: dict[str, dict[str, int]] = {k: dict.fromkeys(SupportStatus.values, 0) for k in SupportKind.values}
    for r in rows.values("programme__kind", "status").annotate(n=Count("id")):
        out[r["programme__kind"]][r["status"]] = r["n"]
    return out


@dataclass(frozen=True)
class RepeatGroup:
    cases: int
    repeated: int


def repeat_after_support() -> dict[str, RepeatGroup]:
    """Cases with a completed economic support vs. cases without: how many, and how many had a new
    incident after the support started (with support) or a repeat incident at all, i.e. more than one
    incident on the case (without). An
    association, not a causal effect (docs/support.md)."""
    supported = (SupportReferral.objects.filter(status=SupportStatus.COMPLETED, programme__kind__in=ECONOMIC_KINDS,
                                                started_on__isnull=False)
                 .values("case_id").annotate(first=Min("started_on")))
    start_of = {r["case_id"]: r["first"] for r in supported}
    cases = Case.objects.filter(merged_into__isnull=True)
    with_support = 0
    with_repeat = 0
    for case_id in start_of:
        since = dt.datetime.combine(start_of[case_id] + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
        with_support += 1
        if Incident.objects.filter(cases__id=case_id, occurred_at__gte=since).exists():
            with_repeat += 1
    without = cases.exclude(pk__in=list(start_of)).annotate(incidents_n=Count("incidents", distinct=True))
    counts: dict[str, Any] = without.aggregate(n=Count("id"))
    repeated_without = without.filter(incidents_n__gte=2).count()
    return {
        "with_support": RepeatGroup(with_support, with_repeat),
        "without_support": RepeatGroup(counts["n"] or 0, repeated_without),
    }
