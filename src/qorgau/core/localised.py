"""Reference rows with names in kk, ru and en, shipped as JSON files ({"code", "kk", "ru", "en"})."""

from __future__ import annotations

import json
from pathlib import Path

from qorgau.core.models import LocalisedName


def localised_rows_load(model: type[LocalisedName], path: Path) -> int:
    """Upsert every row of the file by its code; safe to run again."""
    rows = json.loads(path.read_text(encoding="utf-8"))
    for row in rows:
        model.objects.update_or_create(  # type: ignore[attr-defined]
            code=row["code"], defaults={"name_kk": row["kk"], "name_ru": row["ru"], "name_en": row["en"]}
        )
    return len(rows)
