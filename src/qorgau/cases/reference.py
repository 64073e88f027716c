"""Reference data of the case registry, shipped as data: vulnerability markers in kk/ru/en."""

from __future__ import annotations

from pathlib import Path

from qorgau.cases.models import Marker
from qorgau.core.localised import localised_rows_load

MARKERS_FILE = Path(__file__).resolve().parent / "markers.json"


def markers_load() -> int:
    return localised_rows_load(Marker, MARKERS_FILE)
