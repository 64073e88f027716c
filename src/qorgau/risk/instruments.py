"""Instruments as versioned data (DESIGN §10): shipped files are validated and imported as rows; a
published version is immutable; a new weighting is a new version, published by an administrator.

The file format is documented in ``docs/risk-instruments.md``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from qorgau.accounts.models import User
from qorgau.accounts.roles import Capability
from qorgau.cases.models import Relationship
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.errors import Forbidden, Invalid
from qorgau.core.models import AuditAction
from qorgau.risk.models import (
    FlagEscalation,
    FlagRule,
    Instrument,
    InstrumentKind,
    InstrumentVersion,
    Item,
    Level,
    LevelCutoff,
    LevelMeasure,
    LevelPolicy,
    Measure,
    Section,
    VersionRelationship,
    VersionStatus,
)
from qorgau.risk.prefill import SOURCES

INSTRUMENTS_DIR = Path(__file__).resolve().parent / "instruments"
POLICY_FILE = Path(__file__).resolve().parent / "policy.json"
LANGS = ("kk", "ru", "en")


class InstrumentFileError(ValueError):
    """A shipped or uploaded instrument file that does not follow the format; the message says where."""


def _text(d: Any, where: str) -> dict[str, str]:
    if not isinstance(d, dict) or any(not isinstance(d.get(lang), str) or not d[lang].strip() for lang in LANGS):
        raise InstrumentFileError(f"{where}: needs non-empty kk, ru and en texts")
    return {lang: d[lang].strip() for lang in LANGS}


@dataclass
class _Checked:
    data: dict[str, Any]
    sha256: str


def instrument_file_check(raw: bytes) -> _Checked:
    """Validate an instrument file; raise ``InstrumentFileError`` naming the first problem."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InstrumentFileError(f"not a UTF-8 JSON file: {exc}") from exc
    if not isinstance(data, dict):
        raise InstrumentFileError("the file must hold one JSON object")
    code, number = data.get("code"), data.get("version")
    if not isinstance(code, str) or not code.isidentifier():
        raise InstrumentFileError("code: a short identifier such as 'dash'")
    if not isinstance(number, int) or number < 1:
        raise InstrumentFileError("version: a positive whole number")
    if data.get("kind") not in InstrumentKind.values:
        raise InstrumentFileError(f"kind: one of {', '.join(InstrumentKind.values)}")
    _text(data.get("name"), "name")
    _text(data.get("description"), "description")
    applies, primary = data.get("applies_to"), data.get("primary_for", [])
    if not isinstance(applies, list) or not applies or set(applies) - set(Relationship.values):
        raise InstrumentFileError(f"applies_to: a list of {', '.join(Relationship.values)}")
    if not isinstance(primary, list) or set(primary) - set(applies):
        raise InstrumentFileError("primary_for: a subset of applies_to")
    levels = data.get("levels")
    if not isinstance(levels, dict) or levels.get("low") != 0 or set(levels) - set(Level.values):
        raise InstrumentFileError("levels: minimum scores by level, with low at 0")
    mins = [levels[lv] for lv in Level.values if lv in levels]
    if any(not isinstance(m, int) for m in mins) or mins != sorted(set(mins)):
        raise InstrumentFileError("levels: minimum scores must be whole numbers that rise with the level")
    sections = data.get("sections")
    if not isinstance(sections, list) or not sections:
        raise InstrumentFileError("sections: at least one")
    section_codes = set()
    for i, s in enumerate(sections):
        _text(s.get("title") if isinstance(s, dict) else None, f"sections[{i}].title")
        section_codes.add(s.get("code"))
    items = data.get("items")
    if not isinstance(items, list) or not items:
        raise InstrumentFileError("items: at least one")
    codes: set[str] = set()
    for i, it in enumerate(items):
        where = f"items[{i}]"
        if not isinstance(it, dict) or not isinstance(it.get("code"), str) or it["code"] in codes:
            raise InstrumentFileError(f"{where}.code: missing or repeated")
        codes.add(it["code"])
        if it.get("section") not in section_codes:
            raise InstrumentFileError(f"{where}.section: not one of the sections")
        _text(it.get("question"), f"{where}.question")
        _text(it.get("help"), f"{where}.help")
        if it.get("answers", "yes_no_unknown") != "yes_no_unknown":
            raise InstrumentFileError(f"{where}.answers: only yes_no_unknown is supported")
        if not isinstance(it.get("weight", 1), int) or it.get("weight", 1) < 0:
            raise InstrumentFileError(f"{where}.weight: a whole number, 0 or more")
        if it.get("prefill") not in (None, "", *SOURCES):
            raise InstrumentFileError(f"{where}.prefill: unknown source {it.get('prefill')!r}")
    flag = data.get("flag")
    if flag is not None:
        _text(flag.get("name"), "flag.name")
        esc = flag.get("escalates", {})
        if not isinstance(esc, dict) or set(esc) - set(Level.values) or set(esc.values()) - set(Level.values):
            raise InstrumentFileError("flag.escalates: level to level")
        rules = flag.get("rules")
        if not isinstance(rules, list) or not rules:
            raise InstrumentFileError("flag.rules: at least one")
        for i, r in enumerate(rules):
            _text(r.get("label"), f"flag.rules[{i}].label")
            named = [*r.get("all", []), *r.get("any", [])]
            if not r.get("all") or set(named) - codes:
                raise InstrumentFileError(f"flag.rules[{i}]: 'all' must name items of this instrument")
    return _Checked(data, hashlib.sha256(raw).hexdigest())


