"""Protocols as versioned data (DESIGN §10): shipped files are validated and imported as typed rows;
a published version is immutable; a changed file must carry a new version number.

A broken file never takes the system down: ``protocols_load`` reports it with the place of the first
problem and skips it, and the protocol's last valid version stays in force. The file format is
documented in ``docs/protocols.md``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from qorgau.accounts.models import AgencyKind
from qorgau.core import clock
from qorgau.protocols.models import (
    FILE_TRIGGERS,
    Duty,
    EscalateTo,
    EscalationStep,
    Mode,
    Protocol,
    ProtocolVersion,
    VersionStatus,
)

log = logging.getLogger(__name__)

FILES_DIR = Path(__file__).resolve().parent / "files"
LANGS = ("kk", "ru", "en")
LEVELS = ("low", "medium", "high", "critical")
MAX_HOURS = 24 * 365
MAX_STEPS = 5


class ProtocolFileError(ValueError):
    """A protocol file that does not follow the format; the message says where."""


def _text(d: Any, where: str, *, limit: int | None = None) -> dict[str, str]:
    if not isinstance(d, dict) or any(not isinstance(d.get(lang), str) or not d[lang].strip() for lang in LANGS):
        raise ProtocolFileError(f"{where}: needs non-empty kk, ru and en texts")
    if limit and any(len(d[lang].strip()) > limit for lang in LANGS):
        raise ProtocolFileError(f"{where}: at most {limit} characters in each language")
    return {lang: d[lang].strip() for lang in LANGS}


def _whole(value: Any, where: str, *, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ProtocolFileError(f"{where}: a whole number from {low} to {high}")
    return value


@dataclass
class Checked:
    data: dict[str, Any]
    sha256: str


def protocol_file_check(raw: bytes) -> Checked:
    """Validate a protocol file; raise ``ProtocolFileError`` naming the first problem."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProtocolFileError(f"not a UTF-8 JSON file: {exc}") from exc
    if not isinstance(data, dict):
        raise ProtocolFileError("the file must hold one JSON object")
    code = data.get("code")
    if not isinstance(code, str) or not code.isidentifier() or len(code) > 40:
        raise ProtocolFileError("code: a short identifier such as 'national'")
    _whole(data.get("version"), "version", low=1, high=10_000)
    _text(data.get("name"), "name", limit=200)
    _text(data.get("description"), "description")
    duties = data.get("duties")
    if not isinstance(duties, list) or not duties:
        raise ProtocolFileError("duties: at least one")
    kinds = set(AgencyKind.objects.values_list("code", flat=True))
    codes: set[str] = set()
    for i, d in enumerate(duties):
        where = f"duties[{i}]"
        if not isinstance(d, dict):
            raise ProtocolFileError(f"{where}: an object")
        dcode = d.get("code")
        if not isinstance(dcode, str) or not dcode.isidentifier() or len(dcode) > 60 or dcode in codes:
            raise ProtocolFileError(f"{where}.code: missing, not an identifier, or repeated")
        codes.add(dcode)
        where = f"duties[{i}] ({dcode})"
        if d.get("trigger") not in FILE_TRIGGERS:
            raise ProtocolFileError(f"{where}.trigger: unknown trigger {d.get('trigger')!r}; one of {', '.join(FILE_TRIGGERS)}")
        if d.get("min_level") not in (None, "", *LEVELS):
            raise ProtocolFileError(f"{where}.min_level: one of {', '.join(LEVELS)}")
        if d.get("agency_kind") not in kinds:
            raise ProtocolFileError(f"{where}.agency_kind: unknown agency kind {d.get('agency_kind')!r}")
        if d.get("mode") not in Mode.values:
            raise ProtocolFileError(f"{where}.mode: duty or referral")
        _whole(d.get("hours"), f"{where}.hours", low=1, high=MAX_HOURS)
        _text(d.get("title"), f"{where}.title", limit=200)
        _text(d.get("instructions"), f"{where}.instructions")
        chain = d.get("escalation", [])
        if not isinstance(chain, list) or len(chain) > MAX_STEPS:
            raise ProtocolFileError(f"{where}.escalation: a list of at most {MAX_STEPS} steps")
        previous = -1
        for j, step in enumerate(chain):
            at = f"{where}.escalation[{j}]"
            if not isinstance(step, dict) or step.get("to") not in EscalateTo.values:
                raise ProtocolFileError(f"{at}.to: one of {', '.join(EscalateTo.values)}")
            after = _whole(step.get("after_hours"), f"{at}.after_hours", low=0, high=MAX_HOURS)
            if after < previous:
                raise ProtocolFileError(f"{at}.after_hours: steps come in order, never earlier than the step before")
            previous = after
    return Checked(data, hashlib.sha256(raw).hexdigest())


