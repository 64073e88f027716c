"""Schemathesis fuzzing of the whole /api/v1 schema, as six roles (DESIGN §11: bounded examples).

The schema is the application's own (``api.get_openapi_schema()``); requests go in-process to the
WSGI application, inside the test's transaction. For every operation and role, generated requests —
valid by the schema, invalid by it, and ones aimed at real cases — must never get a 5xx, must get a
documented status and a body that matches the schema, and must never carry data of a case the role
may not see (another unit's case) or a field the mask hides from it.

Every path parameter also gets real ids: the fuzz world's two cases, and the permission matrix's
world (tests/matrix_world.py) — an object of the role's unit and one of another region for every
id parameter (orders, tasks, alerts, enrolments, …), so the leak check meets real objects.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from qorgau.accounts.models import AgencyKind, ApiToken, User
from qorgau.accounts.services import unit_create
from qorgau.accounts.tokens import api_token_issue
from qorgau.api import api
from qorgau.cases.models import Case as CaseRecord
from qorgau.cases.models import Grant, GrantReason
from qorgau.cases.reference import markers_load
from qorgau.cases.services import SafeContactInput, VictimInput, report_register, safe_contact_update
from qorgau.core import clock
from qorgau.core.models import Region
from qorgau.people.models import SafeContact
from qorgau.people.services import PersonInput
from tests.cases.factories import report_input, synthetic_iin
from tests.matrix_world import OURS as MATRIX_OURS
from tests.matrix_world import THEIRS as MATRIX_THEIRS
from tests.matrix_world import Ids, World, build, builders_for, kind_of, world_build

pytestmark = pytest.mark.django_db

EXAMPLES = 12  # per operation and role: 6 roles x 92 operations, about as many examples as 3 roles x 25 were
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
]
OUR_TAGS = {"cases", "reports"}
# Routes of the foundation that do not declare their error responses yet: their status is checked
# against this list instead of the schema (status_code_conformance would flag every 401/403/404/422).
UNDECLARED_ERRORS = {401, 403, 404, 405, 422}

OWN = {
    "victim": "Жанар Сокрытова",
    "offender": "Марат Сокрытов",
    "phone": "+7 701 999 88 77",
    "address": "ул. Тайная 7, кв. 12",
    "workplace": "Аптека Тайная",
    "narrative": "Тайный рассказ о побоях",
    "safe_phone": "+7 705 123 45 67",
    "code_word": "подснежник",
}
THEIRS = {
    "victim": "Гульмира Чужакова",
    "offender": "Болат Чужаков",
    "narrative": "Чужой рассказ, недоступный",
    "address": "ул. Чужая 3",
}


ROLES = ["police_inspector", "social_worker", "probation_officer", "monitoring_operator", "analyst", "other_inspector"]


@pytest.fixture
def world(make_user, other_unit, police_unit) -> dict[str, Any]:
    """Two cases: one held by the police unit (and granted to a probation unit), one held by another unit."""
    markers_load()
    inspector = make_user("police_inspector", language="en")
    own = report_register(actor=inspector, data=report_input(
        victims=[VictimInput(relationship="spouse", person=PersonInput(
            full_name=OWN["victim"], iin=synthetic_iin(dt.date(1992, 4, 11), "F", 3000), birth_date=dt.date(1992, 4, 11),
            sex="F", phone=OWN["phone"], address=OWN["address"], workplace=OWN["workplace"],
        ))],
        offender=PersonInput(full_name=OWN["offender"]),
        narrative=OWN["narrative"],
    )).cases[0]
    safe_contact_update(actor=inspector, case=own, version=None, data=SafeContactInput(
        may_call=True, phone=OWN["safe_phone"], code_word=OWN["code_word"],
    ))
    probation_unit = unit_create(
        actor=None, kind=AgencyKind.objects.get(code="probation"), region=Region.objects.get(iso="KZ-75"),
        name_ru="Пробация Алматы", name_kk="Алматы пробациясы", name_en="Almaty probation",
    )
    Grant.objects.create(case=own, unit=probation_unit, reason=GrantReason.TASK, scope="full", since=clock.now())
    theirs_iin = synthetic_iin(dt.date(1988, 8, 8), "F", 4000)
    theirs = report_register(actor=make_user("police_inspector", unit=other_unit), data=report_input(
        victims=[VictimInput(relationship="spouse", person=PersonInput(
            full_name=THEIRS["victim"], iin=theirs_iin, birth_date=dt.date(1988, 8, 8), sex="F", address=THEIRS["address"],
        ))],
        offender=PersonInput(full_name=THEIRS["offender"]),
        narrative=THEIRS["narrative"], region="KZ-23", district="", urban=False,
    )).cases[0]
    monitoring_unit = unit_create(
        actor=None, kind=AgencyKind.objects.get(code="monitoring_centre"), region=Region.objects.get(iso="KZ-75"),
        name_ru="Центр мониторинга", name_kk="Мониторинг орталығы", name_en="Monitoring centre",
    )
    matrix = world_build(make_user, police_unit, other_unit)
    for builder in builders_for([_route(p) for p in api.get_openapi_schema()["paths"]]):
        build(matrix, builder)
    return {
        "own": own,
        "theirs": theirs,
        "theirs_iin": theirs_iin,
        "matrix": matrix,
        "users": {
            "police_inspector": inspector,
            "social_worker": make_user("social_worker", unit=police_unit, language="en"),
            "probation_officer": make_user("probation_officer", unit=probation_unit, language="en"),
            "monitoring_operator": make_user("monitoring_operator", unit=monitoring_unit, language="en"),
            "analyst": make_user("analyst", unit=police_unit),
            "other_inspector": make_user("police_inspector", unit=other_unit, language="en"),
        },
    }


def _route(path: str) -> str:
    """An OpenAPI path as the URL resolver prints its route: /api/v1/orders/{order_id} -> api/v1/orders/<order_id>."""
    return path.lstrip("/").replace("{", "<").replace("}", ">")


def home_case(role: str, world: dict[str, Any]) -> CaseRecord:
    """The fuzz world's case the role's unit holds."""
    return world["theirs"] if role == "other_inspector" else world["own"]


def foreign_case_ids(role: str, world: dict[str, Any]) -> set[int]:
    """Case ids of the other side, in both worlds: break-glass would legitimately open them."""
    matrix: World = world["matrix"]
    if role == "other_inspector":
        return {world["own"].pk, matrix.a.case.pk}
    return {world["theirs"].pk, matrix.b.case.pk}


def never_shown(role: str, world: dict[str, Any]) -> list[str]:
    """What no response to this role may contain."""
    theirs: CaseRecord = world["theirs"]
    own: CaseRecord = world["own"]
    matrix: World = world["matrix"]
    own_all = [*OWN.values(), own.number, own.victim.iin]
    matrix_a = [*MATRIX_OURS.values(), matrix.a.case.number]
    matrix_b = [*MATRIX_THEIRS.values(), matrix.b.case.number]
    if role == "other_inspector":  # unit B: the Almaty unit's cases are the ones it may not see
        return own_all + matrix_a
    secret = [theirs.number, world["theirs_iin"], *THEIRS.values(), *matrix_b]
    if role == "probation_officer":  # offender-facing: her whereabouts and contact are masked
        secret += [OWN["phone"], OWN["address"], OWN["workplace"], OWN["safe_phone"], OWN["code_word"], *matrix_a]
    if role in ("analyst", "monitoring_operator"):  # aggregates only / no grant on any case: no person, no case
        secret += own_all + matrix_a
    return secret


@pytest.fixture
def in_process() -> Iterator[None]:
    """Keep the test's connection across in-process requests, as Django's test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def plausible_report(case: Case) -> Case:
    """Bend a generated report towards one the service accepts, so the 201 path is fuzzed too."""
    body = case.body
    if not isinstance(body, dict):
        return case
    now = clock.now()
    body.update({
        "region_iso": "KZ-75", "district_kato": "", "received_at": (now - timedelta(hours=1)).isoformat(),
        "occurred_at": (now - timedelta(hours=3)).isoformat(), "forms": ["physical"], "attach_incident_id": None,
        "offender_existing_id": None, "restricted": False,
    })
    body["offender"] = {"full_name": "Фаззер Обидчик"}
    body["victims"] = [{"relationship": "spouse", "markers": [], "person": {"full_name": f"Фаззер Жертва {now.timestamp()}"}}]
    body["child_witnesses"] = []
    return case


