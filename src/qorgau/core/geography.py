"""Reference geography: the 20 regions and 224 KATO districts, shipped with the product.

The files under ``core/reference/`` are copies of the public reference data (sources and licences
in ``SOURCES.md``; boundaries CC BY 4.0, geokz 1.0.2). ``load_reference`` upserts them by code and
is safe to run again.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.db import transaction

from qorgau.core.models import District, Region

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"

# IANA zones per region (DESIGN §10). One offset (UTC+5) since 1 March 2024, not before.
REGION_ZONES = {
    "KZ-15": "Asia/Aqtobe",
    "KZ-23": "Asia/Atyrau",
    "KZ-27": "Asia/Oral",
    "KZ-39": "Asia/Qostanay",
    "KZ-43": "Asia/Qyzylorda",
    "KZ-47": "Asia/Aqtau",
}
DEFAULT_ZONE = "Asia/Almaty"
CITY_REGIONS = {"KZ-71", "KZ-75", "KZ-79"}


def zone_for_region(iso: str) -> str:
    return REGION_ZONES.get(iso, DEFAULT_ZONE)


def district_is_urban(kato: str, region_iso: str) -> bool:
    """City districts and cities of regional significance (KATO 3rd–4th digits below 30) are urban."""
    return region_iso in CITY_REGIONS or int(kato[2:4]) < 30


@dataclass
class LoadReport:
    regions: int
    districts: int


def _geometries(name: str, key: str) -> dict[str, str]:
    data = json.loads((REFERENCE_DIR / name).read_text(encoding="utf-8"))
    return {str(f["properties"][key]): json.dumps(f["geometry"], separators=(",", ":")) for f in data["features"]}


@transaction.atomic
def load_reference() -> LoadReport:
    region_shapes = _geometries("kz_regions.geojson", "iso_3166_2")
    with (REFERENCE_DIR / "kz_regions.csv").open(encoding="utf-8") as fh:
        regions = list(csv.DictReader(fh))
    for r in regions:
        Region.objects.update_or_create(
            iso=r["iso_3166_2"],
            defaults={
                "kato_prefix": r["kato_prefix"],
                "kind": r["type"],
                "name_kk": r["name_kk"],
                "name_ru": r["name_ru"],
                "name_en": r["name_en"],
                "centre_kk": r["admin_center_kk"],
                "centre_ru": r["admin_center_ru"],
                "centre_en": r["admin_center_en"],
                "centre_lat": float(r["admin_center_lat"]),
                "centre_lon": float(r["admin_center_lon"]),
                "population": int(r["population_2023_01_01"]),
                "population_urban": int(r["urban_2023_01_01"]),
                "population_rural": int(r["rural_2023_01_01"]),
                "timezone": zone_for_region(r["iso_3166_2"]),
                "boundary_geojson": region_shapes[r["iso_3166_2"]],
            },
        )
    district_shapes = _geometries("kz_districts.geojson", "kato")
    with (REFERENCE_DIR / "kz_districts.csv").open(encoding="utf-8") as fh:
        districts = list(csv.DictReader(fh))
    for d in districts:
        District.objects.update_or_create(
            kato=d["kato"],
            defaults={
                "region_id": d["region_iso"],
                "name_kk": d["name_kk"],
                "name_ru": d["name_ru"],
                "name_en": d["name_en"],
                "point_lat": float(d["point_lat"]),
                "point_lon": float(d["point_lon"]),
                "urban_default": district_is_urban(d["kato"], d["region_iso"]),
                "boundary_geojson": district_shapes[d["kato"]],
            },
        )
    return LoadReport(regions=len(regions), districts=len(districts))


# The zones' cities in kk, ru, en, to show a zone as people say it: "Алматы (UTC+5)".
ZONE_CITIES = {
    "Asia/Almaty": ("Алматы", "Алматы", "Almaty"),
    "Asia/Aqtobe": ("Ақтөбе", "Актобе", "Aktobe"),
    "Asia/Atyrau": ("Атырау", "Атырау", "Atyrau"),
    "Asia/Oral": ("Орал", "Уральск", "Oral"),
    "Asia/Aqtau": ("Ақтау", "Актау", "Aktau"),
    "Asia/Qyzylorda": ("Қызылорда", "Кызылорда", "Kyzylorda"),
    "Asia/Qostanay": ("Қостанай", "Костанай", "Kostanay"),
}


def zone_label(zone: str, *, language: str, at: datetime) -> str:
    """E.g. "Алматы (UTC+5)" at a given moment; the offset comes from the pinned tzdata."""
    offset = at.astimezone(ZoneInfo(zone)).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    utc = f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")
    names = ZONE_CITIES.get(zone)
    if names is None:
        return f"{zone} ({utc})"
    return f"{names[{'kk': 0, 'ru': 1}.get(language, 2)]} ({utc})"
