"""The gateway batch endpoint (DESIGN §7): a device gateway posts ``{"pings": [...]}`` with its machine
token; the pings are routed to their offender sets' shards and either processed in this process
(``QORGAU_MONITORING["INLINE"]``, the demo and the tests) or republished to ``qorgau/shard/<n>`` at
QoS 1, answering only once the broker has acknowledged every shard's batch.

The body is read raw rather than through a schema: one bad ping must be counted and skipped, not
refuse the other 4,999.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.security import APIKeyHeader

from qorgau.accounts import tokens
from qorgau.accounts.models import MachineToken
from qorgau.core import clock
from qorgau.monitoring import ingest, messages

log = logging.getLogger(__name__)

ingest_router = Router(tags=["monitoring"])


class GatewayToken(APIKeyHeader):
    """A machine token issued for a device gateway (another purpose is no credential here)."""

    param_name = "X-Machine-Token"

    def authenticate(self, request: HttpRequest, key: str | None) -> MachineToken | None:
        client = tokens.machine_token_client(key) if key else None
        if client is None or client.purpose != MachineToken.Purpose.DEVICE_GATEWAY:
            return None
        return client


def _inline() -> bool:
    return bool(settings.QORGAU_MONITORING.get("INLINE", True))


_publisher: Any = None
_publisher_lock = threading.Lock()


def _publish(batch: list[tuple[str, bytes | str]]) -> None:
    """Hand the shard batches to the broker and wait for every PUBACK (one connection per process)."""
    global _publisher
    from qorgau.monitoring import mqtt

    with _publisher_lock:
        if _publisher is None or not _publisher.is_connected():
            endpoint = mqtt.Endpoint.from_settings()
            client = mqtt.client_create(endpoint)
            mqtt.connect_wait(client, endpoint)
            _publisher = client
        mqtt.publish_all(_publisher, batch)


def _refusal(request: HttpRequest, status: int, detail: str, field: str) -> HttpResponse:
    from qorgau.api import api

    return api.create_response(request, {"code": "invalid", "detail": detail, "fields": {"body": [field]}}, status=status)


def _unavailable(request: HttpRequest, detail: str) -> HttpResponse:
    from qorgau.api import api

    return api.create_response(request, {"code": "unavailable", "detail": detail}, status=503)


@ingest_router.post(
    "/monitoring/ingest",
    auth=GatewayToken(),
    response={202: dict[str, Any], 413: dict[str, Any], 422: dict[str, Any], 503: dict[str, Any]},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object", "properties": {"pings": {"type": "array", "maxItems": messages.MAX_PINGS}}}}},
        }
    },
    summary="Post a batch of device pings (device gateways)",
)
def ingest_batch(request: HttpRequest) -> Any:
    try:
        return _ingest(request)
    except DatabaseError:
        # Counting refusals or routing met a busy or absent database: resending is safe.
        log.exception("monitoring: the ingest endpoint could not reach the database")
        return _unavailable(request, _("The batch could not be processed now; send it again."))


def _ingest(request: HttpRequest) -> Any:
    received_at = clock.now()
    body = request.body
    parsed = messages.parse(body, now=received_at.timestamp(), slack=ingest.future_slack())
    if parsed.error:
        ingest.rejects_record(parsed.refused)
        if parsed.error == "too_large":
            return _refusal(request, 413, _("The batch is too large."), _("At most 1 MB per request."))
        if parsed.error == "too_many":
            return _refusal(request, 413, _("The batch is too large."), _("At most 5,000 pings per request."))
        return _refusal(request, 422, _("The request body is not a batch of pings."), _('Send a JSON object {"pings": [...]}.'))
    ingest.rejects_record(parsed.refused)
    batches, routed_out = ingest.route_refused(parsed.pings)
    rejected = dict(parsed.rejected)
    for (reason, _serial), n in routed_out.items():
        rejected[reason] = rejected.get(reason, 0) + n
    accepted = replayed = raised = 0
    if batches:
        if _inline():
            try:
                result = ingest.process_inline(batches, received_at)
            except Exception:
                # A shard's transaction failed (the database is busy or down): whatever committed is
                # safe to receive again, so the gateway is told to resend rather than shown a 500.
                log.exception("monitoring: an inline batch failed")
                return _unavailable(request, _("The batch could not be processed now; send it again."))
            accepted, replayed, raised = result.accepted, result.replayed, len(result.alerts)
            for reason, n in result.rejected.items():
                if reason != messages.REPLAYED:
                    rejected[reason] = rejected.get(reason, 0) + n
        else:
            try:
                _publish(ingest.shard_messages(batches, received_at))
            except (OSError, TimeoutError) as exc:
                # Nothing was acknowledged to the gateway, so it sends the batch again: the replay key
                # makes whatever did reach the broker harmless.
                log.error("monitoring: cannot hand a batch to the broker: %s", exc)
                return _unavailable(request, _("The monitoring broker is unavailable; send the batch again."))
            accepted = sum(len(p) for p in batches.values())
    return Status(202, {
        "accepted": accepted,
        "replayed": replayed,
        "rejected": rejected,
        "alerts": raised,
        "queued": not _inline(),
    })
