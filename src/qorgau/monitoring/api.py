"""API routes of electronic monitoring: the gateway batch endpoint, alerts, devices and zones."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["monitoring"])