NEXT_STATE = {"active": "supervised", "supervised": "active", "closed": "active"}


def current_state(case: Case) -> Case:
    """A state change the case allows, on the version stored now: the 200 path."""
    if isinstance(case.body, dict):
        stored = CaseRecord.objects.get(pk=case.path_parameters["case_id"])
        case.body.update({"to_state": NEXT_STATE[stored.state], "reason": "fuzz", "version": stored.version})
    return case


def current_contact(case: Case) -> Case:
    """Safe-contact preferences on the version stored now: the 200 path (403 for a masked role)."""
    if isinstance(case.body, dict):
        stored = SafeContact.objects.filter(person__cases_as_victim=case.path_parameters["case_id"]).first()
        case.body["version"] = stored.version if stored is not None else None
    return case


def matrix_ids(path: str, world: dict[str, Any], user: User) -> list[dict[str, int]]:
    """The path parameters filled with the matrix world's real ids: unit A's objects, then unit B's."""
    matrix: World = world["matrix"]
    found: dict[str, Ids] = {}
    for name in (p.strip("{}") for p in path.split("/") if p.startswith("{")):
        kind = kind_of(_route(path), name)
        if kind is None:
            return []
        label, builder = kind
        found[name] = build(matrix, builder) if label == "unit" else builder(matrix, user)
    if not found:
        return []
    own = {n: i.own for n, i in found.items()}
    other = {n: (i.other if i.other is not None else i.own) for n, i in found.items()}
    return [own, other] if other != own else [own]


