"""Permission-matrix rows of the support routes; tests/permission_matrix.py merges them into MATRIX."""

from __future__ import annotations

from tests.permission_matrix import Check

ROWS: dict[str, list[Check]] = {}
