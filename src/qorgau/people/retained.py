"""Matching a new record against one whose personal fields the retention policy removed (DESIGN §10).

Such a record keeps its blind indexes, birth date and sex, and nothing to decrypt, so the name part of
``people.matching.compare`` cannot run. It still links on the strongest evidence there is: the same
*valid* IIN (compared by blind index), with nothing against it — the birth date (kept, and written
into a valid IIN) and the sex must agree. An IIN copied without passing its check goes to review;
anything weaker (a shared name key) is no candidate, since a reviewer would have nothing to compare.
"""

from __future__ import annotations

from qorgau.people.matching import Comparison, Decision, Reason, Record, birth_dates_compare
from qorgau.people.models import IinStatus, Person
from qorgau.people.services import iin_candidates

IIN_WEIGHT = 10.0


def removed_record_comparison(record: Record, person: Person) -> Comparison | None:
    """The comparison of ``record`` with a retention-removed ``person``, or None when nothing links them."""
    if person.personal_removed_at is None:
        return None  # empty for another reason: nothing to go on
    if len(record.iin) != 12 or not person.iin_bidx or person.iin_bidx not in iin_candidates(record.iin):
        return None
    reasons = [Reason.IIN_EQUAL]
    date_weight, date_reason = birth_dates_compare(record.birth_date, person.birth_date)
    reasons.append(date_reason)
    against = date_reason == Reason.BIRTH_DATE_DIFFERENT
    if record.sex in ("F", "M") and person.sex in ("F", "M") and record.sex != person.sex:
        reasons.append(Reason.SEX_DIFFERENT)
        against = True
    score = IIN_WEIGHT + date_weight - (8.0 if Reason.SEX_DIFFERENT in reasons else 0.0)
    both_valid = record.iin_valid and person.iin_status == IinStatus.VALID
    decision = Decision.AUTO if both_valid and not against else Decision.REVIEW
    return Comparison(round(score, 2), decision, reasons)
