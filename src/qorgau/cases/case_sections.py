"""The case page's optional sections, probed for rows in one statement before the page reads them
(``cases.presence``): each entry is the section's own queryset, the one its selector reads. The
probe's statement is compiled from ``sections`` once per process (``presence.probe_compiled``), so a
section's queryset may use the case's id, its victim's id and the clock, and nothing else of the case."""

from __future__ import annotations

from qorgau.cases import selectors
from qorgau.cases.attachments import ATTACHMENTS, attachments_of
from qorgau.cases.models import Case
from qorgau.cases.presence import Sections, probe_compiled
from qorgau.monitoring.selectors import ASSIGNMENTS, ZONES, assignments_of, zones_of
from qorgau.orders.selectors import UPCOMING_HEARINGS, upcoming_hearings_of
from qorgau.programmes.selectors import ENROLMENTS, enrolments_of
from qorgau.protocols.conference_selectors import CONFERENCES, conferences_of
from qorgau.protocols.selectors import REFERRALS, referrals_of
from qorgau.risk.safety_plan import SAFETY_PLAN, plans_of
from qorgau.support.selectors import REFERRALS as SUPPORT_REFERRALS
from qorgau.support.selectors import referrals_of as support_referrals_of


def sections(case: Case) -> Sections:
    """Each optional section of the case page and the queryset its selector reads."""
    return {
        selectors.SAFE_CONTACT: selectors.safe_contact_of(case),
        selectors.MERGED: selectors.merged_of(case),
        ATTACHMENTS: attachments_of(case),
        SAFETY_PLAN: plans_of(case),
        UPCOMING_HEARINGS: upcoming_hearings_of(case),
        CONFERENCES: conferences_of(case),
        REFERRALS: referrals_of(case),
        SUPPORT_REFERRALS: support_referrals_of(case),
        ENROLMENTS: enrolments_of(case),
        ASSIGNMENTS: assignments_of(case),
        ZONES: zones_of(case),
    }


def probe_case_page(case: Case) -> frozenset[str]:
    """Record on ``case`` which optional sections of its page have no rows; returns them."""
    return probe_compiled(case, sections)
