"""The permission matrix's own/other unit dimension (issue 11).

The matrix (tests/permission_matrix.py) asks for object routes with ids nobody holds. Here the same
checks run with real objects (tests/matrix_world.py):

* other — unit B's ids (another region): every role gets exactly the status the matrix gives for a
  missing id (the gate makes "not yours" the same answer as "missing"), and no body carries unit B's
  personal data;
* own — unit A's ids (the matrix users' unit): the gate opens — for each check at least one role that
  gets 404 for a missing id gets another answer, and the front-line roles that hold the case
  (``CASE_OPENERS``) never get 404 on a route bound to a case only.

A route whose id parameter has no builder fails ``test_every_id_parameter_has_a_builder``.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from django.test import Client

from qorgau.accounts.roles import Role
from tests.accounts.test_permission_matrix import all_routes
from tests.conftest import sign_in
from tests.matrix_world import NOT_IDS, THEIRS, Ids, World, build, builders_for, kind_of, world_build
from tests.permission_matrix import ANON, MATRIX, Check

PARAM = re.compile(r"^<(?:\w+:)?(\w+)>$")
# Roles in the matrix users' unit that work the unit's cases: unit A's case opens for them.
CASE_OPENERS = {Role.POLICE_INSPECTOR.value, Role.POLICE_SUPERVISOR.value}
# Break-glass opens another unit's case by design (DESIGN §5: justified, audited, time-limited): its
# routes are left out of the "other" dimension, and run last so that the grant it gives cannot open
# unit B's objects for the checks after it (tests/cases cover break-glass itself).
BY_DESIGN_OPEN = ("break-glass",)


def id_params(route: str) -> list[tuple[int, str]]:
    """(segment index, parameter name) of the route's object-id parameters."""
    out = []
    for i, segment in enumerate(route.split("/")):
        m = PARAM.match(segment)
        if m and m.group(1) not in NOT_IDS:
            out.append((i, m.group(1)))
    return out


def test_every_id_parameter_has_a_builder():
    missing = sorted(
        f"{route}: <{param}>" for route in all_routes() for _, param in id_params(route) if kind_of(route, param) is None
    )
    assert not missing, (
        "id parameters without a builder in tests/matrix_world.py — add a builder of a unit A and a unit B object "
        "(or a national one) to KINDS (or USER_KINDS) for:\n" + "\n".join(missing)
    )


def _substitute(check: Check, route: str, values: dict[str, int], case_id: int) -> Check:
    """The check with the side's ids in its path, and the side's case where its body names a case
    (the matrix's bodies use placeholder ids, which exist on SQLite and not on PostgreSQL)."""
    path, sep, query = check.path.partition("?")
    segments = path.lstrip("/").split("/")
    pattern = route.split("/")
    assert len(segments) == len(pattern), f"{check.path} does not follow {route}"
    for i, param in id_params(route):
        segments[i] = str(values[param])
    data = {**check.data, "case_id": case_id} if "case_id" in check.data else check.data
    return Check(check.method, "/" + "/".join(segments) + sep + query, check.expect, data, check.json)


def _send(client: Client, check: Check) -> Any:
    method = getattr(client, check.method.lower())
    if check.json:
        return method(check.path, data=json.dumps(check.data), content_type="application/json")
    return method(check.path, data=check.data) if check.data or check.method != "GET" else method(check.path)


def _text(response: Any) -> str:
    raw = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    text = raw.decode("utf-8", "replace")
    try:
        return text + json.dumps(json.loads(text), ensure_ascii=False)
    except ValueError:
        return text


def _ids(world: World, route: str, user: Any) -> dict[str, Ids] | None:
    out = {}
    for _, param in id_params(route):
        found = kind_of(route, param)
        if found is None:  # test_every_id_parameter_has_a_builder names it
            return None
        label, builder = found
        out[param] = build(world, builder) if label == "unit" else builder(world, user)
    return out


