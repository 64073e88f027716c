"""The root URLconf's order is only about speed (qorgau/urls.py): no path could be taken by two entries."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver


def _routes(entries, prefix: str = "") -> list[str]:
    out: list[str] = []
    for entry in entries:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            out += _routes(entry.url_patterns, route)
        else:
            assert isinstance(entry, URLPattern)
            out.append(route)
    return out


def test_the_empty_prefix_include_shares_no_route_with_the_entries_before_it():
    root = get_resolver().url_patterns
    prefixes = [str(e.pattern) for e in root if str(e.pattern)]
    assert prefixes[:2] == ["api/v1/", "healthz"]  # the API and the probe are tried first
    empty = [e for e in root if not str(e.pattern)]
    assert empty, "the sign-in pages live under the empty prefix"
    for entry in empty:
        for route in _routes([entry]):
            taken = [p for p in prefixes if route.startswith(p) or (p.endswith("/") and route == p.rstrip("/"))]
            assert not taken, f"{route!r} would be answered by {taken} first"
