"""Reference geography shipped with the product: 20 regions, 224 KATO districts, zones, boundaries."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation

import qorgau
from qorgau.core.geography import REFERENCE_DIR, district_is_urban, load_reference, zone_for_region
from qorgau.core.models import District, Region

pytestmark = pytest.mark.django_db

SRC = Path(qorgau.__file__).resolve().parent
# Kazakhstan lies within these bounds (lon 46.4..87.4, lat 40.5..55.5); a little margin.
LON, LAT = (46.0, 88.0), (40.0, 56.0)


def _csv(name: str) -> list[dict[str, str]]:
    with (REFERENCE_DIR / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def loaded() -> None:
    load_reference()


def test_load_reports_and_stores_20_regions_and_224_districts():
    report = load_reference()
    assert (report.regions, report.districts) == (20, 224)
    assert Region.objects.count() == 20
    assert District.objects.count() == 224


def test_load_is_idempotent_and_restores_edited_rows():
    load_reference()
    Region.objects.filter(iso="KZ-75").update(name_en="Edited", population=1)
    District.objects.filter(kato="751110000").update(urban_default=False)
    report = load_reference()
    assert (report.regions, report.districts) == (20, 224)
    assert (Region.objects.count(), District.objects.count()) == (20, 224)
    region = Region.objects.get(iso="KZ-75")
    assert (region.name_en, region.population) == ("Almaty City", 2161695)
    assert District.objects.get(kato="751110000").urban_default is True


def test_load_reference_command(capsys):
    call_command("load-reference")
    assert capsys.readouterr().out.startswith("regions 20, districts 224, agency kinds ")
    assert District.objects.count() == 224


def test_every_district_belongs_to_a_loaded_region_with_its_kato_prefix(loaded):
    regions = {r.iso: r.kato_prefix for r in Region.objects.all()}
    for district in District.objects.all():
        assert district.region_id in regions
        assert district.kato[:2] == regions[district.region_id], district.kato
        assert len(district.kato) == 9 and district.kato.isdigit()
    assert set(District.objects.values_list("region_id", flat=True)) == set(regions)


def test_region_kinds_and_prefixes(loaded):
    cities = set(Region.objects.filter(kind=Region.Kind.CITY).values_list("iso", flat=True))
    assert cities == {"KZ-71", "KZ-75", "KZ-79"}
    assert Region.objects.filter(kind=Region.Kind.REGION).count() == 17
    assert len(set(Region.objects.values_list("kato_prefix", flat=True))) == 20


def _rings(geometry: dict) -> list[list[list[float]]]:
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return [ring for polygon in polygons for ring in polygon]


@pytest.mark.parametrize("model", [Region, District])
def test_boundaries_are_valid_geojson_polygons(loaded, model):
    for obj in model.objects.all():
        geometry = json.loads(obj.boundary_geojson)
        assert set(geometry) == {"type", "coordinates"}
        assert geometry["type"] in {"Polygon", "MultiPolygon"}
        if geometry["type"] == "MultiPolygon":
            assert len(geometry["coordinates"]) >= 1
            assert all(len(polygon) >= 1 for polygon in geometry["coordinates"])
        rings = _rings(geometry)
        assert rings, obj.pk
        for ring in rings:
            assert len(ring) >= 4, obj.pk  # a closed ring has at least 4 positions
            assert ring[0] == ring[-1], obj.pk
            for position in ring:
                lon, lat = position[:2]
                assert LON[0] <= lon <= LON[1] and LAT[0] <= lat <= LAT[1], (obj.pk, position)


def test_points_and_centres_lie_in_kazakhstan(loaded):
    for r in Region.objects.all():
        assert LON[0] <= r.centre_lon <= LON[1] and LAT[0] <= r.centre_lat <= LAT[1]
    for d in District.objects.all():
        assert LON[0] <= d.point_lon <= LON[1] and LAT[0] <= d.point_lat <= LAT[1]


@pytest.mark.parametrize(
    ("iso", "zone"),
    [
        ("KZ-15", "Asia/Aqtobe"),
        ("KZ-27", "Asia/Oral"),
        ("KZ-23", "Asia/Atyrau"),
        ("KZ-47", "Asia/Aqtau"),
        ("KZ-43", "Asia/Qyzylorda"),
        ("KZ-39", "Asia/Qostanay"),
        ("KZ-75", "Asia/Almaty"),
        ("KZ-71", "Asia/Almaty"),
        ("KZ-79", "Asia/Almaty"),
        ("KZ-10", "Asia/Almaty"),
    ],
)
def test_region_timezones(loaded, iso, zone):
    assert Region.objects.get(iso=iso).timezone == zone
    assert zone_for_region(iso) == zone


def test_all_other_regions_use_almaty_time(loaded):
    western = {"KZ-15", "KZ-27", "KZ-23", "KZ-47", "KZ-43", "KZ-39"}
    others = Region.objects.exclude(iso__in=western)
    assert others.count() == 14
    assert set(others.values_list("timezone", flat=True)) == {"Asia/Almaty"}


def test_urban_defaults(loaded):
    assert District.objects.get(kato="751110000").urban_default is True  # Almaly, Almaty city
    assert District.objects.get(kato="103200000").urban_default is False  # Abai district, Abai region
    assert District.objects.get(kato="101000000").urban_default is True  # Semey, a city of the region
    for iso in ("KZ-71", "KZ-75", "KZ-79"):
        assert set(District.objects.filter(region_id=iso).values_list("urban_default", flat=True)) == {True}
    assert District.objects.filter(urban_default=False).exists()
    assert District.objects.filter(urban_default=True, region_id="KZ-10").exists()


@pytest.mark.parametrize(
    ("kato", "region", "urban"),
    [
        ("751110000", "KZ-75", True),
        ("103200000", "KZ-10", False),
        ("101000000", "KZ-10", True),
        ("102900000", "KZ-10", True),
        ("103000000", "KZ-10", False),
    ],
)
def test_district_is_urban_rule(kato, region, urban):
    assert district_is_urban(kato, region) is urban


def test_populations_match_the_shipped_csv(loaded):
    rows = _csv("kz_regions.csv")
    assert len(rows) == 20
    for row in rows:
        region = Region.objects.get(iso=row["iso_3166_2"])
        assert region.population == int(row["population_2023_01_01"])
        assert region.population_urban == int(row["urban_2023_01_01"])
        assert region.population_rural == int(row["rural_2023_01_01"])
        assert region.population_urban + region.population_rural == region.population
        assert (region.name_kk, region.name_ru, region.name_en) == (row["name_kk"], row["name_ru"], row["name_en"])
    assert Region.objects.get(iso="KZ-75").population == 2161695


def test_districts_match_the_shipped_csv(loaded):
    rows = _csv("kz_districts.csv")
    assert len(rows) == 224
    stored = {d.kato: d for d in District.objects.all()}
    assert set(stored) == {row["kato"] for row in rows}
    for row in rows:
        d = stored[row["kato"]]
        assert (d.region_id, d.name_kk, d.name_ru, d.name_en) == (
            row["region_iso"],
            row["name_kk"],
            row["name_ru"],
            row["name_en"],
        )
        assert (d.point_lat, d.point_lon) == (float(row["point_lat"]), float(row["point_lon"]))


def test_names_follow_the_active_language(loaded):
    region = Region.objects.get(iso="KZ-75")
    with translation.override("kk"):
        assert region.name == region.name_kk
    with translation.override("en"):
        assert str(region) == "Almaty City"
    with translation.override("ru"):
        assert str(region) == region.name_ru


def test_reference_files_are_shipped_inside_the_package():
    assert REFERENCE_DIR == SRC / "core" / "reference"
    for name in ("kz_regions.csv", "kz_districts.csv", "kz_regions.geojson", "kz_districts.geojson"):
        assert (REFERENCE_DIR / name).is_file()


def test_no_module_reads_the_shared_folder_at_run_time():
    """The product ships its own copy of the reference data (DESIGN §10)."""
    patterns = ("../shared", "/shared/reference", "shared/reference", '"shared"', "'shared'")
    modules = list(SRC.rglob("*.py"))
    assert len(modules) > 20
    offenders = [
        str(path.relative_to(SRC))
        for path in modules
        if any(pattern in path.read_text(encoding="utf-8") for pattern in patterns)
    ]
    assert offenders == []