class Run:
    """One pass of the checks; failures and which roles the own objects opened for."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.secrets = [*THEIRS.values(), world.number_b]
        self.failures: list[str] = []
        self.opened: dict[str, set[str]] = {}
        self.requests = 0

    def leak_check(self, side: str, check: Check, route: str, who: str, response: Any) -> None:
        leaked = [s for s in self.secrets if s in _text(response)]
        if leaked:
            self.failures.append(f"{side} {check.method} {check.path} [{route}] as {who}: shows unit B's {leaked}")

    def route(self, client: Client, who: str, route: str, checks: list[Check], ids: dict[str, Ids]) -> None:
        by_design = any(m in route for m in BY_DESIGN_OPEN)
        directory = any(i.directory or who in i.open_to for i in ids.values())
        for n, check in enumerate(checks):
            if not by_design and any(i.other is not None for i in ids.values()):
                other = _substitute(check, route, {p: (i.other if i.other is not None else i.own) for p, i in ids.items()},
                                    self.world.b.case.pk)
                response = _send(client, other)
                self.requests += 1
                if response.status_code >= 500:
                    self.failures.append(f"other {other.method} {other.path} [{route}] as {who}: {response.status_code}")
                elif not directory and response.status_code != check.expect[who]:
                    self.failures.append(f"other {other.method} {other.path} [{route}] as {who}: got {response.status_code}, "
                                         f"want {check.expect[who]} (as for a missing id)")
                self.leak_check("other", other, route, who, response)
            if check.expect[who] != 404:
                continue
            own = _substitute(check, route, {p: i.own for p, i in ids.items()}, self.world.a.case.pk)
            response = _send(client, own)
            self.requests += 1
            self.leak_check("own", own, route, who, response)
            key = f"{check.method} {route} #{n}"
            self.opened.setdefault(key, set())
            if response.status_code != 404:
                self.opened[key].add(who)
            elif who in CASE_OPENERS and [p for _, p in id_params(route)] == ["case_id"]:
                self.failures.append(f"own {own.method} {own.path} [{route}] as {who}: 404 on its own unit's case")


@pytest.mark.django_db
def test_own_and_other_unit(make_user, police_unit, other_unit):
    started = time.monotonic()
    world = world_build(make_user, police_unit, other_unit)
    routes = {route: checks for route, checks in MATRIX.items() if id_params(route)}
    routes = dict(sorted(routes.items(), key=lambda rc: any(m in rc[0] for m in BY_DESIGN_OPEN)))
    for builder in builders_for(list(routes)):  # every object exists before the first request
        build(world, builder)
    built = time.monotonic() - started
    users = {who: None if who == ANON else make_user(who, language="en") for who in [ANON, *(r.value for r in Role)]}
    run = Run(world)
    unbuilt: set[str] = set()
    for who, user in users.items():
        client = Client()
        if user is not None:
            sign_in(client, user)
        for route, checks in routes.items():
            ids = _ids(world, route, user or world.a.inspector)
            if ids is None:
                unbuilt.add(route)
                continue
            run.route(client, who, route, checks, ids)
    # Objects held by another of unit A's agencies (a crisis centre's records): its own staff try them.
    for route, checks in routes.items():
        ids = _ids(world, route, world.a.inspector)
        openers = {i.opener for i in (ids or {}).values() if i.opener}
        for opener in sorted(openers):
            user = world.a.people[opener]
            run.route(sign_in(Client(), user), user.role, route, checks, ids or {})
    failures = run.failures
    shut = sorted(key for key, roles in run.opened.items() if not roles)
    failures += [f"own {key}: unit A's object is 404 for every role (the gate never opens)" for key in shut]
    elapsed = time.monotonic() - started
    print(f"\nunits dimension: {len(routes) - len(unbuilt)} of {len(routes)} routes, {run.requests} requests, "
          f"{elapsed:.1f} s (world {built:.1f} s)")
    failures += [f"{route}: an id parameter has no builder (see test_every_id_parameter_has_a_builder)" for route in sorted(unbuilt)]
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures)


@pytest.mark.django_db
def test_planted_strings_are_shown_to_their_own_unit(make_user, police_unit, other_unit):
    """The leak check's control: unit B's own inspector does see the planted strings (so their absence
    elsewhere means something), in a page and, with its escapes undone, in the API's JSON."""
    world = world_build(make_user, police_unit, other_unit)
    client = sign_in(Client(), world.b.inspector)
    page = _text(client.get(f"/cases/{world.b.case.pk}/"))
    api = _text(client.get(f"/api/v1/cases/{world.b.case.pk}"))
    assert THEIRS["victim"] in page and world.number_b in page
    assert THEIRS["victim"] in api and THEIRS["offender"] in api
    assert THEIRS["victim"] not in _text(sign_in(Client(), world.a.inspector).get(f"/cases/{world.b.case.pk}/"))
