"""The case page's probe of its optional sections (cases.presence, cases.case_sections): one
statement says which sections are empty, an empty section is not read again, and a section with
rows is read and shown as before."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qorgau.cases.access import case_get_for
from qorgau.cases.case_sections import probe_case_page
from qorgau.cases.models import Case
from qorgau.cases.presence import EMPTY_ATTR, absent, probe
from qorgau.cases.selectors import MERGED, SAFE_CONTACT, case_safe_contact, merged_of, safe_contact_of
from qorgau.cases.services import SafeContactInput, report_register, safe_contact_update
from qorgau.monitoring.selectors import ASSIGNMENTS, case_assignments
from qorgau.protocols.conference_selectors import CONFERENCES
from qorgau.support.selectors import REFERRALS as SUPPORT_REFERRALS
from tests.cases.factories import person, report_input
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

# The tables of the sections a bare case has no rows in; each is named once, in the probe.
PROBED_TABLES = [
    "people_safecontact", "cases_attachment", "risk_safetyplan", "orders_courthearing", "protocols_conference",
    "support_supportreferral", "programmes_enrolment", "monitoring_assignment", "monitoring_zone",
]


def _victim(serial: int):
    from qorgau.cases.services import VictimInput

    return VictimInput(relationship="spouse", person=person(f"Жумабаева Салтанат {serial}", serial=serial))


def _mentions(queries: list[dict], table: str) -> int:
    return sum(1 for q in queries if re.search(rf'"{table}"', q["sql"]))


def test_nothing_is_absent_until_the_probe_ran(make_user):
    case = report_register(actor=make_user(), data=report_input()).cases[0]
    assert not absent(case, SAFE_CONTACT)
    assert probe(case, {}) == frozenset() and not absent(case, SAFE_CONTACT)


def test_the_probe_records_the_empty_sections_in_one_statement(make_user):
    inspector = make_user()
    case = report_register(actor=inspector, data=report_input()).cases[0]
    safe_contact_update(actor=inspector, case=case, version=None, data=SafeContactInput(may_call=True, phone="+7 705 123 45 67"))
    with CaptureQueriesContext(connection) as probed:
        empty = probe(case, {SAFE_CONTACT: safe_contact_of(case), MERGED: merged_of(case)})
    assert len(probed) == 1
    assert empty == frozenset({MERGED})
    assert absent(case, MERGED) and not absent(case, SAFE_CONTACT)
    # The selector of a section with rows still reads them.
    found = case_safe_contact(case, case_get_for(inspector, case.pk)[1])
    assert found is not None and found["contact"].may_call


def test_an_empty_section_is_not_read_again(make_user):
    case = report_register(actor=make_user(), data=report_input()).cases[0]
    empty = probe_case_page(case)
    assert {ASSIGNMENTS, CONFERENCES, SUPPORT_REFERRALS, SAFE_CONTACT} <= empty
    with CaptureQueriesContext(connection) as read:
        assert case_assignments(case) == []
    assert len(read) == 0


def test_the_case_page_asks_each_empty_section_once_and_shows_what_has_rows(make_user, client):
    inspector = make_user()
    case = report_register(actor=inspector, data=report_input()).cases[0]
    sign_in(client, inspector)
    with CaptureQueriesContext(connection) as bare:
        response = client.get(f"/cases/{case.pk}/")
    assert response.status_code == 200
    for table in PROBED_TABLES:
        assert _mentions(bare.captured_queries, table) == 1, table  # the probe, nothing else
    safe_contact_update(actor=inspector, case=case, version=None, data=SafeContactInput(may_call=True, phone="+7 705 123 45 67", code_word="Ромашка"))
    with CaptureQueriesContext(connection) as with_contact:
        response = client.get(f"/cases/{case.pk}/")
    assert response.status_code == 200
    assert _mentions(with_contact.captured_queries, "people_safecontact") == 2  # the probe, then its rows
    assert "Ромашка" in response.content.decode()
    assert len(with_contact) == len(bare) + 1


# --- the probe compiled once (presence.probe_compiled) ----------------------------------------------


def _timed(case):
    """Sections that use the case's id, its victim's id and the clock, as the case page's do."""
    from qorgau.core import clock

    return {
        "opened_later": Case.objects.filter(pk=case.pk, opened_at__gt=clock.now()),
        "her_contact": safe_contact_of(case),
        "merged": merged_of(case),
        "states": Case.objects.filter(pk=case.pk, state__in=["new", "active"]),
    }


