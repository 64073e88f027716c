"""A world for the permission matrix's own/other unit dimension (issue 11).

Unit A is the unit of the matrix users (``make_user``'s police unit, Almaly district, Almaty); unit B
is another region's police unit (Atyrau). For every id parameter the URL patterns use there is a
builder here that makes a real object of each unit with the apps' own services (or, where the apps'
own test fixtures make the rows directly, the same way): ``KINDS`` maps a parameter (optionally
scoped by the route's prefix) to its builder.

A builder returns ``Ids``: ``own`` (unit A's object) and ``other`` (unit B's object). A national
object (a catalogue, a strategy entry, a protocol version: every unit sees the same ones) has no
other unit's copy: ``other`` is None and ``national`` says why. A per-user object (a notification, a
token) is built for the signed-in user (own) and for unit B's inspector (other) by a ``user`` builder.

Every planted personal string of unit B is in ``THEIRS``: no response to unit A's users may carry one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from qorgau.accounts.masks import Scope
from qorgau.accounts.models import AgencyKind, ApiToken, NotificationKind, Unit, User
from qorgau.accounts.roles import Capability, Role
from qorgau.accounts.services import notify, unit_create
from qorgau.accounts.tokens import api_token_issue
from qorgau.analytics import services_strategy as strategy
from qorgau.cases.attachments import attachment_add
from qorgau.cases.identity import person_link
from qorgau.cases.ledger import grant_add
from qorgau.cases.models import Case, GrantReason
from qorgau.cases.reference import markers_load
from qorgau.cases.services import VictimInput, report_register
from qorgau.core import clock
from qorgau.core.models import District, Region
from qorgau.intake.services import RecordInput, record_register, share_give
from qorgau.monitoring.alerts import alert_raise
from qorgau.monitoring.models import (
    Assignment,
    ConditionKind,
    Device,
    DeviceKind,
    DeviceStatus,
    Episode,
    OffenderSet,
    Wearer,
    Zone,
    ZonePlace,
    ZoneShape,
)
from qorgau.orders.court import court_decision_record, criminal_case_record
from qorgau.orders.hearings import hearing_schedule
from qorgau.orders.services import order_issue
from qorgau.people.models import LinkHow, MatchReview
from qorgau.programmes.services import enrolment_create
from qorgau.protocols.conferences import conference_propose_for
from qorgau.protocols.consent import referral_consent_record
from qorgau.protocols.definitions import protocols_load
from qorgau.protocols.models import ProtocolVersion, Task
from qorgau.risk.instruments import instruments_load, policy_load
from qorgau.risk.models import InstrumentVersion
from qorgau.risk.services import assessment_start
from qorgau.shelters.models import Centre
from qorgau.shelters.services import bed_hold, placement_admit
from qorgau.support.services import referral_create
from tests.cases.factories import person, report_input
from tests.orders.support import police_input
from tests.programmes.support import make_programme
from tests.shelters.support import make_centre
from tests.support.builders import make_programme as make_support_programme

# Unit B's personal data: no response to unit A's users may contain any of these.
THEIRS = {
    "victim": "Гульнар Недоступная",
    "offender": "Бахыт Недоступный",
    "narrative": "Рассказ чужого региона о побоях",
    "address": "ул. Закрытая 99",
    "phone": "+7 777 444 33 22",
}
OURS = {
    "victim": "Айжан Своя",
    "offender": "Ерлан Свой",
    "narrative": "Рассказ своего района",
}

# A PNG's magic bytes and a little more: the attachment checks read the head of the file.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass
class Ids:
    own: int
    other: int | None
    national: str = ""  # why there is no other unit's copy
    directory: str = ""  # why another unit's copy is open to every unit (only the leak check applies)
    opener: str = ""  # the Side.people key of the unit A user who holds it, when not the matrix users' unit
    open_to: frozenset[str] = frozenset()  # roles that see every unit's copy by design (only the leak check applies)


@dataclass
class Side:
    unit: Unit
    inspector: User
    case: Case
    region: str
    court: User
    people: dict[str, User] = field(default_factory=dict)  # more staff of the side, by what they are for
    centre: Centre | None = None  # the region's crisis centre (a shelter)
    provider_unit: Unit | None = None  # the region's correction-programme provider


@dataclass
class World:
    a: Side
    b: Side
    built: dict[str, Ids] = field(default_factory=dict)
    cache: dict[str, Any] = field(default_factory=dict)  # objects several builders share
    number_b: str = ""


def _case(inspector: User, names: dict[str, str], region: str, district: str, serial: int) -> Case:
    victim = VictimInput(relationship="spouse", person=person(
        names["victim"], serial=serial, phone=names.get("phone", ""), address=names.get("address", ""),
    ))
    offender = person(names["offender"], birth=dt.date(1984, 2, 3), sex="M", serial=serial + 1)
    data = report_input(victims=[victim], offender=offender, region=region, district=district, narrative=names["narrative"])
    if not district:
        data.urban = False
    return report_register(actor=inspector, data=data).cases[0]


def _unit(kind: str, region: str, name: str, district: str | None = None) -> Unit:
    return unit_create(
        actor=None, kind=AgencyKind.objects.get(code=kind), region=Region.objects.get(iso=region),
        district=District.objects.get(kato=district) if district else None,
        name_ru=f"{name} (ru)", name_kk=f"{name} (kk)", name_en=name,
    )


def world_build(make_user: Callable[..., User], unit_a: Unit, unit_b: Unit) -> World:
    """Both units' cases and the people around them; the objects are built by ``build``."""
    markers_load()
    protocols_load()
    instruments_load()
    policy_load()
    sides = []
    for key, unit, names, region, district, serial in (
        ("a", unit_a, OURS, "KZ-75", "751110000", 5100), ("b", unit_b, THEIRS, "KZ-23", "", 5200),
    ):
        # The region's family support centre, before the case: registration refers her to it.
        fsc = _unit("family_support", region, f"FSC {region}", district or None)
        inspector = make_user(Role.POLICE_INSPECTOR, unit=unit, username=f"world_{key}_inspector")
        case = _case(inspector, names, region, district, serial)
        court = _unit("court", region, f"Court {region}")
        grant_add(case, court, GrantReason.SUPERVISOR, Scope.WORKER, by=None)
        centre = make_centre(f"Shelter {region}", region=region, district=district or None)
        provider = _unit("correction_programme", region, f"Correction centre {region}")
        side = Side(unit, inspector, case, region, make_user(Role.COURT_CLERK, unit=court, username=f"world_{key}_clerk"))
        side.people = {
            "coordinator": make_user(Role.CONFERENCE_COORDINATOR, unit=unit, username=f"world_{key}_conferences"),
            "placer": make_user(Role.PLACEMENT_COORDINATOR, unit=unit, username=f"world_{key}_placer"),
            "shelter": make_user(Role.SHELTER_WORKER, unit=centre.unit, username=f"world_{key}_shelter"),
            "operator": make_user(Role.MONITORING_OPERATOR, unit=unit, username=f"world_{key}_operator"),
            "provider": make_user(Role.PROGRAMME_PROVIDER, unit=provider, username=f"world_{key}_provider"),
            "fsc": make_user(Role.SOCIAL_WORKER, unit=fsc, username=f"world_{key}_fsc"),
            "analyst": make_user(Role.ANALYST, unit=unit, username=f"world_{key}_analyst"),
            "privacy": make_user(Role.PRIVACY_OFFICER, unit=unit, username=f"world_{key}_privacy"),
        }
        side.centre, side.provider_unit = centre, provider
        sides.append(side)
    return World(a=sides[0], b=sides[1], number_b=sides[1].case.number)


