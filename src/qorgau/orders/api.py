"""Protective orders over the API (/api/v1): a case's orders, issuing one, recording a breach.

Case-bound routes pass the case gate (404 alike for missing and forbidden); an order passes the gate
of a case it is linked to. Free text about what happened is a narrative for the mask layer, ``null``
when hidden. Analysts never read a case (403).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Path, Router, Schema, Status
from pydantic import AfterValidator

from qorgau.accounts.api import STAFF_AUTH
from qorgau.accounts.masks import MASKED, Viewer
from qorgau.cases.access import case_get_for
from qorgau.cases.api import MAX_ID, Id, When, _case_reader, _clean_text, errors
from qorgau.cases.api import CaseId as CaseIdPath
from qorgau.orders import selectors, services
from qorgau.orders.models import BANS, Breach, BreachSource, Order, OrderKind, OrderStatus

router = Router(tags=["orders"])

OrderIdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
Reference = Annotated[str, Field(max_length=60), AfterValidator(_clean_text)]
Text = Annotated[str, Field(max_length=services.TEXT_MAX), AfterValidator(_clean_text)]


class OrderIn(Schema):
    kind: OrderKind
    protected_ids: list[Id] = Field(min_length=1, max_length=20, description="Persons of cases of this offender you may see.")
    starts_at: When
    ends_at: When | None = Field(None, description="Null: the law's default duration for the kind.")
    ban_contact: bool = False
    ban_seeking: bool = False
    ban_weapons: bool = False
    ban_alcohol: bool = False
    ban_drugs: bool = False
    ban_cohabitation: bool = False
    reporting_per_month: int = Field(0, ge=0, le=4)
    court_reference: Reference = ""


class OrderOut(Schema):
    id: int
    number: str
    kind: OrderKind
    status: OrderStatus
    starts_at: dt.datetime
    ends_at: dt.datetime
    served_at: dt.datetime | None
    bans: list[str]
    reporting_per_month: int
    court_reference: str
    issuing_unit: str
    protected_count: int
    linked_cases: int = Field(description="Cases the order is linked to; statistics count the order once.")
    breaches: int
    version: int


class BreachIn(Schema):
    occurred_at: When
    what: Text
    evidence: Text = ""
    source: BreachSource = BreachSource.POLICE


class BreachOut(Schema):
    id: int
    order_id: int
    occurred_at: dt.datetime
    recorded_at: dt.datetime
    source: BreachSource
    what: str | None = Field(description="Null when the mask hides it from you.")


def _counted(order: Order, annotation: str, relation: str) -> int:
    """A count that ``selectors.case_orders`` annotated, or one query for an order read alone."""
    value = getattr(order, annotation, None)
    return int(value) if value is not None else int(getattr(order, relation).count())


def _order_out(order: Order) -> OrderOut:
    return OrderOut(
        id=order.pk, number=order.number, kind=OrderKind(order.kind), status=OrderStatus(order.status), starts_at=order.starts_at,
        ends_at=order.ends_at, served_at=order.served_at, bans=[b for b in BANS if getattr(order, b)],
        reporting_per_month=order.reporting_per_month, court_reference=order.court_reference, issuing_unit=order.issuing_unit.name,
        protected_count=_counted(order, "protected_count", "protected_rows"), linked_cases=_counted(order, "linked_count", "case_links"),
        breaches=_counted(order, "breach_count", "breaches"),
        version=order.version,
    )


def _breach_out(breach: Breach, viewer: Viewer) -> BreachOut:
    what = selectors.narrative(viewer, breach.what)
    return BreachOut(
        id=breach.pk, order_id=breach.order_id, occurred_at=breach.occurred_at, recorded_at=breach.recorded_at,
        source=BreachSource(breach.source), what=None if what is MASKED else what,
    )


@router.get("/cases/{case_id}/orders", response={200: list[OrderOut], **errors(401, 403, 404, 422)}, auth=STAFF_AUTH)
def case_orders(request: HttpRequest, case_id: CaseIdPath) -> list[OrderOut]:
    """The orders linked to the case, newest first."""
    case, _viewer = case_get_for(_case_reader(request), case_id, request=request)
    return [_order_out(o) for o in selectors.case_orders(case)]


@router.post("/cases/{case_id}/orders", response={201: OrderOut, **errors(401, 403, 404, 422)}, auth=STAFF_AUTH)
def order_create(request: HttpRequest, case_id: CaseIdPath, payload: OrderIn) -> Status[OrderOut]:
    """Issue an order on the case: police protective orders by the police, court kinds by a court.
    It is linked to every case of the offender with a person it protects."""
    user = _case_reader(request)
    case, _viewer = case_get_for(user, case_id, request=request)
    data = services.OrderInput(
        kind=payload.kind.value, protected_ids=list(payload.protected_ids), starts_at=payload.starts_at, ends_at=payload.ends_at,
        reporting_per_month=payload.reporting_per_month, court_reference=payload.court_reference,
        **{b: getattr(payload, b) for b in BANS},
    )
    order = services.order_issue(actor=user, case=case, data=data)
    return Status(201, _order_out(order))


@router.post("/orders/{order_id}/breaches", response={201: BreachOut, **errors(401, 403, 404, 422)}, auth=STAFF_AUTH)
def breach_create(request: HttpRequest, order_id: OrderIdPath, payload: BreachIn) -> Status[BreachOut]:
    """Record a breach of the order: every linked case is escalated (timeline, notifications, protocol)."""
    user = _case_reader(request)
    order, _case, viewer = selectors.order_get_for(user, order_id, request=request)
    breach = services.breach_record(
        actor=user, order=order, occurred_at=payload.occurred_at, what=payload.what, evidence=payload.evidence, source=payload.source.value,
    )
    return Status(201, _breach_out(breach, viewer))