def _reads_more(case):
    return {"held": Case.objects.filter(holding_unit_id=case.holding_unit_id)}  # another attribute of the case


def _not_the_clock(case):
    import datetime as dt

    return {"late": Case.objects.filter(pk=case.pk, opened_at__lt=dt.datetime.now(dt.UTC))}  # a time not from the clock


def test_the_compiled_probe_answers_as_the_orms_for_every_case(make_user):
    from qorgau.cases.case_sections import sections
    from qorgau.cases.presence import probe_compiled

    inspector = make_user()
    bare = report_register(actor=inspector, data=report_input()).cases[0]
    contact = report_register(actor=inspector, data=report_input(victims=[_victim(2000)])).cases[0]
    safe_contact_update(actor=inspector, case=contact, version=None, data=SafeContactInput(may_call=True, phone="+7 705 123 45 67"))
    for case in (bare, contact):
        compiled = probe_compiled(case, sections)
        assert compiled == probe(Case.objects.get(pk=case.pk), sections(case))
        assert getattr(case, EMPTY_ATTR) == compiled
    assert SAFE_CONTACT in probe_compiled(bare, sections) and SAFE_CONTACT not in probe_compiled(contact, sections)


def test_the_compiled_probe_puts_the_case_its_victim_and_the_clock_in_their_places(make_user):
    from qorgau.cases.presence import _compiled, probe_compiled
    from qorgau.core import clock

    inspector = make_user()
    case = report_register(actor=inspector, data=report_input()).cases[0]
    other = report_register(actor=inspector, data=report_input(victims=[_victim(2100)])).cases[0]
    safe_contact_update(actor=inspector, case=other, version=None, data=SafeContactInput(may_call=True, phone="+7 705 123 45 67"))
    compiled = _compiled(_timed, connection.vendor, connection.alias)
    assert compiled is not None
    assert {kind for kind, _ in compiled.slots} == {"pk", "victim", "now", "const"}
    with clock.frozen(case.opened_at - timedelta(hours=1)):
        assert probe_compiled(case, _timed) == {"her_contact", "merged"}
    with clock.frozen(case.opened_at + timedelta(hours=1)):
        assert probe_compiled(case, _timed) == {"opened_later", "her_contact", "merged"}
        assert probe_compiled(other, _timed) == {"opened_later", "merged"}
        assert probe_compiled(other, _timed) == probe(other, _timed(other))


def test_a_section_that_reads_more_of_the_case_or_another_time_is_probed_per_request(make_user):
    from qorgau.cases.presence import _compiled, probe_compiled

    inspector = make_user()
    case = report_register(actor=inspector, data=report_input()).cases[0]
    for build in (_reads_more, _not_the_clock):
        assert _compiled(build, connection.vendor, connection.alias) is None
        assert probe_compiled(case, build) == probe(case, build(case)) == frozenset()


def test_the_case_page_compiles_its_probe_once(make_user, client):
    from qorgau.cases.case_sections import sections
    from qorgau.cases.presence import _compiled

    assert _compiled(sections, connection.vendor, connection.alias) is not None
    inspector = make_user()
    case = report_register(actor=inspector, data=report_input()).cases[0]
    sign_in(client, inspector)
    with CaptureQueriesContext(connection) as page:
        assert client.get(f"/cases/{case.pk}/").status_code == 200
    probes = [q["sql"] for q in page.captured_queries if "has_0" in q["sql"]]
    assert len(probes) == 1 and str(case.pk) in probes[0]
