"""Bench-only routes (bench/load), mounted by the root URLs only when ``QORGAU_BENCH_ENDPOINTS=1`` outside
production: the framework's own empty endpoint, the floor that the load figures are measured against."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path


def empty(request: HttpRequest) -> HttpResponse:
    """No database, no template: the whole middleware stack and an empty response."""
    return HttpResponse(b"", content_type="text/plain")


urlpatterns = [path("bench/empty", empty, name="bench_empty")]
