"""No N+1 on the configuration pages (issue 10): the risk instruments and the protocol versions that
an administrator publishes. Their rows are versions (the lists), a version's questions and flag rules
(an instrument) or its duties and their changes against the published version (a protocol). See
tests/core/query_pages.py for the harness and docs/query-discipline.md."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from django.test import Client

from qorgau.accounts.roles import Role
from qorgau.protocols.definitions import FILES_DIR
from qorgau.protocols.models import ProtocolVersion
from qorgau.protocols.versions import version_draft_upload, version_publish
from qorgau.risk.instruments import instrument_file_load, version_draft_reweighted
from qorgau.risk.models import InstrumentVersion, VersionStatus
from tests.conftest import sign_in
from tests.core.query_pages import assert_flat, covers
from tests.protocols.conftest import protocols  # noqa: F401  (a fixture)
from tests.risk.conftest import instruments  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db

_numbers = itertools.count(1)


def _t(text: str) -> dict[str, str]:
    return {"kk": f"{text} (kk)", "ru": f"{text} (ru)", "en": text}


# --- risk instruments -----------------------------------------------------------------------------------------


def _instrument_file(code: str, number: int, questions: int) -> bytes:
    """An instrument with ``questions`` items, a section and a flag rule per item (the rules name items, so
    the page reads their items too). Primary for nothing: a shipped instrument is primary already."""
    return json.dumps({
        "code": code, "version": number, "kind": "checklist", "name": _t(f"Instrument {code}"), "description": _t("For the query count"),
        "applies_to": ["other_relative", "household"], "primary_for": [], "levels": {"low": 0, "medium": 2, "high": 4},
        "sections": [{"code": f"s{i}", "title": _t(f"Section {i}")} for i in range(questions)],
        "items": [{"code": f"q{i}", "section": f"s{i}", "question": _t(f"Question {i}"), "help": _t(f"Help {i}"), "weight": 1 + i % 3}
                  for i in range(questions)],
        "flag": {"name": _t("Danger"), "escalates": {"high": "critical"},
                 "rules": [{"code": f"r{i}", "label": _t(f"Rule {i}"), "all": [f"q{i}"], "any": [f"q{(i + 1) % questions}"]}
                           for i in range(questions)]},
    }, ensure_ascii=False).encode()


@covers("risk/instruments/", "api/v1/risk/instruments")
def test_instrument_lists(instruments, make_user):  # noqa: F811
    """Per row a new instrument, published, and a re-weighted draft of it: the administrator's list
    shows both, the API the published one (with its questions, cutoffs and relationships)."""
    admin = make_user(Role.ADMINISTRATOR, username="qc_instrument_admin")

    def more_instruments(n: int) -> None:
        for _ in range(n):
            version, _created = instrument_file_load(_instrument_file(f"qc{next(_numbers)}", 1, 3))
            version_draft_reweighted(actor=admin, version=version, weights={"q0": 5})

    assert_flat(sign_in(Client(), admin), "/risk/instruments/", more_instruments)
    inspector = make_user(Role.POLICE_INSPECTOR, username="qc_instrument_inspector")
    assert_flat(sign_in(Client(), inspector), "/api/v1/risk/instruments", more_instruments)


@covers("risk/instruments/<int:version_id>/")
def test_instrument_version(instruments, make_user):  # noqa: F811
    """A re-weighted draft with more questions and flag rules each time (a new file version of one
    instrument, then its draft): the page lists the questions with the weights they had and the rules."""
    admin = make_user(Role.ADMINISTRATOR, username="qc_instrument_version_admin")
    total = {"questions": 0}
    numbers = itertools.count(10, 10)

    def more_questions(n: int) -> None:
        total["questions"] += n
        version, _created = instrument_file_load(_instrument_file("qcgrow", next(numbers), total["questions"]))
        version_draft_reweighted(actor=admin, version=version, weights={"q0": 7})

    def latest_draft() -> str:
        draft = InstrumentVersion.objects.filter(instrument__code="qcgrow", status=VersionStatus.DRAFT).latest("number")
        assert draft.derived_from is not None  # the page shows the weights it had too
        return f"/risk/instruments/{draft.pk}/"

    assert_flat(sign_in(Client(), admin), latest_draft, more_questions)


# --- protocol versions ----------------------------------------------------------------------------------------


NATIONAL: dict[str, Any] = json.loads((FILES_DIR / "national-5.json").read_text(encoding="utf-8"))


def _duty(code: str, *, base: int = 0, hours: int | None = None) -> dict[str, Any]:
    """A copy of a shipped duty (with its escalation chain) under another code."""
    duty: dict[str, Any] = json.loads(json.dumps(NATIONAL["duties"][base]))
    duty.update(code=code, title=_t(f"Duty {code}"))
    if hours is not None:
        duty["hours"] = hours
    return duty


def _protocol_file(code: str, number: int, duties: list[dict[str, Any]]) -> bytes:
    return json.dumps({"code": code, "version": number, "name": _t(f"Protocol {code}"), "description": _t("For the query count"),
                       "duties": duties}, ensure_ascii=False).encode()


@covers("protocols/admin/")
def test_protocol_versions_list(protocols, instruments, make_user):  # noqa: F811
    """Per row a new protocol: its first version uploaded and published, its second uploaded as a draft."""
    admin = make_user(Role.ADMINISTRATOR, username="qc_protocol_admin")

    def more_protocols(n: int) -> None:
        for _ in range(n):
            code = f"qc_protocol_{next(_numbers)}"
            first = version_draft_upload(actor=admin, raw=_protocol_file(code, 1, [_duty("a"), _duty("b", base=1)]))
            version_publish(actor=admin, version_id=first.pk)
            version_draft_upload(actor=admin, raw=_protocol_file(code, 2, [_duty("a"), _duty("b", base=1), _duty("c", base=2)]))

    assert_flat(sign_in(Client(), admin), "/protocols/admin/", more_protocols)


@covers("protocols/admin/versions/<int:version_id>/")
def test_protocol_version(protocols, instruments, make_user):  # noqa: F811
    """A draft of the national protocol with more new duties each time (a new upload): the page lists its
    duties with their escalation chains, and the changes against the published version (the new duties
    added; one changed; the rest of the shipped ones removed)."""
    admin = make_user(Role.ADMINISTRATOR, username="qc_protocol_version_admin")
    total = {"new": 0}
    numbers = itertools.count(NATIONAL["version"] + 1)

    def more_duties(n: int) -> None:
        total["new"] += n
        kept = [json.loads(json.dumps(d)) for d in NATIONAL["duties"][:3]]
        kept[0]["hours"] += 1
        added = [_duty(f"qc_new_duty_{i}", base=i % 3) for i in range(total["new"])]
        version_draft_upload(actor=admin, raw=_protocol_file(NATIONAL["code"], next(numbers), kept + added))

    def latest_draft() -> str:
        return f"/protocols/admin/versions/{ProtocolVersion.objects.filter(protocol__code=NATIONAL['code']).latest('number').pk}/"

    assert_flat(sign_in(Client(), admin), latest_draft, more_duties)
