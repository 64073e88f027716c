"""The retention policy (DESIGN §10, docs/retention.md): after ``QORGAU_RETENTION_YEARS`` from its
closure, a case loses its decryptable personal fields and keeps everything the statistics and the
repeat links need — numbers, states, dates, risk levels, counts, timeline entries, blind indexes and
person keys. Nothing is deleted but the attachments' file bytes; rows stay, their texts emptied.

What belongs to what:

* **case texts** (``CASE_FIELDS``) go with the case — and with the cases merged into it;
* **report narratives** go when every case of the report's incident has passed the policy (one
  incident may hold several victims' cases);
* **order texts** go when every case the order is linked to has passed it;
* **a person record's fields** go when every case the record is party to (victim, offender, or a
  party of one of its incidents) has passed it: a person who is also in an open or recent case keeps
  her record, while the old case's own texts still go.

"Passed" means taken by this run (in this batch or a later one), or processed since its last
closure. A case is eligible when it is closed, was closed at least the period ago, is not merged into
another case (it goes with its survivor), and was not processed since that closure — so a case
reopened and closed again is processed again once its new period ends, and a second run finds
nothing to do.

Every encrypted field of the project is either covered here (the ``*_FIELDS`` tables) or exempt with
a reason (``EXEMPT``); tests/cases/test_retention.py fails when a new one is neither.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q

from qorgau.cases.attachments import storage_path
from qorgau.cases.models import Attachment, Case, CaseState, Party, Report
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.models import AuditAction
from qorgau.people.models import Person, PersonLink, SafeContact

log = logging.getLogger(__name__)

# model label → (lookup from the model to its case, the encrypted fields emptied).
CASE_FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "cases.Case": ("pk", ("state_reason",)),
    "cases.Grant": ("case", ("justification",)),
    "cases.CaseEvent": ("case", ("reason",)),
    "cases.Attachment": ("case", ("filename",)),
    "risk.Assessment": ("case", ("level_reason",)),
    "risk.LevelChange": ("assessment__case", ("reason",)),
    "risk.MeasureRecord": ("assessment__case", ("note",)),
    "risk.SafetyPlan": ("case", ("steps", "contacts", "safe_places", "children", "documents_other")),
    "orders.CourtDecision": ("case", ("sentence",)),
    "orders.CourtHearing": ("case", ("outcome",)),
    "protocols.Task": ("case", ("title", "instructions", "outcome", "decline_reason")),
    "protocols.Consent": ("case", ("purpose", "withdraw_reason")),
    "protocols.ReferralOverride": ("case", ("reason",)),
    "protocols.Conference": ("case", ("minutes", "close_reason")),
    "protocols.ConferenceDecision": ("conference__case", ("text", "details")),
    "support.SupportReferral": ("case", ("note",)),
    "programmes.Enrolment": ("case", ("reason",)),
    "programmes.Session": ("enrolment__case", ("note",)),
    "monitoring.Zone": ("case", ("geometry", "label")),
    "monitoring.Alert": ("case", ("dispatch_note", "resolution_note")),
}
# model label → (lookup from the model to its order, fields): emptied once all the order's cases passed.
ORDER_FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "orders.Order": ("pk", ("revoke_reason",)),
    "orders.OrderExtension": ("order", ("reason",)),
    "orders.Breach": ("order", ("what", "evidence")),
}
INCIDENT_FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {"cases.Report": ("incident", ("narrative",))}
PERSON_FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "people.Person": ("pk", ("full_name", "iin", "phone", "address", "workplace")),
    "people.SafeContact": ("person", ("phone", "code_word")),
    # A lawful request about her, and the corrections made for it (privacy).
    "privacy.PrivacyRequest": ("subject", ("reference", "notes")),
    "privacy.PrivacyCorrection": ("person", ("reason",)),
}
# A link's undo reason speaks of both records: emptied once both were removed.
LINK_FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {"people.PersonLink": ("survivor, merged", ("undo_reason",))}
# Encrypted fields outside a case's reach, each with the reason (docs/retention.md).
EXEMPT: dict[str, str] = {
    "accounts.User": "staff accounts, not case data; they follow the staff-account rules",
    "shelters.Centre": "a crisis centre's address is the centre's, not a person's",
    "training.Completion": "staff training records",
    "intake.AnonymousRecord": "a centre's anonymous record is linked to no case; its retention is a separate decision",
    "intake.RecordShare": "belongs to an anonymous record (see intake.AnonymousRecord)",
    "watch.AccessAlert": "a supervisor's note on a staff member's access pattern, about staff, not a case",
    "watch.AccessReview": "a unit's periodic access review, about staff and grants, not a case",
    "monitoring.Ping": "raw pings are deleted after PING_RETENTION_DAYS (monitoring.retention), long before this period",
}
# An emptied zone is still read as JSON (monitoring.selectors.zone_geometry): no coordinates left.
EMPTY_VALUES: dict[tuple[str, str], str] = {("monitoring.Zone", "geometry"): "{}"}


def covered_fields() -> dict[str, set[str]]:
    """Every encrypted field the policy empties, by model label."""
    out: dict[str, set[str]] = {}
    for table in (CASE_FIELDS, ORDER_FIELDS, INCIDENT_FIELDS, PERSON_FIELDS, LINK_FIELDS):
        for label, (_path, names) in table.items():
            out.setdefault(label, set()).update(names)
    return out


def retention_years() -> int:
    return int(settings.QORGAU_RETENTION_YEARS)


def cutoff(now: datetime) -> datetime:
    """``now`` minus the retention period (29 February falls back to 28 February)."""
    years = retention_years()
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def _eligible(at: datetime) -> Q:
    return Q(
        state=CaseState.CLOSED,
        closed_at__lte=cutoff(at),
        merged_into__isnull=True,
    ) & (Q(personal_removed_at__isnull=True) | Q(personal_removed_at__lt=F("closed_at")))


def _empty_values(label: str, names: Iterable[str]) -> dict[str, Any]:
    model = apps.get_model(label)
    values: dict[str, Any] = {}
    for name in names:
        f = model._meta.get_field(name)
        values[name] = None if f.null else EMPTY_VALUES.get((label, name), "")
    return values


@dataclass
class Counts:
    cases: int = 0
    persons: int = 0
    reports: int = 0
    orders: int = 0
    attachments: int = 0
    persons_kept: int = 0  # records left as they are: also party to an open or recent case
    batches: int = 0
    dry_run: bool = False
    fields: dict[str, int] = field(default_factory=dict)

    def add(self, other: Counts) -> None:
        for name in ("cases", "persons", "reports", "orders", "attachments", "persons_kept", "batches"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for key, n in other.fields.items():
            self.fields[key] = self.fields.get(key, 0) + n


@dataclass
class Plan:
    family: list[int]  # the eligible cases and the cases merged into them
    persons: list[int]
    persons_kept: list[int]
    incidents: list[int]
    orders: list[int]


def _unsettled(family: set[int], settled_extra: Q | None) -> Q:
    """Cases that have not passed the policy: outside the batch, and not processed since their last
    closure (a processed case reopened, or closed again recently, holds its people again).
    ``settled_extra`` also counts the cases this run reaches in later batches."""
    processed = Q(personal_removed_at__isnull=False) & (
        Q(merged_into__isnull=False) | Q(state=CaseState.CLOSED, personal_removed_at__gte=F("closed_at"))
    )
    settled = Q(pk__in=family) | processed
    if settled_extra is not None:
        settled |= settled_extra
    return ~settled


def _plan(family: list[int], settled_extra: Q | None = None) -> Plan:
    from qorgau.orders.models import OrderCase

    fam = set(family)
    unsettled = Case.objects.filter(_unsettled(fam, settled_extra)).values("pk")
    incident_ids = set(Case.incidents.through.objects.filter(case_id__in=fam).values_list("incident_id", flat=True))
    blocked_incidents = set(
        Case.incidents.through.objects.filter(incident_id__in=incident_ids, case_id__in=unsettled).values_list("incident_id", flat=True)
    )
    pairs = Case.objects.filter(pk__in=fam).values_list("victim_id", "offender_id")
    person_ids = {p for pair in pairs for p in pair}
    person_ids |= set(Party.objects.filter(incident_id__in=incident_ids).values_list("person_id", flat=True))
    blocked_persons: set[int] = set()
    for victim, offender in Case.objects.filter(_unsettled(fam, settled_extra)).filter(
        Q(victim_id__in=person_ids) | Q(offender_id__in=person_ids)
    ).values_list("victim_id", "offender_id"):
        blocked_persons.update((victim, offender))
    blocked_persons |= set(
        Party.objects.filter(
            person_id__in=person_ids,
            incident_id__in=Case.incidents.through.objects.filter(case_id__in=unsettled).values("incident_id"),
        ).values_list("person_id", flat=True)
    )
    order_ids = set(OrderCase.objects.filter(case_id__in=fam).values_list("order_id", flat=True))
    blocked_orders = set(OrderCase.objects.filter(order_id__in=order_ids, case_id__in=unsettled).values_list("order_id", flat=True))
    kept = person_ids & blocked_persons
    return Plan(
        family=sorted(fam),
        persons=sorted(person_ids - blocked_persons),
        persons_kept=sorted(kept),
        incidents=sorted(incident_ids - blocked_incidents),
        orders=sorted(order_ids - blocked_orders),
    )


def _family(candidates: list[int]) -> list[int]:
    merged = Case.objects.filter(merged_into_id__in=candidates).values_list("pk", flat=True)
    return sorted({*candidates, *merged})


def _empty(table: dict[str, tuple[str, tuple[str, ...]]], owner_ids: list[int], counts: Counts) -> None:
    for label, (path, names) in table.items():
        model: type[models.Model] = apps.get_model(label)
        lookup = "pk__in" if path == "pk" else f"{path}__in"
        # One value per column: every row of the column gets the same sealed empty text.
        n = model._default_manager.filter(**{lookup: owner_ids}).update(**_empty_values(label, names))
        counts.fields[label] = counts.fields.get(label, 0) + n


def _apply(plan: Plan, now: datetime) -> Counts:
    """Empty what the plan names, flag the rows, delete the files; inside the caller's transaction."""
    counts = Counts(cases=len(plan.family), persons=len(plan.persons), persons_kept=len(plan.persons_kept), orders=len(plan.orders))
    _empty(CASE_FIELDS, plan.family, counts)
    Case.objects.filter(pk__in=plan.family).update(personal_removed_at=now, version=F("version") + 1)
    Zone = apps.get_model("monitoring.Zone")
    Zone.objects.filter(case_id__in=plan.family, ended_at__isnull=True).update(ended_at=now)
    _empty(ORDER_FIELDS, plan.orders, counts)
    reports = Report.objects.filter(incident_id__in=plan.incidents, personal_removed_at__isnull=True)
    counts.reports = reports.update(narrative="", personal_removed_at=now)
    _empty(PERSON_FIELDS, plan.persons, counts)
    Person.objects.filter(pk__in=plan.persons).update(personal_removed_at=now, version=F("version") + 1)
    SafeContact.objects.filter(person_id__in=plan.persons).update(version=F("version") + 1)
    links = PersonLink.objects.filter(Q(survivor_id__in=plan.persons) | Q(merged_id__in=plan.persons)).filter(
        survivor__personal_removed_at__isnull=False, merged__personal_removed_at__isnull=False
    )
    counts.fields["people.PersonLink"] = links.update(undo_reason="")
    files = list(Attachment.objects.filter(case_id__in=plan.family, removed_at__isnull=True).values_list("storage_key", flat=True))
    counts.attachments = Attachment.objects.filter(case_id__in=plan.family, removed_at__isnull=True).update(removed_at=now)
    # The bytes go before the commit: a failure after it leaves no readable file behind a removed row,
    # and a rolled-back batch is redone by the next run (a missing file is no error then).
    for key in files:
        path = storage_path(key)
        path.unlink(missing_ok=True)
        path.with_name(path.name + ".part").unlink(missing_ok=True)
    return counts


