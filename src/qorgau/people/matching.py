"""The person-matching engine, without a database: blocking keys, field comparisons, the decision
(DESIGN §6 and §10). ``people.registry`` runs it against the stored registry through blind indexes;
the benchmark and the labelled evaluation set run it in memory.

Decisions are conservative. A link is automatic only on strong evidence — a valid IIN that agrees
with the name, or the exact normalised name with the exact birth date — and only when nothing
disagrees (sex, birth date, patronymic, another IIN); everything else above ``REVIEW_FLOOR`` goes to
a person for review. The comparison is symmetric: ``compare(a, b)`` and ``compare(b, a)`` give the
same score, reasons and decision (the name alignment tries both orders of both records).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from rapidfuzz.distance import OSA, JaroWinkler

from qorgau.core import iin as iin_rules
from qorgau.people.names import ParsedName, exact_key, parse_name, patronymic_stem, surname_stem

# Names alone, however exact, stay below the review floor: common names collide (names.md §5, the
# top surname is held by some 74,000 people), so a pair needs a birth date, an IIN, a phone or the
# patronymic agreeing as well before a person is asked to look at it.
REVIEW_FLOOR = 8.5
NAME_AGREES = 0.88  # Jaro–Winkler similarity above which a name part counts as the same
MAX_CANDIDATES = 60


class Decision(StrEnum):
    AUTO = "auto"  # link without asking
    REVIEW = "review"  # a person decides
    NONE = "none"  # a different person


class Reason(StrEnum):
    """Why the engine matched, shown to the reviewer (labels in people.reasons)."""

    IIN_EQUAL = "iin_equal"
    IIN_ONE_EDIT = "iin_one_edit"
    IIN_DIFFERENT = "iin_different"
    NAME_EXACT = "name_exact"
    NAME_SWAPPED = "name_swapped"
    SURNAME_SIMILAR = "surname_similar"
    SURNAME_DIFFERENT = "surname_different"
    GIVEN_SIMILAR = "given_similar"
    GIVEN_INITIAL = "given_initial"
    GIVEN_DIFFERENT = "given_different"
    PATRONYMIC_DIFFERENT = "patronymic_different"
    BIRTH_DATE_EQUAL = "birth_date_equal"
    BIRTH_DATE_NEAR = "birth_date_near"
    BIRTH_DATE_DIFFERENT = "birth_date_different"
    BIRTH_DATE_MISSING = "birth_date_missing"
    SEX_DIFFERENT = "sex_different"
    PHONE_EQUAL = "phone_equal"


@dataclass(frozen=True)
class Record:
    """What the engine knows about one person record (decrypted, or as entered)."""

    full_name: str
    iin: str = ""
    iin_valid: bool = False
    birth_date: dt.date | None = None
    sex: str = "U"
    phone: str = ""

    @classmethod
    def build(cls, full_name: str, iin: str = "", birth_date: dt.date | None = None, sex: str = "U", phone: str = "") -> Record:
        iin = "".join(iin.split())
        valid = iin_rules.is_valid(iin)
        if valid and birth_date is None:
            info = iin_rules.parse(iin)
            birth_date = info.birth_date if info else None
            sex = info.sex if info and sex == "U" else sex
        return cls(full_name, iin if iin.isdigit() else "", valid, birth_date, sex or "U", phone_key(phone))


def phone_key(phone: str) -> str:
    """The last ten digits of a Kazakh number (+7 / 8 prefixes dropped); empty when too short."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return digits[-10:] if len(digits) >= 10 else ""


def iin_neighbours(iin: str) -> list[str]:
    """Every 12-digit string one substitution or one adjacent transposition away (a mistyped IIN)."""
    if len(iin) != 12 or not iin.isdigit():
        return []
    out = []
    for i, ch in enumerate(iin):
        for d in "0123456789":
            if d != ch:
                out.append(iin[:i] + d + iin[i + 1 :])
    for i in range(11):
        if iin[i] != iin[i + 1]:
            out.append(iin[:i] + iin[i + 1] + iin[i] + iin[i + 2 :])
    return out


def _iin_one_edit(a: str, b: str) -> bool:
    if len(a) != 12 or len(b) != 12 or a == b:
        return False
    diff = [i for i in range(12) if a[i] != b[i]]
    if len(diff) == 1:
        return True
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]


