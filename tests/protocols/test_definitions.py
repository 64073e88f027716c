"""Protocol files: validation names the place; published versions are immutable; a broken file
leaves the last valid version in force."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qorgau.cases.models import Report
from qorgau.protocols.definitions import (
    FILES_DIR,
    ProtocolFileError,
    protocol_file_check,
    protocol_file_load,
    protocols_load,
)
from qorgau.protocols.models import FILE_TRIGGERS, Duty, ProtocolVersion, Task, VersionStatus

pytestmark = pytest.mark.django_db

NATIONAL = json.loads((FILES_DIR / "national-1.json").read_text(encoding="utf-8"))


def raw(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


def changed(**duty0: object) -> dict:
    data = json.loads(json.dumps(NATIONAL))
    data["duties"][0].update(duty0)
    return data


def test_the_national_protocol_is_valid_and_covers_every_agency(reference):
    protocol_file_check((FILES_DIR / "national-1.json").read_bytes())
    kinds = {d["agency_kind"] for d in NATIONAL["duties"]}
    assert {"police", "family_support", "crisis_centre", "health", "school", "minors_commission", "court", "probation"} <= kinds
    # level_set has no duty by default: level duties hang on level_raised, so a reassessment at the same
    # level does not repeat them.
    # placement_requested came with the shelters (national-3), programme_noncompliance with the offender
    # programmes (national-4), monitoring_alert with electronic monitoring (national-5), which covers every trigger.
    assert {d["trigger"] for d in NATIONAL["duties"]} == set(FILE_TRIGGERS) - {"level_set", "placement_requested", "programme_noncompliance", "monitoring_alert"}
    latest = json.loads((FILES_DIR / "national-5.json").read_text(encoding="utf-8"))
    protocol_file_check(raw(latest))
    assert {d["trigger"] for d in latest["duties"]} == set(FILE_TRIGGERS)


@pytest.mark.parametrize(("change", "place"), [
    ({"trigger": "full_moon"}, "duties[0] (police_check_report).trigger: unknown trigger 'full_moon'"),
    ({"agency_kind": "fire_brigade"}, "duties[0] (police_check_report).agency_kind: unknown agency kind 'fire_brigade'"),
    ({"mode": "maybe"}, "duties[0] (police_check_report).mode"),
    ({"hours": 0}, "duties[0] (police_check_report).hours"),
    ({"min_level": "extreme"}, "duties[0] (police_check_report).min_level"),
    ({"title": {"ru": "Только по-русски"}}, "duties[0] (police_check_report).title: needs non-empty kk, ru and en"),
    ({"escalation": [{"after_hours": 5, "to": "regional"}, {"after_hours": 1, "to": "national"}]},
     "duties[0] (police_check_report).escalation[1].after_hours"),
    ({"escalation": [{"after_hours": 5, "to": "the press"}]}, "duties[0] (police_check_report).escalation[0].to"),
])
def test_a_broken_file_is_refused_with_the_place(reference, change, place):
    with pytest.raises(ProtocolFileError) as exc:
        protocol_file_check(raw(changed(**change)))
    assert str(exc.value).startswith(place)


def test_not_json_and_repeated_codes(reference):
    with pytest.raises(ProtocolFileError, match="not a UTF-8 JSON file"):
        protocol_file_check(b"{ nope")
    data = json.loads(json.dumps(NATIONAL))
    data["duties"][1]["code"] = data["duties"][0]["code"]
    with pytest.raises(ProtocolFileError, match=r"duties\[1\]\.code"):
        protocol_file_check(raw(data))


def test_loading_twice_changes_nothing_and_a_changed_file_needs_a_new_number(reference):
    assert protocols_load().new == 5  # national-1 to -5: each retires the one before
    assert ProtocolVersion.objects.get(status=VersionStatus.PUBLISHED).number == 5
    assert protocols_load().new == 0
    with pytest.raises(ProtocolFileError, match="published versions never change"):
        protocol_file_load(raw(changed(hours=48)))


def test_a_broken_file_leaves_the_last_version_in_force(reference, tmp_path: Path):
    (tmp_path / "national-1.json").write_bytes((FILES_DIR / "national-1.json").read_bytes())
    broken = changed(agency_kind="fire_brigade")
    broken["version"] = 2
    (tmp_path / "national-2.json").write_bytes(raw(broken))
    report = protocols_load(tmp_path)
    assert report.new == 1 and len(report.errors) == 1
    assert "national-2.json" in report.errors[0] and "duties[0] (police_check_report).agency_kind" in report.errors[0]
    assert ProtocolVersion.objects.get(status=VersionStatus.PUBLISHED).number == 1


def test_a_new_version_takes_over_and_an_event_still_fires_once(reference, inspector):
    from qorgau.protocols.engine import fire
    from tests.protocols.support import make_case

    protocols_load()
    case = make_case(inspector)
    key = f"report:{Report.objects.get(incident__cases=case).pk}"  # the event registration fired already
    first = fire(trigger="report_registered", case=case, actor=inspector, key=key)
    newer = changed(hours=12)
    newer["version"] = 6
    version, created = protocol_file_load(raw(newer))
    assert created and version.status == VersionStatus.PUBLISHED
    assert ProtocolVersion.objects.filter(status=VersionStatus.PUBLISHED).count() == 1
    assert Duty.objects.get(version=version, code="police_check_report").hours == 12
    again = fire(trigger="report_registered", case=case, actor=inspector, key=key)
    assert {t.pk for t in again} == {t.pk for t in first} and Task.objects.count() == 2