def _settled_later(at: datetime) -> Q:
    """Eligible cases count as passed for the people, incidents and orders they share with a batch:
    the run reaches them in a later batch, and a person is not kept for a case about to go too."""
    all_eligible = Case.objects.filter(_eligible(at)).values("pk")
    return Q(pk__in=all_eligible) | Q(merged_into__in=all_eligible)


def _unseen(plan: Plan, seen: dict[str, set[int]]) -> Plan:
    """The plan without what an earlier batch of this run already took (or, in a dry run, counted)."""
    out = Plan(
        family=plan.family,
        persons=[p for p in plan.persons if p not in seen["persons"]],
        persons_kept=[p for p in plan.persons_kept if p not in seen["kept"]],
        incidents=[i for i in plan.incidents if i not in seen["incidents"]],
        orders=[o for o in plan.orders if o not in seen["orders"]],
    )
    for key, ids in (("persons", out.persons), ("kept", out.persons_kept), ("orders", out.orders), ("incidents", out.incidents)):
        seen[key].update(ids)
    return out


def _count(plan: Plan) -> Counts:
    return Counts(
        cases=len(plan.family),
        persons=len(plan.persons),
        persons_kept=len(plan.persons_kept),
        orders=len(plan.orders),
        reports=Report.objects.filter(incident_id__in=plan.incidents, personal_removed_at__isnull=True).count(),
        attachments=Attachment.objects.filter(case_id__in=plan.family, removed_at__isnull=True).count(),
    )


