"""Anonymous intake over the API (/api/v1/intake)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["intake"])
