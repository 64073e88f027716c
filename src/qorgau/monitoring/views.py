"""The monitoring pages: the operator's screen, alerts, devices and zones (DESIGN §7)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def operator_screen(request: HttpRequest) -> HttpResponse:  # TODO(issue 8): the operator's screen
    return render(request, "monitoring/operator.html", {})