# --- builders: one per kind of object -------------------------------------------------------------------


def _pair(world: World, make: Callable[[Side], int]) -> Ids:
    return Ids(make(world.a), make(world.b))


def _of(ids: Ids, side: Side, world: World) -> int:
    """The side's id of a pair."""
    value = ids.own if side is world.a else ids.other
    assert value is not None
    return value


def _directory(ids: Ids) -> Ids:
    ids.directory = DIRECTORY
    return ids


def _held_by(ids: Ids, opener: str) -> Ids:
    ids.opener = opener
    return ids


def build_case(world: World) -> Ids:
    return Ids(world.a.case.pk, world.b.case.pk)


def build_attachment(world: World) -> Ids:
    def make(side: Side) -> int:
        upload = SimpleUploadedFile("photo.png", PNG, content_type="image/png")
        return attachment_add(actor=side.inspector, case=side.case, kind="injury_photo", upload=upload).pk
    return _pair(world, make)


def build_order(world: World) -> Ids:
    return _pair(world, lambda side: order_issue(actor=side.inspector, case=side.case, data=police_input(side.case)).pk)


def build_criminal_case(world: World) -> Ids:
    def make(side: Side) -> int:
        return criminal_case_record(
            actor=side.inspector, case=side.case, number=f"25{side.case.pk:010d}", registered_on=clock.now().date(), article="108",
        ).pk
    return _pair(world, make)


