"""Reference data of the case registry, shipped as data: vulnerability markers in kk/ru/en."""

from __future__ import annotations

import json
from pathlib import Path

from qorgau.cases.models import Marker

MARKERS_FILE = Path(__file__).resolve().parent / "markers.json"


def markers_load() -> int:
    data = json.loads(MARKERS_FILE.read_text(encoding="utf-8"))
    for row in data:
        Marker.objects.update_or_create(code=row["code"], defaults={"name_kk": row["kk"], "name_ru": row["ru"], "name_en": row["en"]})
    return len(data)