def retention_apply(*, now: datetime | None = None, batch: int | None = None, dry_run: bool = False) -> Counts:
    """Process every eligible case, ``batch`` cases (with their merged cases) per transaction, one
    audit row per batch. ``dry_run`` writes nothing and returns what a run would do."""
    at = now or clock.now()
    size = batch or int(settings.QORGAU_RETENTION_BATCH)
    total = Counts(dry_run=dry_run)
    eligible = Case.objects.filter(_eligible(at)).order_by("id")
    seen: dict[str, set[int]] = {"persons": set(), "kept": set(), "orders": set(), "incidents": set()}
    last = 0  # paged by id: a dry run changes nothing, and a run never takes a case twice
    while True:
        with transaction.atomic():
            # Locked so that a report reopening one of them waits for the batch; re-read under the lock.
            query = eligible.filter(pk__gt=last)
            candidates = list((query if dry_run else query.select_for_update()).values_list("pk", flat=True)[:size])
            if not candidates:
                break
            last = candidates[-1]
            plan = _unseen(_plan(_family(candidates), _settled_later(at)), seen)
            if dry_run:
                counts = _count(plan)
            else:
                counts = _apply(plan, at)
                audit_record(actor=None, action=AuditAction.RETENTION, target_type="case", count=counts.cases)
        counts.batches = 1
        total.add(counts)
        log.info("retention: %s cases, %s person records, %s reports", counts.cases, counts.persons, counts.reports)
    return total
