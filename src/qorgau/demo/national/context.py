"""What the national build reads once before it writes: the registrars and their units, the risk
instruments, the protocol's duties and how they are routed, the shelters and the monitoring centre."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from qorgau.accounts.models import ServiceArea, Unit, User
from qorgau.cases.models import Marker, Relationship
from qorgau.demo.seed import seed_regional_police
from qorgau.protocols.engine import NATIONAL_REGION
from qorgau.protocols.models import Duty, Trigger, VersionStatus
from qorgau.risk.models import InstrumentVersion, LevelPolicy
from qorgau.risk.models import VersionStatus as InstrumentStatus
from qorgau.risk.scoring import Spec
from qorgau.shelters.models import BedPool, Centre


@dataclass(frozen=True)
class Registrar:
    user_id: int
    unit_id: int


@dataclass(frozen=True)
class Instrument:
    code: str
    spec: Spec
    codes: list[str]


@dataclass(frozen=True)
class DutyInfo:
    id: int
    trigger: str
    kind: str  # agency kind code
    mode: str
    hours: int
    measure: str


@dataclass(frozen=True)
class UnitPlace:
    id: int
    kind: str
    region: str
    district: str | None
    area: str


@dataclass(frozen=True)
class Shelter:
    centre_id: int
    unit_id: int
    region: str
    pools: dict[str, int]  # bed kind -> pool id
    staff_id: int | None


@dataclass
class Context:
    anchor: dt.datetime
    seed: int
    rng: random.Random
    registrars: dict[str, Registrar]  # region iso or "inspector"
    markers: set[str]
    instruments: dict[str, Instrument]  # relationship -> its primary instrument
    reassess_days: dict[str, int]
    duties: list[DutyInfo]
    units: list[UnitPlace]
    shelters: list[Shelter]
    monitoring_unit: int | None
    operator_id: int | None
    routed: dict[tuple[str, str, str | None, bool], int | None] = field(default_factory=dict)

    def route(self, kind: str, region: str, district: str | None, urban: bool) -> int | None:
        """The unit of ``kind`` that takes a duty at this place, by the rules of
        ``protocols.engine.route`` (district, then the region's own unit, then any in the region, then
        the national one), over the units read once."""
        key = (kind, region, district, urban)
        if key not in self.routed:
            self.routed[key] = self._route(kind, region, district, urban)
        return self.routed[key]

    def _route(self, kind: str, region: str, district: str | None, urban: bool) -> int | None:
        of_kind = [u for u in self.units if u.kind == kind]
        want = ServiceArea.URBAN if urban else ServiceArea.RURAL
        order = {want.value: 0, ServiceArea.MIXED.value: 1}

        def first(units: list[UnitPlace]) -> int | None:
            return sorted(units, key=lambda u: (order.get(u.area, 2), u.id))[0].id if units else None

        if district:
            found = first([u for u in of_kind if u.district == district])
            if found:
                return found
        found = first([u for u in of_kind if u.region == region and u.district is None])
        found = found or first([u for u in of_kind if u.region == region])
        if found:
            return found
        national = [u for u in of_kind if u.region == NATIONAL_REGION and u.district is None]
        return national[0].id if national else None


def _registrar(user: User) -> Registrar:
    assert user.unit_id is not None
    return Registrar(user.pk, user.unit_id)


def context_load(*, seed: int, anchor: dt.datetime) -> Context:
    registrars = {iso: _registrar(user) for iso, user in seed_regional_police().items()}
    inspector = User.objects.filter(username="inspector").first()
    if inspector is not None and inspector.unit_id is not None:
        registrars["inspector"] = _registrar(inspector)
    instruments: dict[str, Instrument] = {}
    published = InstrumentVersion.objects.filter(status=InstrumentStatus.PUBLISHED).select_related("instrument")
    for version in published.prefetch_related("relationships"):
        spec = Spec.of(version)
        codes = list(version.items.order_by("position").values_list("code", flat=True))
        for rel in version.relationships.all():
            if rel.primary and rel.relationship in Relationship.values:
                instruments[rel.relationship] = Instrument(version.instrument.code, spec, codes)
    duties = [
        DutyInfo(d.pk, d.trigger, d.agency_kind_id, d.mode, d.hours, d.measure)
        for d in Duty.objects.filter(
            trigger__in=[Trigger.REPORT_REGISTERED, Trigger.CHILD_INVOLVED], version__status=VersionStatus.PUBLISHED, min_level=""
        ).order_by("version__protocol__code", "position")
    ]
    units = [
        UnitPlace(u.pk, u.kind_id, u.region_id, u.district_id, u.service_area)
        for u in Unit.objects.filter(is_active=True).order_by("id")
    ]
    shelters = []
    for centre in Centre.objects.filter(shelter=True).select_related("unit").order_by("id"):
        pools = {p.kind: p.pk for p in BedPool.objects.filter(centre=centre, capacity__gt=0)}
        staff = User.objects.filter(unit=centre.unit, is_active=True).order_by("id").values_list("id", flat=True).first()
        if pools:
            shelters.append(Shelter(centre.pk, centre.unit_id, centre.unit.region_id, pools, staff))
    monitoring = Unit.objects.filter(kind_id="monitoring_centre", is_active=True).order_by("id").first()
    operator = User.objects.filter(unit=monitoring, is_active=True).order_by("id").first() if monitoring else None
    return Context(
        anchor=anchor,
        seed=seed,
        rng=random.Random(f"{seed}:national:downstream"),  # noqa: S311 - synthetic demo data, not security
        registrars=registrars,
        markers=set(Marker.objects.values_list("code", flat=True)),
        instruments=instruments,
        reassess_days=dict(LevelPolicy.objects.values_list("level", "reassess_days")),
        duties=duties,
        units=units,
        shelters=shelters,
        monitoring_unit=monitoring.pk if monitoring else None,
        operator_id=operator.pk if operator else None,
    )