def build_hearing(world: World) -> Ids:
    def make(side: Side) -> int:
        return hearing_schedule(actor=side.court, case=side.case, kind="special_requirements", scheduled_for=clock.now() + dt.timedelta(days=3)).pk
    return _pair(world, make)


def build_task(world: World) -> Ids:
    def make(side: Side) -> int:
        task = Task.objects.filter(case=side.case, unit=side.unit).order_by("pk").first()
        assert task is not None, "registration gave the holding unit no task of the national protocol"
        return task.pk
    return _pair(world, make)


def build_assessment(world: World) -> Ids:
    version = InstrumentVersion.objects.order_by("pk").first()
    assert version is not None

    def make(side: Side) -> int:
        return assessment_start(actor=side.inspector, case=side.case, version_id=version.pk).pk
    return _pair(world, make)


def build_instrument_version(world: World) -> Ids:
    version = InstrumentVersion.objects.order_by("pk").first()
    assert version is not None
    return Ids(version.pk, None, national="instrument versions are national reference data")


def build_referral_task(world: World) -> Ids:
    """The family support centre's first contact, awaiting her consent (registration made it)."""
    def make(side: Side) -> int:
        return Task.objects.get(case=side.case, duty__code="fsc_first_contact").pk
    return _pair(world, make)


def build_consent(world: World) -> Ids:
    referral = build(world, build_referral_task)

    def make(side: Side) -> int:
        task = Task.objects.get(pk=_of(referral, side, world))
        return referral_consent_record(actor=side.inspector, task_id=task.pk, version=task.version, purpose="First contact", how="in_person").pk
    return _pair(world, make)


def build_conference(world: World) -> Ids:
    def make(side: Side) -> int:
        return conference_propose_for(actor=side.people["coordinator"], case=side.case, reasons=["critical"]).pk
    return _pair(world, make)


def build_protocol_version(world: World) -> Ids:
    version = ProtocolVersion.objects.order_by("pk").first()
    assert version is not None
    return Ids(version.pk, None, national="protocol versions are national: one protocol for every unit")


def build_hold(world: World) -> Ids:
    def make(side: Side) -> int:
        assert side.centre is not None
        pool = side.centre.pools.order_by("pk")[0]
        return bed_hold(actor=side.people["placer"], case=side.case, pool_id=pool.pk).pk
    return _held_by(_pair(world, make), "shelter")


def build_placement(world: World) -> Ids:
    def make(side: Side) -> int:
        assert side.centre is not None
        pool = side.centre.pools.order_by("-pk")[0]
        return placement_admit(actor=side.people["shelter"], case=side.case, pool_id=pool.pk).pk
    return _held_by(_pair(world, make), "shelter")


DIRECTORY = "a national directory: staff find a shelter or a programme in any region (edits: its own staff only)"


def build_centre(world: World) -> Ids:
    assert world.a.centre is not None and world.b.centre is not None
    return Ids(world.a.centre.pk, world.b.centre.pk, directory=DIRECTORY)


def build_intake_record(world: World) -> Ids:
    def make(side: Side) -> int:
        names = OURS if side is world.a else THEIRS
        data = RecordInput(region=side.region, alias=names["victim"], full_name=names["victim"], birth_year=1990,
                           forms=frozenset({"physical"}), narrative=names["narrative"], services=frozenset({"psychologist"}))
        return record_register(actor=side.people["shelter"], data=data).pk
    return _held_by(_pair(world, make), "shelter")


def build_share(world: World) -> Ids:
    """Each centre's record shared with its own region's police unit (unit A for ours)."""
    records = build(world, build_intake_record)

    def make(side: Side) -> int:
        record_id = records.own if side is world.a else records.other
        assert record_id is not None
        return share_give(actor=side.people["shelter"], record_id=record_id, to_unit_id=side.unit.pk, purpose="A statement to the police",
                          how="in_person", shares=frozenset({"identity", "narrative"})).pk
    return _held_by(_pair(world, make), "shelter")


