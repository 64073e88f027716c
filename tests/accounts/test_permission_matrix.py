"""Every route × every role (and an anonymous visitor) gets exactly the status of the matrix."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from qorgau.accounts.roles import Role
from tests.conftest import sign_in
from tests.permission_matrix import ANON, MATRIX

IGNORED_PREFIXES = ("static/",)


def _walk(patterns, prefix: str = "") -> list[str]:
    routes = []
    for p in patterns:
        if isinstance(p, URLResolver):
            routes += _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            routes.append(prefix + str(p.pattern))
    return routes


def all_routes() -> set[str]:
    return {r for r in _walk(get_resolver().url_patterns) if not r.startswith(IGNORED_PREFIXES)}


def test_every_route_has_a_row_and_every_row_a_route():
    routes = all_routes()
    missing = sorted(routes - MATRIX.keys())
    stale = sorted(MATRIX.keys() - routes)
    assert not missing, f"routes without a row in tests/permission_matrix.py: {missing}"
    assert not stale, f"rows for routes that no longer exist: {stale}"


def test_every_row_covers_every_role():
    expected = {ANON, *(r.value for r in Role)}
    for route, checks in MATRIX.items():
        for check in checks:
            assert set(check.expect) == expected, f"{route} {check.method}: roles missing or extra"


def _request(client: Client, check) -> int:
    method = getattr(client, check.method.lower())
    if check.json:
        response = method(check.path, data=json.dumps(check.data), content_type="application/json")
    else:
        response = method(check.path, data=check.data) if check.data or check.method != "GET" else method(check.path)
    return response.status_code


@pytest.mark.django_db
@pytest.mark.parametrize("who", [ANON, *(r.value for r in Role)])
def test_matrix(who, make_user):
    failures = []
    for route, checks in MATRIX.items():
        for check in checks:
            client = Client()
            if who != ANON:
                sign_in(client, make_user(who))
            status = _request(client, check)
            if status != check.expect[who]:
                failures.append(f"{check.method} {check.path} [{route}] as {who}: got {status}, want {check.expect[who]}")
    assert not failures, "\n".join(failures)