def strategies(operation: Any, world: dict[str, Any], own_tokens: set[int], role: str = "police_inspector", user: User | None = None) -> Any:
    modes = [operation.as_strategy(generation_mode=GenerationMode.POSITIVE), operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)]
    path = operation.path
    if user is not None and "{iso}" not in path:
        modes += [operation.as_strategy(path_parameters=ids) for ids in matrix_ids(path, world, user)]
    if "{case_id}" in path:
        ids = [world["own"].pk, world["theirs"].pk]
        modes += [operation.as_strategy(path_parameters={"case_id": i}) for i in ids]
    if path.endswith("/search"):
        theirs = world["theirs"]
        modes += [
            operation.as_strategy(query={"number": theirs.number}),
            operation.as_strategy(query={"iin": world["theirs_iin"]}),
            operation.as_strategy(query={"full_name": THEIRS["victim"], "birth_date": "1988-08-08"}),
        ]
    if path.endswith("/reports"):
        modes.append(operation.as_strategy(generation_mode=GenerationMode.POSITIVE).map(plausible_report))
    own_id = home_case(role, world).pk
    # The 200 paths go first: Hypothesis favours the first branches of one_of, and a derandomized run
    # must reach them whatever the rest of the schema looks like.
    if path.endswith("/state"):
        modes.insert(0, operation.as_strategy(path_parameters={"case_id": own_id}).map(current_state))
    if path.endswith("/safe-contact") and operation.method.upper() == "PUT":
        modes.insert(0, operation.as_strategy(path_parameters={"case_id": own_id}).map(current_contact))
    strategy = st.one_of(modes)
    if path.endswith("/break-glass"):
        # Emergency access to the other unit's case is legitimate and would make its data visible.
        foreign = foreign_case_ids(role, world)
        strategy = strategy.filter(lambda c: not (isinstance(c.path_parameters, dict) and c.path_parameters.get("case_id") in foreign))
    if "/tokens/{token_id}" in path:
        # Revoking the fuzzer's own token would turn the rest of the run into 401s.
        strategy = strategy.filter(lambda c: not (isinstance(c.path_parameters, dict) and c.path_parameters.get("token_id") in own_tokens))
    return strategy