def build_programme(world: World) -> Ids:
    def make(side: Side) -> int:
        assert side.provider_unit is not None
        return make_programme(side.provider_unit, region=side.region, lang_en=True).pk
    return _directory(_pair(world, make))


def build_enrolment(world: World) -> Ids:
    programmes = build(world, build_programme)

    def make(side: Side) -> int:
        decision = court_decision_record(actor=side.court, case=side.case, kind="special_requirements",
                                         decided_on=clock.now().date() - dt.timedelta(days=1), reference=f"2-{side.case.pk}/2026")
        programme_id = programmes.own if side is world.a else programmes.other
        return enrolment_create(actor=side.court, case=side.case, decision_id=decision.pk, programme_id=programme_id,
                                deadline=clock.now().date() + dt.timedelta(days=90)).pk
    return _pair(world, make)


def build_support_programme(world: World) -> Ids:
    def make(side: Side) -> int:
        unit = _unit("social_protection", side.region, f"Employment office {side.region}")
        return make_support_programme(unit, f"Jobs {side.region}").pk
    return _directory(_pair(world, make))


def build_support_referral(world: World) -> Ids:
    programmes = build(world, build_support_programme)

    def make(side: Side) -> int:
        from qorgau.cases.access import case_get_for
        from qorgau.support.models import SupportProgramme

        _case, viewer = case_get_for(side.inspector, side.case.pk)
        programme = SupportProgramme.objects.get(pk=_of(programmes, side, world))
        return referral_create(actor=side.inspector, case=side.case, viewer=viewer, programme=programme, consent_how="in_person").pk
    return _pair(world, make)


@dataclass
class _Monitored:
    device: int
    assignment: int
    zone: int
    alert: int


def _monitored(world: World) -> dict[str, _Monitored]:
    """Each side's case under monitoring by its own unit, as the monitoring tests' fixtures make it."""
    if "_monitored" not in world.cache:
        out = {}
        for key, side in (("a", world.a), ("b", world.b)):
            operator = side.people["operator"]
            now = clock.now()
            order = order_issue(actor=side.inspector, case=side.case, data=police_input(side.case, ban_contact=True))
            oset = OffenderSet.objects.create(offender=side.case.offender, shard=0, created_at=now)
            bracelet = Device.objects.create(serial=f"WORLD-BR-{key}", kind=DeviceKind.BRACELET, status=DeviceStatus.ASSIGNED, unit=side.unit,
                                             registered_at=now, registered_by=operator)
            assignment = Assignment.objects.create(device=bracelet, case=side.case, offender_set=oset, wearer=Wearer.OFFENDER, order=order,
                                                   proximity_m=500, unit=side.unit, started_at=now, started_by=operator)
            zone = Zone.objects.create(case=side.case, offender_set=oset, place=ZonePlace.HOME, shape=ZoneShape.CIRCLE,
                                       geometry='{"lat": 43.2389, "lon": 76.8897, "radius_m": 200}', created_at=now, created_by=operator)
            episode = Episode.objects.create(kind=ConditionKind.ZONE, subject=f"zone:{bracelet.pk}:{zone.pk}", offender_set=oset,
                                             device=bracelet, started_at=now, zone=zone)
            alert = alert_raise(episode=episode, received_at=now)
            out[key] = _Monitored(bracelet.pk, assignment.pk, zone.pk, alert.pk)
        world.cache["_monitored"] = out
    return world.cache["_monitored"]


def build_device(world: World) -> Ids:
    m = _monitored(world)
    return Ids(m["a"].device, m["b"].device)


def build_assignment(world: World) -> Ids:
    m = _monitored(world)
    return Ids(m["a"].assignment, m["b"].assignment)


def build_zone(world: World) -> Ids:
    m = _monitored(world)
    return Ids(m["a"].zone, m["b"].zone)


def build_alert(world: World) -> Ids:
    m = _monitored(world)
    return Ids(m["a"].alert, m["b"].alert)


