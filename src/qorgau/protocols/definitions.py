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
from django.utils.translation import gettext, gettext_noop

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
    Trigger,
    VersionStatus,
)
from qorgau.risk.models import LEVEL_RANK, Level, LevelMeasure, Measure

RANK: dict[str, int] = {str(level): rank for level, rank in LEVEL_RANK.items()}

log = logging.getLogger(__name__)

FILES_DIR = Path(__file__).resolve().parent / "files"
LANGS = ("kk", "ru", "en")
LEVELS = ("low", "medium", "high", "critical")
MAX_HOURS = 24 * 365
MAX_STEPS = 5


class ProtocolFileError(ValueError):
    """A protocol file that does not follow the format; the message says where.

    ``str(exc)`` is the English text (logs, the ``load-reference`` command); ``exc.localised()`` is the
    same message in the active language, for the administrator's pages. The message ids are marked
    with ``gettext_noop`` and translated when shown; the places (``duties[0] (code).hours``) are the
    file's own keys and stay as they are.
    """

    def __init__(self, message: str, /, **params: Any) -> None:
        self.message, self.params = message, params
        super().__init__(message % params if params else message)

    def localised(self) -> str:
        return gettext(self.message) % self.params if self.params else gettext(self.message)


def _text(d: Any, where: str, *, limit: int | None = None) -> dict[str, str]:
    if not isinstance(d, dict) or any(not isinstance(d.get(lang), str) or not d[lang].strip() for lang in LANGS):
        raise ProtocolFileError(gettext_noop("%(where)s: needs non-empty kk, ru and en texts"), where=where)
    if limit and any(len(d[lang].strip()) > limit for lang in LANGS):
        raise ProtocolFileError(gettext_noop("%(where)s: at most %(limit)d characters in each language"), where=where, limit=limit)
    return {lang: d[lang].strip() for lang in LANGS}