@transaction.atomic
def _import(checked: Checked) -> ProtocolVersion:
    data = checked.data
    name = _text(data["name"], "name")
    protocol, _created = Protocol.objects.update_or_create(code=data["code"], defaults={f"name_{lang}": name[lang] for lang in LANGS})
    desc = _text(data["description"], "description")
    newer = ProtocolVersion.objects.filter(protocol=protocol, number__gt=data["version"], status=VersionStatus.PUBLISHED).exists()
    if not newer:
        ProtocolVersion.objects.filter(protocol=protocol, status=VersionStatus.PUBLISHED).update(status=VersionStatus.RETIRED)
    version = ProtocolVersion.objects.create(
        protocol=protocol, number=data["version"], status=VersionStatus.RETIRED if newer else VersionStatus.PUBLISHED,
        source_sha256=checked.sha256, published_at=clock.now(), **{f"description_{lang}": desc[lang] for lang in LANGS},
    )
    for pos, d in enumerate(data["duties"]):
        title, instructions = _text(d["title"], "title"), _text(d["instructions"], "instructions")
        duty = Duty.objects.create(
            version=version, code=d["code"], position=pos, trigger=d["trigger"], min_level=d.get("min_level") or "",
            agency_kind_id=d["agency_kind"], mode=d["mode"], hours=d["hours"],
            **{f"title_{lang}": title[lang] for lang in LANGS}, **{f"instructions_{lang}": instructions[lang] for lang in LANGS},
        )
        for n, step in enumerate(d.get("escalation", []), start=1):
            EscalationStep.objects.create(duty=duty, step=n, after_hours=step["after_hours"], to=step["to"])
    return version


@transaction.atomic
def protocol_file_load(raw: bytes) -> tuple[ProtocolVersion, bool]:
    """Import one file as a published version; (version, created). The same file again changes
    nothing; a different file under an existing code and number is refused (immutable)."""
    checked = protocol_file_check(raw)
    existing = ProtocolVersion.objects.filter(protocol__code=checked.data["code"], number=checked.data["version"]).select_related("protocol").first()
    if existing is not None:
        if existing.source_sha256 != checked.sha256:
            raise ProtocolFileError(
                f"{existing}: a version with this number already exists and differs from the file; "
                "published versions never change — give the file a new version number"
            )
        return existing, False
    return _import(checked), True


@dataclass
class LoadReport:
    new: int = 0
    errors: list[str] = field(default_factory=list)


def _order(path: Path) -> tuple[str, int]:
    stem, _sep, number = path.stem.rpartition("-")
    return (stem, int(number)) if number.isdigit() else (path.stem, 0)


def protocols_load(directory: Path = FILES_DIR) -> LoadReport:
    """Import every shipped protocol file, lowest version first. A broken file is reported (with the
    place of the problem) and skipped; the protocol's last valid version stays in force."""
    report = LoadReport()
    for path in sorted(directory.glob("*.json"), key=_order):
        try:
            report.new += protocol_file_load(path.read_bytes())[1]
        except ProtocolFileError as exc:
            report.errors.append(f"{path.name}: {exc}")
            log.error("protocol file %s refused: %s", path.name, exc)
    return report
