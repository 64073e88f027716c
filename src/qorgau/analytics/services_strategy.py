"""Writes of the national strategy (DESIGN §8): measures, their financing lines, campaigns, NGO grants.

Every write needs ``MANAGE_STRATEGY``, validates here (the page and the API refuse the same input
with the same messages), is audited in the same transaction, and an edit carries the version the
user read: a stale edit is a ``Conflict``, never a silent overwrite. Spending above the budget is
allowed (money is sometimes spent before the budget line is corrected) and shown in red on the
overview; negative money, reversed dates and unknown indicators are refused.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from qorgau.accounts.models import User
from qorgau.accounts.roles import Capability
from qorgau.analytics.indicators import INDICATORS
from qorgau.analytics.models import Campaign, CampaignChannel, Financing, NgoGrant, StrategyArea, StrategyMeasure
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.errors import Conflict, Forbidden, Invalid, NotFound
from qorgau.core.models import AuditAction, Region

YEAR_MIN, YEAR_MAX = 2024, 2040  # the strategy's horizon: target years and financing years
MONEY_MAX = Decimal("99999999999999.99")  # what the columns hold (16 digits, 2 decimals)
FIGURE_MAX = 1e12  # a baseline or target beyond this is a typing slip
REACH_MAX = 2**31 - 1
TEXT_MAX = 200
PURPOSE_MAX = 300
MAX_ID = 2**63 - 1

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class MeasureInput:
    code: str
    area: str
    indicator: str
    name_kk: str
    name_ru: str
    name_en: str
    starts_on: date
    ends_on: date | None = None
    baseline: float | None = None
    target: float | None = None
    target_year: int | None = None
    responsible: str = ""


@dataclass(frozen=True)
class FinancingInput:
    year: int
    budget: Decimal
    spent: Decimal = Decimal(0)
    region: str = ""  # ISO code; "" is the national budget
    source: str = ""


@dataclass(frozen=True)
class CampaignInput:
    title: str
    channel: str
    started_on: date
    ended_on: date | None = None
    reach: int = 0
    cost: Decimal = Decimal(0)
    region: str = ""
    measure_id: int | None = None


@dataclass(frozen=True)
class GrantInput:
    grantee: str
    purpose: str
    amount: Decimal
    awarded_on: date
    ends_on: date | None = None
    region: str = ""
    measure_id: int | None = None


def may_manage(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.can(Capability.MANAGE_STRATEGY)


def _require(actor: User) -> None:
    if not may_manage(actor):
        raise Forbidden()


class _Errors:
    """Collects every refusal of one input, so the user sees them all at once."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(name, []).append(message)

    def text(self, name: str, value: str, *, required: bool = True, limit: int = TEXT_MAX) -> str:
        value = (value or "").strip()
        if "\x00" in value:
            self.add(name, _("This text holds a character that cannot be stored."))
        elif required and not value:
            self.add(name, _("This field is required."))
        elif len(value) > limit:
            self.add(name, _("At most %(n)d characters.") % {"n": limit})
        return value

    def money(self, name: str, value: Decimal, *, positive: bool = False) -> None:
        if not value.is_finite():
            self.add(name, _("Give an amount in tenge."))
        elif positive and value <= 0:
            self.add(name, _("The amount must be greater than zero."))
        elif value < 0:
            self.add(name, _("An amount cannot be negative."))
        elif value > MONEY_MAX:
            self.add(name, _("This amount is too large."))
        elif value != value.quantize(Decimal("0.01")):
            self.add(name, _("At most two digits after the decimal separator (tiyn)."))

    def dates(self, name: str, start: date, end: date | None) -> None:
        if end is not None and end < start:
            self.add(name, _("The end cannot be before the start."))

    def year(self, name: str, value: int | None) -> None:
        if value is not None and not YEAR_MIN <= value <= YEAR_MAX:
            self.add(name, _("Give a year from %(first)d to %(last)d.") % {"first": YEAR_MIN, "last": YEAR_MAX})

    def region(self, name: str, iso: str) -> Region | None:
        if not iso:
            return None
        region = Region.objects.filter(pk=iso).first()
        if region is None:
            self.add(name, _("Choose one of the regions."))
        return region

    def measure(self, name: str, measure_id: int | None) -> StrategyMeasure | None:
        if measure_id is None:
            return None
        found = StrategyMeasure.objects.filter(pk=measure_id).first() if 0 < measure_id <= MAX_ID else None
        if found is None:
            self.add(name, _("Choose one of the strategy's measures."))
        return found

    def raise_if_any(self) -> None:
        if self.fields:
            raise Invalid(fields=self.fields)