def _whole(value: Any, where: str, *, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ProtocolFileError(gettext_noop("%(where)s: a whole number from %(low)d to %(high)d"), where=where, low=low, high=high)
    return value


@dataclass
class Checked:
    data: dict[str, Any]
    sha256: str


def protocol_file_check(raw: bytes) -> Checked:
    """Validate a protocol file; raise ``ProtocolFileError`` naming the first problem."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ProtocolFileError(gettext_noop("not a UTF-8 JSON file: the bytes are not UTF-8 text")) from exc
    except json.JSONDecodeError as exc:
        raise ProtocolFileError(gettext_noop("not a UTF-8 JSON file: line %(line)d, column %(column)d"), line=exc.lineno, column=exc.colno) from exc
    if not isinstance(data, dict):
        raise ProtocolFileError(gettext_noop("the file must hold one JSON object"))
    code = data.get("code")
    if not isinstance(code, str) or not code.isidentifier() or len(code) > 40:
        raise ProtocolFileError(gettext_noop("code: a short identifier such as 'national'"))
    _whole(data.get("version"), "version", low=1, high=10_000)
    _text(data.get("name"), "name", limit=200)
    _text(data.get("description"), "description")
    duties = data.get("duties")
    if not isinstance(duties, list) or not duties:
        raise ProtocolFileError(gettext_noop("duties: at least one"))
    kinds = set(AgencyKind.objects.values_list("code", flat=True))
    codes: set[str] = set()
    for i, d in enumerate(duties):
        where = f"duties[{i}]"
        if not isinstance(d, dict):
            raise ProtocolFileError(gettext_noop("%(where)s: an object"), where=where)
        dcode = d.get("code")
        if not isinstance(dcode, str) or not dcode.isidentifier() or len(dcode) > 60 or dcode in codes:
            raise ProtocolFileError(gettext_noop("%(where)s.code: missing, not an identifier, or repeated"), where=where)
        codes.add(dcode)
        where = f"duties[{i}] ({dcode})"
        if d.get("trigger") not in FILE_TRIGGERS:
            raise ProtocolFileError(gettext_noop("%(where)s.trigger: unknown trigger %(value)r; one of %(allowed)s"),
                                    where=where, value=d.get("trigger"), allowed=", ".join(FILE_TRIGGERS))
        if d.get("min_level") not in (None, "", *LEVELS):
            raise ProtocolFileError(gettext_noop("%(where)s.min_level: one of %(allowed)s"), where=where, allowed=", ".join(LEVELS))
        if d.get("agency_kind") not in kinds:
            raise ProtocolFileError(gettext_noop("%(where)s.agency_kind: unknown agency kind %(value)r"), where=where, value=d.get("agency_kind"))
        if d.get("mode") not in Mode.values:
            raise ProtocolFileError(gettext_noop("%(where)s.mode: duty or referral"), where=where)
        if d.get("measure") not in (None, "", *Measure.values):
            raise ProtocolFileError(gettext_noop("%(where)s.measure: unknown measure %(value)r; one of %(allowed)s"),
                                    where=where, value=d.get("measure"), allowed=", ".join(Measure.values))
        _whole(d.get("hours"), f"{where}.hours", low=1, high=MAX_HOURS)
        _text(d.get("title"), f"{where}.title", limit=200)
        _text(d.get("instructions"), f"{where}.instructions")
        chain = d.get("escalation", [])
        if not isinstance(chain, list) or len(chain) > MAX_STEPS:
            raise ProtocolFileError(gettext_noop("%(where)s.escalation: a list of at most %(n)d steps"), where=where, n=MAX_STEPS)
        previous = -1
        for j, step in enumerate(chain):
            at = f"{where}.escalation[{j}]"
            if not isinstance(step, dict) or step.get("to") not in EscalateTo.values:
                raise ProtocolFileError(gettext_noop("%(where)s.to: one of %(allowed)s"), where=at, allowed=", ".join(EscalateTo.values))
            after = _whole(step.get("after_hours"), f"{at}.after_hours", low=0, high=MAX_HOURS)
            if after < previous:
                raise ProtocolFileError(gettext_noop("%(where)s.after_hours: steps come in order, never earlier than the step before"), where=at)
            previous = after
    return Checked(data, hashlib.sha256(raw).hexdigest())


@transaction.atomic
def version_import(checked: Checked, *, status: str = VersionStatus.PUBLISHED) -> ProtocolVersion:
    """Store a checked file as typed rows: published (a shipped file; the previous published version
    retires unless a newer one is published) or a draft (an upload; nothing changes until it is published)."""
    data = checked.data
    name = _text(data["name"], "name")
    names = {f"name_{lang}": name[lang] for lang in LANGS}
    if status == VersionStatus.DRAFT:
        # A draft does not rename a protocol in force; a new protocol takes the draft's names.
        protocol, _created = Protocol.objects.get_or_create(code=data["code"], defaults=names)
        newer = False
    else:
        protocol, _created = Protocol.objects.update_or_create(code=data["code"], defaults=names)
        newer = ProtocolVersion.objects.filter(protocol=protocol, number__gt=data["version"], status=VersionStatus.PUBLISHED).exists()
        if not newer:
            ProtocolVersion.objects.filter(protocol=protocol, status=VersionStatus.PUBLISHED).update(status=VersionStatus.RETIRED)
    desc = _text(data["description"], "description")
    # For a draft, published_at holds the upload time until it is published (then the publication time).
    version = ProtocolVersion.objects.create(
        protocol=protocol, number=data["version"], status=VersionStatus.RETIRED if newer else status,
        source_sha256=checked.sha256, published_at=clock.now(), **{f"description_{lang}": desc[lang] for lang in LANGS},
    )
    for pos, d in enumerate(data["duties"]):
        title, instructions = _text(d["title"], "title"), _text(d["instructions"], "instructions")
        duty = Duty.objects.create(
            version=version, code=d["code"], position=pos, trigger=d["trigger"], min_level=d.get("min_level") or "",
            agency_kind_id=d["agency_kind"], mode=d["mode"], hours=d["hours"], measure=d.get("measure") or "",
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
                gettext_noop("%(code)s, version %(number)d: a version with this number already exists and differs from the file; "
                   "published versions never change — give the file a new version number"),
                code=existing.protocol.code, number=existing.number,
            )
        return existing, False
    return version_import(checked), True


# --- coverage of the risk levels' measures ----------------------------------------------------------

# The triggers on which every measure that a level requires needs a duty (risk/policy.json).
MEASURE_TRIGGERS = (Trigger.LEVEL_SET, Trigger.LEVEL_RAISED)
# Measures that the protocol need not carry: the case conference is proposed by the conference module.
MEASURES_ELSEWHERE = frozenset({Measure.CASE_CONFERENCE})


@dataclass(frozen=True)
class Gap:
    """At ``level``, no duty on ``trigger`` (applying at that level) carries out ``measure``."""

    level: str
    trigger: str
    measure: str

    def __str__(self) -> str:
        return f"level {self.level}: no duty on {self.trigger} carries out {self.measure}"

    @property
    def text(self) -> str:
        return gettext("%(level)s level: no duty on “%(trigger)s” carries out “%(measure)s”") % {
            "level": Level(self.level).label, "trigger": Trigger(self.trigger).label, "measure": Measure(self.measure).label,
        }


def measure_gaps(version: ProtocolVersion) -> list[Gap]:
    """The measures that the loaded level policy requires and that no duty of ``version`` carries out
    at that level, per trigger (``level_set`` and ``level_raised``). Empty when no policy is loaded."""
    duties = list(version.duties.filter(trigger__in=MEASURE_TRIGGERS).exclude(measure="").values("trigger", "min_level", "measure"))
    gaps = []
    for policy in LevelMeasure.objects.select_related("policy").order_by("measure"):
        level, measure = policy.policy_id, policy.measure
        if measure in MEASURES_ELSEWHERE:
            continue
        for trigger in MEASURE_TRIGGERS:
            if not any(d["trigger"] == trigger and d["measure"] == measure and RANK[d["min_level"] or "low"] <= RANK[level]
                       for d in duties):
                gaps.append(Gap(level, trigger, measure))
    return sorted(gaps, key=lambda g: (RANK[g.level], g.trigger, g.measure))


@dataclass
class LoadReport:
    new: int = 0
    errors: list[str] = field(default_factory=list)
    # Measures of the level policy that a newly published version leaves without a duty: loaded all
    # the same (the measure can still be recorded by hand on the case), but said.
    warnings: list[str] = field(default_factory=list)


def _order(path: Path) -> tuple[str, int]:
    stem, _sep, number = path.stem.rpartition("-")
    return (stem, int(number)) if number.isdigit() else (path.stem, 0)


def protocols_load(directory: Path = FILES_DIR) -> LoadReport:
    """Import every shipped protocol file, lowest version first. A broken file is reported (with the
    place of the problem) and skipped; the protocol's last valid version stays in force. A version put
    in force that leaves a level's measure without a duty is loaded, with a warning (``measure_gaps``)."""
    report = LoadReport()
    made: dict[int, str] = {}
    for path in sorted(directory.glob("*.json"), key=_order):
        try:
            version, created = protocol_file_load(path.read_bytes())
        except ProtocolFileError as exc:
            report.errors.append(f"{path.name}: {exc}")
            log.error("protocol file %s refused: %s", path.name, exc)
            continue
        report.new += created
        if created:
            made[version.pk] = path.name
    # Coverage is said of the versions now in force that this run loaded (not of one retired at once).
    for version in ProtocolVersion.objects.filter(pk__in=made, status=VersionStatus.PUBLISHED):
        for gap in measure_gaps(version):
            report.warnings.append(f"{made[version.pk]}: {gap}")
            log.warning("protocol file %s: %s", made[version.pk], gap)
    return report