@transaction.atomic
def _import(checked: _Checked, *, actor: User | None, status: str, derived_from: InstrumentVersion | None = None,
            weights: dict[str, int] | None = None) -> InstrumentVersion:
    data = checked.data
    name = _text(data["name"], "name")
    instrument, _created = Instrument.objects.update_or_create(
        code=data["code"], defaults={"kind": data["kind"], **{f"name_{lang}": name[lang] for lang in LANGS}}
    )
    at = clock.now()
    desc = _text(data["description"], "description")
    flag = data.get("flag") or {}
    flag_name = _text(flag["name"], "flag.name") if flag else dict.fromkeys(LANGS, "")
    version = InstrumentVersion.objects.create(
        instrument=instrument, number=data["version"], status=status, source_sha256=checked.sha256 if weights is None else "",
        derived_from=derived_from, created_at=at, created_by=actor,
        published_at=at if status == VersionStatus.PUBLISHED else None, published_by=actor if status == VersionStatus.PUBLISHED else None,
        **{f"description_{lang}": desc[lang] for lang in LANGS}, **{f"flag_name_{lang}": flag_name[lang] for lang in LANGS},
    )
    for rel in data["applies_to"]:
        VersionRelationship.objects.create(version=version, relationship=rel, primary=rel in data.get("primary_for", []))
    for level, min_score in data["levels"].items():
        LevelCutoff.objects.create(version=version, level=level, min_score=min_score)
    for from_level, to_level in flag.get("escalates", {}).items():
        FlagEscalation.objects.create(version=version, from_level=from_level, to_level=to_level)
    sections = {}
    for pos, s in enumerate(data["sections"]):
        title = _text(s["title"], "title")
        sections[s["code"]] = Section.objects.create(version=version, code=s["code"], position=pos, **{f"title_{lang}": title[lang] for lang in LANGS})
    items = {}
    for pos, it in enumerate(data["items"]):
        q, h = _text(it["question"], "question"), _text(it["help"], "help")
        weight = (weights or {}).get(it["code"], it.get("weight", 1))
        items[it["code"]] = Item.objects.create(
            version=version, section=sections[it["section"]], code=it["code"], position=pos, weight=weight, prefill=it.get("prefill") or "",
            **{f"question_{lang}": q[lang] for lang in LANGS}, **{f"help_{lang}": h[lang] for lang in LANGS},
        )
    for pos, r in enumerate(flag.get("rules", [])):
        label = _text(r["label"], "label")
        rule = FlagRule.objects.create(version=version, code=r["code"], position=pos, **{f"label_{lang}": label[lang] for lang in LANGS})
        rule.all_items.set([items[c] for c in r["all"]])
        rule.any_items.set([items[c] for c in r.get("any", [])])
    return version