def _full_clean(obj: models.Model, *, exclude: list[str]) -> None:
    try:
        obj.full_clean(exclude=exclude, validate_unique=False)
    except ValidationError as exc:
        raise Invalid(fields={k: [str(m) for m in v] for k, v in exc.message_dict.items()}) from exc


def _locked(model: type[M], pk: int, version: int) -> M:
    obj = model._default_manager.select_for_update().filter(pk=pk).order_by().first() if 0 < pk <= MAX_ID else None
    if obj is None:
        raise NotFound()
    if getattr(obj, "version") != version:  # noqa: B009 - every strategy model has it, the type var does not say so
        raise Conflict()
    return obj


def _apply(obj: models.Model, values: dict[str, Any]) -> list[str]:
    changed = []
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed.append(name)
    return changed


# Financing lines, campaigns and grants are "recorded" rows: stamped with who recorded them and when,
# versioned, and audited as one write per save. One place does it for all three.
RECORDED_EXCLUDE = ["measure", "region", "recorded_by"]


def _recorded_save(obj: Financing | Campaign | NgoGrant, *, actor: User, target_type: str, changed: list[str] | None = None) -> None:
    """Validate, stamp and save a new row (``changed`` None) or an edited one (its changed fields),
    with its audit row, inside the caller's transaction."""
    _full_clean(obj, exclude=RECORDED_EXCLUDE)
    if changed is not None:
        obj.version += 1
        obj.recorded_by = actor
        obj.recorded_at = clock.now()
    obj.save()
    audit_record(
        actor=actor,
        action=AuditAction.WRITE,
        target_type=target_type,
        target_id=obj.pk,
        count=None if changed is None else len(changed),
        outcome="created" if changed is None else "edited",
    )


# --- measures ------------------------------------------------------------------------------------


def _measure_values(data: MeasureInput, *, current: StrategyMeasure | None) -> dict[str, Any]:
    e = _Errors()
    code = e.text("code", data.code, limit=32).lower()
    if code and not all(c.isascii() and (c.isalnum() or c in "-_") for c in code):
        e.add("code", _("A code holds Latin letters, digits, hyphens and underscores only."))
    elif code and StrategyMeasure.objects.filter(code=code).exclude(pk=current.pk if current else 0).exists():
        e.add("code", _("Another measure has this code."))
    if data.area not in StrategyArea.values:
        e.add("area", _("Choose one of the strategy's areas."))
    if data.indicator not in INDICATORS:
        e.add("indicator", _("Choose one of the indicators."))
    names = {lang: e.text(f"name_{lang}", getattr(data, f"name_{lang}")) for lang in ("kk", "ru", "en")}
    e.dates("ends_on", data.starts_on, data.ends_on)
    e.year("target_year", data.target_year)
    for name in ("baseline", "target"):
        value = getattr(data, name)
        if value is not None and not 0 <= value <= FIGURE_MAX:  # also refuses NaN
            e.add(name, _("Give a number from 0 upwards, in the indicator's unit."))
    if data.target is not None and data.target_year is None:
        e.add("target_year", _("A target needs the year by which it should be reached."))
    responsible = e.text("responsible", data.responsible, required=False)
    e.raise_if_any()
    values = asdict(data)
    values.update(code=code, responsible=responsible, **{f"name_{lang}": v for lang, v in names.items()})
    return values


def measure_create(*, actor: User, data: MeasureInput) -> StrategyMeasure:
    _require(actor)
    values = _measure_values(data, current=None)
    with transaction.atomic():
        measure = StrategyMeasure(**values, created_by=actor, created_at=clock.now())
        _full_clean(measure, exclude=["created_by"])
        try:
            with transaction.atomic():
                measure.save()
        except IntegrityError as exc:  # the same code saved by someone else a moment ago
            raise Invalid.field("code", _("Another measure has this code.")) from exc
        audit_record(
            actor=actor,
            action=AuditAction.WRITE,
            target_type="strategy_measure",
            target_id=measure.pk,
            outcome="created",
        )
    return measure


def measure_update(*, actor: User, measure_id: int, version: int, data: MeasureInput) -> StrategyMeasure:
    _require(actor)
    with transaction.atomic():
        measure = _locked(StrategyMeasure, measure_id, version)
        changed = _apply(measure, _measure_values(data, current=measure))
        _full_clean(measure, exclude=["created_by"])
        measure.version += 1
        measure.changed_at = clock.now()
        measure.save()
        audit_record(
            actor=actor,
            action=AuditAction.WRITE,
            target_type="strategy_measure",
            target_id=measure.pk,
            count=len(changed),
            outcome="edited",
        )
    return measure


# --- financing -----------------------------------------------------------------------------------