def shown_text(response: Any) -> str:
    """The body as a reader would see it: JSON with its escapes undone (Cyrillic arrives as \\uXXXX)."""
    raw = response.content.decode("utf-8", "replace")
    try:
        return raw + json.dumps(json.loads(raw), ensure_ascii=False)
    except ValueError:
        return raw


def fuzz(operation: Any, strategy: Any, *, headers: dict[str, str], secrets: list[str], seen: dict[str, set[int]]) -> str | None:
    """Run one operation's bounded examples; the failure report, or None."""
    ours = bool(OUR_TAGS & set(operation.definition.raw.get("tags", [])))
    checks = CHECKS if ours else [c for c in CHECKS if c is not status_code_conformance]
    label = f"{operation.method.upper()} {operation.path}"
    statuses = seen.setdefault(label, set())
    # A status the route declares is conformant too (a 409 for a stale version, say).
    allowed = UNDECLARED_ERRORS | {int(k) for k in operation.definition.raw.get("responses", {}) if str(k).isdigit()}

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def probe(case: Case) -> None:
        response = case.call(headers=headers)
        statuses.add(response.status_code)
        case.validate_response(response, checks=checks, headers=headers)
        if not ours:
            assert response.status_code < 300 or response.status_code in allowed, (label, response.status_code)
        body = shown_text(response)
        leaked = [s for s in secrets if s in body]
        assert not leaked, f"{label} showed what the role may not see: {leaked}"

    try:
        probe()
    except (AssertionError, FailureGroup) as exc:  # collect every operation's failures, not only the first
        return f"{label}: {exc}"
    return None


@pytest.mark.parametrize("role", ROLES)
def test_fuzz_the_api(role, world, in_process):
    user: User = world["users"][role]
    token = api_token_issue(actor=user, verified=True, name="fuzz").token
    own_tokens = set(ApiToken.objects.filter(user=user).values_list("pk", flat=True))
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
    schema.app = WSGIHandler()
    secrets = never_shown(role, world)
    seen: dict[str, set[int]] = {}
    problems = []
    for result in schema.get_all_operations():
        operation = result.ok()
        strategy = strategies(operation, world, own_tokens, role, user)
        problem = fuzz(operation, strategy, headers=headers, secrets=secrets, seen=seen)
        if problem:
            problems.append(problem)
    assert not problems, "\n\n".join(problems)
    assert len(seen) >= 18, sorted(seen)
    # The run reached the answers that matter, not only refusals.
    detail = seen["GET /api/v1/cases/{case_id}"]
    if role == "police_inspector":
        assert {201, 422} <= seen["POST /api/v1/reports"]
        assert {200, 404} <= detail
        assert {200, 409} <= seen["POST /api/v1/cases/{case_id}/state"]
        assert {200, 409} <= seen["PUT /api/v1/cases/{case_id}/safe-contact"]
    if role == "probation_officer":
        assert {200, 404} <= detail and 403 in seen["PUT /api/v1/cases/{case_id}/safe-contact"]
    if role == "analyst":
        assert 403 in detail and detail <= {403, 422}
        assert seen["GET /api/v1/search"] <= {403, 422}
    if role == "monitoring_operator":  # no grant on any case: never a case
        assert 200 not in detail and 404 in detail
    if role == "other_inspector":
        assert {200, 404} <= detail  # its own region's case opens, the Almaty one is not found