def _strategy(world: World) -> dict[str, int]:
    if "_strategy" not in world.cache:
        analyst = world.a.people["analyst"]
        measure = strategy.measure_create(actor=analyst, data=strategy.MeasureInput(
            code="world-beds", area="support", indicator="reports", name_kk="Баспана", name_ru="Приют", name_en="Shelter",
            starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2028, 12, 31), baseline=60.0, target=90.0, target_year=2028, responsible="",
        ))
        financing = strategy.financing_create(actor=analyst, measure_id=measure.pk, data=strategy.FinancingInput(
            year=2026, budget=Decimal("1500000"), spent=Decimal("500000"), region="", source=""))
        campaign = strategy.campaign_create(actor=analyst, data=strategy.CampaignInput(
            title="Ты не одна", channel="television", started_on=dt.date(2026, 3, 1), reach=1000))
        grant = strategy.grant_create(actor=analyst, data=strategy.GrantInput(
            grantee="ОФ", purpose="Приют", amount=Decimal("15000000"), awarded_on=dt.date(2026, 1, 1)))
        world.cache["_strategy"] = {
            "measure": measure.pk, "financing": financing.pk, "campaign": campaign.pk, "grant": grant.pk,
        }
    return world.cache["_strategy"]


NATIONAL_STRATEGY = "the national strategy is one for the country: every analyst sees every entry"


def build_measure(world: World) -> Ids:
    return Ids(_strategy(world)["measure"], None, national=NATIONAL_STRATEGY)


def build_financing(world: World) -> Ids:
    return Ids(_strategy(world)["financing"], None, national=NATIONAL_STRATEGY)


def build_campaign(world: World) -> Ids:
    return Ids(_strategy(world)["campaign"], None, national=NATIONAL_STRATEGY)


def build_strategy_grant(world: World) -> Ids:
    return Ids(_strategy(world)["grant"], None, national=NATIONAL_STRATEGY)


NATIONAL_IDENTITY = "the match review queue and the link history are national (data quality sees every region; restricted cases are hidden, tested in tests/cases)"


def build_review(world: World) -> Ids:
    review = MatchReview.objects.create(person=world.a.case.victim, candidate=world.a.case.offender, score=9.0,
                                        reasons=["surname_similar"], created_at=clock.now())
    return Ids(review.pk, None, national=NATIONAL_IDENTITY)


def build_link(world: World) -> Ids:
    second = _case(world.a.inspector, {"victim": "Айжан Своя-Вторая", "offender": "Болат Другой", "narrative": "Второй рассказ"},
                   "KZ-75", "751110000", 5300)
    link = person_link(actor=None, record=second.victim, into=world.a.case.victim, how=LinkHow.AUTO, score=14.0, reasons=["name_exact"])
    return Ids(link.pk, None, national=NATIONAL_IDENTITY)


def build_access_alert(world: World) -> Ids:
    """An access alert on each unit's inspector (the watch app; rows made as its own tests make them)."""
    from qorgau.watch.models import AccessAlert, AlertKind

    def make(side: Side) -> int:
        start = clock.now() - dt.timedelta(hours=2)
        return AccessAlert.objects.create(
            kind=AlertKind.DENIED, user=side.inspector, unit=side.unit, window_start=start, window_end=start + dt.timedelta(hours=1),
            count=25, threshold=20, created_at=clock.now(),
        ).pk
    ids = _pair(world, make)
    ids.open_to = frozenset({Role.OVERSIGHT.value})  # internal oversight watches every unit (docs/watch.md)
    return ids


NATIONAL_PRIVACY = "the data-protection officer handles lawful requests about any person in the country"


def _privacy(world: World) -> dict[str, int]:
    """A subject-access request about unit A's victim, with its subject attached and an export prepared."""
    if "_privacy" not in world.cache:
        from qorgau.privacy.models import PrivacyRequest
        from qorgau.privacy.services import export_prepare, request_create, subject_attach

        officer = world.a.people["privacy"]
        victim = world.a.case.victim
        request = request_create(actor=officer, reference="ЗП-2026/17", received_on=clock.now().date(), legal_basis="subject_access",
                                 identity_checked=True, kind="export", language="ru")
        request = subject_attach(actor=officer, request=request, person_id=victim.pk, iin=victim.iin or "", version=request.version)
        export = export_prepare(actor=officer, request=PrivacyRequest.objects.get(pk=request.pk))
        world.cache["_privacy"] = {"request": request.pk, "person": victim.pk, "export": export.pk}
    return world.cache["_privacy"]


def build_privacy_request(world: World) -> Ids:
    return Ids(_privacy(world)["request"], None, national=NATIONAL_PRIVACY)


def build_privacy_person(world: World) -> Ids:
    return Ids(_privacy(world)["person"], None, national=NATIONAL_PRIVACY)


def build_privacy_export(world: World) -> Ids:
    return Ids(_privacy(world)["export"], None, national=NATIONAL_PRIVACY)


