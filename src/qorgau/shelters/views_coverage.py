"""The coverage page: the table of regions and the server-drawn map (no personal data)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from qorgau.accounts.models import User
from qorgau.shelters.coverage import DEFAULT_KM, coverage, require_coverage
from qorgau.shelters.coverage_map import coverage_map
from qorgau.shelters.forms_coverage import CoverageFilter


@login_required
@require_GET
def coverage_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    require_coverage(user)
    form = CoverageFilter(request.GET or None)
    status, region, km = 200, "", DEFAULT_KM
    if request.GET:
        if form.is_valid():
            region = form.cleaned_data["region"].pk if form.cleaned_data.get("region") else ""
            km = form.cleaned_data.get("km") or DEFAULT_KM
        else:
            status = 422
    cov = coverage(km, region=region)
    return render(request, "shelters/coverage.html", {"form": form, "cov": cov, "map": coverage_map(cov, region=region),
                                                      "region": region}, status=status)