def _published_primary_clash(version: InstrumentVersion) -> list[str]:
    """Relationships for which another instrument's published version is already primary."""
    mine = set(version.relationships.filter(primary=True).values_list("relationship", flat=True))
    taken = set(
        VersionRelationship.objects.filter(primary=True, version__status=VersionStatus.PUBLISHED, relationship__in=mine)
        .exclude(version__instrument=version.instrument).values_list("relationship", flat=True)
    )
    return sorted(taken)


def _retire_others(version: InstrumentVersion) -> None:
    InstrumentVersion.objects.filter(instrument=version.instrument, status=VersionStatus.PUBLISHED).exclude(pk=version.pk).update(
        status=VersionStatus.RETIRED
    )


@transaction.atomic
def instrument_file_load(raw: bytes) -> tuple[InstrumentVersion, bool]:
    """Import one shipped file as a published version; (version, created). Loading the same file again
    changes nothing; a different file under a published code and number is refused (immutable)."""
    checked = instrument_file_check(raw)
    existing = InstrumentVersion.objects.filter(instrument__code=checked.data["code"], number=checked.data["version"]).first()
    if existing is not None:
        if existing.source_sha256 != checked.sha256:
            raise InstrumentFileError(
                f"{existing}: a version with this number already exists and differs from the file; "
                "published versions never change — give the file a new version number"
            )
        return existing, False
    newer = InstrumentVersion.objects.filter(instrument__code=checked.data["code"], number__gt=checked.data["version"], status=VersionStatus.PUBLISHED)
    status = VersionStatus.RETIRED if newer.exists() else VersionStatus.PUBLISHED
    if status == VersionStatus.PUBLISHED:
        InstrumentVersion.objects.filter(instrument__code=checked.data["code"], status=VersionStatus.PUBLISHED).update(status=VersionStatus.RETIRED)
    version = _import(checked, actor=None, status=status)
    clash = _published_primary_clash(version) if status == VersionStatus.PUBLISHED else []
    if clash:
        raise InstrumentFileError(f"{version}: another published instrument is already primary for {', '.join(clash)}")
    return version, True


def instruments_load(directory: Path = INSTRUMENTS_DIR) -> int:
    """Import every shipped instrument file, lowest version first; returns how many were new."""
    files = sorted(directory.glob("*.json"), key=lambda p: (p.stem.rsplit("-", 1)[0], int(p.stem.rsplit("-", 1)[1])))
    return sum(instrument_file_load(p.read_bytes())[1] for p in files)


@transaction.atomic
def policy_load(path: Path = POLICY_FILE) -> int:
    """Import the per-level configuration (reassessment days, mandatory measures); safe to run again."""
    data = json.loads(path.read_text(encoding="utf-8"))["levels"]
    if set(data) != set(Level.values):
        raise InstrumentFileError("policy: every level needs an entry")
    for level, row in data.items():
        if set(row["measures"]) - set(Measure.values) or not isinstance(row["reassess_days"], int) or row["reassess_days"] < 1:
            raise InstrumentFileError(f"policy.{level}: reassess_days of 1 or more, measures of {', '.join(Measure.values)}")
        policy, _created = LevelPolicy.objects.update_or_create(level=level, defaults={"reassess_days": row["reassess_days"]})
        LevelMeasure.objects.filter(policy=policy).exclude(measure__in=row["measures"]).delete()
        for m in row["measures"]:
            LevelMeasure.objects.get_or_create(policy=policy, measure=m)
    return len(data)