# Blocking -------------------------------------------------------------------------------------------

class KeyKind(StrEnum):
    SURNAME_YEAR = "sy"  # surname stem + birth year
    GIVEN_DATE = "gd"  # given name + birth date
    GIVEN_PREFIX = "gp"  # given name + first three letters of the surname stem (no birth date needed)
    GIVEN_SUFFIX = "gx"  # given name + last three letters of the surname stem (a typo hits only one)
    GIVEN_CONSONANTS = "gc"  # given name + the surname stem's consonants, sorted (vowel slips, swapped letters)
    PHONE = "ph"


def blocking_keys(record: Record, parsed: ParsedName | None = None) -> set[tuple[str, str]]:
    """The (kind, normalised value) keys under which the record is filed and probed. Both name
    orders are filed, so a swapped surname and given name still meet."""
    parsed = parsed or parse_name(record.full_name)
    keys: set[tuple[str, str]] = set()
    for surname, given in parsed.orders():
        stem = surname_stem(surname)
        if record.birth_date and stem:
            keys.add((KeyKind.SURNAME_YEAR, f"{stem}|{record.birth_date.year}"))
        if given and record.birth_date:
            keys.add((KeyKind.GIVEN_DATE, f"{given}|{record.birth_date.isoformat()}"))
        if given and len(stem) >= 3:
            keys.add((KeyKind.GIVEN_PREFIX, f"{given}|{stem[:3]}"))
            keys.add((KeyKind.GIVEN_SUFFIX, f"{given}|{stem[-3:]}"))
            consonants = "".join(sorted(ch for ch in stem if ch not in "aeiou"))
            if len(consonants) >= 2:
                keys.add((KeyKind.GIVEN_CONSONANTS, f"{given}|{consonants}"))
    if len(parsed.names) == 1 and parsed.initials and record.birth_date:
        # «Иванов А.» with a birth date: the surname and year still block.
        keys.add((KeyKind.SURNAME_YEAR, f"{surname_stem(parsed.names[0])}|{record.birth_date.year}"))
    if record.phone:
        keys.add((KeyKind.PHONE, record.phone))
    return keys


# Scoring --------------------------------------------------------------------------------------------

@dataclass
class Comparison:
    score: float
    decision: Decision
    reasons: list[Reason] = field(default_factory=list)