# Per-user objects: own = the signed-in user's, other = unit B's inspector's.
def user_notification(world: World, user: User) -> Ids:
    def make(u: User) -> int:
        notify(recipients=[u], kind=NotificationKind.WELCOME)
        return u.notifications.order_by("-pk").values_list("pk", flat=True)[0]
    return Ids(make(user), make(world.b.inspector))


def user_token(world: World, user: User) -> Ids:
    def make(u: User) -> int:
        api_token_issue(actor=u, verified=True, name="matrix-world")
        return ApiToken.objects.filter(user=u).order_by("-pk").values_list("pk", flat=True)[0]
    other = make(world.b.inspector)
    # A role without the API has no token of its own: the route refuses it before any lookup.
    return Ids(make(user) if user.can(Capability.USE_API) else other, other)


Builder = Callable[[World], Ids]
UserBuilder = Callable[[World, User], Ids]

# (route prefix or "", parameter name) -> builder. The first matching prefix wins; "" is any route.
KINDS: dict[tuple[str, str], Builder] = {
    ("", "case_id"): build_case,
    ("", "attachment_id"): build_attachment,
    ("", "order_id"): build_order,
    ("orders/criminal-cases/", "record_id"): build_criminal_case,
    ("api/v1/criminal-cases/", "record_id"): build_criminal_case,
    ("", "hearing_id"): build_hearing,
    ("", "task_id"): build_task,
    ("", "assessment_id"): build_assessment,
    ("risk/instruments/", "version_id"): build_instrument_version,
    ("protocols/admin/versions/", "version_id"): build_protocol_version,
    ("protocols/referrals/", "task_id"): build_referral_task,
    ("", "consent_id"): build_consent,
    ("", "conference_id"): build_conference,
    ("", "hold_id"): build_hold,
    ("", "placement_id"): build_placement,
    ("", "centre_id"): build_centre,
    ("intake/", "record_id"): build_intake_record,
    ("api/v1/intake/", "record_id"): build_intake_record,
    ("", "share_id"): build_share,
    ("programmes/", "programme_id"): build_programme,
    ("", "enrolment_id"): build_enrolment,
    ("support/", "programme_id"): build_support_programme,
    ("", "referral_id"): build_support_referral,
    ("", "device_id"): build_device,
    ("", "assignment_id"): build_assignment,
    ("", "zone_id"): build_zone,
    ("watch/", "alert_id"): build_access_alert,
    ("", "alert_id"): build_alert,
    ("analytics/strategy/measures/", "pk"): build_measure,
    ("", "measure_id"): build_measure,
    ("analytics/strategy/financing/", "pk"): build_financing,
    ("", "financing_id"): build_financing,
    ("analytics/strategy/campaigns/", "pk"): build_campaign,
    ("analytics/strategy/grants/", "pk"): build_strategy_grant,
    ("privacy/", "request_id"): build_privacy_request,
    ("privacy/", "person_id"): build_privacy_person,
    ("privacy/", "export_id"): build_privacy_export,
    ("", "review_id"): build_review,
    ("", "link_id"): build_link,
}
USER_KINDS: dict[tuple[str, str], UserBuilder] = {
    ("", "notification_id"): user_notification,
    ("", "token_id"): user_token,
}
# Parameters that are not object ids: the matrix's own values stay.
NOT_IDS = {"iso", "fmt", "language", "step"}


def kind_of(route: str, param: str) -> tuple[str, Any] | None:
    """The builder of ``param`` on ``route``: ("unit", builder), ("user", builder) or None."""
    for table, label in ((KINDS, "unit"), (USER_KINDS, "user")):
        for (prefix, name), builder in sorted(table.items(), key=lambda kv: -len(kv[0][0])):
            if name == param and route.startswith(prefix):
                return label, builder
    return None


def builders_for(routes: list[str]) -> list[Builder]:
    """The unit builders the routes need, in KINDS order (dependencies build on demand)."""
    import re

    needed = {b for route in routes for p in re.findall(r"<(?:\w+:)?(\w+)>", route)
              if p not in NOT_IDS and (found := kind_of(route, p)) and found[0] == "unit" for b in [found[1]]}
    return [b for b in dict.fromkeys(KINDS.values()) if b in needed]


def build(world: World, builder: Builder) -> Ids:
    """Each unit builder runs once per world."""
    key = builder.__name__
    if key not in world.built:
        world.built[key] = builder(world)
    return world.built[key]