def version_as_file(version: InstrumentVersion, *, weights: dict[str, int] | None = None, number: int | None = None) -> dict[str, Any]:
    """A version written back in the file format (for a re-weighted draft, or to export)."""
    def t(obj: object, stem: str) -> dict[str, str]:
        return {lang: getattr(obj, f"{stem}_{lang}") for lang in LANGS}

    rels = list(version.relationships.all())
    rules = list(version.flag_rules.prefetch_related("all_items", "any_items"))
    return {
        "code": version.instrument.code,
        "version": number or version.number,
        "kind": version.instrument.kind,
        "name": t(version.instrument, "name"),
        "description": t(version, "description"),
        "applies_to": [r.relationship for r in rels],
        "primary_for": [r.relationship for r in rels if r.primary],
        "levels": {c.level: c.min_score for c in version.cutoffs.all()},
        "sections": [{"code": s.code, "title": t(s, "title")} for s in version.sections.all()],
        "items": [
            {"code": i.code, "section": i.section.code, "question": t(i, "question"), "help": t(i, "help"), "answers": "yes_no_unknown",
             "weight": (weights or {}).get(i.code, i.weight), "prefill": i.prefill or None}
            for i in version.items.select_related("section")
        ],
        "flag": None if not rules else {
            "name": t(version, "flag_name"),
            "escalates": {e.from_level: e.to_level for e in version.escalations.all()},
            "rules": [{"code": r.code, "label": t(r, "label"), "all": [i.code for i in r.all_items.all()], "any": [i.code for i in r.any_items.all()]}
                      for r in rules],
        },
    }


@transaction.atomic
def version_draft_reweighted(*, actor: User, version: InstrumentVersion, weights: dict[str, int]) -> InstrumentVersion:
    """A new draft of the instrument with other item weights (from the validation report); it changes
    nothing until an administrator publishes it."""
    if not actor.can(Capability.MANAGE_REFERENCE):
        raise Forbidden()
    codes = set(version.items.values_list("code", flat=True))
    if set(weights) - codes or any(not isinstance(w, int) or w < 0 or w > 20 for w in weights.values()):
        raise Invalid(fields={"weights": [_("Each weight is a whole number from 0 to 20 for an item of this instrument.")]})
    number = (InstrumentVersion.objects.filter(instrument=version.instrument).order_by("-number").values_list("number", flat=True).first() or 0) + 1
    data = version_as_file(version, weights=weights, number=number)
    checked = instrument_file_check(json.dumps(data, ensure_ascii=False).encode())
    draft = _import(checked, actor=actor, status=VersionStatus.DRAFT, derived_from=version, weights=weights)
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="instrument_version", target_id=draft.pk)
    return draft


@transaction.atomic
def version_publish(*, actor: User, version: InstrumentVersion) -> InstrumentVersion:
    """Publish a draft: it becomes the instrument's current version, immutable; the previous one retires.
    Assessments already signed keep the version they were made with."""
    if not actor.can(Capability.MANAGE_REFERENCE):
        raise Forbidden()
    locked = InstrumentVersion.objects.select_for_update().get(pk=version.pk)
    if locked.status != VersionStatus.DRAFT:
        raise Invalid(fields={"version": [_("Only a draft can be published; published versions never change.")]})
    clash = _published_primary_clash(locked)
    if clash:
        raise Invalid(fields={"version": [_("Another published instrument is already primary for: %(rels)s.") % {
            "rels": ", ".join(str(Relationship(r).label) for r in clash)}]})
    _retire_others(locked)
    locked.status = VersionStatus.PUBLISHED
    locked.published_at = clock.now()
    locked.published_by = actor
    locked.save(update_fields=["status", "published_at", "published_by"])
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="instrument_version", target_id=locked.pk)
    return locked
