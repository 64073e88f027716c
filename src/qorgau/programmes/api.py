"""Offender programmes over the API (/api/v1/programmes)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["programmes"])
