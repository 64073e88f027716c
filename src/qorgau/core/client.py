"""The client's address as Qorgau sees it, behind a known number of trusted reverse proxies.

With ``QORGAU_TRUSTED_PROXIES=N`` the address is the N-th entry from the right of
``X-Forwarded-For`` (what the outermost trusted proxy saw); with 0 (the default) it is the socket's
peer. Entries left of that are client-supplied and never trusted.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    hops = int(getattr(settings, "QORGAU_TRUSTED_PROXIES", 0))
    if hops > 0:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return str(request.META.get("REMOTE_ADDR", ""))
