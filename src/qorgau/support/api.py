"""Victim socio-economic support over the API (/api/v1/support)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["support"])