def _sim(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    return max(JaroWinkler.normalized_similarity(a, b), JaroWinkler.normalized_similarity(surname_stem(a), surname_stem(b)))


def _one_edit(a: str, b: str) -> bool:
    """One typo apart (insertion, deletion, substitution or transposition), on words long enough for
    one letter not to make another name."""
    return min(len(a), len(b)) >= 4 and OSA.distance(a, b) <= 1


def _given_sim(a: str, b: str, initials_a: tuple[str, ...], initials_b: tuple[str, ...]) -> tuple[float, bool]:
    """Similarity of two given names, or of a name and an initial; -1 when either side has neither.

    Stricter than for surnames: short given names one letter apart are usually different names
    (Серік/Берік, Нурлан/Ерлан), so a variant must keep the first letter and most of its letters.
    A given name against an initial: (0.85, True) when the initial agrees, (0.0, False) when not."""
    if a and b:
        if surname_stem(a) == surname_stem(b):
            return 1.0, False
        if a[0] != b[0]:
            return 0.0, False
        return OSA.normalized_similarity(a, b), False
    first_a = a[:1] or (initials_a[0] if initials_a else "")
    first_b = b[:1] or (initials_b[0] if initials_b else "")
    if first_a and first_b:
        return (0.85, True) if first_a == first_b else (0.0, False)
    return -1.0, False  # unknown


def _suffixed(word: str) -> bool:
    """Whether the word carries a surname ending (-ов/-ева/-ин, -ұлы/-қызы): then it is the surname."""
    return surname_stem(word) != word


# One way of reading two names against each other: (q surname, c surname, q given, c given).
_Roles = tuple[str, str, str, str]


def _alignments(q: ParsedName, c: ParsedName) -> list[tuple[list[_Roles], bool]]:
    """The ways to align the name words of ``q`` and ``c``, each with whether it swaps the written
    order. An alignment lists its role readings; it is worth the *least* of them (used when the
    words themselves cannot tell which is the surname). Symmetric in ``q`` and ``c``."""
    qn, cn = q.names, c.names
    if len(qn) == 2 and len(cn) == 2:
        out: list[tuple[list[_Roles], bool]] = []
        for swapped, (p, r) in enumerate((((qn[0], cn[0]), (qn[1], cn[1])), ((qn[0], cn[1]), (qn[1], cn[0])))):
            p_sur = _suffixed(p[0]) or _suffixed(p[1])
            r_sur = _suffixed(r[0]) or _suffixed(r[1])
            as_p: _Roles = (p[0], p[1], r[0], r[1])
            as_r: _Roles = (r[0], r[1], p[0], p[1])
            if r_sur and not p_sur:
                out.append(([as_r], bool(swapped)))
            elif (p_sur and not r_sur) or not swapped:
                out.append(([as_p], bool(swapped)))
            else:
                out.append(([as_p, as_r], True))
        return out
    if len(qn) == 1 and len(cn) == 2:
        return [([(qn[0], cn[0], "", cn[1])], False), ([(qn[0], cn[1], "", cn[0])], True)]
    if len(qn) == 2 and len(cn) == 1:
        return [([(qn[0], cn[0], qn[1], "")], False), ([(qn[1], cn[0], qn[0], "")], True)]
    return [([(qn[0] if qn else "", cn[0] if cn else "", "", "")], False)]


def _roles_weight(roles: _Roles, q: ParsedName, c: ParsedName) -> tuple[float, list[Reason], bool]:
    qs, cs, qg, cg = roles
    s_sim = _sim(qs, cs)
    s_stem_edit = _one_edit(surname_stem(qs), surname_stem(cs))
    g_sim, by_initial = _given_sim(qg, cg, q.initials, c.initials)
    reasons: list[Reason] = []
    weight = 0.0
    if s_sim >= 0.97:
        weight += 4.0
    elif s_sim >= NAME_AGREES or s_stem_edit:
        weight += 2.5
        reasons.append(Reason.SURNAME_SIMILAR)
    elif s_sim >= 0.8:
        weight += 0.5
        reasons.append(Reason.SURNAME_SIMILAR)
    else:
        weight -= 3.0
        reasons.append(Reason.SURNAME_DIFFERENT)
    g_edit = bool(qg and cg and qg[0] == cg[0] and _one_edit(qg, cg))
    if g_sim < 0:
        pass  # no given name on either side: nothing for or against
    elif by_initial:
        weight += 1.0
        reasons.append(Reason.GIVEN_INITIAL)
    elif g_sim >= 0.97:
        weight += 4.0
    elif g_sim >= 0.8 or g_edit:
        weight += 2.5
        reasons.append(Reason.GIVEN_SIMILAR)
    elif g_sim >= 0.7:
        weight += 0.5
        reasons.append(Reason.GIVEN_SIMILAR)
    else:
        weight -= 5.0
        reasons.append(Reason.GIVEN_DIFFERENT)
    agrees = (s_sim >= NAME_AGREES or s_stem_edit) and (g_sim < 0 or by_initial or g_sim >= 0.8 or g_edit)
    return weight, reasons, agrees


def _name_part(q: ParsedName, c: ParsedName) -> tuple[float, list[Reason], bool]:
    """The best alignment of the two names: weight, reasons, whether the names agree."""
    best: tuple[float, list[Reason], bool] | None = None
    # Ties are broken on the reasons too, so that compare(a, b) and compare(b, a) tell the same
    # reasons when two readings weigh the same (which word is the surname is not always known).
    for readings, swapped in _alignments(q, c):
        weight, reasons, agrees = min((_roles_weight(r, q, c) for r in readings), key=lambda t: (t[0], sorted(t[1])))
        if swapped:
            reasons = [*reasons, Reason.NAME_SWAPPED]
        if best is None or (weight, sorted(best[1])) > (best[0], sorted(reasons)):
            best = (weight, reasons, agrees)
    assert best is not None
    return best


def birth_dates_compare(a: dt.date | None, b: dt.date | None) -> tuple[float, Reason]:
    """The birth-date weight and reason (also read by the batch's plaintext pre-filter)."""
    if a is None or b is None:
        return 0.0, Reason.BIRTH_DATE_MISSING
    if a == b:
        return 6.0, Reason.BIRTH_DATE_EQUAL
    if a.year != b.year and (a.month, a.day) != (b.month, b.day):
        return -6.0, Reason.BIRTH_DATE_DIFFERENT  # two fields differ: neither one digit nor a day/month swap
    sa, sb = a.strftime("%Y%m%d"), b.strftime("%Y%m%d")
    one_digit = sum(x != y for x, y in zip(sa, sb, strict=True)) == 1
    day_month_swapped = a.year == b.year and a.month == b.day and a.day == b.month
    if one_digit or day_month_swapped:
        return 2.0, Reason.BIRTH_DATE_NEAR
    return -6.0, Reason.BIRTH_DATE_DIFFERENT


def compare(q: Record, c: Record, *, q_name: ParsedName | None = None, c_name: ParsedName | None = None) -> Comparison:
    """Score record ``q`` against candidate ``c`` and decide (weights are log-odds-like points)."""
    qn = q_name or parse_name(q.full_name)
    cn = c_name or parse_name(c.full_name)
    name_weight, reasons, names_agree = _name_part(qn, cn)
    score = name_weight
    exact_name = bool(exact_key(qn)) and exact_key(qn) == exact_key(cn)
    if exact_name:
        name_reasons = {Reason.NAME_SWAPPED, Reason.SURNAME_SIMILAR, Reason.GIVEN_SIMILAR}
        reasons = [r for r in reasons if r not in name_reasons] + [Reason.NAME_EXACT]
    against = False
    if qn.patronymic and cn.patronymic:
        if JaroWinkler.normalized_similarity(patronymic_stem(qn.patronymic), patronymic_stem(cn.patronymic)) < 0.8:
            score -= 2.0
            reasons.append(Reason.PATRONYMIC_DIFFERENT)
            against = True
        else:
            score += 1.0
    date_weight, date_reason = birth_dates_compare(q.birth_date, c.birth_date)
    score += date_weight
    reasons.append(date_reason)
    iin_equal = False
    if q.iin and c.iin:
        if q.iin == c.iin:
            score += 10.0 if q.iin_valid else 6.0
            iin_equal = q.iin_valid and c.iin_valid  # an unverified copy of the digits is no proof
            reasons.append(Reason.IIN_EQUAL)
        elif _iin_one_edit(q.iin, c.iin):
            # An IIN that fails the check is known to be mistyped, and its neighbour is strong
            # evidence. Two valid IINs one edit apart are usually two people: consecutive serials
            # (twins registered together) differ in one digit, and a wrong 11th digit keeps the
            # check digit (its weight is 11), so only a little evidence is left.
            score += 1.0 if (q.iin_valid and c.iin_valid) else 4.0
            reasons.append(Reason.IIN_ONE_EDIT)
        else:
            score -= 6.0 if (q.iin_valid and c.iin_valid) else 3.0
            reasons.append(Reason.IIN_DIFFERENT)
            against = True
    if q.sex in ("F", "M") and c.sex in ("F", "M") and q.sex != c.sex:
        score -= 8.0
        reasons.append(Reason.SEX_DIFFERENT)
        against = True
    if q.phone and q.phone == c.phone:
        score += 3.0
        reasons.append(Reason.PHONE_EQUAL)
    if date_reason == Reason.BIRTH_DATE_DIFFERENT:
        against = True
    # DESIGN §10: automatic only on a valid IIN that agrees with the name, or on the exact normalised
    # name with the exact birth date; in both cases with nothing against (sex, birth date, patronymic).
    if not against and ((iin_equal and names_agree) or (exact_name and date_reason == Reason.BIRTH_DATE_EQUAL)):
        decision = Decision.AUTO
    elif score >= REVIEW_FLOOR:
        decision = Decision.REVIEW
    else:
        decision = Decision.NONE
    return Comparison(round(score, 2), decision, reasons)


def unusable(record: Record, parsed: ParsedName | None = None) -> list[str]:
    """What the engine could not use in this record, as codes (people.reasons labels them)."""
    parsed = parsed or parse_name(record.full_name)
    notes = list(parsed.notes)
    if record.iin and not record.iin_valid:
        notes.append("iin_unverified")
    if not record.birth_date:
        notes.append("no_birth_date")
    return notes