def _financing_values(data: FinancingInput, *, measure: StrategyMeasure, current: Financing | None) -> dict[str, Any]:
    e = _Errors()
    e.year("year", data.year)
    e.money("budget", data.budget)
    e.money("spent", data.spent)
    region = e.region("region", data.region)
    source = e.text("source", data.source, required=False)
    if "year" not in e.fields and "region" not in e.fields:
        twin = Financing.objects.filter(measure=measure, region=region, year=data.year).exclude(
            pk=current.pk if current else 0
        )
        if twin.exists():
            e.add("year", _("This measure already has a financing line for this year and place: change that one."))
    e.raise_if_any()
    return {"year": data.year, "budget": data.budget, "spent": data.spent, "region": region, "source": source}


def financing_create(*, actor: User, measure_id: int, data: FinancingInput) -> Financing:
    _require(actor)
    with transaction.atomic():
        # The measure's row is the lock that keeps two identical lines from being added at once.
        measure = (
            StrategyMeasure.objects.select_for_update().filter(pk=measure_id).order_by().first()
            if 0 < measure_id <= MAX_ID
            else None
        )
        if measure is None:
            raise NotFound()
        line = Financing(
            measure=measure,
            **_financing_values(data, measure=measure, current=None),
            recorded_by=actor,
            recorded_at=clock.now(),
        )
        _recorded_save(line, actor=actor, target_type="strategy_financing")
    return line


def financing_update(*, actor: User, financing_id: int, version: int, data: FinancingInput) -> Financing:
    _require(actor)
    with transaction.atomic():
        line = _locked(Financing, financing_id, version)
        measure = StrategyMeasure.objects.select_for_update().get(pk=line.measure_id)
        changed = _apply(line, _financing_values(data, measure=measure, current=line))
        _recorded_save(line, actor=actor, target_type="strategy_financing", changed=changed)
    return line


# --- campaigns -----------------------------------------------------------------------------------


def _campaign_values(data: CampaignInput) -> dict[str, Any]:
    e = _Errors()
    title = e.text("title", data.title)
    if data.channel not in CampaignChannel.values:
        e.add("channel", _("Choose one of the channels."))
    e.dates("ended_on", data.started_on, data.ended_on)
    if not 0 <= data.reach <= REACH_MAX:
        e.add("reach", _("Give the number of people reached, from 0 upwards."))
    e.money("cost", data.cost)
    region = e.region("region", data.region)
    measure = e.measure("measure", data.measure_id)
    e.raise_if_any()
    return {
        "title": title,
        "channel": data.channel,
        "started_on": data.started_on,
        "ended_on": data.ended_on,
        "reach": data.reach,
        "cost": data.cost,
        "region": region,
        "measure": measure,
    }


def campaign_create(*, actor: User, data: CampaignInput) -> Campaign:
    _require(actor)
    with transaction.atomic():
        campaign = Campaign(**_campaign_values(data), recorded_by=actor, recorded_at=clock.now())
        _recorded_save(campaign, actor=actor, target_type="strategy_campaign")
    return campaign


def campaign_update(*, actor: User, campaign_id: int, version: int, data: CampaignInput) -> Campaign:
    _require(actor)
    with transaction.atomic():
        campaign = _locked(Campaign, campaign_id, version)
        changed = _apply(campaign, _campaign_values(data))
        _recorded_save(campaign, actor=actor, target_type="strategy_campaign", changed=changed)
    return campaign


# --- NGO grants ----------------------------------------------------------------------------------


def _grant_values(data: GrantInput) -> dict[str, Any]:
    e = _Errors()
    grantee = e.text("grantee", data.grantee)
    purpose = e.text("purpose", data.purpose, limit=PURPOSE_MAX)
    e.money("amount", data.amount, positive=True)
    e.dates("ends_on", data.awarded_on, data.ends_on)
    region = e.region("region", data.region)
    measure = e.measure("measure", data.measure_id)
    e.raise_if_any()
    return {
        "grantee": grantee,
        "purpose": purpose,
        "amount": data.amount,
        "awarded_on": data.awarded_on,
        "ends_on": data.ends_on,
        "region": region,
        "measure": measure,
    }


def grant_create(*, actor: User, data: GrantInput) -> NgoGrant:
    _require(actor)
    with transaction.atomic():
        grant = NgoGrant(**_grant_values(data), recorded_by=actor, recorded_at=clock.now())
        _recorded_save(grant, actor=actor, target_type="strategy_grant")
    return grant


def grant_update(*, actor: User, grant_id: int, version: int, data: GrantInput) -> NgoGrant:
    _require(actor)
    with transaction.atomic():
        grant = _locked(NgoGrant, grant_id, version)
        changed = _apply(grant, _grant_values(data))
        _recorded_save(grant, actor=actor, target_type="strategy_grant", changed=changed)
    return grant
