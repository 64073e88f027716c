"""Instruments as versioned data: the shipped files load, published versions never change, a
re-weighted draft is published by an administrator and retires the previous version."""

from __future__ import annotations

import json

import pytest

from qorgau.accounts.roles import Role
from qorgau.core.errors import Forbidden, Invalid
from qorgau.risk.instruments import (
    INSTRUMENTS_DIR,
    InstrumentFileError,
    instrument_file_check,
    instrument_file_load,
    instruments_load,
    version_draft_reweighted,
    version_publish,
)
from qorgau.risk.models import InstrumentVersion, LevelMeasure, LevelPolicy, VersionRelationship, VersionStatus

pytestmark = pytest.mark.django_db


def shipped(name: str) -> dict:
    return json.loads((INSTRUMENTS_DIR / f"{name}.json").read_text(encoding="utf-8"))


def test_the_shipped_instruments_load_once_published(instruments):
    versions = {v.instrument.code: v for v in InstrumentVersion.objects.select_related("instrument")}
    assert sorted(versions) == ["dash", "family", "odara"]
    assert all(v.status == VersionStatus.PUBLISHED and v.published_at is not None for v in versions.values())
    assert versions["odara"].items.count() == 13
    assert versions["dash"].items.count() == 24
    assert 10 <= versions["family"].items.count() <= 12
    assert sorted(versions["odara"].cutoffs.values_list("level", "min_score")) == [("critical", 7), ("high", 4), ("low", 0), ("medium", 2)]
    assert sorted(versions["dash"].cutoffs.values_list("level", "min_score")) == [("high", 14), ("low", 0), ("medium", 10)]
    assert list(versions["dash"].escalations.values_list("from_level", "to_level")) == [("high", "critical")]
    assert instruments_load() == 0  # a second load adds nothing


def test_every_question_has_all_three_languages(instruments):
    for version in InstrumentVersion.objects.all():
        for item in version.items.all():
            assert item.question_kk and item.question_ru and item.question_en, item.code
            assert item.help_kk and item.help_ru and item.help_en, item.code
            assert item.question_kk != item.question_en


def test_the_primary_instrument_per_relationship(instruments):
    primary = dict(VersionRelationship.objects.filter(primary=True).values_list("relationship", "version__instrument__code"))
    assert primary == {
        "spouse": "dash", "ex_spouse": "dash", "partner": "dash",
        "parent": "family", "child": "family", "sibling": "family", "other_relative": "family", "household": "family",
    }


def test_the_level_policy_loads(instruments):
    assert dict(LevelPolicy.objects.values_list("level", "reassess_days")) == {"critical": 3, "high": 7, "medium": 30, "low": 60}
    critical = set(LevelMeasure.objects.filter(policy_id="critical").values_list("measure", flat=True))
    assert {"protective_order", "monitoring_proposal", "case_conference"} <= critical


def test_a_published_version_never_changes(instruments):
    data = shipped("odara-1")
    data["items"][0]["weight"] = 3
    with pytest.raises(InstrumentFileError, match="never change"):
        instrument_file_load(json.dumps(data).encode())
    assert InstrumentVersion.objects.get(instrument__code="odara").items.get(code=data["items"][0]["code"]).weight == 1


def test_a_new_file_version_retires_the_old_one(instruments):
    data = shipped("odara-1")
    data["version"] = 2
    version, created = instrument_file_load(json.dumps(data).encode())
    assert created and version.status == VersionStatus.PUBLISHED
    assert InstrumentVersion.objects.get(instrument__code="odara", number=1).status == VersionStatus.RETIRED


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["items"][0]["question"].pop("kk"), r"items\[0\]\.question"),
        (lambda d: d["items"][1].update(prefill="horoscope"), r"items\[1\]\.prefill"),
        (lambda d: d.update(applies_to=["neighbour"]), "applies_to"),
        (lambda d: d.update(levels={"low": 1}), "levels"),
        (lambda d: d.update(levels={"low": 0, "medium": 5, "high": 3}), "rise"),
        (lambda d: d["flag"]["rules"][0].update(all=["no_such_item"]), r"flag\.rules\[0\]"),
        (lambda d: d["items"][2].update(code=d["items"][1]["code"]), r"items\[2\]\.code"),
        (lambda d: d["items"][0].update(answers="scale_1_10"), "yes_no_unknown"),
    ],
)
def test_a_bad_file_is_refused_with_the_place(change, message):
    data = shipped("dash-1")
    change(data)
    with pytest.raises(InstrumentFileError, match=message):
        instrument_file_check(json.dumps(data).encode())


def test_not_json_is_refused():
    with pytest.raises(InstrumentFileError, match="JSON"):
        instrument_file_check(b"\xff\xfe not json")


def test_a_reweighted_draft_is_published_by_an_administrator(instruments, make_user):
    admin = make_user(Role.ADMINISTRATOR)
    current = InstrumentVersion.objects.get(instrument__code="odara", status=VersionStatus.PUBLISHED)
    first, second = current.items.values_list("code", flat=True)[:2]
    draft = version_draft_reweighted(actor=admin, version=current, weights={first: 3, second: 0})
    assert draft.status == VersionStatus.DRAFT and draft.number == 2 and draft.derived_from == current
    assert draft.items.get(code=first).weight == 3 and draft.items.get(code=second).weight == 0
    assert current.items.get(code=first).weight == 1  # nothing applied yet
    with pytest.raises(Forbidden):
        version_publish(actor=make_user(Role.POLICE_SUPERVISOR), version=draft)
    version_publish(actor=admin, version=draft)
    current.refresh_from_db()
    draft.refresh_from_db()
    assert (current.status, draft.status) == (VersionStatus.RETIRED, VersionStatus.PUBLISHED)
    with pytest.raises(Invalid):
        version_publish(actor=admin, version=draft)


def test_weights_out_of_range_are_refused(instruments, make_user):
    admin = make_user(Role.ADMINISTRATOR)
    current = InstrumentVersion.objects.get(instrument__code="odara")
    with pytest.raises(Invalid) as exc:
        version_draft_reweighted(actor=admin, version=current, weights={"prior_domestic": 99})
    assert "weights" in exc.value.fields
    assert InstrumentVersion.objects.filter(instrument__code="odara").count() == 1
